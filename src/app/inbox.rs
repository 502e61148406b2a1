//! The inbox of a set of departments: every active step of every open run whose `by`
//! includes one of them, overdue first, then by due time. Titles and deadlines come from
//! each run's own snapshot (the revision it is pinned to), not from the QMS folder.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Refusal, transaction};
use crate::run::clock;
use crate::run::engine::{self, RunError, Snapshot, Spec, State};
use crate::run::record::Stamp;
use crate::run::store::{Filter, RunId, Status, Store};
use crate::spec::text::Text;

/// One step waiting for one of the departments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxItem {
    pub reference: String,
    pub doc: String,
    /// The procedure's title (primary language of the run's snapshot).
    pub doc_title: String,
    pub revision: String,
    pub flow: String,
    pub flow_title: String,
    pub step: String,
    pub step_title: String,
    /// The step's `by`, all of it.
    pub by: Vec<String>,
    /// Those of the departments asked about that may complete it.
    pub depts: Vec<String>,
    /// When the step became active (this iteration), on the company calendar.
    pub active_since: Stamp,
    pub due: Option<Stamp>,
    /// The deadline as a moment, for ordering items of runs in different time zones.
    #[serde(skip)]
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// How late (`3 h`, `2 d`) when overdue.
    pub late_by: Option<String>,
    /// The step needs a decision (`--outcome`).
    pub decision: bool,
}

/// The inbox: its items in order, and the moment it was judged at.
#[derive(Debug, Clone, Serialize)]
pub struct Inbox {
    pub items: Vec<InboxItem>,
    pub at: DateTime<Utc>,
}

impl Inbox {
    /// How many of the items are overdue.
    pub fn overdue(&self) -> usize {
        self.items.iter().filter(|i| i.overdue).count()
    }
}

/// The inbox of `depts` (department codes, e.g. `CS`, `QA`) at `now`, in one reading
/// transaction; `store` is `None` when no run was ever started. Refused about input
/// `depts` when none is given. Order: overdue first, then by due time (earliest first,
/// steps without a deadline last), then by reference and step.
pub fn inbox(
    store: Option<&mut dyn Store>,
    depts: &[String],
    now: DateTime<Utc>,
) -> Result<Inbox, Refusal> {
    inbox_in(store, depts, now, None)
}

/// [`inbox`] with the titles in `lang` where the run's snapshot has them (its primary
/// language otherwise, and when `lang` is `None`).
pub fn inbox_in(
    store: Option<&mut dyn Store>,
    depts: &[String],
    now: DateTime<Utc>,
    lang: Option<&str>,
) -> Result<Inbox, Refusal> {
    let wanted: BTreeSet<&str> = depts
        .iter()
        .map(|d| d.trim())
        .filter(|d| !d.is_empty())
        .collect();
    if wanted.is_empty() {
        return Err(Refusal::invalid(
            "depts",
            "give at least one department, e.g. --dept CS",
        ));
    }
    let mut items = match store {
        None => Vec::new(),
        Some(store) => transaction(store, false, |s| collect(s, &wanted, now, lang))?,
    };
    items.sort_by(|a, b| {
        (
            !a.overdue,
            a.due_at.is_none(),
            a.due_at,
            &a.reference,
            &a.step,
        )
            .cmp(&(
                !b.overdue,
                b.due_at.is_none(),
                b.due_at,
                &b.reference,
                &b.step,
            ))
    });
    Ok(Inbox { items, at: now })
}

fn collect(
    store: &dyn Store,
    wanted: &BTreeSet<&str>,
    now: DateTime<Utc>,
    lang: Option<&str>,
) -> Result<Vec<InboxItem>, RunError> {
    // The store's summary says which open runs have a step of these departments; only
    // those are replayed.
    let mut runs: BTreeSet<RunId> = BTreeSet::new();
    for dept in wanted {
        let filter = Filter {
            status: Some(Status::Open),
            dept: Some(dept.to_string()),
            ..Default::default()
        };
        runs.extend(store.list(&filter)?.into_iter().map(|r| r.id));
    }
    // Runs of one revision share a snapshot: read each once.
    let mut snapshots: BTreeMap<String, Snapshot> = BTreeMap::new();
    let mut items = Vec::new();
    for id in runs {
        let Some(stored) = store.load(id)? else {
            continue;
        };
        let corrupt = |message: String| RunError::Corrupt {
            reference: stored.row.reference.clone(),
            message,
        };
        if !snapshots.contains_key(&stored.row.snapshot_hash) {
            let Some(body) = &stored.snapshot else {
                return Err(corrupt(crate::run::integrity::missing_snapshot(
                    &stored.row,
                )));
            };
            let snapshot = Snapshot::decode(body).map_err(corrupt)?;
            snapshots.insert(stored.row.snapshot_hash.clone(), snapshot);
        }
        let Some(snapshot) = snapshots.get(&stored.row.snapshot_hash) else {
            continue;
        };
        let spec = Spec::new(snapshot, &stored.row.doc, &stored.row.flow).map_err(corrupt)?;
        let state = State::replay(&spec, &stored.events).map_err(corrupt)?;
        if state.ended.is_some() {
            continue;
        }
        let text = |t: &Text| match lang {
            Some(lang) => t.best(lang, spec.lang()).to_string(),
            None => spec.text(t).to_string(),
        };
        let tz = spec.tz();
        let stamp = |t: DateTime<Utc>| Stamp {
            iso: clock::iso(t, tz),
            local: clock::show(t, tz),
        };
        for s in spec.net.active(&state.marking) {
            let step = spec.step(s);
            let depts: Vec<String> = step
                .by
                .iter()
                .filter(|b| wanted.contains(b.as_str()))
                .cloned()
                .collect();
            if depts.is_empty() {
                continue;
            }
            let Some(iteration) = state.steps[s].last() else {
                continue;
            };
            let due = engine::due(&spec, &state, s, iteration);
            let overdue = due.is_some_and(|d| now > d);
            items.push(InboxItem {
                reference: stored.row.reference.clone(),
                doc: stored.row.doc.clone(),
                doc_title: text(&spec.procedure.title),
                revision: stored.row.revision.clone(),
                flow: stored.row.flow.clone(),
                flow_title: text(&spec.flow.title),
                step: step.id.clone(),
                step_title: step.title.as_ref().map_or_else(|| step.id.clone(), text),
                by: step.by.iter().cloned().collect(),
                depts,
                active_since: stamp(iteration.activated_at),
                due: due.map(stamp),
                due_at: due,
                overdue,
                late_by: due.filter(|_| overdue).map(|d| engine::lateness(d, now)),
                decision: step.decision.is_some(),
            });
        }
    }
    Ok(items)
}
