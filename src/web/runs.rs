//! The run pages: My work (the home page), the run list, starting a run, and a run's page
//! with its flowchart, its audit trail and its record as PDF and JSON. Each handler reads
//! the request, calls one operation of [`crate::app`] (which checks who may do what) and
//! draws a template.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use super::auth::{SignedIn, internal};
use super::form::Fields;
use super::pages::{counted_page, signed_page};
use super::refusal::refused_page;
use super::render::{department_name, language_of, to_value};
use super::training::ReadRow;
use super::{AppState, files};
use crate::app::{self, ListQuery, Refusal, RefusalKind, RunRef, StartRun, Status};
use crate::run::accounts::{Role, User};
use crate::run::clock;
use crate::run::record::{RunRecord, Stamp};
use crate::run::store::Store;

/// What a path segment keeps as is; everything else is percent-encoded, so that a
/// reference with `/`, `?` or `#` still names one run.
pub(super) const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The path of a run's page (`/runs/SO-1001`), the reference percent-encoded.
pub fn run_path(reference: &str) -> String {
    format!("/runs/{}", utf8_percent_encode(reference, SEGMENT))
}

/// The path of the form that completes a step of a run.
pub fn step_path(reference: &str, step: &str) -> String {
    format!(
        "{}/steps/{}",
        run_path(reference),
        utf8_percent_encode(step, SEGMENT)
    )
}

fn query(uri: &Uri) -> Fields {
    Fields::parse(uri.query().unwrap_or("").as_bytes())
}

fn given(text: String) -> Option<String> {
    let text = text.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// A step waiting for the user as My work draws it: what the page shows of the
/// [`crate::app::InboxItem`], and its links. Only these fields go to the template, as
/// converting each row is most of the page's cost.
#[derive(Serialize)]
struct WorkRow {
    reference: String,
    doc: String,
    flow_title: String,
    step_title: String,
    due: Option<Stamp>,
    overdue: bool,
    late_by: Option<String>,
    /// When the step became active, on the office clock.
    active_since: String,
    run_href: String,
    step_href: String,
    /// The departments it is in the user's work for, by name: its own, then those it was
    /// escalated to.
    dept_names: Vec<String>,
    /// Once escalated: every department of `escalate.to` (codes), and since when.
    escalated_to: Vec<String>,
    escalated_since: Option<Stamp>,
    /// The party (customer, supplier) the step is recorded for, by name.
    party_name: Option<String>,
}

/// A department a quality user may filter their work by.
#[derive(Serialize)]
struct Pick {
    code: String,
    name: String,
    selected: bool,
}

/// `GET /`: My work, overdue first, then by due time; `?dept=CS` narrows it to one
/// department. The revisions the user must read and confirm come first, whatever the pick.
pub async fn home(State(state): State<Arc<AppState>>, signed_in: SignedIn, uri: Uri) -> Response {
    let dept = given(query(&uri).get("dept"));
    let user = signed_in.user.clone();
    let pick = dept.clone();
    let lang = language_of(&state, Some(&user));
    let wording = lang.clone();
    let st = Arc::clone(&state);
    let found = state
        .with_reader(move |store| {
            let qms = &st.loaded().qms;
            let now = clock::system_now();
            let reading = app::training::read_tasks(&*store, qms, &user, &wording)?;
            let store: &mut dyn Store = store;
            let memo = Some(&st.inboxes);
            let shown = app::my_work(
                Some(&mut *store),
                &user,
                qms,
                pick.as_deref(),
                now,
                Some(&wording),
                memo,
            )?;
            let total = match pick {
                None => shown.items.len(),
                Some(_) => app::my_work_count(Some(store), &user, qms, now, Some(&wording), memo)?,
            };
            Ok::<_, Refusal>((shown, total + reading.len(), reading))
        })
        .await;
    let user = &signed_in.user;
    let (inbox, total, reading) = match found {
        Ok(found) => found,
        Err(refusal) => return refused_page(&state, user, &refusal, Some("/")).await,
    };
    let overdue = inbox.overdue();
    let rows: Vec<WorkRow> = inbox
        .items
        .into_iter()
        .map(|item| WorkRow {
            run_href: run_path(&item.reference),
            step_href: step_path(&item.reference, &item.step),
            dept_names: item
                .depts
                .iter()
                .chain(&item.escalated_to)
                .map(|d| department_name(&state, d, &lang))
                .collect(),
            escalated_to: item.escalation,
            escalated_since: item.escalated_from,
            party_name: item
                .on_behalf
                .as_deref()
                .map(|p| department_name(&state, p, &lang)),
            reference: item.reference,
            doc: item.doc,
            flow_title: item.flow_title,
            step_title: item.step_title,
            due: item.due,
            overdue: item.overdue,
            late_by: item.late_by,
            active_since: item.active_since.local,
        })
        .collect();
    let loaded = state.loaded();
    let picks: Vec<Pick> = match user.role {
        Role::Quality => loaded.departments.as_slice(),
        Role::Staff => user.departments.as_slice(),
    }
    .iter()
    .map(|code| Pick {
        code: code.clone(),
        name: department_name(&state, code, &lang),
        selected: dept.as_deref() == Some(code.as_str()),
    })
    .collect();
    let reading: Vec<ReadRow> = reading
        .into_iter()
        .map(|r| ReadRow::of(&state, r))
        .collect();
    let own = context! {
        items => to_value(&rows),
        reading => to_value(&reading),
        overdue => overdue,
        picks => to_value(&picks),
        can_pick => picks.len() > 1,
    };
    counted_page(&state, user, Some(total), StatusCode::OK, "home.html", own)
}

/// A run of the run list.
#[derive(Serialize)]
struct RunRow {
    #[serde(flatten)]
    run: app::Listed,
    href: String,
}

/// A flow to filter the run list by.
#[derive(Serialize)]
struct FlowPick {
    key: String,
    title: String,
    selected: bool,
}

/// `GET /runs`: the runs the user may see; `?flow=DOC/flow` and `?state=open|ended|overdue|all`
/// (open by default) narrow it.
pub async fn list(State(state): State<Arc<AppState>>, signed_in: SignedIn, uri: Uri) -> Response {
    let q = query(&uri);
    let flow = given(q.get("flow"));
    let wanted = given(q.get("state")).unwrap_or_else(|| "open".to_string());
    let listing = ListQuery {
        status: match wanted.as_str() {
            "ended" => Some(Status::Ended),
            "all" => None,
            _ => Some(Status::Open),
        },
        overdue: wanted == "overdue",
        doc: flow
            .as_deref()
            .and_then(|f| f.rsplit_once('/'))
            .map(|(d, _)| d.to_string()),
        dept: None,
    };
    let tolerance = match app::tolerance(None) {
        Ok(t) => t,
        Err(refusal) => return refused_page(&state, &signed_in.user, &refusal, Some("/")).await,
    };
    let (st, user, pick) = (Arc::clone(&state), signed_in.user.clone(), flow.clone());
    let found = state
        .with_reader(move |store| {
            let tz = app::office_tz(Some(&st.loaded().qms));
            app::list_runs_as(
                Some(store as &mut dyn Store),
                &st.loaded().qms,
                &user,
                &listing,
                pick.as_deref(),
                clock::system_now(),
                tz,
                tolerance,
            )
        })
        .await;
    let user = &signed_in.user;
    let list = match found {
        Ok(list) => list,
        Err(refusal) => return refused_page(&state, user, &refusal, Some("/")).await,
    };
    let lang = language_of(&state, Some(user));
    let primary = state.primary_language().to_string();
    let flows: Vec<FlowPick> = state
        .loaded()
        .qms
        .procedures
        .iter()
        .flat_map(|p| {
            let doc = &p.doc;
            doc.flows.iter().map(move |f| (doc, f))
        })
        .map(|(doc, f)| {
            let key = format!("{}/{}", doc.id, f.id);
            FlowPick {
                selected: flow.as_deref() == Some(key.as_str()),
                title: format!("{} · {}", doc.id, f.title.best(&lang, &primary)),
                key,
            }
        })
        .collect();
    let rows: Vec<RunRow> = list
        .runs
        .into_iter()
        .map(|run| RunRow {
            href: run_path(&run.reference),
            run,
        })
        .collect();
    let own = context! {
        runs => to_value(&rows),
        flows => to_value(&flows),
        state_pick => wanted,
    };
    signed_page(&state, user, StatusCode::OK, "runs.html", own).await
}

/// `GET /runs/new`: the flows the user may start; `?flow=DOC/flow` opens the form for one.
pub async fn new_run(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    uri: Uri,
) -> Response {
    let key = query(&uri).get("flow");
    start_form(
        &state,
        &signed_in.user,
        StatusCode::OK,
        &key,
        &Fields::default(),
        None,
    )
    .await
}

/// The start form: the flow picker, and once a flow is picked its reference and planned
/// dates, with what was typed and the refusal's problems next to their inputs.
async fn start_form(
    state: &Arc<AppState>,
    user: &User,
    status: StatusCode,
    key: &str,
    typed: &Fields,
    refusal: Option<&Refusal>,
) -> Response {
    let lang = language_of(state, Some(user));
    let choices = app::access::start_choices(&state.loaded().qms, user, &lang);
    let chosen = choices.iter().find(|c| c.key == key).cloned();
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut general = Vec::new();
    // A problem goes next to an input only when the form draws that input: a trigger or
    // item sent for a flow that takes none is said above the form.
    let known = |field: &str| {
        field == "ref"
            || field == "flow"
            || field == "doc"
            || (field == "trigger" && chosen.as_ref().is_some_and(|c| !c.triggers.is_empty()))
            || ((field == "item" || field == "period")
                && chosen.as_ref().is_some_and(|c| !c.items.is_empty()))
            || chosen.as_ref().is_some_and(|c| {
                c.planned
                    .iter()
                    .any(|p| field == format!("plan.{}", p.step))
            })
    };
    for problem in refusal.map(|r| r.problems.as_slice()).unwrap_or_default() {
        match problem.field.as_deref() {
            Some(field) if known(field) => {
                let field = if field == "doc" { "flow" } else { field };
                errors
                    .entry(field.to_string())
                    .or_default()
                    .push(problem.message.clone());
            }
            _ => general.push(problem.message.clone()),
        }
    }
    let plan: BTreeMap<String, String> = chosen
        .iter()
        .flat_map(|c| &c.planned)
        .flat_map(|p| [format!("plan.{}", p.step), format!("plan_time.{}", p.step)])
        .map(|name| {
            let value = typed.get(&name);
            (name, value)
        })
        .collect();
    let own = context! {
        choices => to_value(&choices),
        chosen => chosen.as_ref().map(to_value),
        reference => typed.get("ref"),
        trigger => typed.get("trigger"),
        item => typed.get("item"),
        period => typed.get("period"),
        plan => to_value(&plan),
        errors => to_value(&errors),
        general => general,
        back => "/runs/new",
    };
    signed_page(state, user, status, "run_new.html", own).await
}

/// `POST /runs/new`: starts the run in the signed-in user's name and goes to its page
/// (303); a refusal shows the form again with each problem next to its input.
pub async fn start(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    form: Fields,
) -> Response {
    let key = form.get("flow");
    let (doc, flow) = match key.rsplit_once('/') {
        Some((d, f)) => (d.to_string(), Some(f.to_string())),
        None => (key.clone(), None),
    };
    // A planned step's date and its optional time of day come as two inputs; the engine
    // reads them together as `--plan` does.
    let steps: std::collections::BTreeSet<&str> = form
        .pairs()
        .filter_map(|(name, _)| {
            name.strip_prefix("plan.")
                .or_else(|| name.strip_prefix("plan_time."))
        })
        .collect();
    let plan: Vec<String> = steps
        .into_iter()
        .filter_map(|step| {
            let date = form.get(&format!("plan.{step}"));
            let time = form.get(&format!("plan_time.{step}"));
            let value = format!("{} {}", date.trim(), time.trim());
            let value = value.trim();
            (!value.is_empty()).then(|| format!("{step}={value}"))
        })
        .collect();
    let request = StartRun {
        doc,
        flow,
        reference: form.get("ref").trim().to_string(),
        by: None,
        at: None,
        plan,
        trigger: Some(form.get("trigger").trim().to_string()).filter(|t| !t.is_empty()),
        item: Some(form.get("item").trim().to_string()).filter(|i| !i.is_empty()),
        period: Some(form.get("period").trim().to_string()).filter(|p| !p.is_empty()),
    };
    let (st, user) = (Arc::clone(&state), signed_in.user.clone());
    let reference = request.reference.clone();
    let result = state
        .with_store(move |store| {
            if request.reference.is_empty() {
                return Err(Refusal::invalid("ref", "give the run's reference"));
            }
            let loaded = st.loaded();
            app::start_run_as(store, &loaded.qms, &loaded.diagnostics, &user, &request)
        })
        .await;
    match result {
        Ok(started) => {
            super::notify::after_change(&state, &started.run, started.at);
            see_other(&run_path(&reference))
        }
        Err(refusal)
            if matches!(
                refusal.kind,
                RefusalKind::Storage | RefusalKind::Unavailable
            ) =>
        {
            internal(&refusal)
        }
        Err(refusal) => {
            let status = match refusal.kind {
                RefusalKind::Forbidden => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            start_form(&state, &signed_in.user, status, &key, &form, Some(&refusal)).await
        }
    }
}

fn see_other(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(e) => internal(&e),
    }
}

/// The run a path and its `?flow=` name.
fn run_ref(reference: String, uri: &Uri) -> RunRef {
    RunRef {
        reference,
        flow: given(query(uri).get("flow")),
    }
}

/// `GET /runs/{ref}`: the checklist, the flowchart with the active steps marked, the audit
/// trail and the links to the controlled document and the run's record.
pub async fn show(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
    uri: Uri,
) -> Response {
    let run = run_ref(reference, &uri);
    let tolerance = match app::tolerance(None) {
        Ok(t) => t,
        Err(refusal) => return refused_page(&state, &signed_in.user, &refusal, Some("/")).await,
    };
    let (st, user, asked) = (Arc::clone(&state), signed_in.user.clone(), run.clone());
    let lang = language_of(&state, Some(&signed_in.user));
    let found = state
        .with_reader(move |store| {
            app::view_run(
                store,
                Some(&st.loaded().qms),
                &user,
                &asked,
                tolerance,
                Some(&lang),
            )
        })
        .await;
    let user = &signed_in.user;
    let view = match found {
        Ok(view) => view,
        Err(refusal) => return refused_page(&state, user, &refusal, Some("/")).await,
    };
    let base = run_path(&view.record.reference);
    let suffix = run
        .flow
        .as_ref()
        .map(|f| format!("?flow={}", utf8_percent_encode(f, SEGMENT)))
        .unwrap_or_default();
    let step_links: BTreeMap<String, String> = view
        .active
        .iter()
        .map(|s| (s.clone(), step_path(&view.record.reference, s)))
        .collect();
    let own = context! {
        back => format!("{base}{suffix}"),
        run => to_value(&view.record),
        active => view.active,
        step_links => to_value(&step_links),
        flowchart => format!("{base}/flowchart.svg{suffix}"),
        record_pdf => format!("{base}/record.pdf{suffix}"),
        record_json => format!("{base}/record.json{suffix}"),
        attachment_base => format!("{base}/attachments/"),
        suffix => suffix.clone(),
        document_pdf => files::exists(&state.output, &view.document_pdf)
            .then(|| format!("/files/{}", view.document_pdf)),
    };
    signed_page(&state, user, StatusCode::OK, "run.html", own).await
}

/// `GET /runs/{ref}/flowchart.svg`: the run's flowchart, active steps marked, drawn here.
pub async fn flowchart(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
    uri: Uri,
) -> Response {
    let run = run_ref(reference, &uri);
    let lang = language_of(&state, Some(&signed_in.user));
    let user = signed_in.user.clone();
    let found = state
        .with_reader(move |store| app::run_flowchart(store, &user, &run, &lang))
        .await;
    match found {
        Ok(svg) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            )],
            svg,
        )
            .into_response(),
        Err(refusal) => refused_page(&state, &signed_in.user, &refusal, Some("/")).await,
    }
}

/// `GET /runs/{ref}/record.pdf`: the run's printed record, downloaded.
pub async fn record_pdf(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
    uri: Uri,
) -> Response {
    record(state, signed_in, reference, uri, true).await
}

/// `GET /runs/{ref}/record.json`: the run's record as `run show --format json` gives it,
/// downloaded.
pub async fn record_json(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
    uri: Uri,
) -> Response {
    record(state, signed_in, reference, uri, false).await
}

async fn record(
    state: Arc<AppState>,
    signed_in: SignedIn,
    reference: String,
    uri: Uri,
    pdf: bool,
) -> Response {
    let run = run_ref(reference, &uri);
    let tolerance = match app::tolerance(None) {
        Ok(t) => t,
        Err(refusal) => return refused_page(&state, &signed_in.user, &refusal, Some("/")).await,
    };
    let (st, user) = (Arc::clone(&state), signed_in.user.clone());
    let found = state
        // The record as `run show` and `run export` give it: in the primary language.
        .with_reader(move |store| {
            app::view_run(store, Some(&st.loaded().qms), &user, &run, tolerance, None)
        })
        .await;
    let record = match found {
        Ok(view) => view.record,
        Err(refusal) => return refused_page(&state, &signed_in.user, &refusal, Some("/")).await,
    };
    match download(record, pdf).await {
        Ok(response) => response,
        Err(refusal) => refused_page(&state, &signed_in.user, &refusal, Some("/")).await,
    }
}

/// A run's record as an attachment named after its reference: the printed PDF, or the JSON
/// `run show --format json` prints. Refused when the PDF cannot be typeset.
pub async fn download(record: RunRecord, pdf: bool) -> Result<Response, Refusal> {
    // A header value is ASCII: other letters of the reference become `_`.
    let name: String = app::safe_name(&record.reference)
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let (kind, body, name) = if pdf {
        // Typeset apart from the store, so that other requests go on meanwhile.
        let printed = tokio::task::spawn_blocking(move || app::print_record(&record)).await;
        match printed {
            Ok(Ok(bytes)) => ("application/pdf", bytes, format!("{name}.pdf")),
            Ok(Err(refusal)) => return Err(refusal),
            Err(e) => return Ok(internal(&e)),
        }
    } else {
        let json = app::to_json(&record) + "\n";
        (
            "application/json",
            json.into_bytes(),
            format!("{name}.json"),
        )
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
