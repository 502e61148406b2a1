//! The HTML pages: sign-in and sign-out, the first account's setup, the documents,
//! downloads and the language switch (the run pages are in [`super::runs`]). Each handler
//! reads the request, calls [`crate::app`] and draws a template; the rules live in the
//! application layer.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Serialize;

use super::auth::{SignedIn, clear_cookie, internal, session_cookie};
use super::form::Fields;
use super::render::{base_context, department_choices, language_of};
use super::{AppState, files};
use crate::app::documents::current_documents;
use crate::app::users::{self, AddUser, Refusal};
use crate::run::accounts::{Role, User};
use crate::run::clock;

fn page(
    state: &AppState,
    user: Option<&User>,
    status: StatusCode,
    name: &str,
    own: Value,
) -> Response {
    let page_name = name.trim_end_matches(".html");
    let ctx = base_context(state, user, page_name, own);
    state.templates.page(status, name, ctx)
}

/// A page for a signed-in user, with the count of their work in the header.
pub async fn signed_page(
    state: &Arc<AppState>,
    user: &User,
    status: StatusCode,
    name: &str,
    own: Value,
) -> Response {
    let count = work_count(state, user).await;
    counted_page(state, user, count, status, name, own)
}

/// [`signed_page`] when the count of the user's work is known already (`None`: unknown,
/// not shown).
pub fn counted_page(
    state: &AppState,
    user: &User,
    count: Option<usize>,
    status: StatusCode,
    name: &str,
    own: Value,
) -> Response {
    let own = context! { work_count => count, ..own };
    page(state, Some(user), status, name, own)
}

/// How many steps wait for the user ([`crate::app::my_work`], from the server's memo of
/// inboxes, so that pages other than My work do not replay every open run) and how many
/// revisions they must read and confirm ([`crate::app::training::read_tasks`]); `None` when
/// the store cannot say (the page is still drawn).
pub async fn work_count(state: &Arc<AppState>, user: &User) -> Option<usize> {
    let (user, st) = (user.clone(), Arc::clone(state));
    let lang = super::render::language_of(state, Some(&user));
    state
        .with_reader(move |store| {
            let reading = crate::app::training::read_tasks(&*store, &st.loaded().qms, &user, &lang)
                .ok()?
                .len();
            let memo = Some(&st.inboxes);
            let work = crate::app::my_work_count(
                Some(store),
                &user,
                &st.loaded().qms,
                crate::run::clock::system_now(),
                Some(&lang),
                memo,
            );
            Some(work.ok()? + reading)
        })
        .await
}

/// A redirect after a form (303, so the browser follows with GET) that also sets a cookie.
fn redirect_with_cookie(to: &'static str, cookie: HeaderValue) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, HeaderValue::from_static(to)),
            (header::SET_COOKIE, cookie),
        ],
    )
        .into_response()
}

/// `GET /sign-in`.
pub async fn sign_in_page(State(state): State<Arc<AppState>>) -> Response {
    page(
        &state,
        None,
        StatusCode::OK,
        "sign_in.html",
        context! { login => "" },
    )
}

/// `POST /sign-in`: a session on success; the form again with the reason otherwise.
pub async fn sign_in(State(state): State<Arc<AppState>>, form: Fields) -> Response {
    let login = form.get("login");
    let password = form.get("password");
    let (given, now) = (login.clone(), clock::system_now());
    // In three parts, so that the password's hashing holds neither the store nor an async
    // worker: look the login up, check the password, then record the result.
    let attempt = state
        .with_reader(move |store| users::sign_in_lookup(&*store, &given, now))
        .await;
    let checked = match attempt {
        Ok(attempt) => tokio::task::spawn_blocking(move || attempt.check(&password))
            .await
            .map_err(|e| Refusal::Hash(e.to_string())),
        Err(refusal) => Err(refusal),
    };
    let result = match checked {
        Ok(checked) => {
            state
                .with_store(move |store| {
                    let user = users::finish_sign_in(store, checked, now)?;
                    users::open_session(store, &user, now)
                })
                .await
        }
        Err(refusal) => Err(refusal),
    };
    let (status, error) = match result {
        Ok(secret) => {
            return redirect_with_cookie("/", session_cookie(&secret, state.secure_cookies));
        }
        Err(Refusal::WrongCredentials) => (StatusCode::UNAUTHORIZED, "wrong_credentials"),
        Err(Refusal::Throttled(_)) => (StatusCode::TOO_MANY_REQUESTS, "throttled"),
        Err(Refusal::Disabled(_)) => (StatusCode::FORBIDDEN, "disabled"),
        Err(e) => return internal(&e),
    };
    page(
        &state,
        None,
        status,
        "sign_in.html",
        context! { login => login, error => error },
    )
}

/// `POST /sign-out`: ends the session and removes the cookie.
pub async fn sign_out(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> Response {
    let secret = signed_in.secret;
    if let Err(e) = state
        .with_store(move |store| users::close_session(store, &secret))
        .await
    {
        return internal(&e);
    }
    redirect_with_cookie("/sign-in", clear_cookie(state.secure_cookies))
}

/// `GET /setup?token=...`: the form for the first quality manager, while the link is valid.
pub async fn setup_page(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let token = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("token");
    if !state.setup_matches(&token) {
        return setup_used(&state);
    }
    let own = context! { token => token, departments => department_choices(&state) };
    page(&state, None, StatusCode::OK, "setup.html", own)
}

fn setup_used(state: &AppState) -> Response {
    let own = context! { message_key => "setup_used", link => "/sign-in" };
    page(state, None, StatusCode::NOT_FOUND, "message.html", own)
}

/// `POST /setup`: creates the first account (role quality) and signs it in.
pub async fn setup(State(state): State<Arc<AppState>>, form: Fields) -> Response {
    let field = |name: &str| form.get(name);
    let token = field("token");
    if !state.setup_matches(&token) {
        return setup_used(&state);
    }
    let request = AddUser {
        login: field("login"),
        name: field("name"),
        departments: form.all("dept"),
        role: Role::Quality,
        password: Some(field("password")),
    };
    let (login, name) = (request.login.clone(), request.name.clone());
    let known = state.loaded().departments.clone();
    let result = state
        .with_store(move |store| {
            let now = clock::system_now();
            match users::add_first_user(store, &known, request, now)? {
                Some(user) => users::open_session(store, &user, now).map(Some),
                None => Ok(None),
            }
        })
        .await;
    match result {
        Ok(Some(secret)) => {
            state.setup_done();
            redirect_with_cookie("/", session_cookie(&secret, state.secure_cookies))
        }
        Ok(None) => {
            state.setup_done();
            setup_used(&state)
        }
        Err(Refusal::Store(e)) => internal(&e),
        Err(refusal) => {
            let own = context! {
                token => token,
                departments => department_choices(&state),
                login => login,
                name => name,
                error => refusal.to_string(),
            };
            page(&state, None, StatusCode::BAD_REQUEST, "setup.html", own)
        }
    }
}

/// A document row of the documents page.
#[derive(Serialize)]
struct DocumentRow {
    #[serde(flatten)]
    entry: crate::app::documents::DocumentEntry,
    has_pdf: bool,
}

/// `GET /documents`: the current documents with links to their PDFs.
pub async fn documents(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> Response {
    let lang = language_of(&state, Some(&signed_in.user));
    let rows: Vec<DocumentRow> = current_documents(&state.loaded().qms, &lang)
        .into_iter()
        .map(|entry| DocumentRow {
            has_pdf: files::exists(&state.output, &entry.pdf),
            entry,
        })
        .collect();
    let own = context! { documents => Value::from(minijinja::value::Serde(&rows)) };
    signed_page(
        &state,
        &signed_in.user,
        StatusCode::OK,
        "documents.html",
        own,
    )
    .await
}

/// `GET /files/{path}`: a PDF or CSV of the output folder.
pub async fn file(
    State(state): State<Arc<AppState>>,
    _signed_in: SignedIn,
    Path(path): Path<String>,
) -> Response {
    let root = state.output.clone();
    tokio::task::spawn_blocking(move || files::serve(&root, &path))
        .await
        .unwrap_or_else(|e| internal(&e))
}

/// `POST /language`: the signed-in user's interface language, kept with their account.
pub async fn language(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    form: Fields,
) -> Response {
    let lang = form.get("lang");
    if !state.loaded().languages.contains(&lang) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let user = signed_in.user;
    let back = form.get("back");
    if let Err(e) = state
        .with_store(move |store| users::set_language(store, &user, Some(&lang)))
        .await
    {
        return internal(&e);
    }
    // Back to a page of this site only: a path, never `//host` or a full address.
    let back = if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back
    } else {
        "/".to_string()
    };
    Redirect::to(&back).into_response()
}

/// `GET /health`: `ok` (200) while the store answers, else 503 while the database cannot
/// be reached (500 for another failure): for a reverse proxy's or a service manager's
/// checks. Needs no sign-in and says nothing about the QMS.
pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    match state.with_reader(crate::app::store_answers).await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(refusal) => internal(&refusal),
    }
}

/// Anything else: 404.
pub async fn not_found(State(state): State<Arc<AppState>>) -> Response {
    let own = context! { message_key => "not_found", link => "/" };
    page(&state, None, StatusCode::NOT_FOUND, "message.html", own)
}
