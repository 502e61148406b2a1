//! The form that signs a step (`/runs/{ref}/steps/{step}`): made from the step of the run's
//! pinned revision by [`crate::app::step_form`], and signed by [`crate::app::sign_step`] as
//! the signed-in user, who types their password again. A refused signature draws the form
//! again with what was entered and each problem next to its input; a signed one goes back
//! to the run's page.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use percent_encoding::utf8_percent_encode;
use serde::Serialize;

use super::AppState;
use super::auth::{SignedIn, internal};
use super::form::Fields;
use super::pages::signed_page;
use super::refusal::{refused_page, status_of};
use super::render::{language_of, to_value};
use super::runs::{SEGMENT, run_path, step_path};
use super::training::ReadRow;
use super::upload::Posted;
use crate::app::{self, Refusal, RefusalKind, RunRef, SignStep, StepForm, training};
use crate::run::accounts::User;

/// What the person entered (or, on a new form, what it starts with).
#[derive(Debug, Default, Serialize)]
struct Entered {
    outcome: String,
    /// Every outcome ticked, for a decision with `multiple: true` (check boxes).
    outcomes: Vec<String>,
    checked: BTreeSet<usize>,
    waived: BTreeSet<usize>,
    reason: String,
    note: String,
    acting_for: String,
    /// A text, number, date, choice or signature field's value, by `record.field`.
    value: BTreeMap<String, String>,
    /// Every value of a multichoice or checkbox field.
    multi: BTreeMap<String, Vec<String>>,
    /// A table's cells, row by row, each row as wide as the table.
    tables: BTreeMap<String, Vec<Vec<String>>>,
    /// The names of the files sent: a form drawn again cannot hold them, so it asks for them
    /// again by name.
    files: Vec<String>,
}

fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn numbers(values: Vec<String>) -> BTreeSet<usize> {
    values
        .iter()
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

fn width(field: &app::FieldInput) -> usize {
    field.columns.len().max(1)
}

impl Entered {
    /// A new form: tables with their blank rows (labelled rows pre-filled), and signature
    /// fields with the signer's printed name.
    fn blank(form: &StepForm, user: &User) -> Entered {
        let mut entered = Entered::default();
        for field in form.records.iter().flat_map(|r| &r.fields) {
            match field.kind {
                "table" => {
                    let rows = (0..field.rows)
                        .map(|i| {
                            let mut row = vec![String::new(); width(field)];
                            if let Some(label) = field.row_labels.get(i) {
                                row[0] = label.clone();
                            }
                            row
                        })
                        .collect();
                    entered.tables.insert(field.key.clone(), rows);
                }
                "signature" => {
                    entered.value.insert(field.key.clone(), user.name.clone());
                }
                _ => {}
            }
        }
        entered
    }

    /// What a posted form holds; `add_row` is the table that asked for one more row.
    fn posted(form: &StepForm, posted: &Fields, add_row: Option<&str>) -> Entered {
        let mut entered = Entered {
            outcome: posted.get("outcome"),
            outcomes: posted.all("outcome"),
            checked: numbers(posted.all("check")),
            waived: numbers(posted.all("waive")),
            reason: posted.get("reason"),
            note: posted.get("note"),
            acting_for: posted.get("as"),
            ..Entered::default()
        };
        for field in form.records.iter().flat_map(|r| &r.fields) {
            let name = format!("f.{}", field.key);
            match field.kind {
                "multichoice" | "checkbox" => {
                    entered.multi.insert(field.key.clone(), posted.all(&name));
                }
                "table" => {
                    let shown: usize = posted
                        .get(&format!("rows.{}", field.key))
                        .parse()
                        .unwrap_or(field.rows);
                    let extra = usize::from(add_row == Some(field.key.as_str()));
                    // A forged row count cannot make the page huge.
                    let rows = (shown + extra).clamp(1, 200);
                    let grid = (0..rows)
                        .map(|r| {
                            (0..width(field))
                                .map(|c| posted.get(&format!("t.{}.{r}.{c}", field.key)))
                                .collect()
                        })
                        .collect();
                    entered.tables.insert(field.key.clone(), grid);
                }
                _ => {
                    entered.value.insert(field.key.clone(), posted.get(&name));
                }
            }
        }
        entered
    }

    /// The request the form makes: each filled field as `record.field=value`.
    fn request(&self, form: &StepForm) -> Result<SignStep, Refusal> {
        let list = |set: &BTreeSet<usize>| {
            (!set.is_empty()).then(|| {
                set.iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            })
        };
        let mut fields = Vec::new();
        for field in form.records.iter().flat_map(|r| &r.fields) {
            let key = &field.key;
            match field.kind {
                "table" => {
                    let rows = self.tables.get(key).map(Vec::as_slice).unwrap_or(&[]);
                    fields.extend(app::table_field(key, rows)?);
                }
                "multichoice" | "checkbox" => {
                    let values = self.multi.get(key).cloned().unwrap_or_default();
                    if !values.is_empty() {
                        fields.push(format!("{key}={}", values.join(", ")));
                    }
                }
                kind => {
                    let value = self.value.get(key).map(String::as_str).unwrap_or("");
                    if let Some(value) = given(value) {
                        // A browser's datetime-local is `YYYY-MM-DDTHH:MM` on the office clock.
                        let value = if kind == "datetime" {
                            value.replacen('T', " ", 1)
                        } else {
                            value
                        };
                        fields.push(format!("{key}={value}"));
                    }
                }
            }
        }
        Ok(SignStep {
            step: form.step.clone(),
            acting_for: given(&self.acting_for),
            outcome: self
                .outcomes
                .first()
                .and_then(|o| given(o))
                .or_else(|| given(&self.outcome)),
            further_outcomes: self
                .outcomes
                .iter()
                .skip(1)
                .filter_map(|o| given(o))
                .collect(),
            check: list(&self.checked),
            waive: list(&self.waived),
            reason: given(&self.reason),
            fields,
            note: given(&self.note),
            attachments: Vec::new(),
        })
    }
}

/// The run a path and its `?flow=` name.
fn run_ref(reference: String, uri: &Uri) -> RunRef {
    let flow = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("flow");
    RunRef {
        reference,
        flow: given(&flow),
    }
}

fn flow_suffix(run: &RunRef) -> String {
    run.flow
        .as_ref()
        .map(|f| format!("?flow={}", utf8_percent_encode(f, SEGMENT)))
        .unwrap_or_default()
}

/// The inputs a problem can be shown next to; any other goes above the form. The outcome
/// and check items count only when the form shows them: a decision taken from a field, or
/// a joint step's earlier signature, has none, and a problem with a forged one must still
/// be read.
fn inputs_of(form: &StepForm) -> BTreeSet<String> {
    let shown = |input: &&&str| match **input {
        "outcome" => !form.outcomes.is_empty(),
        "check" | "waive" | "reason" => !form.check.is_empty(),
        _ => true,
    };
    let fixed = [
        "password",
        "as",
        "outcome",
        "check",
        "waive",
        "reason",
        "note",
        "attachments",
    ];
    fixed
        .iter()
        .filter(shown)
        .map(|f| f.to_string())
        .chain(
            form.records
                .iter()
                .flat_map(|r| &r.fields)
                .map(|f| format!("fields.{}", f.key)),
        )
        .collect()
}

/// Draws the form with what was entered and the refusal's problems.
async fn draw(
    state: &Arc<AppState>,
    user: &User,
    status: StatusCode,
    run: &RunRef,
    form: &StepForm,
    entered: &Entered,
    refusal: Option<&Refusal>,
) -> Response {
    let inputs = inputs_of(form);
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut general = Vec::new();
    for p in refusal.iter().flat_map(|r| &r.problems) {
        match &p.field {
            Some(field) if inputs.contains(field) => {
                problems
                    .entry(field.clone())
                    .or_default()
                    .push(p.message.clone());
            }
            _ => general.push(p.message.clone()),
        }
    }
    let suffix = flow_suffix(run);
    let reading = unread(state, user, form).await;
    let own = context! {
        form => to_value(form),
        reading => reading.as_ref().map(to_value),
        entered => to_value(entered),
        problems => to_value(&problems),
        general => general,
        action => format!("{}{suffix}", step_path(&form.reference, &form.step)),
        back => format!("{}{suffix}", run_path(&form.reference)),
        signer => context! { name => user.name.clone(), login => user.login.clone() },
        max_upload => crate::run::attachments::show_size(state.max_upload as u64),
    };
    signed_page(state, user, status, "step.html", own).await
}

/// The revision the user must confirm before signing this step (`training: required`),
/// shown above the form with its PDF and the confirm button; `None` when not blocked or the
/// store cannot say (signing refuses then anyway).
async fn unread(state: &Arc<AppState>, user: &User, form: &StepForm) -> Option<ReadRow> {
    let lang = language_of(state, Some(user));
    let (st, user) = (Arc::clone(state), user.clone());
    let (doc, revision) = (form.doc.clone(), form.revision.clone());
    let blocked = state
        .with_reader(move |store| {
            training::blocked_signing(&*store, &st.loaded().qms, &user, &doc, &revision, &lang)
        })
        .await;
    blocked.ok().flatten().map(|r| ReadRow::of(state, r))
}

async fn load_form(
    state: &Arc<AppState>,
    user: &User,
    run: &RunRef,
    step: &str,
) -> Result<StepForm, Refusal> {
    let lang = language_of(state, Some(user));
    let (user, run, step) = (user.clone(), run.clone(), step.to_string());
    state
        .with_reader(move |store| app::step_form(store, &user, &run, &step, &lang))
        .await
}

/// `GET /runs/{ref}/steps/{step}`: the form that signs an active step.
pub async fn step_page(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path((reference, step)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let user = &signed_in.user;
    let run = run_ref(reference, &uri);
    match load_form(&state, user, &run, &step).await {
        Ok(form) => {
            let entered = Entered::blank(&form, user);
            draw(&state, user, StatusCode::OK, &run, &form, &entered, None).await
        }
        Err(refusal) => refused_page(&state, user, &refusal, None).await,
    }
}

/// `POST /runs/{ref}/steps/{step}`: signs the step with the files attached; 303 to the run's
/// page when signed, the form again with its problems when refused (422, 403, 409 when
/// someone signed first, 413 naming the field when the files are larger than the server
/// takes). The "add a row" buttons of tables post here too and only draw the form again.
/// The form may come as `multipart/form-data` (with files) or as a plain form.
pub async fn sign(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path((reference, step)): Path<(String, String)>,
    uri: Uri,
    posted: Posted,
) -> Response {
    let user = &signed_in.user;
    let run = run_ref(reference, &uri);
    let form = match load_form(&state, user, &run, &step).await {
        Ok(form) => form,
        Err(refusal) => return refused_page(&state, user, &refusal, None).await,
    };
    let Posted {
        fields: posted,
        files,
        too_large,
    } = posted;
    let add_row = given(&posted.get("add_row"));
    let mut entered = Entered::posted(&form, &posted, add_row.as_deref());
    entered.files = files.iter().map(|f| f.attachment.name.clone()).collect();
    if let Some(too_large) = too_large {
        let field = match too_large.field.as_str() {
            "attachments" | "note" | "reason" => too_large.field.clone(),
            _ => String::new(),
        };
        let refusal = Refusal::new(
            RefusalKind::Invalid,
            (!field.is_empty()).then_some(field.as_str()),
            format!("{}: {}", too_large.field, too_large.message),
        );
        let status = StatusCode::PAYLOAD_TOO_LARGE;
        return draw(&state, user, status, &run, &form, &entered, Some(&refusal)).await;
    }
    if add_row.is_some() {
        return draw(&state, user, StatusCode::OK, &run, &form, &entered, None).await;
    }
    let mut request = match entered.request(&form) {
        Ok(request) => request,
        Err(refusal) => {
            let status = status_of(refusal.kind);
            return draw(&state, user, status, &run, &form, &entered, Some(&refusal)).await;
        }
    };
    request.attachments = files;
    let (asked, st) = (run.clone(), Arc::clone(&state));
    let signed = match super::auth::confirm_signer(&state, user, posted.get("password")).await {
        Ok(signer) => {
            state
                .write(move |store| {
                    app::sign_as(store, &st.loaded().qms, &signer, &asked, &request)
                })
                .await
        }
        Err(refusal) => Err(refusal),
    };
    match signed {
        Ok(done) => {
            super::notify::after_change(&state, &done.run, done.at);
            let to = format!("{}{}", run_path(&done.run.reference), flow_suffix(&run));
            match HeaderValue::from_str(&to) {
                Ok(location) => {
                    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
                }
                Err(e) => internal(&e),
            }
        }
        Err(refusal)
            if matches!(
                refusal.kind,
                RefusalKind::Storage | RefusalKind::Broken | RefusalKind::Unavailable
            ) =>
        {
            internal(&refusal)
        }
        Err(refusal) => {
            let status = status_of(refusal.kind);
            draw(&state, user, status, &run, &form, &entered, Some(&refusal)).await
        }
    }
}
