//! The operations on one run: start it, complete or plan one of its steps, show it, export
//! its record.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{Refusal, RefusalKind, transaction};
use crate::check::diagnostic::{Diagnostic, Severity};
use crate::check::settings::calendar_of;
use crate::run::attachments::{Attachment, Attachments};
use crate::run::clock;
use crate::run::completion::DoneRequest;
use crate::run::engine::{self, Live, RunError, Snapshot, StartRequest};
use crate::run::record::{self, RunRecord};
use crate::run::store::Store;
use crate::spec::load::Qms;
use crate::spec::model::SignatureMeaning;

/// Which run a request is about: its reference, and when the reference names runs of
/// several flows, the flow (`flow` or `DOC/flow`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunRef {
    pub reference: String,
    pub flow: Option<String>,
}

impl RunRef {
    /// A run by reference alone.
    pub fn new(reference: impl Into<String>) -> RunRef {
        RunRef {
            reference: reference.into(),
            flow: None,
        }
    }
}

/// What starting a run asks for, as typed.
#[derive(Debug, Clone, Default)]
pub struct StartRun {
    /// The procedure (`CS-P-001`).
    pub doc: String,
    /// The flow; the procedure's first when `None`.
    pub flow: Option<String>,
    /// The order or case number; unique per flow.
    pub reference: String,
    /// Who starts it; blank is nobody.
    pub by: Option<String>,
    /// When, as [`super::moment`] reads it; now when `None`.
    pub at: Option<String>,
    /// Dates of planned steps, `STEP=YYYY-MM-DD` or `STEP=YYYY-MM-DD HH:MM` (office clock).
    pub plan: Vec<String>,
    /// On a flow with several triggers: the trigger's number (1-based) or its text.
    pub trigger: Option<String>,
    /// On a per-item flow: the key of the register item the run is for.
    pub item: Option<String>,
    /// On a recurring flow (alone or per item): the period the run is for, as `run due`
    /// names it (`2026 Q3`, or its first day), so that a late period is started today for
    /// that period; the period of the start when `None`.
    pub period: Option<String>,
}

/// A run's identity and the time zone its times are shown in (its calendar's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    pub reference: String,
    pub doc: String,
    pub revision: String,
    pub flow: String,
    pub tz: Tz,
}

/// A step active after a change, with its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveStep {
    pub step: String,
    /// The departments responsible as written (`GM / DGM`), `-` for none.
    pub by: String,
    pub due: Option<DateTime<Utc>>,
    /// The deadline had passed at the moment of the change.
    pub overdue: bool,
    /// Not to be completed before this (the step's `after`), when known.
    pub earliest: Option<DateTime<Utc>>,
}

/// Where a run stands after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// What else happened: child runs started, parents' steps completed by them.
    pub notes: Vec<String>,
    /// The run ended with this outcome (primary language).
    pub ended: Option<String>,
    /// The steps active now; empty once ended.
    pub active: Vec<ActiveStep>,
}

/// A run started.
#[derive(Debug, Clone)]
pub struct Started {
    pub run: RunInfo,
    pub at: DateTime<Utc>,
    pub progress: Progress,
}

/// A start that passed every check that needs no store: the QMS is free of errors, the
/// procedure exists, the moment reads. [`start_prepared`] records it.
#[derive(Debug, Clone)]
pub struct PreparedStart {
    snapshot: Snapshot,
    pub(super) request: StartRequest,
}

/// A step completed: the electronic signature as recorded.
#[derive(Debug, Clone)]
pub struct Completed {
    pub run: RunInfo,
    pub step: String,
    /// The signer, as recorded (their printed name).
    pub by: String,
    /// The signer's login when they signed in; `None` for a name typed at the command line.
    pub login: Option<String>,
    /// The department (or party) of the step's `by` they acted for.
    pub acting_for: Option<String>,
    /// `acting_for` is a party (the customer, a supplier): the signer recorded the step on
    /// its behalf.
    pub on_behalf: bool,
    /// The decision's outcome (primary language).
    pub outcome: Option<String>,
    /// The meaning of the signature (the step's `signature:`).
    pub meaning: Option<SignatureMeaning>,
    /// The files attached as evidence, as the event records them.
    pub attachments: Vec<Attachment>,
    pub at: DateTime<Utc>,
    /// On a step signed by all of several departments: those still to sign after this
    /// signature (empty when it completed the step).
    pub to_sign: Vec<String>,
    pub progress: Progress,
}

/// A planned step's date set, and the deadlines that now count back from it.
#[derive(Debug, Clone)]
pub struct PlannedStep {
    pub run: RunInfo,
    pub step: String,
    /// `YYYY-MM-DD`, or `YYYY-MM-DD HH:MM` on the office clock.
    pub date: String,
    /// Steps whose `within: { before: STEP }` deadline follows from the date.
    pub due: Vec<(String, DateTime<Utc>)>,
    /// Steps whose `after: { before: STEP }` earliest time follows from the date.
    pub earliest: Vec<(String, DateTime<Utc>)>,
}

pub(super) fn info(live: &Live) -> Result<RunInfo, RunError> {
    Ok(RunInfo {
        reference: live.row.reference.clone(),
        doc: live.row.doc.clone(),
        revision: live.row.revision.clone(),
        flow: live.row.flow.clone(),
        tz: live.spec()?.tz(),
    })
}

fn progress(live: &Live, notes: Vec<String>, now: DateTime<Utc>) -> Result<Progress, RunError> {
    let spec = live.spec()?;
    if let Some(ended) = &live.state.ended {
        return Ok(Progress {
            notes,
            ended: Some(spec.text(&ended.outcome).to_string()),
            active: Vec::new(),
        });
    }
    let active = spec
        .net
        .active(&live.state.marking)
        .into_iter()
        .map(|s| {
            let due = live.state.steps[s]
                .last()
                .and_then(|it| engine::due(&spec, &live.state, s, it));
            ActiveStep {
                step: spec.step_id(s).to_string(),
                by: if spec.step(s).by.joint {
                    crate::run::joint::still_to_sign(&spec, &live.state, s).join(" + ")
                } else {
                    spec.by_text(s)
                },
                due,
                overdue: due.is_some_and(|d| now > d),
                earliest: match crate::run::earliest::of_active(&spec, &live.state, s) {
                    crate::run::earliest::Earliest::At(t) if t > now => Some(t),
                    _ => None,
                },
            }
        })
        .collect();
    Ok(Progress {
        notes,
        ended: None,
        active,
    })
}

/// Checks a start against the loaded QMS and its `diagnostics` (from loading and checking
/// it): refused while the QMS has errors, for an unknown procedure, or an unreadable `at`.
pub fn prepare_start(
    qms: &Qms,
    diagnostics: &[Diagnostic],
    request: &StartRun,
) -> Result<PreparedStart, Refusal> {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    if errors > 0 {
        return Err(Refusal::new(
            RefusalKind::Refused,
            None,
            format!(
                "refusing to start a run: the QMS in {} has {errors} error{}; fix them first (see `procdoc check`)",
                qms.root.display(),
                if errors == 1 { "" } else { "s" }
            ),
        ));
    }
    let Some(settings) = qms.settings.as_ref() else {
        return Err(Refusal::new(
            RefusalKind::Invalid,
            None,
            "the QMS settings cannot be read",
        ));
    };
    let doc = &request.doc;
    if qms.procedure(doc).is_none() {
        let known: Vec<&str> = qms.procedures.iter().map(|p| p.doc.id.as_str()).collect();
        return Err(Refusal::invalid(
            "doc",
            format!(
                "no procedure `{doc}` in {} (known: {})",
                qms.root.display(),
                known.join(", ")
            ),
        ));
    }
    let snapshot = Snapshot::take(qms, settings, doc)
        .ok_or_else(|| Refusal::invalid("doc", format!("no procedure `{doc}`")))?;
    let tz = calendar_of(settings).map_or(Tz::UTC, |c| c.timezone());
    let at = super::moment(request.at.as_deref(), tz)?;
    // The names of the child runs every `calls` starts are reserved for them.
    let calls_into = qms
        .procedures
        .iter()
        .flat_map(|p| {
            p.doc.flows.iter().flat_map(move |f| {
                f.steps.iter().filter_map(move |s| {
                    let call = s.calls.as_ref()?;
                    let called = call.doc.clone().unwrap_or_else(|| p.doc.id.clone());
                    Some((called, call.flow.clone(), s.id.clone()))
                })
            })
        })
        .collect();
    Ok(PreparedStart {
        snapshot,
        request: StartRequest {
            doc: doc.clone(),
            flow: request.flow.clone(),
            reference: request.reference.clone(),
            by: request
                .by
                .as_deref()
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::to_string),
            at,
            plan: request.plan.clone(),
            calls_into,
            trigger: request.trigger.clone(),
            item: item_pin(qms, settings, request)?,
            // An empty period stays: the engine refuses it (a blank form field is left
            // out by the web adapter before it gets here).
            period: request.period.as_deref().map(str::trim).map(str::to_string),
        },
    })
}

/// The register item `request.item` names, with its columns as the register has them now.
/// Refused: an item the flow's register does not hold. An item given for a flow that is not
/// run per item is passed on for the engine to refuse.
fn item_pin(
    qms: &Qms,
    settings: &crate::spec::model::Settings,
    request: &StartRun,
) -> Result<Option<crate::run::triggers::ItemPin>, Refusal> {
    use crate::run::triggers::ItemPin;
    use crate::spec::model::Trigger;
    let Some(key) = request.item.as_deref().map(str::trim) else {
        return Ok(None);
    };
    let flow = qms
        .procedure(&request.doc)
        .and_then(|p| match &request.flow {
            Some(f) => p.doc.flows.iter().find(|x| &x.id == f),
            None => p.doc.flows.first(),
        });
    let Some(Trigger::ForEach(per)) = flow.and_then(|f| f.trigger.as_ref()) else {
        return Ok(Some(ItemPin {
            key: key.to_string(),
            columns: Default::default(),
        }));
    };
    let register = settings.registers.iter().find(|r| r.id == per.for_each);
    let columns = register
        .zip(qms.item_table(&per.for_each))
        .and_then(|(r, t)| t.item(&r.key, key));
    match columns {
        Some(columns) => Ok(Some(ItemPin {
            key: key.to_string(),
            columns,
        })),
        None => Err(Refusal::invalid(
            "item",
            format!(
                "register `{}` has no item `{key}`{}",
                per.for_each,
                register
                    .map(|r| format!(" (column `{}` of {})", r.key, r.file))
                    .unwrap_or_default()
            ),
        )),
    }
}

/// Records a prepared start in one writing transaction: the run pinned to the snapshot of
/// its procedure's current revision, and any child runs its first steps start.
pub fn start_prepared(store: &mut dyn Store, prepared: PreparedStart) -> Result<Started, Refusal> {
    let PreparedStart { snapshot, request } = prepared;
    let mut notes = Vec::new();
    let live = transaction(store, true, |s| {
        engine::start(s, snapshot, &request, &mut notes)
    })?;
    Ok(Started {
        run: info(&live)?,
        at: request.at,
        progress: progress(&live, notes, request.at)?,
    })
}

/// Starts a run: [`prepare_start`], then [`start_prepared`].
pub fn start_run(
    store: &mut dyn Store,
    qms: &Qms,
    diagnostics: &[Diagnostic],
    request: &StartRun,
) -> Result<Started, Refusal> {
    let prepared = prepare_start(qms, diagnostics, request)?;
    start_prepared(store, prepared)
}

/// Completes an active step of a run: the signature of `request.by` (acting for
/// `request.acting_for`), at `at` as typed in the run's time zone (now when `None`), with
/// the outcome, ticks, waivers, fields and note the step demands. Refused, with nothing
/// written, when the step is not active, the signer may not sign it (`--as`, `not_by`), or
/// anything the step demands is missing or malformed; each problem names its input. The
/// request's attachments are kept in the store with the event that records them.
pub fn complete_step(
    store: &mut dyn Attachments,
    run: &RunRef,
    request: &DoneRequest,
    at: Option<&str>,
) -> Result<Completed, Refusal> {
    let mut notes =
        super::timeouts::take_for_reference(store, &run.reference, run.flow.as_deref(), at)?;
    let (live, at) = transaction(store, true, |s| {
        let row = engine::find(s, &run.reference, run.flow.as_deref())?;
        let mut live = engine::open_for_change(s, row.id)?;
        let at = clock::now(at, live.spec()?.tz()).map_err(|e| RunError::Usage(e).about("at"))?;
        engine::complete(s, &mut live, request, at, &mut notes)?;
        super::attachments::keep(s, &request.attachments)?;
        Ok((live, at))
    })?;
    completed(&live, request, notes, at)
}

/// What a completion recorded, read back from the run after it.
pub(super) fn completed(
    live: &Live,
    request: &DoneRequest,
    notes: Vec<String>,
    at: DateTime<Utc>,
) -> Result<Completed, Refusal> {
    let spec = live.spec()?;
    let step = spec.find_step(&request.step)?;
    // The latest signature on the step: a completion, or on a step signed by several
    // departments one of the signatures before the last.
    let done = live.state.steps[step]
        .iter()
        .flat_map(|i| i.signed.iter().chain(i.completed.as_ref()))
        .max_by_key(|d| d.event);
    let acting_for = done.and_then(|d| d.completion.acting_for.clone());
    let completed = Completed {
        run: info(live)?,
        step: spec.step_id(step).to_string(),
        by: request.by.trim().to_string(),
        login: request.login.clone(),
        on_behalf: acting_for
            .as_deref()
            .is_some_and(|code| spec.is_party(code)),
        acting_for,
        outcome: done.and_then(|d| d.completion.outcome_label.clone()),
        meaning: done.and_then(|d| d.completion.signature),
        attachments: done
            .map(|d| d.completion.attachments.clone())
            .unwrap_or_default(),
        at,
        to_sign: if spec.step(step).by.joint && live.state.is_active(&spec, step) {
            crate::run::joint::still_to_sign(&spec, &live.state, step)
        } else {
            Vec::new()
        },
        progress: progress(live, notes, at)?,
    };
    Ok(completed)
}

/// Sets or moves the date (`YYYY-MM-DD`), or date and time on the office clock
/// (`YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM`), of a planned step of an open run. Refused
/// about `date` for any other shape, naming the accepted ones.
pub fn plan_step(
    store: &mut dyn Store,
    run: &RunRef,
    step: &str,
    date: &str,
    by: Option<String>,
    at: Option<&str>,
) -> Result<PlannedStep, Refusal> {
    super::timeouts::take_for_reference(store, &run.reference, run.flow.as_deref(), at)?;
    let live = transaction(store, true, |s| {
        let row = engine::find(s, &run.reference, run.flow.as_deref())?;
        let mut live = engine::open_for_change(s, row.id)?;
        let at = clock::now(at, live.spec()?.tz()).map_err(|e| RunError::Usage(e).about("at"))?;
        engine::plan(s, &mut live, step, date, by, at)?;
        Ok(live)
    })?;
    let spec = live.spec()?;
    let index = spec.find_step(step)?;
    let due = (0..spec.graph.len())
        .filter(|&s| {
            spec.step(s)
                .within
                .as_ref()
                .and_then(|w| w.before())
                .is_some_and(|b| b == spec.step_id(index))
        })
        .filter_map(|s| {
            let it = live.state.steps[s]
                .last()
                .cloned()
                .unwrap_or(engine::Iteration {
                    activated_at: live.state.started_at,
                    completed: None,
                    child: None,
                    signed: Vec::new(),
                });
            engine::due(&spec, &live.state, s, &it).map(|d| (spec.step_id(s).to_string(), d))
        })
        .collect();
    let earliest = (0..spec.graph.len())
        .filter(|&s| {
            spec.step(s)
                .after
                .as_ref()
                .and_then(|a| a.before())
                .is_some_and(|b| b == spec.step_id(index))
        })
        .filter_map(|s| {
            let date = live.state.plan.get(&index)?;
            let time = spec.step(s).after.as_ref()?.time();
            Some((
                spec.step_id(s).to_string(),
                date.earliest_before(&spec.calendar, time),
            ))
        })
        .collect();
    Ok(PlannedStep {
        run: info(&live)?,
        step: spec.step_id(index).to_string(),
        date: live
            .state
            .plan
            .get(&index)
            .map_or_else(|| date.trim().to_string(), |d| d.stored()),
        due,
        earliest,
    })
}

/// A run's record: the checklist with every step's state, deadlines, signatures and
/// iterations, the audit trail and its verification (what `run show --format json` prints
/// and `GET /api/runs/{ref}` returns). `at` (as typed, in the run's time zone) judges
/// deadlines instead of now; `qms`, when it loads, says whether a newer revision exists;
/// `tolerance` is [`super::tolerance`]'s.
pub fn show_run(
    store: &mut dyn Store,
    qms: Option<&Qms>,
    run: &RunRef,
    at: Option<&str>,
    tolerance: i64,
) -> Result<RunRecord, Refusal> {
    show_run_in(store, qms, run, at, tolerance, None)
}

/// [`show_run`] with the procedure's texts in `reading` where the run's revision has that
/// language (the record's `language` says which it is).
pub fn show_run_in(
    store: &mut dyn Store,
    qms: Option<&Qms>,
    run: &RunRef,
    at: Option<&str>,
    tolerance: i64,
    reading: Option<&str>,
) -> Result<RunRecord, Refusal> {
    Ok(transaction(store, false, |s| {
        let flow = run.flow.as_deref();
        record::run_record_in(s, &run.reference, flow, at, qms, tolerance, reading)
    })?)
}
