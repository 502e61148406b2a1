//! Taking the timeouts of steps (`timeout:`) that fell due: before any command on a run
//! ([`take_for_run`]), over every open run (`procdoc run tick`, the server's schedule:
//! [`tick`]). Each timeout is recorded at the moment it fell due, whoever notices it; the
//! rule is in [`crate::run::timeouts`].

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Refusal, transaction};
use crate::run::engine::{self, RunError};
use crate::run::store::{CHANGES_UNKNOWN, Filter, RunId, Store};
use crate::run::timeouts;

/// What a tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ticked {
    /// Open runs looked at: those whose next timeout or escalation had come (or was not
    /// known), found by the store's index.
    pub runs: usize,
    /// Timeouts recorded, over all runs.
    pub timeouts: usize,
    /// One line per timeout (`run R: step S timed out at ...`), in the order taken.
    pub notes: Vec<String>,
}

/// Records the timeouts of the run `id` that fell due by `now`, in a transaction of its
/// own, so that they stay recorded even when the command that noticed them is refused.
/// Returns the notes of the timeouts taken (none when nothing was due).
pub(super) fn take_for_run(
    store: &mut dyn Store,
    id: RunId,
    now: DateTime<Utc>,
) -> Result<Vec<String>, RunError> {
    // Read first: most commands find nothing due and need no write lock for it.
    let due = transaction(store, false, |s| {
        let live = engine::open_run(s, id)?;
        let spec = live.spec()?;
        Ok(timeouts::next_due(&spec, &live.state, now).is_some())
    })?;
    if !due {
        return Ok(Vec::new());
    }
    transaction(store, true, |s| {
        let mut live = engine::open_for_change(s, id)?;
        let mut notes = Vec::new();
        timeouts::take_due(s, &mut live, now, &mut notes)?;
        Ok(notes)
    })
}

/// Records the timeouts of the run named `reference` (of `flow`, when given) that fell due
/// by the command's moment (`at` as typed, else now; see [`crate::run::clock::now`]); see
/// [`take_for_run`]. An unknown run or an unreadable `at` takes nothing: the command itself
/// says why.
pub(super) fn take_for_reference(
    store: &mut dyn Store,
    reference: &str,
    flow: Option<&str>,
    at: Option<&str>,
) -> Result<Vec<String>, RunError> {
    let found = transaction(store, false, |s| {
        let row = engine::find(s, reference, flow)?;
        let live = engine::open_run(s, row.id)?;
        let spec = live.spec()?;
        let now = crate::run::clock::now(at, spec.tz()).map_err(RunError::Usage)?;
        Ok((row.id, now))
    });
    match found {
        Ok((id, now)) => take_for_run(store, id, now),
        Err(_) => Ok(Vec::new()),
    }
}

/// Works out and stores the moment the run `id` next changes by time alone, when the store
/// did not know it (the run was open when the database was upgraded to schema 6), so that
/// it stops being replayed by every view until then.
fn learn_changes_at(store: &mut dyn Store, id: RunId) -> Result<(), RunError> {
    transaction(store, true, |s| {
        let live = engine::open_run(s, id)?;
        let spec = live.spec()?;
        let at = timeouts::changes_at(&spec, &live.state).map(crate::run::clock::stamp);
        s.learn_changes_at(id, at.as_deref())?;
        Ok(())
    })
}

/// Records every timeout of every open run that fell due by `now` (UTC), each at the moment
/// it fell due, one run per transaction. A run whose audit trail is broken is refused as on
/// any change, and the tick stops there with that refusal.
pub fn tick(store: &mut dyn Store, now: DateTime<Utc>) -> Result<Ticked, Refusal> {
    // Only runs whose next timeout or escalation has come can have one to take; the store
    // finds them by an index, however many runs are open.
    let rows = transaction(store, false, |s| {
        super::as_of::changed_by(&*s, &Filter::default(), now)
    })?;
    let mut ticked = Ticked {
        runs: rows.len(),
        ..Ticked::default()
    };
    for row in rows {
        if row.changes_at.as_deref() == Some(CHANGES_UNKNOWN) {
            learn_changes_at(store, row.id)?;
        }
        let notes = take_for_run(store, row.id, now)?;
        ticked.timeouts += notes.len();
        ticked.notes.extend(
            notes
                .into_iter()
                .map(|n| format!("run {}: {n}", row.reference)),
        );
    }
    Ok(ticked)
}
