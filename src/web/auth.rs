//! Who is asking: a session cookie for the pages, a bearer token for `/api/*`. The API
//! never looks at cookies, so a page open in the browser cannot be used to call it.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};

use super::AppState;
use crate::app;
use crate::app::users::{self, Refusal};
use crate::run::accounts::User;
use crate::run::clock;
use crate::run::store::StoreError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "procdoc_session";

/// The user signed in with the request's session cookie. Without a valid session the
/// request is sent to the sign-in page (303) and nothing else happens.
pub struct SignedIn {
    pub user: User,
    /// The cookie's secret, to end the session at sign-out.
    pub secret: String,
}

impl FromRequestParts<Arc<AppState>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Some(secret) = session_secret(&parts.headers) else {
            return Err(Redirect::to("/sign-in").into_response());
        };
        let key = secret.clone();
        let read = state
            .with_reader(move |store| users::session_user_read(&*store, &key, clock::system_now()))
            .await;
        // Most requests only read their session; one that is to be marked seen or removed
        // takes the writer.
        let found = match read {
            Ok(Some(user)) => Ok(user),
            Ok(None) => {
                let key = secret.clone();
                state
                    .with_store(move |store| users::session_user(store, &key, clock::system_now()))
                    .await
            }
            Err(e) => Err(e),
        };
        match found {
            Ok(user) => Ok(SignedIn { user, secret }),
            Err(Refusal::NoSession) => Err(Redirect::to("/sign-in").into_response()),
            Err(e) => Err(internal(&e)),
        }
    }
}

/// The user of the request's `Authorization: Bearer <token>`; 401 otherwise.
pub struct ApiUser(pub User);

impl FromRequestParts<Arc<AppState>> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        let Some(token) = token else {
            return Err(unauthorized(
                "an `Authorization: Bearer <token>` header is needed",
            ));
        };
        let found = state
            .with_reader(move |store| users::authenticate_token(&*store, &token))
            .await;
        match found {
            Ok(user) => Ok(ApiUser(user)),
            Err(Refusal::Store(e)) => Err(internal(&e)),
            Err(e) => Err(unauthorized(&e.to_string())),
        }
    }
}

fn unauthorized(message: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "error": message }).to_string(),
    )
        .into_response()
}

/// A failure a handler answers with [`internal`]: shown in the server's log, and told
/// apart when it is an outage of the database that passes.
pub trait Failure: std::fmt::Display {
    /// Whether the database cannot be reached right now ([`StoreError::is_outage`]).
    fn outage(&self) -> bool {
        false
    }
}

impl Failure for StoreError {
    fn outage(&self) -> bool {
        self.is_outage()
    }
}

impl Failure for app::Refusal {
    fn outage(&self) -> bool {
        self.kind == app::RefusalKind::Unavailable
    }
}

impl Failure for Refusal {
    fn outage(&self) -> bool {
        matches!(self, Refusal::Store(e) if e.is_outage())
    }
}

// Failures of the server itself, never an outage: a blocking task that panicked, a value
// that could not be written as JSON or as a header.
impl Failure for tokio::task::JoinError {}
impl Failure for serde_json::Error {}
impl Failure for axum::http::header::InvalidHeaderValue {}

/// What a request that met an outage of the database is told (HTTP 503).
pub const UNAVAILABLE: &str = "the run store cannot be reached right now (the database is restarting or unreachable); nothing was changed: try again in a moment";

/// How many seconds a client is asked to wait after a 503 before trying again.
pub const RETRY_AFTER: &str = "5";

/// A 500 response for a failure of the store, or a 503 with [`UNAVAILABLE`] and
/// `Retry-After` while the database cannot be reached; the details go to the server's log
/// only.
pub fn internal(e: &dyn Failure) -> Response {
    eprintln!("error: {e}");
    if e.outage() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, RETRY_AFTER)],
            UNAVAILABLE,
        )
            .into_response();
    }
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the server could not read or write its store; see its log",
    )
        .into_response()
}

/// The secret of the request's session cookie, if it has one.
pub fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

/// The `Set-Cookie` value that opens a session: HttpOnly, SameSite=Strict, Secure when the
/// server is reached over https; no expiry date, so it ends with the browser too.
pub fn session_cookie(secret: &str, secure: bool) -> HeaderValue {
    let cookie = Cookie::build((SESSION_COOKIE, secret.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build();
    header_value(&cookie.to_string())
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    let cookie = Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .removal()
        .build();
    header_value(&cookie.to_string())
}

fn header_value(text: &str) -> HeaderValue {
    // The secret is hex and the attributes fixed words, so this is always a valid value.
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Checks `user`'s password for a signature ([`app::confirm_signer`]) on a blocking thread
/// and without the store, so that argon2's deliberate slowness holds up neither the async
/// workers nor the other requests' transactions. A locked login is refused before the
/// password is looked at ([`app::signing_lockout`]); a wrong password is counted towards
/// the lock ([`app::count_signing_password`]).
pub async fn confirm_signer(
    state: &Arc<AppState>,
    user: &User,
    password: String,
) -> Result<app::Signer, app::Refusal> {
    let now = clock::system_now();
    let (asking, st) = (user.clone(), Arc::clone(state));
    let tz = app::office_tz(Some(&state.loaded().qms));
    let earlier = state
        .with_reader(move |store| app::signing_lockout(&*store, &asking, now, tz))
        .await?;
    let (asking, st2) = (user.clone(), st);
    let checked = tokio::task::spawn_blocking(move || {
        app::confirm_signer(&asking, &password, Some(&st2.passwords))
    })
    .await
    .unwrap_or_else(|e| {
        Err(app::Refusal::new(
            app::RefusalKind::Storage,
            None,
            format!("checking the password failed: {e}"),
        ))
    });
    let wrong = matches!(&checked, Err(r) if r.about("password").is_some());
    // Only a change of the count writes: most signatures follow none wrong.
    if wrong || (checked.is_ok() && earlier > 0) {
        let asking = user.clone();
        state
            .with_store(move |store| app::count_signing_password(store, &asking, !wrong, now))
            .await?;
    }
    checked
}
