//! Whether the stored runs are what procdoc recorded: every byte a run's meaning depends on
//! is checked against the audit chains, and the store chain against its head.
//!
//! A run means what its events say when replayed through its procedure snapshot, so:
//! - the events must form the run's chain ([`audit::verify`]), which covers who, what and
//!   both times of each;
//! - the snapshot must be the one the start event names (its SHA-256 is sealed into the
//!   first event), so a changed `goto` in the stored procedure is found;
//! - everything the run's row states (revision, fingerprint, snapshot, parent, period,
//!   start time, status, outcome, end, open steps, entry gap) must be what the events
//!   replay to: the row is a cache for listing, never evidence of its own.
//!
//! The store chain links every event of the store in the order they were written; a gap,
//! a changed link or a head that does not match its end shows events removed (a whole
//! run, or a run's last events with its header fixed up). Removing events from the end of
//! the store and fixing the head, or restoring an earlier copy of the database, leaves a
//! consistent but shorter store: only a head written down earlier shows that
//! (`run verify --expect N:HASH`).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::audit::{self, Event, GENESIS, StoreHead};
use super::engine::{Change, Live, RunError, Snapshot, Spec, State, summary};
use super::store::{OpenStep, Provenance, RunId, RunRow, Status, Store, StoredRun};

/// What a missing snapshot is called wherever it is reported.
pub fn missing_snapshot(row: &RunRow) -> String {
    format!(
        "its procedure snapshot {} is missing from the store",
        short(&row.snapshot_hash)
    )
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// Everything found wrong with one stored run, first the most basic; empty when intact.
pub fn check_run(store: &dyn Store, stored: &StoredRun) -> Result<Vec<String>, RunError> {
    let row = &stored.row;
    let mut problems = Vec::new();
    let chain = audit::verify(&row.chain_key(), row.events, &row.head, &stored.events);
    if let Err(t) = &chain {
        problems.push(t.to_string());
    }
    let snapshot = match &stored.snapshot {
        None => {
            problems.push(missing_snapshot(row));
            None
        }
        Some(body) if hex::encode(Sha256::digest(body.as_bytes())) != row.snapshot_hash => {
            problems.push(format!(
                "its procedure snapshot was altered: its SHA-256 is no longer {}",
                short(&row.snapshot_hash)
            ));
            None
        }
        Some(body) => Some(body),
    };
    problems.extend(header_against_start(store, row, &stored.events)?);
    // Replaying needs the snapshot as recorded and events that are the run's own.
    if let (Some(body), Ok(())) = (snapshot, chain) {
        match replayed(row, body, &stored.events) {
            Ok(found) => problems.extend(found),
            Err(why) => problems.push(format!("it cannot be replayed: {why}")),
        }
    }
    Ok(problems)
}

/// [`check_run`] for a run already loaded and replayed.
pub fn check_live(store: &dyn Store, live: &Live) -> Result<Vec<String>, RunError> {
    let stored = StoredRun {
        row: live.row.clone(),
        snapshot: Some(live.snapshot_body.clone()),
        events: live.events.clone(),
    };
    check_run(store, &stored)
}

/// The row's identity and pinning against the start event, which the chain seals.
fn header_against_start(
    store: &dyn Store,
    row: &RunRow,
    events: &[Event],
) -> Result<Vec<String>, RunError> {
    let Some(first) = events.first() else {
        return Ok(vec!["it has no events, not even its start".to_string()]);
    };
    let Ok(Change::Started(started)) = Change::read(first) else {
        return Ok(vec!["its first event is not its start".to_string()]);
    };
    let mut found = Vec::new();
    let mut differs = |what: &str, stored: &str, sealed: &str| {
        if stored != sealed {
            found.push(format!(
                "its stored {what} `{stored}` is not the `{sealed}` its start event recorded"
            ));
        }
    };
    differs("document", &row.doc, &started.doc);
    differs("flow", &row.flow, &started.flow);
    differs("revision", &row.revision, &started.revision);
    differs("fingerprint", &row.fingerprint, &started.fingerprint);
    differs("snapshot", &row.snapshot_hash, &started.snapshot);
    differs("start time", &row.started_at, &first.at);
    differs(
        "period",
        row.period.as_deref().unwrap_or("none"),
        started.period.as_deref().unwrap_or("none"),
    );
    let parent = match row.parent {
        Some(id) => Some(parent_reference(store, id)?),
        None => None,
    };
    differs(
        "parent run",
        parent.as_deref().unwrap_or("none"),
        started.parent.as_ref().map_or("none", |p| p.run.as_str()),
    );
    Ok(found)
}

fn parent_reference(store: &dyn Store, id: RunId) -> Result<String, RunError> {
    Ok(store
        .load(id)?
        .map_or_else(|| format!("(removed run {})", id.0), |p| p.row.reference))
}

/// Replays the run and compares the summary its row keeps with what the events say.
fn replayed(row: &RunRow, body: &str, events: &[Event]) -> Result<Vec<String>, String> {
    let snapshot = Snapshot::decode_shared(body)?;
    let spec = Spec::new(&snapshot, &row.doc, &row.flow)?;
    let state = State::replay(&spec, events)?;
    let mut derived = summary(&spec, &state);
    derived.entry_gap = audit::largest_entry_gap(events);
    let mut found = Vec::new();
    let mut differs = |what: &str, stored: String, replayed: String| {
        if stored != replayed {
            found.push(format!(
                "its stored {what} `{stored}` is not the `{replayed}` its events replay to"
            ));
        }
    };
    let status = |s: Status| super::record::status_word(s).to_string();
    let none = || "none".to_string();
    differs("status", status(row.status), status(derived.status));
    differs(
        "outcome",
        row.outcome.clone().unwrap_or_else(none),
        derived.outcome.clone().unwrap_or_else(none),
    );
    differs(
        "end time",
        row.ended_at.clone().unwrap_or_else(none),
        derived.ended_at.clone().unwrap_or_else(none),
    );
    differs("open steps", open_text(&row.open), open_text(&derived.open));
    differs(
        "entry gap",
        row.entry_gap.map_or_else(none, |g| g.to_string()),
        derived.entry_gap.map_or_else(none, |g| g.to_string()),
    );
    // Not known yet (open at the upgrade to schema 6) only makes the views replay the run;
    // any other moment that is not the replay's would hide its timeouts from them.
    let unknown = row.status == Status::Open
        && row.changes_at.as_deref() == Some(super::store::CHANGES_UNKNOWN);
    if !unknown {
        differs(
            "moment it next changes",
            row.changes_at.clone().unwrap_or_else(none),
            derived.changes_at.clone().unwrap_or_else(none),
        );
    }
    Ok(found)
}

fn open_text(open: &[OpenStep]) -> String {
    let mut items: Vec<String> = open
        .iter()
        .map(|o| {
            format!(
                "{}:{}:{}",
                o.step.as_deref().unwrap_or("(flow)"),
                o.dept.as_deref().unwrap_or("-"),
                o.due.as_deref().unwrap_or("-")
            )
        })
        .collect();
    items.sort();
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// The store chain as found: its head recomputed from the events, the links by place,
/// and what does not fit.
#[derive(Debug, Clone)]
pub struct StoreChain {
    /// The head as the events give it (the last place and its link).
    pub head: StoreHead,
    /// The head the store recorded; `None` for a schema 1 database read as it is.
    pub recorded: Option<StoreHead>,
    pub problems: Vec<String>,
    links: BTreeMap<u64, String>,
    pub provenance: Provenance,
    /// Events without an entry time (written before schema 2).
    pub without_entry_time: usize,
}

/// Checks the store chain through every event, and the recorded head against its end.
pub fn check_store(store: &dyn Store) -> Result<StoreChain, RunError> {
    let entries = store.entries()?;
    let recorded = store.head()?;
    let runs: BTreeMap<RunId, RunRow> = store
        .list(&Default::default())?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut problems = Vec::new();
    let mut links = BTreeMap::new();
    let mut prev = GENESIS.to_string();
    let mut expected = 1;
    for e in &entries {
        if e.pos > expected {
            problems.push(missing(expected, e.pos - 1, "removed"));
        }
        let computed = audit::link(&prev, e.pos, &e.hash);
        match &e.link {
            Some(stored) if *stored != computed => problems.push(format!(
                "store entry #{} (event #{} of {}) does not follow the entry before it: it was altered, or entries before it were removed",
                e.pos,
                e.n,
                runs.get(&e.run)
                    .map_or_else(|| format!("removed run {}", e.run.0), |r| r.reference.clone())
            )),
            _ => {}
        }
        if !runs.contains_key(&e.run) {
            problems.push(format!(
                "store entry #{} is event #{} of a run that was removed (run {})",
                e.pos, e.n, e.run.0
            ));
        }
        // Go on from the link as stored, so that one change is reported once.
        prev = e.link.clone().unwrap_or(computed);
        links.insert(e.pos, prev.clone());
        expected = e.pos + 1;
    }
    let head = StoreHead {
        count: expected - 1,
        link: prev,
    };
    if let Some(rec) = &recorded {
        if rec.count > head.count {
            problems.push(missing(
                head.count + 1,
                rec.count,
                "removed from the end of the store",
            ));
        } else if rec.count < head.count {
            problems.push(format!(
                "store entries #{}..#{} are beyond the recorded store head (#{}): they were added outside procdoc, or the head was reset",
                rec.count + 1,
                head.count,
                rec.count
            ));
        } else if rec.link != head.link {
            problems.push(
                "the store head does not match the store's last entry: it was altered".to_string(),
            );
        }
    }
    let without_entry_time = entries.iter().filter(|e| !e.entered).count();
    Ok(StoreChain {
        head,
        recorded,
        problems,
        links,
        provenance: store.provenance()?,
        without_entry_time,
    })
}

fn missing(from: u64, to: u64, how: &str) -> String {
    if from == to {
        format!("store entry #{from} is missing: an event was {how}")
    } else {
        format!("store entries #{from}..#{to} are missing: events were {how}")
    }
}

impl StoreChain {
    /// Compares the store with a head written down earlier: every entry up to it must be
    /// there unchanged. `Ok` says how many entries were added since.
    pub fn expect(&self, earlier: &StoreHead) -> Result<u64, String> {
        if earlier.count == 0 {
            return Ok(self.head.count);
        }
        if earlier.count > self.head.count {
            return Err(format!(
                "the store holds {} entries, fewer than the {} of the head written down: entries were removed, or the database was replaced by an earlier copy",
                self.head.count, earlier.count
            ));
        }
        match self.links.get(&earlier.count) {
            None => Err(format!(
                "store entry #{} of the head written down is missing: events were removed",
                earlier.count
            )),
            Some(link) if *link != earlier.link => Err(format!(
                "the store's entries up to #{} are not those of the head written down: events were altered or removed, or the database was replaced",
                earlier.count
            )),
            Some(_) => Ok(self.head.count - earlier.count),
        }
    }

    /// Plain statements of what the chains cannot vouch for in an older database.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.recorded.is_none() {
            notes.push(format!(
                "this database has schema {} and was only read: its store chain was computed now from the events it holds; the next change made with this procdoc upgrades it and records the chain",
                self.provenance.schema
            ));
        }
        if let Some((count, at)) = &self.provenance.upgraded {
            notes.push(format!(
                "the store chain was added when the database was upgraded ({at}): its first {count} entries were chained as they were then, so changes to them before that cannot be shown"
            ));
        }
        if self.without_entry_time > 0 {
            notes.push(format!(
                "{} event{} {} recorded before procdoc kept entry times: when {} entered is unknown",
                self.without_entry_time,
                if self.without_entry_time == 1 { "" } else { "s" },
                if self.without_entry_time == 1 { "was" } else { "were" },
                if self.without_entry_time == 1 { "it was" } else { "they were" },
            ));
        }
        notes
    }
}
