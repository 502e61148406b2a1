//! The checklist engine: a run's state is the replay of its events through the flow
//! semantics the checker proves sound ([`crate::flow::semantics`]), so a running checklist
//! can only ever do what the checked flow allows.
//!
//! Commands validate a change against the replayed state, seal it into the audit chain and
//! append it with the summary the store needs for listing, all in the caller's transaction.
//! Starting a `calls` step starts a child run; a child that ends completes its parent's
//! step, which may end the parent in turn.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::audit::Event;
use super::clock;
use super::completion;
use super::store::{NewRun, RunId, RunRow, Status, Store};
use crate::control::fingerprint;
use crate::spec::model::{Step, Trigger};

// The engine is where commands and views meet a run; its vocabulary is re-exported here.
pub use super::completion::DoneRequest;
pub use super::error::RunError;
pub(super) use super::error::refused;
pub use super::snapshot::{Snapshot, Spec};
pub use super::state::{
    Applied, Called, Change, Completion, Done, Ended, Iteration, ParentLink, Planned, Started,
    State, StepState, Waiver, due, flow_due, summary,
};

/// How deep `calls` may nest; the checker rejects call cycles, this guards old snapshots.
const MAX_CALL_DEPTH: usize = 16;
/// The longest reference accepted (an order number, a case number).
const MAX_REF_LEN: usize = 200;

/// A run loaded from the store and replayed.
pub struct Live {
    pub row: RunRow,
    pub snapshot: Arc<Snapshot>,
    /// The snapshot as stored, for child runs that share it.
    pub snapshot_body: String,
    pub events: Vec<Event>,
    pub state: State,
}

impl Live {
    pub fn spec(&self) -> Result<Spec<'_>, RunError> {
        Spec::new(&self.snapshot, &self.row.doc, &self.row.flow).map_err(|message| {
            RunError::Corrupt {
                reference: self.row.reference.clone(),
                message,
            }
        })
    }
}

pub fn open_run(store: &dyn Store, id: RunId) -> Result<Live, RunError> {
    let stored = store
        .load(id)?
        .ok_or_else(|| RunError::Usage(format!("run {} no longer exists", id.0)))?;
    let corrupt = |message: String| RunError::Corrupt {
        reference: stored.row.reference.clone(),
        message,
    };
    let Some(body) = &stored.snapshot else {
        return Err(corrupt(super::integrity::missing_snapshot(&stored.row)));
    };
    let snapshot = Snapshot::decode_shared(body).map_err(corrupt)?;
    let spec = Spec::new(&snapshot, &stored.row.doc, &stored.row.flow).map_err(corrupt)?;
    let state = State::replay(&spec, &stored.events).map_err(corrupt)?;
    drop(spec);
    Ok(Live {
        row: stored.row,
        snapshot,
        snapshot_body: stored.snapshot.unwrap_or_default(),
        events: stored.events,
        state,
    })
}

/// A run about to be changed: refused when its audit trail, snapshot or header is not as
/// recorded, so that new events never seal over tampered ones.
pub fn open_for_change(store: &dyn Store, id: RunId) -> Result<Live, RunError> {
    let live = open_run(store, id)?;
    if let Some(problem) = super::integrity::check_live(store, &live)?.first() {
        return Err(refused(format!(
            "the audit trail of run {} is broken ({problem}); nothing was written: see `procdoc run verify`",
            live.row.reference
        )));
    }
    Ok(live)
}

/// The run a reference names; `flow` (or `doc/flow`) tells runs of different flows apart.
pub fn find(store: &dyn Store, reference: &str, flow: Option<&str>) -> Result<RunRow, RunError> {
    let filter = super::store::Filter {
        reference: Some(reference.to_string()),
        ..Default::default()
    };
    let mut rows = store.list(&filter)?;
    if let Some(flow) = flow {
        rows.retain(|r| r.flow == flow || format!("{}/{}", r.doc, r.flow) == flow);
    }
    // A child run's name is its own: a run started by hand under it (possible only before
    // the calling step existed) does not make the child unreachable.
    let children: Vec<&RunRow> = rows.iter().filter(|r| r.parent.is_some()).collect();
    if rows.len() > 1
        && children.len() == 1
        && rows
            .iter()
            .all(|r| r.doc == children[0].doc && r.flow == children[0].flow)
    {
        rows.retain(|r| r.parent.is_some());
    }
    match rows.len() {
        0 => Err(RunError::Unknown(format!(
            "no run `{reference}`{}: see `procdoc run list`",
            flow.map(|f| format!(" of flow `{f}`")).unwrap_or_default()
        ))),
        1 => Ok(rows.remove(0)),
        _ => Err(RunError::Usage(format!(
            "`{reference}` names runs of several flows ({}): add --flow",
            rows.iter()
                .map(|r| format!("{}/{}", r.doc, r.flow))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Seals a change into the run's chain, applies it and writes it with the new summary.
fn record(
    store: &mut dyn Store,
    live: &mut Live,
    at: DateTime<Utc>,
    by: Option<String>,
    change: Change,
) -> Result<Applied, RunError> {
    let spec = Spec::new(&live.snapshot, &live.row.doc, &live.row.flow).map_err(|message| {
        RunError::Corrupt {
            reference: live.row.reference.clone(),
            message,
        }
    })?;
    let mut event = Event::seal(
        &live.row.chain_key(),
        live.row.events + 1,
        &live.row.head,
        clock::stamp(at),
        clock::stamp(clock::system_now()),
        by.clone(),
        change.kind(),
        change.data(),
    );
    let head = store
        .head()?
        .ok_or_else(|| RunError::Usage("the run database was opened read-only".to_string()))?;
    event.chain_after(&head);
    let applied = live
        .state
        .apply(&spec, event.n, at, by, &change)
        .map_err(|message| RunError::Corrupt {
            reference: live.row.reference.clone(),
            message,
        })?;
    let mut summary = summary(&spec, &live.state);
    summary.entry_gap = super::audit::largest_entry_gap(&live.events)
        .into_iter()
        .chain(super::audit::entry_gap(&event))
        .max();
    store.append(live.row.id, std::slice::from_ref(&event), &summary)?;
    live.row.events = event.n;
    live.row.head = event.hash.clone();
    live.row.status = summary.status;
    live.row.outcome = summary.outcome;
    live.row.ended_at = summary.ended_at;
    live.row.open = summary.open;
    live.row.entry_gap = summary.entry_gap;
    live.row.changes_at = summary.changes_at;
    live.events.push(event);
    Ok(applied)
}

/// Records a change the system makes on its own (no signer, such as a timeout) and reacts
/// to it like to a completion: child runs start for steps it made active.
pub(super) fn record_system(
    store: &mut dyn Store,
    live: &mut Live,
    at: DateTime<Utc>,
    change: Change,
    notes: &mut Vec<String>,
) -> Result<(), RunError> {
    let applied = record(store, live, at, None, change)?;
    settle(store, live, applied, at, None, 0, notes)
}

/// What a start asks for.
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub doc: String,
    pub flow: Option<String>,
    pub reference: String,
    pub by: Option<String>,
    pub at: DateTime<Utc>,
    /// `STEP=YYYY-MM-DD` as typed.
    pub plan: Vec<String>,
    /// Every `calls` in the QMS as (called doc, called flow, calling step id): the names
    /// of child runs they start are reserved.
    pub calls_into: Vec<(String, String, String)>,
    /// The trigger chosen on a flow with several: its number (1-based) or text.
    pub trigger: Option<String>,
    /// The register item of a per-item run, as read from the register.
    pub item: Option<super::triggers::ItemPin>,
    /// On a per-item run: the period it is for, as `run due` names it; the period of its
    /// start when `None` ([`super::per_item::chosen_period`]).
    pub period: Option<String>,
}

/// Starts a run of a flow from a snapshot of the checked QMS. `notes` collects what else
/// happened (child runs started).
pub fn start(
    store: &mut dyn Store,
    snapshot: Snapshot,
    request: &StartRequest,
    notes: &mut Vec<String>,
) -> Result<Live, RunError> {
    check_reference(&request.reference).map_err(|e| e.about("ref"))?;
    printable("by", request.by.as_deref().unwrap_or_default())?;
    let procedure = snapshot
        .procedure(&request.doc)
        .ok_or_else(|| RunError::Usage(format!("no procedure `{}`", request.doc)).about("doc"))?;
    let flow_id = match &request.flow {
        Some(f) => f.clone(),
        None => procedure
            .flows
            .first()
            .map(|f| f.id.clone())
            .ok_or_else(|| refused(format!("procedure `{}` has no flow", request.doc)))?,
    };
    if !procedure.flows.iter().any(|f| f.id == flow_id) {
        let known: Vec<&str> = procedure.flows.iter().map(|f| f.id.as_str()).collect();
        return Err(RunError::Usage(format!(
            "procedure `{}` has no flow `{flow_id}` (flows: {})",
            request.doc,
            known.join(", ")
        ))
        .about("flow"));
    }
    reserved_for_children(request, &flow_id).map_err(|e| e.about("ref"))?;
    let spec = Spec::new(&snapshot, &request.doc, &flow_id).map_err(RunError::Usage)?;
    let mut plan = BTreeMap::new();
    for item in &request.plan {
        let (step, date) = item.split_once('=').ok_or_else(|| {
            RunError::Usage(format!(
                "--plan `{item}`: write STEP=DATE, DATE as {}",
                super::planned::SHAPES
            ))
            .about("plan")
        })?;
        let (step, date) = completion::planned_date(&spec, step.trim(), date.trim(), request.at)
            .map_err(|e| e.instead(&format!("plan.{}", step.trim())))?;
        let id = spec.step_id(step).to_string();
        if let Some(first) = plan.insert(id.clone(), date.stored()) {
            return Err(RunError::Usage(format!(
                "step {id} is planned twice ({first} and {}): give each planned step one date",
                date.stored()
            ))
            .about(&format!("plan.{id}")));
        }
    }
    let start = super::triggers::choose_start(&spec, request.trigger.as_deref())?;
    super::triggers::check_item(&spec, request.item.as_ref())?;
    super::per_item::period_only_per_item(&spec, request)?;
    let period = match &spec.flow.trigger {
        Some(Trigger::Every(rec)) => {
            super::per_period::period_to_start(store, &spec, rec, request)?
        }
        Some(Trigger::ForEach(per)) => {
            super::per_item::period_to_start(store, &spec, per, request)?
        }
        _ => None,
    };
    let started = Started {
        doc: request.doc.clone(),
        flow: flow_id.clone(),
        revision: spec.procedure.revision.clone(),
        fingerprint: fingerprint::of(spec.procedure),
        snapshot: String::new(),
        plan,
        parent: None,
        period: period.clone(),
        start,
        item: request.item.clone(),
    };
    drop(spec);
    let (body, hash) = snapshot.encode();
    let new = NewRun {
        reference: request.reference.clone(),
        doc: request.doc.clone(),
        flow: flow_id,
        revision: started.revision.clone(),
        fingerprint: started.fingerprint.clone(),
        snapshot_hash: hash.clone(),
        snapshot: body.clone(),
        parent: None,
        period,
        started_at: clock::stamp(request.at),
    };
    let started = Started {
        snapshot: hash,
        ..started
    };
    begin_run(
        store,
        new,
        Arc::new(snapshot),
        body,
        started,
        request.at,
        request.by.clone(),
        0,
        notes,
    )
}

fn check_reference(reference: &str) -> Result<(), RunError> {
    if reference.trim().is_empty()
        || reference.trim() != reference
        || reference.len() > MAX_REF_LEN
        || reference.chars().any(char::is_control)
    {
        return Err(RunError::Usage(format!(
            "`{reference}` cannot be a run reference: give the order or case number, e.g. SO-1001 (no surrounding spaces, at most {MAX_REF_LEN} characters)"
        )));
    }
    // A reference that prints like another one would let two runs pass for one.
    if let Some(found) = crate::spec::ident::lookalike(reference) {
        return Err(RunError::Usage(format!(
            "`{}` cannot be a run reference: it holds {found}; {}",
            reference.escape_debug(),
            found.hint().replace("the id", "the reference")
        )));
    }
    Ok(())
}

/// Refuses a reference of the form procdoc gives the child runs of this flow
/// (`PARENT/STEP` or `PARENT/STEP#N`, where STEP calls this flow): such a name belongs to
/// the run that step starts.
fn reserved_for_children(request: &StartRequest, flow: &str) -> Result<(), RunError> {
    for (doc, called, step) in &request.calls_into {
        if *doc != request.doc || called != flow {
            continue;
        }
        let Some((parent, tail)) = request.reference.rsplit_once('/') else {
            continue;
        };
        let named = tail == step
            || tail.strip_prefix(step.as_str()).is_some_and(|rest| {
                rest.strip_prefix('#')
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            });
        if named && !parent.is_empty() {
            return Err(RunError::Usage(format!(
                "`{}` is the name procdoc gives the run that step {step} of run {parent} starts in flow {flow}; give this run a reference without `/{step}` at the end, e.g. {}",
                request.reference,
                request.reference.replace('/', "-")
            )));
        }
    }
    Ok(())
}

/// Creates the run row, records its start and lets the flow settle (child runs).
#[allow(clippy::too_many_arguments)]
fn begin_run(
    store: &mut dyn Store,
    new: NewRun,
    snapshot: Arc<Snapshot>,
    body: String,
    started: Started,
    at: DateTime<Utc>,
    by: Option<String>,
    depth: usize,
    notes: &mut Vec<String>,
) -> Result<Live, RunError> {
    let id = store.start(&new)?;
    let row = RunRow {
        id,
        reference: new.reference,
        doc: new.doc,
        flow: new.flow,
        revision: new.revision,
        fingerprint: new.fingerprint,
        snapshot_hash: new.snapshot_hash,
        parent: new.parent,
        period: new.period,
        started_at: new.started_at,
        status: Status::Open,
        outcome: None,
        ended_at: None,
        events: 0,
        head: super::audit::GENESIS.to_string(),
        entry_gap: None,
        changes_at: None,
        open: Vec::new(),
    };
    let spec = Spec::new(&snapshot, &row.doc, &row.flow).map_err(RunError::Usage)?;
    let state = State::blank(&spec);
    drop(spec);
    let mut live = Live {
        row,
        snapshot,
        snapshot_body: body,
        events: Vec::new(),
        state,
    };
    let applied = record(store, &mut live, at, by.clone(), Change::Started(started))?;
    settle(store, &mut live, applied, at, by, depth, notes)?;
    Ok(live)
}

/// Reacts to what a change did: starts child runs for `calls` steps that became active and,
/// when the run ended, completes the parent's step.
fn settle(
    store: &mut dyn Store,
    live: &mut Live,
    applied: Applied,
    at: DateTime<Utc>,
    by: Option<String>,
    depth: usize,
    notes: &mut Vec<String>,
) -> Result<(), RunError> {
    if depth > MAX_CALL_DEPTH {
        return Err(refused(format!(
            "flows call each other more than {MAX_CALL_DEPTH} levels deep"
        )));
    }
    for step in applied.activated {
        let Some(call) = live.snapshot_step(step).and_then(|s| s.calls.clone()) else {
            continue;
        };
        let step_id = live.spec()?.step_id(step).to_string();
        let iteration = u32::try_from(live.state.steps[step].len()).unwrap_or(u32::MAX);
        let mut reference = format!("{}/{}", live.row.reference, step_id);
        if iteration > 1 {
            reference.push_str(&format!("#{iteration}"));
        }
        let doc = call.doc.clone().unwrap_or_else(|| live.row.doc.clone());
        let procedure = live
            .snapshot
            .procedure(&doc)
            .ok_or_else(|| RunError::Corrupt {
                reference: live.row.reference.clone(),
                message: format!("the called procedure `{doc}` is not in the snapshot"),
            })?;
        let new = NewRun {
            reference: reference.clone(),
            doc: doc.clone(),
            flow: call.flow.clone(),
            revision: procedure.revision.clone(),
            fingerprint: fingerprint::of(procedure),
            snapshot_hash: live.row.snapshot_hash.clone(),
            snapshot: live.snapshot_body.clone(),
            parent: Some(live.row.id),
            period: None,
            started_at: clock::stamp(at),
        };
        let started = Started {
            doc: doc.clone(),
            flow: call.flow.clone(),
            revision: new.revision.clone(),
            fingerprint: new.fingerprint.clone(),
            snapshot: new.snapshot_hash.clone(),
            plan: BTreeMap::new(),
            parent: Some(ParentLink {
                run: live.row.reference.clone(),
                step: step_id.clone(),
                iteration,
            }),
            period: None,
            start: None,
            item: None,
        };
        record(
            store,
            live,
            at,
            None,
            Change::Called(Called {
                step: step_id.clone(),
                iteration,
                child: reference.clone(),
            }),
        )?;
        notes.push(format!(
            "step {step_id} started child run {reference} ({doc} flow {})",
            call.flow
        ));
        let child = begin_run(
            store,
            new,
            live.snapshot.clone(),
            live.snapshot_body.clone(),
            started,
            at,
            by.clone(),
            depth + 1,
            notes,
        )?;
        if child.state.ended.is_some() {
            complete_from_child(store, live, &child, depth, notes)?;
        }
    }
    if applied.ended
        && let Some(parent) = live.row.parent
    {
        let mut parent = open_for_change(store, parent)?;
        complete_from_child(store, &mut parent, live, depth, notes)?;
    }
    Ok(())
}

impl Live {
    fn snapshot_step(&self, step: usize) -> Option<&Step> {
        self.snapshot
            .procedure(&self.row.doc)?
            .flows
            .iter()
            .find(|f| f.id == self.row.flow)?
            .steps
            .get(step)
    }
}

/// Completes the parent's `calls` step for an ended child, when nothing needs a person:
/// no check items, no required record fields, and a decision (if any) whose outcome
/// carries the child's outcome label. Otherwise the step stays active for `run done`.
fn complete_from_child(
    store: &mut dyn Store,
    parent: &mut Live,
    child: &Live,
    depth: usize,
    notes: &mut Vec<String>,
) -> Result<(), RunError> {
    let (Some(link), Some(ended)) = (&child.state.parent, &child.state.ended) else {
        return Ok(());
    };
    let spec = parent.spec()?;
    let step = spec.find_step(&link.step)?;
    let open = spec.net.is_active(&parent.state.marking, step)
        && parent.state.steps[step].last().is_some_and(|i| {
            i.completed.is_none() && i.child.as_deref() == Some(&child.row.reference)
        });
    if !open {
        return Ok(());
    }
    let s = spec.step(step);
    let outcome = match &s.decision {
        None => None,
        Some(d) => {
            let found = d
                .outcomes
                .iter()
                .position(|o| ended.outcome.variants().iter().any(|v| o.when.matches(v)));
            match found {
                Some(i) => Some(i),
                None => {
                    notes.push(format!(
                        "child run {} ended ({}); complete {} and give its outcome",
                        child.row.reference,
                        spec.text(&ended.outcome),
                        s.id
                    ));
                    return Ok(());
                }
            }
        }
    };
    let needs_person = !s.check.is_empty()
        || spec
            .produced(step)
            .iter()
            .any(|p| p.record.fields.iter().any(|f| f.required));
    if needs_person {
        notes.push(format!(
            "child run {} ended ({}); complete {} with run done",
            child.row.reference,
            spec.text(&ended.outcome),
            s.id
        ));
        return Ok(());
    }
    let completion = Completion {
        step: s.id.clone(),
        iteration: link.iteration,
        outcome,
        outcome_label: outcome
            .and_then(|i| s.decision.as_ref()?.outcomes.get(i))
            .map(|o| spec.text(&o.when).to_string()),
        child: Some(child.row.reference.clone()),
        ..Default::default()
    };
    notes.push(format!(
        "child run {} ended ({}): {} {} completed",
        child.row.reference,
        spec.text(&ended.outcome),
        parent.row.reference,
        s.id
    ));
    drop(spec);
    let at = ended.at.max(parent.state.last_at);
    let applied = record(store, parent, at, None, Change::Completed(completion))?;
    settle(store, parent, applied, at, None, depth + 1, notes)
}

/// Completes an active step after checking everything the procedure demands of it.
pub fn complete(
    store: &mut dyn Store,
    live: &mut Live,
    request: &DoneRequest,
    at: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> Result<Applied, RunError> {
    refuse_while_child_runs(store, live, &request.step)?;
    let entered = [
        ("by", Some(&request.by)),
        ("note", request.note.as_ref()),
        ("reason", request.reason.as_ref()),
    ];
    for (input, text) in entered {
        printable(input, text.map(String::as_str).unwrap_or_default())?;
    }
    for field in &request.fields {
        let key = field
            .split_once('=')
            .map_or(field.as_str(), |(k, _)| k.trim());
        printable(&format!("fields.{key}"), field)?;
    }
    let completion = completion::validate(live, request, at)?;
    let by = Some(request.by.trim().to_string());
    let change = {
        let spec = live.spec()?;
        let step = spec.find_step(&completion.step)?;
        let signs_for = completion.acting_for.as_deref().unwrap_or_default();
        if super::joint::leaves_others(&spec, &live.state, step, signs_for) {
            Change::Signed(completion)
        } else {
            Change::Completed(completion)
        }
    };
    let applied = record(store, live, at, by.clone(), change)?;
    settle(store, live, applied.clone(), at, by, 0, notes)?;
    Ok(applied)
}

/// Text a person enters is printed in the run record: a word longer than a line can hold (or
/// than a PDF string can be) would make `run export` fail later, so it is refused now, with
/// the limit every spec text has too.
fn printable(input: &str, text: &str) -> Result<(), RunError> {
    use crate::spec::limits::{MAX_WORD_CHARS, longest_word};
    let (longest, _) = longest_word(text);
    if longest > MAX_WORD_CHARS {
        return Err(RunError::usage_at(
            input,
            format!(
                "holds a word of {longest} characters with no space; at most {MAX_WORD_CHARS} can be printed in the run record"
            ),
        ));
    }
    Ok(())
}

/// A `calls` step completes itself when its child run ends; by hand only when the child
/// ended without doing so (the step wants ticks, fields or an outcome from a person).
fn refuse_while_child_runs(store: &dyn Store, live: &Live, step: &str) -> Result<(), RunError> {
    let spec = live.spec()?;
    let Some(index) = spec.graph.index_of(step) else {
        return Ok(());
    };
    if spec.step(index).calls.is_none() || !live.state.is_active(&spec, index) {
        return Ok(());
    }
    let Some(child) = live.state.steps[index].last().and_then(|i| i.child.clone()) else {
        return Ok(());
    };
    let filter = super::store::Filter {
        reference: Some(child.clone()),
        parent: Some(live.row.id),
        status: Some(Status::Open),
        ..Default::default()
    };
    if store.list(&filter)?.is_empty() {
        return Ok(());
    }
    Err(refused(format!(
        "step {step} runs child run {child}; it completes when that run ends"
    ))
    .about("step"))
}

/// Sets or moves a planned date, or date and time ([`super::planned::PlannedAt`]).
pub fn plan(
    store: &mut dyn Store,
    live: &mut Live,
    step: &str,
    date: &str,
    by: Option<String>,
    at: DateTime<Utc>,
) -> Result<(), RunError> {
    let spec = live.spec()?;
    let (index, date) = completion::planned_date(&spec, step, date, at)?;
    if live.state.ended.is_some() {
        return Err(refused(format!("run {} has ended", live.row.reference)));
    }
    if let Some(done) = live
        .state
        .last_done(index)
        .filter(|_| !live.state.is_active(&spec, index))
    {
        return Err(refused(format!(
            "step {step} was completed by {} at {}: its date can no longer be planned",
            done.by.as_deref().unwrap_or("the system"),
            clock::show(done.at, spec.tz())
        ))
        .about("step"));
    }
    completion::refuse_before_last(&spec, &live.state, at)?;
    let step = spec.step_id(index).to_string();
    drop(spec);
    record(
        store,
        live,
        at,
        by,
        Change::Planned(Planned {
            step,
            date: date.stored(),
        }),
    )?;
    Ok(())
}

/// How late a moment is after a deadline, roughly (`3 h`, `2 d`), for overdue marks.
pub fn lateness(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let late = now - due;
    if late < TimeDelta::hours(1) {
        format!("{} min", late.num_minutes().max(1))
    } else if late < TimeDelta::days(2) {
        format!("{} h", late.num_hours())
    } else {
        format!("{} d", late.num_days())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_back_to_the_same_procedures() {
        for qms in ["specs/red-maple", "specs/zza-feed", "specs/relationship-tw"] {
            let (qms, _) = crate::spec::load::load(std::path::Path::new(qms)).unwrap();
            let settings = qms.settings.clone().unwrap();
            for p in &qms.procedures {
                let snapshot = Snapshot::take(&qms, &settings, &p.doc.id).unwrap();
                let (body, hash) = snapshot.encode();
                let back = Snapshot::decode(&body).unwrap();
                assert_eq!(back.encode().1, hash, "{}", p.doc.id);
                assert_eq!(
                    fingerprint::of(back.procedure(&p.doc.id).unwrap()),
                    fingerprint::of(&p.doc),
                    "{}",
                    p.doc.id
                );
            }
        }
    }
}
