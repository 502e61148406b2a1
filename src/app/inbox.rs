//! The inbox of a set of departments: every active step of every open run whose `by`
//! includes one of them, or that one of them records on a party's behalf (a customer's or
//! supplier's step, [`super::sign::eligible_for`]), overdue first, then by due time.
//! Titles and deadlines come from each run's own snapshot (the revision it is pinned to),
//! not from the QMS folder.

use std::collections::HashMap;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sign::eligible_for;
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
    /// Those of the departments asked about whose own work it is (they may complete it):
    /// for a party's step, those that record it on the party's behalf. Empty when it is
    /// listed only by its escalation (see `escalated_to`).
    pub depts: Vec<String>,
    /// The party (e.g. `CUSTOMER`) the step is recorded for, when it is a party's step.
    pub on_behalf: Option<String>,
    /// When the step became active (this iteration), on the company calendar.
    pub active_since: Stamp,
    /// The step's own deadline (`within`); an escalation is not one.
    pub due: Option<Stamp>,
    /// The deadline as a moment, for ordering items of runs in different time zones.
    #[serde(skip)]
    pub due_at: Option<DateTime<Utc>>,
    /// Its own deadline has passed.
    pub overdue: bool,
    /// How late (`3 h`, `2 d`) when overdue.
    pub late_by: Option<String>,
    /// The step needs a decision (`--outcome`).
    pub decision: bool,
    /// The departments asked about it is listed for by its escalation (those of
    /// `escalate.to` not among `depts`), once escalated; empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escalated_to: Vec<String>,
    /// Once the step is escalated: from when; absent before, and on steps without
    /// `escalate`. An item listed only by its escalation shows from then on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalated_from: Option<Stamp>,
    /// Once escalated: every department of `escalate.to`, whoever asks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escalation: Vec<String>,
    #[serde(skip)]
    pub escalated_at: Option<DateTime<Utc>>,
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

    /// How many of the items are escalated.
    pub fn escalated(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.escalated_from.is_some())
            .count()
    }
}

/// The inbox of `depts` (department codes, e.g. `CS`, `QA`) at `now`, in one reading
/// transaction; `store` is `None` when no run was ever started. `parties` are the party
/// codes (procdoc.yaml's `parties`) whose steps are looked at for steps these departments
/// record on a party's behalf; which of them they may record is read from each run's own
/// revision. Refused about input `depts` when none is given. Order: overdue first, then by
/// due time (earliest first, steps without a deadline last), then by reference and step.
pub fn inbox(
    store: Option<&mut dyn Store>,
    depts: &[String],
    parties: &[String],
    now: DateTime<Utc>,
) -> Result<Inbox, Refusal> {
    inbox_in(store, depts, parties, now, None)
}

/// [`inbox`] with the titles in `lang` where the run's snapshot has them (its primary
/// language otherwise, and when `lang` is `None`).
pub fn inbox_in(
    store: Option<&mut dyn Store>,
    depts: &[String],
    parties: &[String],
    now: DateTime<Utc>,
    lang: Option<&str>,
) -> Result<Inbox, Refusal> {
    inbox_kept(store, depts, parties, now, lang, None)
}

/// Inboxes as last collected, for a process that answers many requests (the server). What
/// steps are active, and their deadlines, change only with the store: an inbox collected at
/// one store head (event count and last link) holds until the head moves. Only "overdue"
/// and "how late" depend on the clock, and those are judged again at every request.
#[derive(Default)]
pub struct InboxMemo {
    kept: Mutex<HashMap<MemoKey, Kept>>,
    /// Held while an inbox is collected into the memo.
    collecting: Mutex<()>,
}

/// The departments asked about, the party codes and the language of the titles.
type MemoKey = (BTreeSet<String>, Vec<String>, Option<String>);
/// An inbox's items as collected, with the store head they were collected at and the
/// moments they hold for (see [`Collected`]).
type Kept = (String, Collected);

impl InboxMemo {
    /// Inboxes of more sets of departments than this are not all kept: the memo starts
    /// afresh rather than grow with every combination ever asked for.
    const KEPT: usize = 256;

    fn get(&self, key: &MemoKey, head: &str, now: DateTime<Utc>) -> Option<Arc<Vec<InboxItem>>> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.get(key)
            .filter(|(at, c)| at == head && c.holds_at(now))
            .map(|(_, c)| Arc::clone(&c.items))
    }

    fn put(&self, key: MemoKey, head: String, collected: &Collected) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() >= Self::KEPT && !kept.contains_key(&key) {
            kept.clear();
        }
        kept.insert(key, (head, collected.clone()));
    }
}

/// [`inbox_in`], answered from `memo` when the store has not changed since the same inbox
/// was last collected into it (see [`InboxMemo`]).
pub fn inbox_kept(
    store: Option<&mut dyn Store>,
    depts: &[String],
    parties: &[String],
    now: DateTime<Utc>,
    lang: Option<&str>,
    memo: Option<&InboxMemo>,
) -> Result<Inbox, Refusal> {
    let items = kept_items(store, depts, parties, now, lang, memo)?;
    let mut items: Vec<InboxItem> = items
        .iter()
        .filter(|item| item.shown_at(now))
        .map(|item| judged(item, now))
        .collect();
    // Overdue first, then escalated, then by deadline.
    items.sort_by(|a, b| {
        (
            !a.overdue,
            a.escalated_from.is_none(),
            a.due_at.is_none(),
            a.due_at,
            &a.reference,
            &a.step,
        )
            .cmp(&(
                !b.overdue,
                b.escalated_from.is_none(),
                b.due_at.is_none(),
                b.due_at,
                &b.reference,
                &b.step,
            ))
    });
    Ok(Inbox { items, at: now })
}

/// How many items [`inbox_kept`] would list at `now`, without judging or sorting them.
pub fn inbox_count_kept(
    store: Option<&mut dyn Store>,
    depts: &[String],
    parties: &[String],
    now: DateTime<Utc>,
    lang: Option<&str>,
    memo: Option<&InboxMemo>,
) -> Result<usize, Refusal> {
    let items = kept_items(store, depts, parties, now, lang, memo)?;
    Ok(items.iter().filter(|item| item.shown_at(now)).count())
}

/// The items of an inbox as collected at one moment, and the moments they hold for.
#[derive(Clone)]
struct Collected {
    items: Arc<Vec<InboxItem>>,
    /// The latest timeout not yet recorded that the items take: before it they differ.
    since: Option<DateTime<Utc>>,
    /// The next moment a timeout of one of the runs falls due: the runs change then.
    until: Option<DateTime<Utc>>,
}

impl Collected {
    /// Whether the items are the inbox at `now` as well (the store unchanged).
    fn holds_at(&self, now: DateTime<Utc>) -> bool {
        self.since.is_none_or(|s| s <= now) && self.until.is_none_or(|u| now < u)
    }
}

/// The inbox's items as collected at `now` (not yet judged by the clock): from `memo` when
/// the store has not changed since they were kept and no timeout has fallen due since.
fn kept_items(
    store: Option<&mut dyn Store>,
    depts: &[String],
    parties: &[String],
    now: DateTime<Utc>,
    lang: Option<&str>,
    memo: Option<&InboxMemo>,
) -> Result<Arc<Vec<InboxItem>>, Refusal> {
    let wanted: BTreeSet<&str> = depts
        .iter()
        .map(|d| d.trim())
        .filter(|d| !d.is_empty())
        .collect();
    if wanted.is_empty() {
        return Err(crate::run::engine::RunError::usage_at(
            "depts",
            "give at least one department",
        )
        .into());
    }
    let Some(store) = store else {
        return Ok(Arc::new(Vec::new()));
    };
    Ok(transaction(store, false, |s| {
        // A database of schema 1 read as it is has no head: nothing is kept for it.
        let head = s.head()?.map(|h| format!("{}:{}", h.count, h.link));
        let (Some(memo), Some(head)) = (memo, head) else {
            return Ok(collect(s, &wanted, parties, now, lang)?.items);
        };
        let key: MemoKey = (
            wanted.iter().map(|d| d.to_string()).collect(),
            parties.to_vec(),
            lang.map(str::to_string),
        );
        if let Some(items) = memo.get(&key, &head, now) {
            return Ok(items);
        }
        // One collection at a time: requests that find the memo stale together wait for
        // the first to collect, instead of all replaying the same runs at once.
        let _turn = memo.collecting.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(items) = memo.get(&key, &head, now) {
            return Ok(items);
        }
        let collected = collect(s, &wanted, parties, now, lang)?;
        memo.put(key, head, &collected);
        Ok(collected.items)
    })?)
}

impl InboxItem {
    /// Listed for the departments asked about at `now`: as their own work, or by its
    /// escalation from the moment it is escalated.
    fn shown_at(&self, now: DateTime<Utc>) -> bool {
        !self.depts.is_empty() || self.escalated_at.is_some_and(|e| e <= now)
    }
}

/// The item as it stands at `now`: overdue, and by how much, once its own deadline has
/// passed; escalated once the escalation moment has come.
fn judged(item: &InboxItem, now: DateTime<Utc>) -> InboxItem {
    let overdue = item.due_at.is_some_and(|d| now > d);
    let escalated = item.escalated_at.is_some_and(|e| e <= now);
    InboxItem {
        escalated_to: if escalated {
            item.escalated_to.clone()
        } else {
            Vec::new()
        },
        escalation: if escalated {
            item.escalation.clone()
        } else {
            Vec::new()
        },
        escalated_from: item.escalated_from.clone().filter(|_| escalated),
        overdue,
        late_by: item
            .due_at
            .filter(|_| overdue)
            .map(|d| engine::lateness(d, now)),
        ..item.clone()
    }
}

/// The active steps of the departments' open runs as they stand at `now` (with the
/// timeouts fallen due by then, recorded or not), not yet judged against the clock.
fn collect(
    store: &dyn Store,
    wanted: &BTreeSet<&str>,
    parties: &[String],
    now: DateTime<Utc>,
    lang: Option<&str>,
) -> Result<Collected, RunError> {
    // The store's summary says which open runs have a step of these departments or of a
    // party; only those are replayed.
    let mut runs: BTreeSet<RunId> = BTreeSet::new();
    let codes = wanted
        .iter()
        .copied()
        .chain(parties.iter().map(String::as_str));
    for dept in codes.collect::<BTreeSet<&str>>() {
        let filter = Filter {
            status: Some(Status::Open),
            dept: Some(dept.to_string()),
            ..Default::default()
        };
        runs.extend(store.list(&filter)?.into_iter().map(|r| r.id));
    }
    // A timeout not yet recorded may have made a step of theirs active that the summary
    // does not show yet, and an escalation may have made one theirs.
    runs.extend(super::as_of::changed_ids(store, &Filter::default(), now)?);
    // Runs of one revision share a snapshot, and runs of one flow its resolved spec (graph,
    // net, calendar): each is decoded or built once, not once a run.
    let mut snapshots: BTreeMap<String, Arc<Snapshot>> = BTreeMap::new();
    let mut loaded = Vec::new();
    for id in runs {
        let Some(stored) = store.load(id)? else {
            continue;
        };
        if !snapshots.contains_key(&stored.row.snapshot_hash) {
            let corrupt = |message: String| RunError::Corrupt {
                reference: stored.row.reference.clone(),
                message,
            };
            let Some(body) = &stored.snapshot else {
                return Err(corrupt(crate::run::integrity::missing_snapshot(
                    &stored.row,
                )));
            };
            let snapshot = Snapshot::decode_shared(body).map_err(corrupt)?;
            snapshots.insert(stored.row.snapshot_hash.clone(), snapshot);
        }
        loaded.push(stored);
    }
    let mut specs: BTreeMap<(&str, &str, &str), Spec> = BTreeMap::new();
    let mut items = Vec::new();
    let mut until: Option<DateTime<Utc>> = None;
    let mut since: Option<DateTime<Utc>> = None;
    for stored in &loaded {
        let corrupt = |message: String| RunError::Corrupt {
            reference: stored.row.reference.clone(),
            message,
        };
        let row = &stored.row;
        let key = (
            row.snapshot_hash.as_str(),
            row.doc.as_str(),
            row.flow.as_str(),
        );
        let spec = match specs.entry(key) {
            Entry::Occupied(found) => found.into_mut(),
            Entry::Vacant(place) => {
                let Some(snapshot) = snapshots.get(&row.snapshot_hash) else {
                    continue;
                };
                place.insert(Spec::new(snapshot, &row.doc, &row.flow).map_err(corrupt)?)
            }
        };
        let spec: &Spec = spec;
        let state = State::replay(spec, &stored.events).map_err(corrupt)?;
        let (state, pending) =
            crate::run::timeouts::as_of(spec, &state, stored.row.events, now).map_err(corrupt)?;
        if let Some(last) = pending.iter().map(|p| p.at).max() {
            since = Some(since.map_or(last, |s| s.max(last)));
        }
        if let Some(next) = crate::run::timeouts::next_change(spec, &state, now) {
            until = Some(until.map_or(next, |u| u.min(next)));
        }
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
            // On a step signed by several departments, only those still to sign have work.
            let left = crate::run::joint::still_to_sign(spec, &state, s);
            let eligible: Vec<_> = eligible_for(spec, s, &|code| wanted.contains(code))
                .into_iter()
                .filter(|e| left.contains(&e.code))
                .collect();
            let own: Vec<String> = eligible
                .iter()
                .filter(|e| !e.on_behalf)
                .map(|e| e.code.clone())
                .collect();
            // A step is its own departments' work first; a party's step is the work of the
            // departments that record it for the party.
            let (depts, on_behalf) = match eligible.iter().find(|e| e.on_behalf) {
                Some(party) if own.is_empty() => {
                    let recorders: BTreeSet<&String> = party.through.iter().collect();
                    let recorders = recorders.into_iter().cloned().collect();
                    (recorders, Some(party.code.clone()))
                }
                _ => (own, None),
            };
            let Some(iteration) = state.steps[s].last() else {
                continue;
            };
            let escalation = crate::run::timeouts::escalation_due(spec, s, iteration);
            let escalated_to: Vec<String> = escalation
                .iter()
                .flat_map(|(_, to)| to.iter())
                .filter(|d| wanted.contains(d.as_str()) && !depts.contains(d))
                .cloned()
                .collect();
            let escalated_at = escalation.as_ref().map(|(at, _)| *at);
            if depts.is_empty() && escalated_to.is_empty() {
                continue;
            }
            let due = engine::due(spec, &state, s, iteration);
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
                overdue: false,
                late_by: None,
                decision: step.decision.is_some(),
                on_behalf,
                escalated_from: escalated_at.map(stamp),
                escalated_at,
                escalation: escalation.map(|(_, to)| to).unwrap_or_default(),
                escalated_to,
            });
        }
    }
    Ok(Collected {
        items: Arc::new(items),
        since,
        until,
    })
}
