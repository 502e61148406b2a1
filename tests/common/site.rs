//! What the HTTP test files share: a server driven in-process (axum router, one request at a
//! time with `tower::ServiceExt::oneshot`) on a QMS copied into a temporary folder, requests
//! as a browser on that site sends them, signing in, and reading responses. Each test file
//! makes its own QMS and adds its own methods to [`Site`]; each uses only part of this.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use tower::ServiceExt;

use procdoc::app::users::{self, AddUser};
use procdoc::run::accounts::Role;
use procdoc::run::clock;
use procdoc::run::store::SqliteStore;
use procdoc::web::{AppState, ServeOptions, router};

/// The password of every user the tests add.
pub const PASSWORD: &str = "correct horse battery";

/// A text that would run script or break out of an attribute if a page did not escape it.
pub const HOSTILE: &str = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>"#;
/// How [`HOSTILE`] reads once minijinja escaped it for HTML (after [`body`] turned its
/// `&#x2f;` back into `/`).
pub const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img";

/// A user to add: login, departments, role. The printed name is `Printed {login}`.
pub type User<'a> = (&'a str, &'a [&'a str], Role);

/// A server on `dir/qms` with the store `dir/runs.sqlite`, writing builds to `dir/out`.
pub struct Site {
    pub app: Router,
    pub state: Arc<AppState>,
    pub dir: tempfile::TempDir,
    /// The first-user setup secret, when the store held no user.
    pub setup: Option<String>,
}

/// Creates (or opens) the store `db` and adds the users `add` with [`PASSWORD`], of the
/// departments `known`. The store is returned for more writes before the server starts.
pub fn add_users(db: &Path, known: &[&str], add: &[User]) -> SqliteStore {
    let mut store = SqliteStore::create(db).unwrap();
    let known: Vec<String> = known.iter().map(|d| d.to_string()).collect();
    for (login, depts, role) in add {
        users::add_user(
            &mut store,
            &known,
            AddUser {
                login: login.to_string(),
                name: format!("Printed {login}"),
                departments: depts.iter().map(|d| d.to_string()).collect(),
                role: *role,
                password: Some(PASSWORD.to_string()),
            },
            clock::system_now(),
        )
        .unwrap();
    }
    store
}

impl Site {
    /// Serves `dir/qms` with whatever `dir/runs.sqlite` holds.
    pub fn serve(dir: tempfile::TempDir) -> Site {
        let options = ServeOptions {
            qms_dir: dir.path().join("qms"),
            listen: "127.0.0.1:0".into(),
            db: Some(dir.path().join("runs.sqlite")),
            public_url: None,
            output: Some(dir.path().join("out")),
            max_upload: procdoc::web::DEFAULT_MAX_UPLOAD,
        };
        let (state, setup) = AppState::open(&options).unwrap();
        let state = Arc::new(state);
        Site {
            app: router(state.clone()),
            state,
            dir,
            setup,
        }
    }

    pub fn qms(&self) -> PathBuf {
        self.dir.path().join("qms")
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("runs.sqlite")
    }

    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.app.clone().oneshot(request).await.unwrap()
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Response<Body> {
        let mut r = Request::get(path).header(header::HOST, "localhost");
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        self.send(r.body(Body::empty()).unwrap()).await
    }

    /// A form post (`form` already URL-encoded) as a browser on this site sends it.
    pub async fn post(&self, path: &str, form: &str, cookie: Option<&str>) -> Response<Body> {
        self.post_from(path, form, cookie, Some("http://localhost"))
            .await
    }

    /// A form post from `origin` (none: no `Origin` header).
    pub async fn post_from(
        &self,
        path: &str,
        form: &str,
        cookie: Option<&str>,
        origin: Option<&str>,
    ) -> Response<Body> {
        let mut r = Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            r = r.header(header::ORIGIN, o);
        }
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        self.send(r.body(Body::from(form.to_string())).unwrap())
            .await
    }

    /// Signs in with [`PASSWORD`] and returns the `name=value` of the session cookie.
    pub async fn sign_in(&self, login: &str) -> String {
        let r = self
            .post(
                "/sign-in",
                &format!("login={login}&password={}", enc(PASSWORD)),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        cookie_of(&r).expect("a session cookie")
    }
}

/// Rewrites the file at `path` with `f`, failing when `f` changed nothing.
pub fn edit(path: &Path, f: impl FnOnce(&str) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    let edited = f(&text);
    assert_ne!(edited, text, "{} was edited", path.display());
    std::fs::write(path, edited).unwrap();
}

/// Runs a test's requests on a runtime like the server's (handlers use blocking threads).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A password as a form encodes it (spaces only: the test passwords have no other specials).
pub fn enc(text: &str) -> String {
    text.replace(' ', "+")
}

/// Form fields URL-encoded as a browser sends them.
pub fn encode(form: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

/// The `name=value` of the cookie a response sets, if any.
pub fn cookie_of(r: &Response<Body>) -> Option<String> {
    let set = r.headers().get(header::SET_COOKIE)?.to_str().ok()?;
    Some(set.split(';').next()?.to_string())
}

/// A response's text exactly as sent (UTF-8 required).
pub async fn raw_body(r: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 24).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A response's text. minijinja writes `/` in values as `&#x2f;` (which browsers read as
/// `/`); it is turned back so that tests can look for paths as people read them.
pub async fn body(r: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 24).await.unwrap();
    String::from_utf8_lossy(&bytes).replace("&#x2f;", "/")
}

/// The `Location` of a response, empty when it has none.
pub fn location(r: &Response<Body>) -> String {
    r.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}
