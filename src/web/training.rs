//! Read-and-confirm in the browser: confirming a released revision
//! (`POST /documents/{doc}/{rev}/confirm`, from a task on My work) and the training page
//! (`/training`): for quality users who of each department confirmed each current revision
//! and who is missing, for everyone their own records. The rules are
//! [`crate::app::training`]'s.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use percent_encoding::utf8_percent_encode;
use serde::Serialize;

use super::auth::{SignedIn, internal};
use super::form::Fields;
use super::pages::signed_page;
use super::refusal::refused_page;
use super::render::{language_of, to_value};
use super::runs::SEGMENT;
use super::{AppState, files};
use crate::app::Refusal;
use crate::app::training::{self, RevisionInfo};
use crate::run::accounts::Role;
use crate::run::clock;

/// The path that confirms revision `revision` of `doc`.
pub fn confirm_path(doc: &str, revision: &str) -> String {
    format!(
        "/documents/{}/{}/confirm",
        utf8_percent_encode(doc, SEGMENT),
        utf8_percent_encode(revision, SEGMENT)
    )
}

/// A revision to read, with its links, as My work and the step form show it.
#[derive(Debug, Serialize)]
pub struct ReadRow {
    #[serde(flatten)]
    pub revision: RevisionInfo,
    /// `/files/...` of the controlled PDF, when it was built into the output folder.
    pub pdf_href: Option<String>,
    pub confirm_action: String,
}

impl ReadRow {
    /// The row of `revision`, linking its PDF only when the output folder has it.
    pub fn of(state: &AppState, revision: RevisionInfo) -> ReadRow {
        ReadRow {
            pdf_href: files::exists(&state.output, &revision.pdf)
                .then(|| format!("/files/{}", revision.pdf)),
            confirm_action: confirm_path(&revision.doc, &revision.revision),
            revision,
        }
    }
}

/// `POST /documents/{doc}/{rev}/confirm`: the signed-in user confirms they read and
/// understood the revision (no password: it is not a signature of a record); 303 back to
/// the page named by `back` (My work by default), or the refusal (404, 409, 422, 403).
pub async fn confirm(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path((doc, revision)): Path<(String, String)>,
    form: Fields,
) -> Response {
    let user = signed_in.user.clone();
    let st = Arc::clone(&state);
    let done = state
        .with_store(move |store| {
            training::confirm(
                store,
                &st.loaded().qms,
                &user,
                &doc,
                &revision,
                clock::system_now(),
            )
        })
        .await;
    if let Err(refusal) = done {
        return refused_page(&state, &signed_in.user, &refusal, None).await;
    }
    // Back to a page of this site only: a path, never `//host` or a full address.
    let back = form.get("back");
    let back = if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back
    } else {
        "/".to_string()
    };
    match HeaderValue::from_str(&back) {
        Ok(to) => (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response(),
        Err(e) => internal(&e),
    }
}

/// `GET /training`: quality users see each department's training on the current revisions
/// (`?dept=CODE` narrows it to one); everyone sees their own records. A staff user asking
/// for a department gets 403.
pub async fn page(State(state): State<Arc<AppState>>, signed_in: SignedIn, uri: Uri) -> Response {
    let dept = picked(&uri);
    let pick = dept.clone();
    let user = signed_in.user.clone();
    let lang = language_of(&state, Some(&user));
    let st = Arc::clone(&state);
    let found = state
        .with_reader(move |store| {
            let departments = if user.role == Role::Quality || dept.is_some() {
                let all = training::department_training(
                    store,
                    &st.loaded().qms,
                    Some(&user),
                    dept.as_deref(),
                    &lang,
                )?;
                Some(all)
            } else {
                None
            };
            let own = training::own_records(store, &st.loaded().qms, &user, &lang)?;
            Ok::<_, Refusal>((departments, own))
        })
        .await;
    let (departments, own) = match found {
        Ok(found) => found,
        Err(refusal) => return refused_page(&state, &signed_in.user, &refusal, None).await,
    };
    let picks: Vec<Value> = match &departments {
        Some(_) => state
            .loaded()
            .departments
            .iter()
            .map(|d| context! { code => d, selected => Some(d) == pick.as_ref() })
            .collect(),
        None => Vec::new(),
    };
    let own = context! {
        departments => departments.as_ref().map(to_value),
        records => to_value(&own),
        picks => picks,
        back => "/training",
    };
    signed_page(
        &state,
        &signed_in.user,
        StatusCode::OK,
        "training.html",
        own,
    )
    .await
}

fn picked(uri: &Uri) -> Option<String> {
    let dept = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("dept");
    Some(dept.trim().to_string()).filter(|d| !d.is_empty())
}
