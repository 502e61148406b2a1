//! `procdoc serve` over HTTP: the axum router driven in-process, request by request, on a
//! copy of an example QMS whose title carries markup.

mod common;

#[path = "common/site.rs"]
mod site;

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use procdoc::app::users::{self, AddUser};
use procdoc::run::accounts::Role;
use procdoc::run::clock;
use procdoc::run::store::SqliteStore;
use site::{PASSWORD, Site, block_on, cookie_of, enc, location, raw_body as body};

const HOSTILE_TITLE: &str = r#"<script>alert(1)</script> "><img src=x onerror=alert(2)>"#;

impl Site {
    /// A server on red-maple with the English title of CS-P-001 replaced by markup, and
    /// the users `add` makes before it starts.
    fn new(add: &[site::User]) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let qms = dir.path().join("qms");
        common::copy_dir(Path::new("specs/red-maple"), &qms);
        site::edit(&qms.join("CS-P-001.yaml"), |text| {
            text.replacen(
                "  en: Customer Management Procedure",
                &format!("  en: '{}'", HOSTILE_TITLE.replace('\'', "''")),
                1,
            )
        });
        if !add.is_empty() {
            let known = ["CS", "GM", "ENG", "QA", "PROD", "LOG"];
            site::add_users(&dir.path().join("runs.sqlite"), &known, add);
        }
        Site::serve(dir)
    }
}

#[test]
fn signing_in_opens_a_strict_http_only_session_for_the_pages() {
    block_on(signing_in_opens_a_strict_http_only_session_for_the_pages_async());
}

async fn signing_in_opens_a_strict_http_only_session_for_the_pages_async() {
    let site = Site::new(&[("ana", &["CS", "QA"], Role::Staff)]);
    let r = site
        .post(
            "/sign-in",
            &format!("login=ana&password={}", enc(PASSWORD)),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/");
    let set = r.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(!set.contains("Secure"), "plain http: {set}");
    let cookie = cookie_of(&r).unwrap();
    let home = site.get("/", Some(&cookie)).await;
    assert_eq!(home.status(), StatusCode::OK);
    let html = body(home).await;
    assert!(html.contains("Customer Service Dept."), "{html}");
    assert!(html.contains("Quality Assurance Dept."));
    assert!(html.contains("Printed ana"));
    // The store keeps only a digest of the secret the cookie holds.
    let secret = cookie.split_once('=').unwrap().1;
    let db = std::fs::read(site.db()).unwrap();
    let wal = std::fs::read(site.db().with_extension("sqlite-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    }
}

#[test]
fn a_wrong_password_is_refused_without_a_session() {
    block_on(a_wrong_password_is_refused_without_a_session_async());
}

async fn a_wrong_password_is_refused_without_a_session_async() {
    let site = Site::new(&[("ana", &["CS"], Role::Staff)]);
    for form in [
        "login=ana&password=wrong+password+here",
        "login=nobody&password=correct+horse+battery",
    ] {
        let r = site.post("/sign-in", form, None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().get(header::SET_COOKIE).is_none());
        assert!(
            body(r)
                .await
                .contains("The login or the password is wrong.")
        );
    }
}

#[test]
fn repeated_failures_lock_the_login_even_for_the_right_password() {
    block_on(repeated_failures_lock_the_login_even_for_the_right_password_async());
}

async fn repeated_failures_lock_the_login_even_for_the_right_password_async() {
    let site = Site::new(&[("ana", &["CS"], Role::Staff), ("bo", &["QA"], Role::Staff)]);
    for _ in 0..users::MAX_FAILURES {
        let r = site
            .post("/sign-in", "login=ana&password=guess+guess+guess", None)
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = site
        .post(
            "/sign-in",
            &format!("login=ana&password={}", enc(PASSWORD)),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get(header::SET_COOKIE).is_none());
    // Another login is not affected.
    site.sign_in("bo").await;
}

#[test]
fn every_page_but_sign_in_needs_a_session() {
    block_on(every_page_but_sign_in_needs_a_session_async());
}

async fn every_page_but_sign_in_needs_a_session_async() {
    let site = Site::new(&[("ana", &["CS"], Role::Staff)]);
    for path in ["/", "/documents", "/files/CS-P-001_A-01.pdf"] {
        for cookie in [None, Some("procdoc_session=0123456789abcdef")] {
            let r = site.get(path, cookie).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(location(&r), "/sign-in", "{path}");
        }
    }
    let r = site.post("/language", "lang=zh", None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(site.get("/sign-in", None).await.status(), StatusCode::OK);
    assert_eq!(
        site.get("/static/app.css", None).await.status(),
        StatusCode::OK
    );
}

#[test]
fn signing_out_ends_the_session() {
    block_on(signing_out_ends_the_session_async());
}

async fn signing_out_ends_the_session_async() {
    let site = Site::new(&[("ana", &["CS"], Role::Staff)]);
    let cookie = site.sign_in("ana").await;
    let r = site.post("/sign-out", "", Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        site.get("/", Some(&cookie)).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[test]
fn form_posts_from_another_site_are_refused() {
    block_on(form_posts_from_another_site_are_refused_async());
}

async fn form_posts_from_another_site_are_refused_async() {
    let site = Site::new(&[("ana", &["CS"], Role::Staff)]);
    let cookie = site.sign_in("ana").await;
    let r = site
        .post_from("/sign-out", "", Some(&cookie), Some("https://evil.example"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = site
        .post_from(
            "/language",
            "lang=zh",
            Some(&cookie),
            Some("http://localhost.evil.example"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let sneaky = Request::post("/sign-out")
        .header(header::HOST, "localhost")
        .header(header::COOKIE, &cookie)
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .unwrap();
    assert_eq!(site.send(sneaky).await.status(), StatusCode::FORBIDDEN);
    let r = site
        .post_from(
            "/sign-in",
            &format!("login=ana&password={}", enc(PASSWORD)),
            None,
            Some("null"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // None of them did anything: the session is open and the language unchanged.
    let home = site.get("/", Some(&cookie)).await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(body(home).await.contains("My work"));
}

#[test]
fn every_response_carries_the_security_headers() {
    block_on(every_response_carries_the_security_headers_async());
}

async fn every_response_carries_the_security_headers_async() {
    let site = Site::new(&[("ana", &["CS"], Role::Staff)]);
    let cookie = site.sign_in("ana").await;
    for (path, cookie) in [
        ("/sign-in", None),
        ("/documents", Some(cookie.as_str())),
        ("/nowhere", None),
    ] {
        let r = site.get(path, cookie).await;
        let h = r.headers();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        // The pages themselves use no inline script: every script element loads a file.
        let html = body(r).await;
        for tag in html.split("<script").skip(1) {
            assert!(
                tag.trim_start().starts_with("src=\"/static/"),
                "{path}: <script{tag}"
            );
        }
    }
}

#[test]
fn spec_texts_are_escaped_in_the_pages() {
    block_on(spec_texts_are_escaped_in_the_pages_async());
}

async fn spec_texts_are_escaped_in_the_pages_async() {
    let site = Site::new(&[("ana", &["CS"], Role::Staff)]);
    let cookie = site.sign_in("ana").await;
    let r = site.get("/documents", Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = body(r).await;
    assert!(html.contains("CS-P-001"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img src=x"));
}

#[test]
fn the_api_takes_bearer_tokens_only() {
    block_on(the_api_takes_bearer_tokens_only_async());
}

async fn the_api_takes_bearer_tokens_only_async() {
    let site = Site::new(&[("ana", &["CS"], Role::Staff)]);
    let token = {
        let mut store = SqliteStore::open(&site.db(), true).unwrap();
        users::create_token(&mut store, "ana", clock::system_now()).unwrap()
    };
    let cookie = site.sign_in("ana").await;
    let api = |auth: Option<String>, cookie: Option<&str>| {
        let mut r = Request::get("/api/documents").header(header::HOST, "localhost");
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, a);
        }
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c.to_string());
        }
        r.body(Body::empty()).unwrap()
    };
    for (auth, cookie) in [
        (None, None),
        (None, Some(cookie.as_str())),
        (Some("Bearer procdoc_00".to_string()), None),
        (Some(format!("Basic {token}")), None),
    ] {
        let r = site.send(api(auth, cookie)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
    let r = site.send(api(Some(format!("Bearer {token}")), None)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
    let doc = &json["documents"][0];
    assert_eq!(doc["id"], "CS-P-001");
    assert_eq!(doc["title"], HOSTILE_TITLE);
    assert_eq!(doc["revision"], "A/01");
    assert_eq!(doc["effective"], "2009-06-01");
    assert_eq!(doc["owner"], "CS");
    assert!(doc["pdf_url"].is_null(), "not built yet");
    // Once the PDF is in the output folder, the API links it and a session downloads it.
    let pdf = doc["pdf"].as_str().unwrap().to_string();
    let out = site.dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(&pdf), b"%PDF-1.7 test").unwrap();
    std::fs::write(site.dir.path().join("secret.pdf"), b"%PDF secret").unwrap();
    let r = site.send(api(Some(format!("Bearer {token}")), None)).await;
    let json: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
    let url = json["documents"][0]["pdf_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(url, format!("/files/{pdf}"));
    let r = site.get(&url, Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(body(r).await, "%PDF-1.7 test");
    for outside in [
        "/files/..%2Fsecret.pdf",
        "/files/%2E%2E/secret.pdf",
        "/files/..%2F..%2Fetc%2Fpasswd",
    ] {
        let r = site.get(outside, Some(&cookie)).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{outside}");
    }
    // A disabled user's token stops working.
    {
        let mut store = SqliteStore::open(&site.db(), true).unwrap();
        users::disable_user(&mut store, "ana").unwrap();
    }
    let r = site.send(api(Some(format!("Bearer {token}")), None)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[test]
fn the_language_is_switched_per_user() {
    block_on(the_language_is_switched_per_user_async());
}

async fn the_language_is_switched_per_user_async() {
    let site = Site::new(&[("ana", &["CS"], Role::Staff), ("bo", &["CS"], Role::Staff)]);
    let ana = site.sign_in("ana").await;
    let bo = site.sign_in("bo").await;
    let r = site
        .post("/language", "lang=zh&back=%2Fdocuments", Some(&ana))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/documents");
    let html = body(site.get("/", Some(&ana)).await).await;
    assert!(
        html.contains("我的工作") && html.contains("客服部"),
        "{html}"
    );
    let html = body(site.get("/", Some(&bo)).await).await;
    assert!(html.contains("My work") && !html.contains("我的工作"));
    // Only the QMS's languages, and only back to this site.
    let r = site.post("/language", "lang=fr", Some(&ana)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = site
        .post("/language", "lang=en&back=%2F%2Fevil.example", Some(&ana))
        .await;
    assert_eq!(location(&r), "/");
}

#[test]
fn the_setup_link_creates_the_first_quality_manager_once() {
    block_on(the_setup_link_creates_the_first_quality_manager_once_async());
}

async fn the_setup_link_creates_the_first_quality_manager_once_async() {
    let site = Site::new(&[]);
    let secret = site.setup.clone().expect("a setup secret with no user");
    assert_eq!(
        site.get("/setup?token=wrong", None).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = site.get(&format!("/setup?token={secret}"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let form = |password: &str| {
        format!("token={secret}&login=qm&name=Mei+Chen&dept=QA&dept=CS&password={password}")
    };
    let r = site.post("/setup", &form("short"), None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(body(r).await.contains("too short"));
    let r = site.post("/setup", &form(&enc(PASSWORD)), None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_of(&r).unwrap();
    let html = body(site.get("/", Some(&cookie)).await).await;
    assert!(html.contains("Mei Chen") && html.contains("Quality Assurance Dept."));
    let store = SqliteStore::open(&site.db(), false).unwrap();
    let all = users::list_users(&store).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].role, Role::Quality);
    assert_eq!(all[0].departments, ["QA", "CS"]);
    // The link is used up.
    let r = site.get(&format!("/setup?token={secret}"), None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = site
        .post(
            "/setup",
            &form("another+long+password").replace("qm", "qm2"),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[test]
fn sessions_expire_when_idle() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::create(&dir.path().join("runs.sqlite")).unwrap();
    let now = clock::system_now();
    let user = users::add_user(
        &mut store,
        &["CS".to_string()],
        AddUser {
            login: "ana".into(),
            name: "Ana".into(),
            departments: vec!["CS".into()],
            role: Role::Staff,
            password: Some(PASSWORD.into()),
        },
        now,
    )
    .unwrap();
    let secret = users::open_session(&mut store, &user, now).unwrap();
    let later = now + users::IDLE_EXPIRY - chrono::Duration::minutes(5);
    assert_eq!(
        users::session_user(&mut store, &secret, later)
            .unwrap()
            .login,
        "ana"
    );
    // Use kept it open: idle time counts from the last request.
    let after_use = later + users::IDLE_EXPIRY - chrono::Duration::minutes(5);
    assert!(users::session_user(&mut store, &secret, after_use).is_ok());
    let idle = after_use + users::IDLE_EXPIRY;
    assert!(matches!(
        users::session_user(&mut store, &secret, idle),
        Err(users::Refusal::NoSession)
    ));
    // Expired means gone, not merely refused once.
    assert!(matches!(
        users::session_user(&mut store, &secret, after_use),
        Err(users::Refusal::NoSession)
    ));
}
