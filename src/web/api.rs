//! The JSON API for other systems (an ERP that starts a run when an order is entered),
//! authenticated with `Authorization: Bearer <token>` (`procdoc user token LOGIN`); the
//! token's user is who acts. Every handler reads its input, calls one operation of
//! [`crate::app`] and renders its result; refusals answer through [`super::refusal`].
//! `docs/api.md` documents every endpoint.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use super::api_request::{self, StartBody, StepBody};
use super::auth::ApiUser;
use super::form::Fields;
use super::refusal::{api_malformed, api_refusal};
use super::render::language_of;
use super::{AppState, files};
use crate::app::documents::{DocumentEntry, current_documents};
use crate::app::{self, Refusal, RunRef};

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
    let documents: Vec<ApiDocument> = current_documents(&state.loaded().qms, &lang)
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

/// A JSON body in the order its type declares its members.
fn serialized(status: StatusCode, text: &serde_json::Result<String>) -> Response {
    match text {
        Ok(text) => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            text.clone(),
        )
            .into_response(),
        Err(e) => super::auth::internal(e),
    }
}

/// A run record as `procdoc run show --format json` prints it, byte for byte.
fn record_json(status: StatusCode, record: &app::RunRecord) -> Response {
    serialized(status, &Ok(app::to_json(record) + "\n"))
}

/// The query parameters of a request, a parameter given empty counting as not given.
struct Query(Fields);

impl Query {
    fn of(uri: &Uri) -> Query {
        Query(Fields::parse(uri.query().unwrap_or("").as_bytes()))
    }

    fn get(&self, name: &str) -> Option<String> {
        Some(self.0.get(name)).filter(|v| !v.trim().is_empty())
    }

    /// The run of path parameter `reference` and `?flow=` (`flow` or `DOC/flow`).
    fn run(&self, reference: String) -> RunRef {
        RunRef {
            reference,
            flow: self.get("flow"),
        }
    }
}

/// The body of `GET /api/inbox`.
#[derive(Serialize)]
struct InboxBody<'a> {
    /// The moment deadlines were judged at.
    at: chrono::DateTime<chrono::Utc>,
    /// How many of the items are overdue.
    overdue: usize,
    items: &'a [app::InboxItem],
}

/// `GET /api/inbox`: the active steps waiting for the token's user's departments (every
/// department for a quality user), overdue first, then by due time. `?dept=CODE` narrows it
/// to one of them; `?at=` judges deadlines at another moment, as `run inbox --at` does.
/// Titles are in the user's language where the run's revision has it.
pub async fn inbox(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    uri: Uri,
) -> Response {
    let query = Query::of(&uri);
    let now = match app::moment(
        query.get("at").as_deref(),
        app::office_tz(Some(&state.loaded().qms)),
    ) {
        Ok(now) => now,
        Err(refusal) => return api_refusal(&refusal),
    };
    let (st, pick) = (state.clone(), query.get("dept"));
    let lang = language_of(&state, Some(&user));
    let found = state
        .with_reader(move |store| {
            app::my_work(
                Some(store),
                &user,
                &st.loaded().qms,
                pick.as_deref(),
                now,
                Some(&lang),
                Some(&st.inboxes),
            )
        })
        .await;
    match found {
        Ok(inbox) => {
            let body = InboxBody {
                at: inbox.at,
                overdue: inbox.overdue(),
                items: &inbox.items,
            };
            serialized(StatusCode::OK, &serde_json::to_string(&body))
        }
        Err(refusal) => api_refusal(&refusal),
    }
}

/// `POST /api/runs` with `{doc, flow, ref, plan}`: starts a run in the token's user's name;
/// 201 with the run's record (as `GET /api/runs/{ref}` gives it) and its address in
/// `Location`.
pub async fn start(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    body: Bytes,
) -> Response {
    let request = match api_request::parse::<StartBody>(&body) {
        Ok(body) => body.into_request(),
        Err(malformed) => return api_malformed(&malformed),
    };
    let tolerance = match app::tolerance(None) {
        Ok(t) => t,
        Err(refusal) => return api_refusal(&refusal),
    };
    let st = Arc::clone(&state);
    let found = state
        .with_store(move |store| {
            let loaded = st.loaded();
            let started =
                app::start_run_as(store, &loaded.qms, &loaded.diagnostics, &user, &request)?;
            let run = RunRef {
                reference: started.run.reference.clone(),
                flow: Some(format!("{}/{}", started.run.doc, started.run.flow)),
            };
            let record = app::show_run(store, Some(&st.loaded().qms), &run, None, tolerance)?;
            Ok((started, record))
        })
        .await;
    match found {
        Ok((started, record)) => {
            super::notify::after_change(&state, &started.run, started.at);
            // Where the new run is read back: its reference and flow name exactly one run.
            let location = format!(
                "/api{}?flow={}%2F{}",
                super::runs::run_path(&record.reference),
                utf8_percent_encode(&record.doc.id, NON_ALPHANUMERIC),
                utf8_percent_encode(&record.flow.id, NON_ALPHANUMERIC),
            );
            let mut response = record_json(StatusCode::CREATED, &record);
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Err(refusal) => api_refusal(&refusal),
    }
}

/// `GET /api/runs/{ref}`: the run's record, the same JSON as `procdoc run show --format
/// json`; `?flow=` picks the run when the reference names runs of several flows, `?at=`
/// and `?tolerance=` are `run show`'s `--at` and `--tolerance`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(reference): Path<String>,
    uri: Uri,
) -> Response {
    let query = Query::of(&uri);
    let run = query.run(reference);
    let tolerance = match app::tolerance(query.get("tolerance").as_deref()) {
        Ok(t) => t,
        Err(refusal) => return api_refusal(&refusal),
    };
    let at = query.get("at");
    let st = Arc::clone(&state);
    let found = state
        .with_reader(move |store| {
            app::show_run_as(
                store,
                Some(&st.loaded().qms),
                &user,
                &run,
                at.as_deref(),
                tolerance,
            )
        })
        .await;
    match found {
        Ok(record) => record_json(StatusCode::OK, &record),
        Err(refusal) => api_refusal(&refusal),
    }
}

/// `POST /api/runs/{ref}/steps/{step}` with `{outcome, check, waive, reason, fields, note,
/// as, password, attachments}`: the token's user signs the step (their password confirms
/// it); 200 with the run's record, or the refusal with one problem per input and nothing
/// written; 413 about `attachments` when the files together are larger than `--max-upload`.
pub async fn complete(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path((reference, step)): Path<(String, String)>,
    uri: Uri,
    body: Bytes,
) -> Response {
    let run = Query::of(&uri).run(reference);
    let body = match api_request::parse::<StepBody>(&body) {
        Ok(body) => body,
        Err(malformed) => return api_malformed(&malformed),
    };
    let password = body.password.clone();
    let request = match body.into_request(&step) {
        Ok(request) => request,
        Err(refusal) => return api_refusal(&refusal),
    };
    let total: u64 = request.attachments.iter().map(|a| a.attachment.size).sum();
    if total > state.max_upload as u64 {
        return super::refusal::api_too_large(
            "attachments",
            &format!(
                "the files attached hold {} together, more than {}, the most one request may carry",
                crate::run::attachments::show_size(total),
                crate::run::attachments::show_size(state.max_upload as u64)
            ),
        );
    }
    let tolerance = match app::tolerance(None) {
        Ok(t) => t,
        Err(refusal) => return api_refusal(&refusal),
    };
    let signer = match super::auth::confirm_signer(&state, &user, password).await {
        Ok(signer) => signer,
        Err(refusal) => return api_refusal(&refusal),
    };
    let st = Arc::clone(&state);
    let signed = state
        .write(move |store| app::sign_as(store, &st.loaded().qms, &signer, &run, &request))
        .await;
    // The record is read after the commit, beside the writer rather than holding it.
    let st = Arc::clone(&state);
    let found = match signed {
        Ok(signed) => {
            state
                .with_reader(move |store| {
                    let run = RunRef {
                        reference: signed.run.reference.clone(),
                        flow: Some(format!("{}/{}", signed.run.doc, signed.run.flow)),
                    };
                    let record =
                        app::show_run(store, Some(&st.loaded().qms), &run, None, tolerance)?;
                    Ok((signed, record))
                })
                .await
        }
        Err(refusal) => Err(refusal),
    };
    match found {
        Ok((signed, record)) => {
            super::notify::after_change(&state, &signed.run, signed.at);
            record_json(StatusCode::OK, &record)
        }
        Err(refusal) => api_refusal(&refusal),
    }
}

/// `GET /api/runs/{ref}/record.pdf`: the run's printed record, as an attachment.
pub async fn record_pdf(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(reference): Path<String>,
    uri: Uri,
) -> Response {
    let run = Query::of(&uri).run(reference);
    let tolerance = match app::tolerance(None) {
        Ok(t) => t,
        Err(refusal) => return api_refusal(&refusal),
    };
    let st = Arc::clone(&state);
    let found = state
        .with_reader(move |store| {
            app::show_run_as(store, Some(&st.loaded().qms), &user, &run, None, tolerance)
        })
        .await;
    let record = match found {
        Ok(record) => record,
        Err(refusal) => return api_refusal(&refusal),
    };
    super::runs::download(record, true)
        .await
        .unwrap_or_else(|refusal: Refusal| api_refusal(&refusal))
}
