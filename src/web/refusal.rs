//! How the server answers a refusal of the application layer: the one mapping of
//! [`RefusalKind`] to an HTTP status, for pages and the API alike, and the API's JSON body
//! `{"error", "kind", "problems": [{field, message}]}`.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Serialize;

use super::AppState;
use super::api_request::Malformed;
use super::auth::internal;
use super::pages::signed_page;
use crate::app::{Problem, Refusal, RefusalKind};
use crate::run::accounts::User;

/// The status a refusal answers with, pages and API alike: [`RefusalKind::http_status`]
/// (403 forbidden, 404 not found, 409 conflict, 422 refused or invalid, 500 broken or
/// storage).
pub fn status_of(kind: RefusalKind) -> StatusCode {
    StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The body of every API answer that did nothing.
#[derive(Serialize)]
struct ErrorBody<'a> {
    /// The whole reason in one text.
    error: &'a str,
    /// `malformed` (400), or the refusal's kind in kebab-case.
    kind: &'a str,
    problems: &'a [Problem],
}

fn body(status: StatusCode, error: &str, kind: &str, problems: &[Problem]) -> Response {
    let text = serde_json::to_string(&ErrorBody {
        error,
        kind,
        problems,
    })
    .unwrap_or_else(|_| "{}".to_string());
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response()
}

/// A refusal as the API answers it: [`status_of`] with the JSON error body. A storage
/// failure is a 500 whose details go to the server's log only.
pub fn api_refusal(refusal: &Refusal) -> Response {
    if refusal.kind == RefusalKind::Storage {
        return internal(refusal);
    }
    if refusal.kind == RefusalKind::Unavailable {
        // The reason names the database: it goes to the log, the client is told to wait.
        eprintln!("error: {refusal}");
        let mut answer = body(
            status_of(refusal.kind),
            super::auth::UNAVAILABLE,
            "unavailable",
            &[Problem {
                field: None,
                message: super::auth::UNAVAILABLE.to_string(),
            }],
        );
        answer.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static(super::auth::RETRY_AFTER),
        );
        return answer;
    }
    let kind = serde_json::to_value(refusal.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    body(
        status_of(refusal.kind),
        &refusal.said(),
        &kind,
        &refusal.problems,
    )
}

/// A request larger than the server takes: 413, about `field`; nothing was written.
pub fn api_too_large(field: &str, message: &str) -> Response {
    body(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("{field}: {message}"),
        "too-large",
        &[Problem {
            field: Some(field.to_string()),
            message: message.to_string(),
        }],
    )
}

/// A body that could not be read: 400, about the member where reading stopped.
pub fn api_malformed(malformed: &Malformed) -> Response {
    let error = match &malformed.field {
        Some(field) => format!("{field}: {}", malformed.message),
        None => malformed.message.clone(),
    };
    body(
        StatusCode::BAD_REQUEST,
        &error,
        "malformed",
        &[Problem {
            field: malformed.field.clone(),
            message: malformed.message.clone(),
        }],
    )
}

/// A page saying why a request did nothing (`refused.html`, with the refusal's status),
/// linking `back` when given. A failure of the store is a 500 whose details go to the
/// server's log only.
pub async fn refused_page(
    state: &Arc<AppState>,
    user: &User,
    refusal: &Refusal,
    back: Option<&str>,
) -> Response {
    if matches!(
        refusal.kind,
        RefusalKind::Storage | RefusalKind::Unavailable
    ) {
        return internal(refusal);
    }
    let key = match refusal.kind {
        RefusalKind::NotFound => "not_found",
        _ => "forbidden",
    };
    let own = context! { message_key => key, detail => refusal.message.clone(), back => back };
    signed_page(state, user, status_of(refusal.kind), "refused.html", own).await
}
