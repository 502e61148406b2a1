//! Listing runs (what is open, overdue or entered apart from its stated time, for whom) and
//! the periods of recurring flows that have no run yet. Both only read the store.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{Refusal, RefusalKind, transaction};
use crate::check::settings::calendar_of;
use crate::run::calendar::Calendar;
use crate::run::clock;
use crate::run::engine::{self, RunError, Snapshot, Spec, State, StepState};
use crate::run::record::{self, Stamp};
use crate::run::recurrence;
use crate::run::store::{Filter, RunRow, Status, Store, StoredRun};
use crate::run::timeouts;
use crate::spec::load::Qms;
use crate::spec::model::Trigger;

/// Which runs to list; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Open or ended runs only.
    pub status: Option<Status>,
    /// Only runs with a deadline passed at the moment of the listing.
    pub overdue: bool,
    pub doc: Option<String>,
    /// Only runs with an open step this department is responsible for.
    pub dept: Option<String>,
}

impl ListQuery {
    /// Whether any condition narrows the list.
    pub fn narrows(&self) -> bool {
        self.status.is_some() || self.doc.is_some() || self.dept.is_some() || self.overdue
    }
}

/// A run as `run list --format json` gives it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub reference: String,
    pub doc: String,
    pub flow: String,
    pub revision: String,
    /// As stored: a per-item run's is `ITEM@YYYY-MM-DD`.
    pub period: Option<String>,
    /// The register item (its key) a per-item run is for; absent on other runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// `open` or `ended`.
    pub status: &'static str,
    pub outcome: Option<String>,
    pub started: Stamp,
    pub ended: Option<Stamp>,
    pub open: Vec<ListedStep>,
    /// Set when an event's entry time is further from its stated time than the tolerance:
    /// the largest such gap (`92 d`).
    pub entered_apart: Option<String>,
}

/// An open step of a listed run, with every department responsible for it.
#[derive(Debug, Clone, Serialize)]
pub struct ListedStep {
    /// `None`: the whole flow's deadline.
    pub step: Option<String>,
    pub depts: Vec<String>,
    /// Its own deadline (`within`); an escalation is not one.
    pub due: Option<Stamp>,
    pub overdue: bool,
    /// How late (`3 h`, `2 d`) when overdue.
    pub late_by: Option<String>,
    /// Once the step is escalated (`escalate:`): the departments it is escalated to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escalated_to: Vec<String>,
    /// Once escalated: from when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalated_since: Option<Stamp>,
}

/// One passed deadline of the listed runs, earliest first.
#[derive(Debug, Clone)]
pub struct OverdueStep {
    pub reference: String,
    /// `None`: the whole flow's deadline.
    pub step: Option<String>,
    pub dept: Option<String>,
    pub due: Option<DateTime<Utc>>,
}

/// The runs a [`ListQuery`] selects, and the deadlines of theirs that have passed.
#[derive(Debug, Clone)]
pub struct RunList {
    pub runs: Vec<Listed>,
    /// Passed deadlines of the runs the query selects, ignoring its `overdue` condition.
    pub overdue: Vec<OverdueStep>,
    /// The moment the list was judged at, and the office time zone it is shown in.
    pub now: DateTime<Utc>,
    pub tz: Tz,
    /// The entry tolerance (seconds) `entered_apart` was judged by.
    pub tolerance: i64,
}

fn stamp_of(text: &str, tz: Tz) -> Stamp {
    match clock::read_stamp(text) {
        Some(t) => Stamp {
            iso: clock::iso(t, tz),
            local: clock::show(t, tz),
        },
        None => Stamp {
            iso: text.to_string(),
            local: text.to_string(),
        },
    }
}

/// The open steps of a row as its stored summary has them, one entry per step with its
/// departments: for a run whose revision has no timeout or escalation, where the summary
/// says all there is.
fn open_steps(row: &RunRow, now: DateTime<Utc>, tz: Tz) -> Vec<ListedStep> {
    let mut grouped: BTreeMap<(Option<String>, Option<String>), Vec<String>> = BTreeMap::new();
    let mut order = Vec::new();
    for o in &row.open {
        let key = (o.step.clone(), o.due.clone());
        if !grouped.contains_key(&key) {
            order.push(key.clone());
        }
        grouped.entry(key).or_default().extend(o.dept.clone());
    }
    order
        .into_iter()
        .map(|key| {
            let due = key.1.as_deref().and_then(clock::read_stamp);
            let depts = grouped.remove(&key).unwrap_or_default();
            listed(key.0, depts, due, now, tz)
        })
        .collect()
}

fn listed(
    step: Option<String>,
    depts: Vec<String>,
    due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    tz: Tz,
) -> ListedStep {
    let overdue = due.is_some_and(|d| now > d);
    ListedStep {
        depts,
        step,
        due: due.map(|d| Stamp {
            iso: clock::iso(d, tz),
            local: clock::show(d, tz),
        }),
        overdue,
        late_by: due.filter(|_| overdue).map(|d| engine::lateness(d, now)),
        escalated_to: Vec::new(),
        escalated_since: None,
    }
}

/// The open steps of an open run as it stands at `now` (with the timeouts fallen due by
/// then, recorded or not, [`timeouts::as_of`]): each with its own deadline, and escalated
/// once its escalation moment has come. Shown in `tz`, the list's time zone.
fn open_steps_as_of(
    spec: &Spec,
    stored: &StoredRun,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Vec<ListedStep>, String> {
    let state = State::replay(spec, &stored.events)?;
    let (state, _) = timeouts::as_of(spec, &state, stored.row.events, now)?;
    let mut out = Vec::new();
    if state.ended.is_some() {
        return Ok(out);
    }
    let states = state.step_states(spec);
    for (step, st) in states.iter().enumerate() {
        let due = match st {
            StepState::Active => state.steps[step]
                .last()
                .and_then(|i| engine::due(spec, &state, step, i)),
            StepState::Waiting => None,
            _ => continue,
        };
        let depts = if spec.step(step).by.is_empty() {
            Vec::new()
        } else {
            crate::run::joint::still_to_sign(spec, &state, step)
        };
        let mut entry = listed(Some(spec.step_id(step).to_string()), depts, due, now, tz);
        let escalation = timeouts::escalated(spec, &state, step, now);
        if let Some((since, to)) = escalation {
            entry.escalated_to = to;
            entry.escalated_since = Some(Stamp {
                iso: clock::iso(since, tz),
                local: clock::show(since, tz),
            });
        }
        out.push(entry);
    }
    if let Some(due) = engine::flow_due(spec, &state) {
        out.push(listed(
            None,
            vec![spec.procedure.owner.clone()],
            Some(due),
            now,
            tz,
        ));
    }
    Ok(out)
}

/// The open steps, as they stand at `now`, of the open runs of `rows` that change with time
/// ([`super::as_of::changes_with_time`]), by run, each replayed (each revision's snapshot
/// decoded once): whether a timeout has fallen due or an escalation is in effect yet is
/// judged at `now`, which the summary cannot say (it lists an escalation's departments
/// from the start, so that `--dept` finds the run). The others are read from their
/// summary, without loading their events.
fn open_steps_of(
    store: &dyn Store,
    rows: &[RunRow],
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<BTreeMap<i64, Vec<ListedStep>>, RunError> {
    let mut snapshots: BTreeMap<&str, std::sync::Arc<Snapshot>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for row in rows.iter().filter(|r| super::as_of::changes_with_time(r)) {
        let corrupt = |message: String| RunError::Corrupt {
            reference: row.reference.clone(),
            message,
        };
        let Some(stored) = store.load(row.id)? else {
            continue;
        };
        let snapshot = match snapshots.get(row.snapshot_hash.as_str()) {
            Some(found) => found.clone(),
            None => {
                let Some(body) = &stored.snapshot else {
                    continue;
                };
                let snapshot = Snapshot::decode_shared(body).map_err(corrupt)?;
                snapshots.insert(row.snapshot_hash.as_str(), snapshot.clone());
                snapshot
            }
        };
        let spec = Spec::new(&snapshot, &row.doc, &row.flow).map_err(corrupt)?;
        let steps = open_steps_as_of(&spec, &stored, now, tz).map_err(corrupt)?;
        out.insert(row.id.0, steps);
    }
    Ok(out)
}

/// Lists the runs `query` selects as of `now`, shown in `tz`; `store` is `None` when no
/// run was ever started (the list is then empty). `tolerance` is [`super::tolerance`]'s.
pub fn list_runs(
    store: Option<&mut dyn Store>,
    query: &ListQuery,
    now: DateTime<Utc>,
    tz: Tz,
    tolerance: i64,
) -> Result<RunList, Refusal> {
    // Whether a run is overdue is judged on the run as it stands at `now` (an escalation
    // is no deadline, a timeout not yet recorded is taken), not on the stored summary:
    // only an ended run is known not to be.
    let filter = Filter {
        status: if query.overdue {
            Some(Status::Open)
        } else {
            query.status
        },
        doc: query.doc.clone(),
        dept: query.dept.clone(),
        // The store's index finds the runs with a deadline passed by their summary.
        overdue_at: query.overdue.then(|| clock::stamp(now)),
        ..Default::default()
    };
    let (rows, mut judged) = match store {
        None => (Vec::new(), BTreeMap::new()),
        Some(store) => transaction(store, false, |s| {
            let mut rows = s.list(&filter)?;
            if filter.dept.is_some() || filter.overdue_at.is_some() {
                // A timeout not yet recorded may have made a step of the department active,
                // or a step overdue, that the summary does not show yet: such runs are
                // found by the moment they change, as the others by their summary.
                let listed: BTreeSet<i64> = rows.iter().map(|r| r.id.0).collect();
                let changed = super::as_of::changed_by(&*s, &filter, now)?;
                rows.extend(changed.into_iter().filter(|r| !listed.contains(&r.id.0)));
                rows.sort_by(|a, b| (&a.started_at, a.id.0).cmp(&(&b.started_at, b.id.0)));
            }
            let judged = open_steps_of(&*s, &rows, now, tz)?;
            Ok((rows, judged))
        })?,
    };
    // A run judged as it stands now is the department's when a step of it is theirs, or
    // escalated to them, now.
    let theirs = |r: &RunRow| match (&query.dept, judged.get(&r.id.0)) {
        (Some(dept), Some(open)) => open
            .iter()
            .any(|o| o.depts.contains(dept) || o.escalated_to.contains(dept)),
        _ => true,
    };
    let rows: Vec<&RunRow> = rows.iter().filter(|r| theirs(r)).collect();
    let mut runs: Vec<Listed> = rows
        .into_iter()
        .filter(|r| query.status.is_none_or(|st| st == r.status))
        .map(|r| Listed {
            reference: r.reference.clone(),
            doc: r.doc.clone(),
            flow: r.flow.clone(),
            revision: r.revision.clone(),
            period: r.period.clone(),
            item: item_of(r),
            status: record::status_word(r.status),
            outcome: r.outcome.clone(),
            started: stamp_of(&r.started_at, tz),
            ended: r.ended_at.as_deref().map(|e| stamp_of(e, tz)),
            open: judged
                .remove(&r.id.0)
                .unwrap_or_else(|| open_steps(r, now, tz)),
            entered_apart: r.entry_gap.filter(|&g| g > tolerance).map(clock::span),
        })
        .collect();
    let mut overdue: Vec<OverdueStep> = runs
        .iter()
        .flat_map(|r| {
            r.open.iter().filter(|o| o.overdue).flat_map(move |o| {
                let due = o.due.as_ref().and_then(|d| clock::read_stamp(&d.iso));
                let depts: Vec<Option<String>> = if o.depts.is_empty() {
                    vec![None]
                } else {
                    o.depts.iter().cloned().map(Some).collect()
                };
                depts.into_iter().map(move |dept| OverdueStep {
                    reference: r.reference.clone(),
                    step: o.step.clone(),
                    dept,
                    due,
                })
            })
        })
        .filter(|o| query.dept.is_none() || o.dept == query.dept)
        .collect();
    overdue.sort_by_key(|a| a.due);
    if query.overdue {
        runs.retain(|r| r.open.iter().any(|o| o.overdue));
    }
    Ok(RunList {
        runs,
        overdue,
        now,
        tz,
        tolerance,
    })
}

/// A recurring flow and the periods it has no run for.
#[derive(Debug, Clone, Serialize)]
pub struct DueFlow {
    pub doc: String,
    pub flow: String,
    /// The flow's title (primary language).
    pub title: String,
    /// The recurrence as written (`every 1 month`, `every 1 year in july`).
    pub every: String,
    /// Why periods cannot be laid out, if they cannot.
    pub problem: Option<String>,
    /// Oldest first.
    pub missing: Vec<DuePeriod>,
}

/// A period without a run.
#[derive(Debug, Clone, Serialize)]
pub struct DuePeriod {
    /// The period's first day, as a run of it records it.
    pub key: String,
    pub label: String,
    /// The last day it was meant to be run in has passed.
    pub late: bool,
    /// For a per-item flow: the register item (`run start --item` takes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
}

/// The QMS's working-time calendar; refused when its settings cannot be read or its
/// calendar cannot be used.
pub fn office_calendar(qms: &Qms) -> Result<Calendar, Refusal> {
    let Some(settings) = qms.settings.as_ref() else {
        return Err(Refusal::new(
            RefusalKind::Invalid,
            None,
            "the QMS settings cannot be read: see `procdoc check`",
        ));
    };
    calendar_of(settings).map_err(|e| {
        Refusal::new(
            RefusalKind::Invalid,
            None,
            format!("the QMS calendar cannot be used: {e}; see `procdoc check`"),
        )
    })
}

/// The periods up to `now` for which each recurring flow (of `doc` only, when given) has
/// no run, judged in one reading transaction; `store` is `None` when no run was ever
/// started. `calendar` is [`office_calendar`]'s.
pub fn due_periods(
    store: Option<&mut dyn Store>,
    qms: &Qms,
    calendar: &Calendar,
    doc: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<DueFlow>, Refusal> {
    let lang = qms.settings.as_ref().map_or("en", |s| s.primary_language());
    let today = clock::local_date(now, calendar.timezone());
    let judge = |store: Option<&dyn Store>| -> Result<Vec<DueFlow>, RunError> {
        let covered_periods = |doc: &str, flow: &str| -> Result<BTreeSet<String>, RunError> {
            let Some(store) = store else {
                return Ok(BTreeSet::new());
            };
            let filter = Filter {
                doc: Some(doc.to_string()),
                flow: Some(flow.to_string()),
                parent: None,
                ..Default::default()
            };
            Ok(store
                .list(&filter)?
                .into_iter()
                .filter_map(|r| r.period)
                .collect())
        };
        let mut out = Vec::new();
        for p in qms.procedures.iter().map(|p| &p.doc) {
            if doc.is_some_and(|d| d != p.id) {
                continue;
            }
            for flow in &p.flows {
                if let Some(Trigger::ForEach(per)) = &flow.trigger {
                    let covered = covered_periods(&p.id, &flow.id)?;
                    out.push(super::due_items::due_items(
                        qms, p, flow, per, calendar, today, lang, &covered,
                    ));
                    continue;
                }
                let Some(Trigger::Every(rec)) = &flow.trigger else {
                    continue;
                };
                let every = match &rec.during {
                    Some(d) => format!("every {} in {d}", rec.every),
                    None => format!("every {}", rec.every),
                };
                let mut entry = DueFlow {
                    doc: p.id.clone(),
                    flow: flow.id.clone(),
                    title: flow.title.best(lang, lang).to_string(),
                    every,
                    problem: None,
                    missing: Vec::new(),
                };
                match recurrence::started_by(p.effective.0, rec, calendar, today) {
                    Err(why) => entry.problem = Some(why),
                    Ok(periods) => {
                        let covered = covered_periods(&p.id, &flow.id)?;
                        entry.missing = periods
                            .into_iter()
                            .filter(|period| !covered.contains(&period.key))
                            .map(|period| DuePeriod {
                                late: today > period.last_day,
                                key: period.key,
                                label: period.label,
                                item: None,
                            })
                            .collect();
                    }
                }
                out.push(entry);
            }
        }
        Ok(out)
    };
    // One reading transaction: every flow is judged against the same state.
    Ok(match store {
        None => judge(None)?,
        Some(store) => transaction(store, false, |s| judge(Some(&*s)))?,
    })
}

/// The item key of a per-item run, read from its stored period (`GA-014@2026-07-01`).
fn item_of(r: &RunRow) -> Option<String> {
    let (item, _) = crate::run::per_item::split_key(r.period.as_deref()?)?;
    Some(item.to_string())
}
