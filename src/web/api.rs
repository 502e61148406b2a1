//! The JSON API for other systems, authenticated with `Authorization: Bearer <token>`
//! (`procdoc user token LOGIN`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::auth::ApiUser;
use super::render::language_of;
use super::{AppState, files};
use crate::app::documents::{DocumentEntry, current_documents};

/// A current document as the API gives it: the library entry and where its PDF is.
#[derive(Serialize)]
pub struct ApiDocument {
    #[serde(flatten)]
    pub entry: DocumentEntry,
    /// The PDF's path on this server, when the output folder has it.
    pub pdf_url: Option<String>,
}

/// `GET /api/documents`: the current controlled documents, worded in the token's user's
/// language.
pub async fn documents(State(state): State<Arc<AppState>>, ApiUser(user): ApiUser) -> Response {
    let lang = language_of(&state, Some(&user));
    let documents: Vec<ApiDocument> = current_documents(&state.qms, &lang)
        .into_iter()
        .map(|entry| {
            let pdf_url =
                files::exists(&state.output, &entry.pdf).then(|| format!("/files/{}", entry.pdf));
            ApiDocument { entry, pdf_url }
        })
        .collect();
    json(&serde_json::json!({ "documents": documents }))
}

/// A JSON response body.
pub fn json(value: &serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}
