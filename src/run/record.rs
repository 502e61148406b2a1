//! The run record: everything a completed (or running) checklist states, as one serializable
//! value. `run show` prints it, `--format json` and `run export` write it, and the printed
//! (PDF) record is made from it, so the views cannot disagree.

use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::audit;
use super::clock;
use super::engine::{self, Change, Iteration, Live, RunError, Spec, StepState};
use super::fields;
use super::standing;
pub use super::standing::{Escalation, SignOff};
use super::store::{AnyStore, Filter, RunRow, Status, Store};
use crate::control::fingerprint;
use crate::spec::load::Qms;
use crate::spec::model::Trigger;

mod model;
use model::entered_apart;
pub use model::*;

fn deadline(
    due: DateTime<Utc>,
    done: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Deadline {
    let overdue = done.is_none() && now > due;
    let late = done.is_some_and(|d| d > due);
    let by = match done {
        Some(d) if late => Some(engine::lateness(due, d)),
        None if overdue => Some(engine::lateness(due, now)),
        _ => None,
    };
    Deadline {
        at: Stamp::of(due, tz),
        overdue,
        late,
        by,
    }
}

pub(super) fn actor(spec: &Spec, code: &str) -> Actor {
    let (lang, primary) = (spec.reading(), spec.lang());
    let name = spec
        .settings
        .departments
        .iter()
        .find(|d| d.code == code)
        .map(|d| d.name.best(lang, primary).to_string())
        .or_else(|| {
            spec.settings
                .parties
                .iter()
                .find(|p| p.code == code)
                .map(|p| p.name.best(lang, primary).to_string())
        })
        .unwrap_or_else(|| code.to_string());
    Actor {
        code: code.to_string(),
        name,
    }
}

fn signature(
    spec: &Spec,
    step: usize,
    done: &engine::Done,
    event: Option<&audit::Event>,
    tolerance: i64,
    recorded: u64,
) -> Signature {
    let s = spec.step(step);
    let c = &done.completion;
    let tz = spec.tz();
    let checks = s
        .check
        .iter()
        .enumerate()
        .map(|(i, item)| CheckTick {
            number: i + 1,
            item: spec.text(item).to_string(),
            ticked: c.checked.contains(&(i + 1)),
            waived: c
                .waived
                .iter()
                .find(|w| w.item == i + 1)
                .map(|w| w.reason.clone()),
        })
        .collect();
    let produced = spec.produced(step);
    let fields = c
        .fields
        .iter()
        .map(|(key, raw)| {
            let found = fields::lookup(&produced, key);
            let field = found.map(|(_, f)| f);
            FieldValue {
                key: key.clone(),
                record: found.map_or_else(
                    || {
                        key.rsplit_once('.')
                            .map_or(key.as_str(), |(r, _)| r)
                            .to_string()
                    },
                    |(p, _)| p.key.to_string(),
                ),
                form: found.and_then(|(p, _)| p.record.form.clone()),
                label: field.map_or_else(|| key.clone(), |f| spec.text(&f.label).to_string()),
                value: fields::show(field, raw, tz),
                raw: raw.clone(),
            }
        })
        .collect();
    Signature {
        event: done.event,
        at: Stamp::of(done.at, tz),
        entered: event
            .and_then(|e| e.entered.as_deref())
            .and_then(clock::read_stamp)
            .map(|t| Stamp::of(t, tz)),
        entered_apart: event.and_then(|e| entered_apart(e, tolerance, tz)),
        by: done.by.clone(),
        login: c.login.clone(),
        acting_for: c.acting_for.as_deref().map(|code| actor(spec, code)),
        on_behalf: c
            .acting_for
            .as_deref()
            .is_some_and(|code| spec.is_party(code)),
        outcome: if done.timed_out {
            s.timeout
                .as_ref()
                .map(|t| format!("timed out (no answer within {})", t.after))
        } else {
            c.outcome_label.clone()
        },
        checks,
        fields,
        note: c.note.clone(),
        attachments: c.attachments.clone(),
        child: c.child.clone(),
        meaning: c.signature.map(|m| m.word()),
        timed_out: done.timed_out,
        not_recorded: done.event > recorded,
    }
}

#[allow(clippy::too_many_arguments)]
fn iteration(
    spec: &Spec,
    live: &Live,
    state: &engine::State,
    step: usize,
    number: usize,
    it: &Iteration,
    now: DateTime<Utc>,
    tolerance: i64,
) -> IterationRecord {
    let tz = spec.tz();
    let recorded = live.row.events;
    let joint = spec.step(step).by.joint;
    let to_sign = if joint && it.completed.is_none() {
        super::joint::still_to_sign(spec, state, step)
    } else {
        Vec::new()
    };
    IterationRecord {
        number,
        activated: Stamp::of(it.activated_at, tz),
        due: engine::due(spec, state, step, it)
            .map(|d| deadline(d, it.completed.as_ref().map(|c| c.at), now, tz)),
        earliest: match super::earliest::earliest(spec, state, step, it) {
            super::earliest::Earliest::At(t) if it.completed.is_none() => Some(Stamp::of(t, tz)),
            _ => None,
        },
        child: it.child.clone(),
        completed: it.completed.as_ref().map(|d| {
            let event = live.events.iter().find(|e| e.n == d.event);
            signature(spec, step, d, event, tolerance, recorded)
        }),
        signed: it
            .signed
            .iter()
            .map(|d| {
                let event = live.events.iter().find(|e| e.n == d.event);
                signature(spec, step, d, event, tolerance, recorded)
            })
            .collect(),
        sign_off: standing::sign_off(spec, step, it),
        to_sign,
        escalated: standing::escalation(spec, state, step, number, now),
    }
}

fn event_summary(spec: &Spec, e: &audit::Event) -> String {
    let tz = spec.tz();
    match Change::read(e) {
        Ok(Change::Started(s)) => {
            let mut line = format!("started {} rev {} flow {}", s.doc, s.revision, s.flow);
            if let Some(p) = &s.parent {
                line.push_str(&format!(" as child of {} step {}", p.run, p.step));
            }
            for (step, date) in &s.plan {
                line.push_str(&format!("; planned {step} for {date}"));
            }
            line
        }
        Ok(Change::Planned(p)) => format!("planned {} for {}", p.step, p.date),
        Ok(Change::Called(c)) => format!("{} started child run {}", c.step, c.child),
        Ok(Change::TimedOut(t)) => format!(
            "{} timed out (no answer within {}); {} became active",
            t.step, t.after, t.goto
        ),
        Ok(Change::Signed(c)) | Ok(Change::Completed(c)) => {
            let verb = if e.kind == "signed" {
                "signed"
            } else {
                "completed"
            };
            let mut parts = vec![format!("{verb} {}", c.step)];
            if c.iteration > 1 {
                parts[0].push_str(&format!(" (iteration {})", c.iteration));
            }
            if let Some(code) = &c.acting_for {
                parts.push(format!("as {code}"));
            }
            if let Some(login) = &c.login {
                parts.push(format!("signed in as {login}"));
            }
            if let Some(meaning) = c.signature {
                parts.push(meaning.word().to_string());
            }
            if let Some(o) = &c.outcome_label {
                parts.push(format!("outcome: {o}"));
            }
            if !c.checked.is_empty() {
                let items: Vec<String> = c.checked.iter().map(usize::to_string).collect();
                parts.push(format!("ticked {}", items.join(",")));
            }
            for w in &c.waived {
                parts.push(format!("waived {} ({})", w.item, w.reason));
            }
            for (k, v) in &c.fields {
                parts.push(format!("{k} = {}", fields::show(None, v, tz)));
            }
            if let Some(child) = &c.child {
                parts.push(format!("when child run {child} ended"));
            }
            if let Some(n) = &c.note {
                parts.push(format!("note: {n}"));
            }
            parts.join("; ")
        }
        Err(why) => why,
    }
}

/// Builds the record of a loaded run. `children` are the runs it started; `newer` a note
/// about the QMS's current revision; `problems` what [`super::integrity::check_run`] found
/// (empty: intact); `tolerance` how many seconds a stated time may be from its entry time
/// before the record shows both.
pub fn build(
    live: &Live,
    children: &[RunRow],
    now: DateTime<Utc>,
    newer: Option<String>,
    problems: Vec<String>,
    tolerance: i64,
) -> Result<RunRecord, RunError> {
    build_in(live, children, now, newer, problems, tolerance, None)
}

/// [`build`] with the procedure's texts in `reading` when the run's revision has that
/// language (the record's `language` is then that language); the primary one otherwise.
pub fn build_in(
    live: &Live,
    children: &[RunRow],
    now: DateTime<Utc>,
    newer: Option<String>,
    problems: Vec<String>,
    tolerance: i64,
    reading: Option<&str>,
) -> Result<RunRecord, RunError> {
    let mut spec = live.spec()?;
    spec.reading = reading.map(str::to_string);
    let tz = spec.tz();
    let primary = spec.lang().to_string();
    let lang = spec.reading().to_string();
    // Shown as of `now`: timeouts that fell due are applied as they will be recorded.
    let (projected, pending) = super::timeouts::as_of(&spec, &live.state, live.row.events, now)
        .map_err(|message| RunError::Corrupt {
            reference: live.row.reference.clone(),
            message,
        })?;
    let state = &projected;
    let states = state.step_states(&spec);
    let mut overdue = Vec::new();
    let mut escalated = Vec::new();
    let steps = (0..spec.graph.len())
        .map(|i| {
            let s = spec.step(i);
            let iterations: Vec<IterationRecord> = state.steps[i]
                .iter()
                .enumerate()
                .map(|(n, it)| iteration(&spec, live, state, i, n + 1, it, now, tolerance))
                .collect();
            let due = if states[i] == StepState::Active {
                iterations.last().and_then(|it| it.due.clone())
            } else {
                None
            };
            if due.as_ref().is_some_and(|d| d.overdue) {
                overdue.push(s.id.clone());
            }
            if iterations.last().is_some_and(|it| it.escalated.is_some()) {
                escalated.push(s.id.clone());
            }
            StepRecord {
                id: s.id.clone(),
                title: s
                    .title
                    .as_ref()
                    .map_or_else(String::new, |t| spec.text(t).to_string()),
                state: states[i],
                timed_out: states[i] == StepState::Done
                    && state.steps[i]
                        .last()
                        .and_then(|it| it.completed.as_ref())
                        .is_some_and(|d| d.timed_out),
                by: s.by.iter().map(|c| actor(&spec, c)).collect(),
                joint: s.by.joint,
                with: s.with.iter().map(|c| actor(&spec, c)).collect(),
                not_by: s.not_by.iter().cloned().collect(),
                planned: state.plan.get(&i).map(|d| d.stored()),
                calls: s.calls.as_ref().map(|c| match &c.doc {
                    Some(doc) => format!("{doc}/{}", c.flow),
                    None => c.flow.clone(),
                }),
                question: s
                    .decision
                    .as_ref()
                    .and_then(|d| d.question.as_ref())
                    .map(|q| spec.text(q).to_string()),
                outcomes: s
                    .decision
                    .iter()
                    .flat_map(|d| &d.outcomes)
                    .map(|o| spec.text(&o.when).to_string())
                    .collect(),
                check: s.check.iter().map(|c| spec.text(c).to_string()).collect(),
                produces: spec
                    .produced(i)
                    .iter()
                    .map(|p| RecordRef {
                        key: p.key.to_string(),
                        form: p.record.form.clone(),
                        title: spec.text(&p.record.title).to_string(),
                    })
                    .collect(),
                waiting_for: if states[i] == StepState::Waiting {
                    spec.net
                        .missing_inputs(&state.marking, i)
                        .into_iter()
                        .map(|m| spec.step_id(m).to_string())
                        .collect()
                } else {
                    Vec::new()
                },
                ends: s.end.as_ref().map(|e| spec.text(e).to_string()),
                due,
                iterations,
                rules: spec.rules(i),
            }
        })
        .collect();
    let events: Vec<EventRecord> = live
        .events
        .iter()
        .map(|e| EventRecord {
            n: e.n,
            entered: e
                .entered
                .as_deref()
                .and_then(clock::read_stamp)
                .map(|t| Stamp::of(t, tz)),
            entered_apart: entered_apart(e, tolerance, tz),
            at: clock::read_stamp(&e.at).map_or_else(
                || Stamp {
                    iso: e.at.clone(),
                    local: e.at.clone(),
                },
                |t| Stamp::of(t, tz),
            ),
            by: e.by.clone(),
            kind: e.kind.clone(),
            summary: event_summary(&spec, e),
            data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
            prev: e.prev.clone(),
            hash: e.hash.clone(),
        })
        .collect();
    let apart = events
        .iter()
        .filter_map(|e| {
            let a = e.entered_apart.as_ref()?;
            Some(format!(
                "#{} {} at {}: {}",
                e.n,
                e.summary,
                e.at.local,
                a.text()
            ))
        })
        .collect();
    let entry_unknown = live.events.iter().filter(|e| e.entered.is_none()).count();
    let p = spec.procedure;
    Ok(RunRecord {
        entry_tolerance: if tolerance == 0 {
            "0".to_string()
        } else {
            clock::span(tolerance)
        },
        entered_apart: apart,
        entry_unknown,
        reference: live.row.reference.clone(),
        company: spec.settings.company.best(&lang, &primary).to_string(),
        language: lang.clone(),
        doc: DocHeader {
            id: p.id.clone(),
            title: spec.text(&p.title).to_string(),
            revision: live.row.revision.clone(),
            effective: p.effective.to_string(),
            owner: p.owner.clone(),
            fingerprint: live.row.fingerprint.clone(),
            fingerprint_short: fingerprint::short(&live.row.fingerprint),
        },
        flow: FlowHeader {
            id: spec.flow.id.clone(),
            title: spec.text(&spec.flow.title).to_string(),
            trigger: spec.flow.trigger.as_ref().map(|t| match t {
                Trigger::Event(text) => spec.text(text).to_string(),
                other => other.describe(spec.reading(), spec.lang()),
            }),
            started_by: super::triggers::started_by(&spec, standing::started_at(live).as_deref()),
        },
        // A per-item run's period is stored with its item (`GA-014@2026-07-01`).
        period: live.row.period.as_deref().map(|p| match &state.item {
            Some(_) => super::per_item::split_key(p)
                .map_or(p, |(_, k)| k)
                .to_string(),
            None => p.to_string(),
        }),
        item: state.item.clone(),
        parent: state.parent.clone(),
        children: children
            .iter()
            .map(|c| ChildRun {
                reference: c.reference.clone(),
                doc: c.doc.clone(),
                flow: c.flow.clone(),
                status: status_word(c.status).to_string(),
                outcome: c.outcome.clone(),
            })
            .collect(),
        status: if state.ended.is_some() {
            "ended"
        } else {
            "open"
        }
        .to_string(),
        outcome: state
            .ended
            .as_ref()
            .map(|e| spec.text(&e.outcome).to_string()),
        started: Stamp::of(state.started_at, tz),
        started_by: state.started_by.clone(),
        ended: state.ended.as_ref().map(|e| Stamp::of(e.at, tz)),
        due: engine::flow_due(&spec, state)
            .map(|d| deadline(d, state.ended.as_ref().map(|e| e.at), now, tz)),
        overdue,
        escalated,
        not_recorded: pending
            .iter()
            .map(|p| {
                format!(
                    "{} timed out at {} (not yet recorded)",
                    spec.step_id(p.step),
                    clock::show(p.at, tz)
                )
            })
            .collect(),
        now: Stamp::of(now, tz),
        timezone: tz.name().to_string(),
        newer,
        steps,
        events,
        chain: Chain {
            events: live.row.events,
            hash: live.row.head.clone(),
            intact: problems.is_empty(),
            problem: (!problems.is_empty()).then(|| problems.join("; ")),
        },
    })
}

pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Open => "open",
        Status::Ended => "ended",
    }
}

/// What the QMS now says about the run's procedure, if it differs from the pinned one.
pub fn newer_revision(qms: &Qms, row: &RunRow) -> Option<String> {
    let Some(current) = qms.procedure(&row.doc) else {
        return Some(format!(
            "procedure {} is no longer in the QMS; this run follows revision {}",
            row.doc, row.revision
        ));
    };
    if current.doc.revision != row.revision {
        return Some(format!(
            "a newer revision {} of {} exists; this run follows revision {} as it was when it started",
            current.doc.revision, row.doc, row.revision
        ));
    }
    if fingerprint::of(&current.doc) != row.fingerprint {
        return Some(format!(
            "{} revision {} has changed since this run started (fingerprint {} now, {} pinned); the run follows the pinned content",
            row.doc,
            row.revision,
            fingerprint::short(&fingerprint::of(&current.doc)),
            fingerprint::short(&row.fingerprint)
        ));
    }
    None
}

/// The record of run `reference` in an open store. `at` overrides "now" (else
/// `PROCDOC_NOW`, else the clock); `qms` (when it loads) tells whether a newer revision
/// exists; `tolerance` is [`build`]'s.
pub fn run_record(
    store: &dyn Store,
    reference: &str,
    flow: Option<&str>,
    at: Option<&str>,
    qms: Option<&Qms>,
    tolerance: i64,
) -> Result<RunRecord, RunError> {
    run_record_in(store, reference, flow, at, qms, tolerance, None)
}

/// [`run_record`] read in `reading` (see [`build_in`]).
pub fn run_record_in(
    store: &dyn Store,
    reference: &str,
    flow: Option<&str>,
    at: Option<&str>,
    qms: Option<&Qms>,
    tolerance: i64,
    reading: Option<&str>,
) -> Result<RunRecord, RunError> {
    let record = run_record_gated(store, reference, flow, at, qms, tolerance, reading, |_| {
        true
    })?;
    record.ok_or_else(|| RunError::Refused("the run may not be read".to_string()))
}

/// [`run_record_in`] when `gate` lets the loaded run be read (`None` when it says no): one
/// load of the run serves both the check (for example who may see it) and the record.
#[allow(clippy::too_many_arguments)]
pub fn run_record_gated(
    store: &dyn Store,
    reference: &str,
    flow: Option<&str>,
    at: Option<&str>,
    qms: Option<&Qms>,
    tolerance: i64,
    reading: Option<&str>,
    gate: impl FnOnce(&engine::Live) -> bool,
) -> Result<Option<RunRecord>, RunError> {
    let row = engine::find(store, reference, flow)?;
    let live = engine::open_run(store, row.id)?;
    if !gate(&live) {
        return Ok(None);
    }
    let now = clock::now(at, live.spec()?.tz()).map_err(RunError::Usage)?;
    let children = store.list(&Filter {
        parent: Some(live.row.id),
        ..Default::default()
    })?;
    let problems = super::integrity::check_live(store, &live)?;
    let newer = qms.and_then(|q| newer_revision(q, &live.row));
    build_in(&live, &children, now, newer, problems, tolerance, reading).map(Some)
}

/// [`run_record`] for a QMS folder and its run database (`db`, else `PROCDOC_DB`, else
/// `<QMS>/.procdoc/runs.sqlite`), read-only, in one reading transaction, with the entry
/// tolerance of `PROCDOC_ENTRY_TOLERANCE` or the default.
pub fn load_record(
    qms_dir: &Path,
    db: Option<&Path>,
    reference: &str,
    flow: Option<&str>,
) -> Result<RunRecord, RunError> {
    let path = super::command::database_path(qms_dir, db.map(Path::to_path_buf));
    let tolerance = clock::tolerance(None).map_err(RunError::Usage)?;
    let mut store = AnyStore::open(&path, false)?;
    let qms = crate::spec::load::load(qms_dir).ok().map(|(q, _)| q);
    store.begin(false)?;
    let record = run_record(&store, reference, flow, None, qms.as_ref(), tolerance);
    store.rollback()?;
    record
}
