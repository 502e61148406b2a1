//! The operations of a signed-in user on runs: their work, starting a run in their own
//! name, and reading a run (its record, its flowchart with the active steps marked, its
//! printed record). Each checks the rules of [`super::access`] before it reads or writes.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::access::{self, check_see, check_start};
use super::inbox::InboxMemo;
use super::{
    Inbox, ListQuery, Refusal, RefusalKind, RunList, RunRef, StartRun, Started, transaction,
};
use crate::check::diagnostic::Diagnostic;
use crate::render::build::document_file;
use crate::run::accounts::User;
use crate::run::engine::{self, Live, RunError};
use crate::run::record::{self, RunRecord};
use crate::run::state::StepState;
use crate::run::store::Store;
use crate::spec::load::Qms;

/// The work of `user` at `now`: the inbox of [`access::work_departments`] (among the
/// departments of `qms`'s procdoc.yaml, `only` a pick among them), with the steps of its
/// parties they record on a party's behalf, titled in `lang` where the runs' revisions have
/// it. A user without departments has none. A long-running process passes a `memo` that
/// keeps each inbox until the store changes ([`super::inbox::InboxMemo`]).
pub fn my_work(
    store: Option<&mut dyn Store>,
    user: &User,
    qms: &Qms,
    only: Option<&str>,
    now: DateTime<Utc>,
    lang: Option<&str>,
    memo: Option<&InboxMemo>,
) -> Result<Inbox, Refusal> {
    let Some((depts, parties)) = work_codes(user, qms, only) else {
        return Ok(Inbox {
            items: Vec::new(),
            at: now,
        });
    };
    super::inbox::inbox_kept(store, &depts, &parties, now, lang, memo)
}

/// How many steps [`my_work`] lists for `user` (all their departments), from `memo` when
/// kept: for the count in a page's header.
pub fn my_work_count(
    store: Option<&mut dyn Store>,
    user: &User,
    qms: &Qms,
    now: DateTime<Utc>,
    lang: Option<&str>,
    memo: Option<&InboxMemo>,
) -> Result<usize, Refusal> {
    let Some((depts, parties)) = work_codes(user, qms, None) else {
        return Ok(0);
    };
    super::inbox::inbox_count_kept(store, &depts, &parties, now, lang, memo)
}

/// The departments whose work is `user`'s ([`access::work_departments`], `only` a pick
/// among them) and the QMS's party codes; `None` when the user has no such department.
fn work_codes(user: &User, qms: &Qms, only: Option<&str>) -> Option<(Vec<String>, Vec<String>)> {
    let (all, parties) = codes(qms);
    let depts = access::work_departments(user, &all, only);
    (!depts.is_empty()).then_some((depts, parties))
}

/// The department and party codes of `qms`'s procdoc.yaml (none when it did not read).
pub fn codes(qms: &Qms) -> (Vec<String>, Vec<String>) {
    qms.settings.as_ref().map_or_else(Default::default, |s| {
        (
            s.departments.iter().map(|d| d.code.clone()).collect(),
            s.parties.iter().map(|p| p.code.clone()).collect(),
        )
    })
}

/// Refused (kind `Invalid`, about `dept`) when `code` is neither a department nor a party
/// of `qms`'s procdoc.yaml, so that a mistyped code does not read as "nothing waiting".
/// Nothing is refused when procdoc.yaml did not read (the caller warns about that).
pub fn known_department(qms: Option<&Qms>, code: &str) -> Result<(), Refusal> {
    let Some(qms) = qms.filter(|q| q.settings.is_some()) else {
        return Ok(());
    };
    let (departments, parties) = codes(qms);
    if departments.iter().chain(&parties).any(|c| c == code) {
        return Ok(());
    }
    Err(Refusal::new(
        super::RefusalKind::Invalid,
        Some("dept"),
        format!(
            "procdoc.yaml has no department or party `{code}` (departments: {}; parties: {})",
            departments.join(", "),
            if parties.is_empty() {
                "none".to_string()
            } else {
                parties.join(", ")
            }
        ),
    ))
}

/// Starts a run signed by `user`: refused (kind `Forbidden`, about `flow`) when they may not
/// start that flow ([`access::may_start`]); otherwise [`super::start_run`] with their printed
/// name as the starter, whatever `request.by` said.
pub fn start_run_as(
    store: &mut dyn Store,
    qms: &Qms,
    diagnostics: &[Diagnostic],
    user: &User,
    request: &StartRun,
) -> Result<Started, Refusal> {
    check_start(
        user,
        qms,
        &request.doc,
        request.flow.as_deref(),
        request.trigger.as_deref(),
    )?;
    let request = StartRun {
        by: Some(user.name.clone()),
        ..request.clone()
    };
    super::start_run(store, qms, diagnostics, &request)
}

/// Opens run `run` for reading and checks that `user` may see it; `f` reads on in the same
/// transaction.
/// The record of run `run` (as [`super::show_run_in`] gives it) once `user` is allowed to
/// see it, in one reading transaction and one load of the run; with the run's document,
/// revision and the file name of its procedure's draft PDF.
fn record_as(
    store: &mut dyn Store,
    qms: Option<&Qms>,
    user: &User,
    run: &RunRef,
    at: Option<&str>,
    tolerance: i64,
    reading: Option<&str>,
) -> Result<(RunRecord, (String, String, String)), Refusal> {
    let (mut forbidden, mut pinned) = (None, None);
    let record = transaction(store, false, |s| {
        let flow = run.flow.as_deref();
        record::run_record_gated(
            s,
            &run.reference,
            flow,
            at,
            qms,
            tolerance,
            reading,
            |live| {
                let Some(procedure) = live.snapshot.procedure(&live.row.doc) else {
                    // Left for the record to report as a damaged run.
                    return true;
                };
                if let Err(refusal) = check_see(user, procedure) {
                    forbidden = Some(refusal);
                    return false;
                }
                let (doc, revision) = (live.row.doc.clone(), live.row.revision.clone());
                pinned = Some((doc, revision, document_file(procedure)));
                true
            },
        )
    })?;
    match (record, pinned, forbidden) {
        (Some(record), Some(pinned), _) => Ok((record, pinned)),
        (_, _, Some(refusal)) => Err(refusal),
        _ => Err(Refusal::new(RefusalKind::Forbidden, None, "refused")),
    }
}

pub(super) fn read_visible<T>(
    store: &mut dyn Store,
    user: &User,
    run: &RunRef,
    f: impl FnOnce(&dyn Store, &Live) -> Result<T, RunError>,
) -> Result<T, Refusal> {
    let mut forbidden = None;
    let value = transaction(store, false, |s| {
        let row = engine::find(s, &run.reference, run.flow.as_deref())?;
        let live = engine::open_run(s, row.id)?;
        let spec = live.spec()?;
        if let Err(refusal) = check_see(user, spec.procedure) {
            forbidden = Some(refusal);
            return Ok(None);
        }
        f(s, &live).map(Some)
    })?;
    match (value, forbidden) {
        (Some(value), _) => Ok(value),
        (None, Some(refusal)) => Err(refusal),
        (None, None) => Err(Refusal::new(RefusalKind::Forbidden, None, "refused")),
    }
}

/// A run as its page shows it.
#[derive(Debug, Clone)]
pub struct RunView {
    pub record: RunRecord,
    /// The ids of the steps active now.
    pub active: Vec<String>,
    /// The controlled PDF of the revision the run is pinned to, as a file name in the
    /// output folder (the released copy's, else the draft's).
    pub document_pdf: String,
}

/// The record of run `run` (as [`super::show_run_in`] gives it, read in `reading`) for
/// `user`: refused (kind `Forbidden`) when they may not see runs of its procedure
/// ([`access::may_see`]).
pub fn view_run(
    store: &mut dyn Store,
    qms: Option<&Qms>,
    user: &User,
    run: &RunRef,
    tolerance: i64,
    reading: Option<&str>,
) -> Result<RunView, Refusal> {
    let (record, (doc, revision, fallback)) =
        record_as(store, qms, user, run, None, tolerance, reading)?;
    let active = record
        .steps
        .iter()
        .filter(|s| s.state == StepState::Active)
        .map(|s| s.id.clone())
        .collect();
    let document_pdf = qms
        .and_then(|q| q.register.as_ref())
        .and_then(|r| r.release(&doc, &revision))
        .map_or(fallback, |r| r.pdf.clone());
    Ok(RunView {
        record,
        active,
        document_pdf,
    })
}

/// The record of run `run` as [`super::show_run`] gives it (what `run show --format json`
/// prints), deadlines judged at `at` as typed (now when `None`), for `user`: refused (kind
/// `Forbidden`) when they may not see runs of its procedure ([`access::may_see`]).
pub fn show_run_as(
    store: &mut dyn Store,
    qms: Option<&Qms>,
    user: &User,
    run: &RunRef,
    at: Option<&str>,
    tolerance: i64,
) -> Result<RunRecord, Refusal> {
    Ok(record_as(store, qms, user, run, at, tolerance, None)?.0)
}

/// The flowchart of run `run`'s flow as the revision it is pinned to draws it, worded in
/// `lang` (the run's primary language when its snapshot lacks it), with its active steps
/// marked: one SVG document made by procdoc's own diagram writer, every text escaped.
pub fn run_flowchart(
    store: &mut dyn Store,
    user: &User,
    run: &RunRef,
    lang: &str,
) -> Result<String, Refusal> {
    read_visible(store, user, run, |_, live| {
        let spec = live.spec()?;
        let settings = &live.snapshot.settings;
        let lang = if settings.languages.iter().any(|l| l == lang) {
            lang
        } else {
            settings.primary_language()
        };
        let marked: Vec<String> = if live.state.ended.is_some() {
            Vec::new()
        } else {
            spec.net
                .active(&live.state.marking)
                .into_iter()
                .map(|s| spec.step_id(s).to_string())
                .collect()
        };
        let procedures = live.snapshot.procedures.iter().collect();
        crate::render::flowchart::marked_svg(
            settings,
            procedures,
            spec.procedure,
            &live.row.flow,
            lang,
            &marked,
        )
        .ok_or_else(|| RunError::Corrupt {
            reference: live.row.reference.clone(),
            message: format!("the snapshot has no flow `{}`", live.row.flow),
        })
    })
}

/// The printed run record (PDF) of a record [`view_run`] gave: typeset without the store,
/// so a reader does not hold it up. Refused when the PDF cannot be typeset.
pub fn print_record(record: &RunRecord) -> Result<Vec<u8>, Refusal> {
    crate::render::build::run_record_pdf(record, None)
        .map_err(|e| Refusal::new(RefusalKind::Invalid, None, e.to_string()))
}

/// The runs `query` selects (as [`super::list_runs`] lists them) that `user` may see, of
/// flow `flow` only when given (`flow` or `DOC/flow`). Whether a run may be seen is judged
/// on the QMS's procedure of the same number; runs of a procedure the QMS no longer has
/// are listed to quality users only.
#[allow(clippy::too_many_arguments)]
pub fn list_runs_as(
    store: Option<&mut dyn Store>,
    qms: &Qms,
    user: &User,
    query: &ListQuery,
    flow: Option<&str>,
    now: DateTime<Utc>,
    tz: Tz,
    tolerance: i64,
) -> Result<RunList, Refusal> {
    let mut list = super::list_runs(store, query, now, tz, tolerance)?;
    let of_flow = |doc: &str, id: &str| match flow.map(|f| f.rsplit_once('/')) {
        None => true,
        Some(Some((d, f))) => d == doc && f == id,
        Some(None) => flow == Some(id),
    };
    let visible = |doc: &str| match qms.procedure(doc) {
        Some(p) => access::may_see(user, &p.doc),
        None => user.role == crate::run::accounts::Role::Quality,
    };
    list.runs
        .retain(|r| of_flow(&r.doc, &r.flow) && visible(&r.doc));
    let kept: std::collections::BTreeSet<&str> =
        list.runs.iter().map(|r| r.reference.as_str()).collect();
    let overdue = std::mem::take(&mut list.overdue);
    list.overdue = overdue
        .into_iter()
        .filter(|o| kept.contains(o.reference.as_str()))
        .collect();
    Ok(list)
}
