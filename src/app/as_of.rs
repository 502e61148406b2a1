//! Which open runs may stand otherwise now than the store's summary of them says: those
//! with a step whose timeout or escalation has fallen due. A timeout that fell due is
//! recorded only by the next writing command (or `run tick`, or the server's job), so until
//! then the summary still shows the timed-out step open and not the step it leads to; an
//! escalation is never recorded. The views that only read replay these runs and take the
//! timeouts in memory ([`crate::run::timeouts::as_of`]); the store finds them by an index
//! on the moment each run next changes ([`crate::run::store::Summary::changes_at`]).

use chrono::{DateTime, Utc};

use crate::run::clock;
use crate::run::engine::RunError;
use crate::run::store::{Filter, RunId, RunRow, Status, Store};

/// The open runs `filter` selects (its `dept` and overdue conditions aside) that may stand
/// otherwise at `now` than their summary says.
pub(super) fn changed_by(
    store: &dyn Store,
    filter: &Filter,
    now: DateTime<Utc>,
) -> Result<Vec<RunRow>, RunError> {
    Ok(store.list(&Filter {
        status: Some(Status::Open),
        dept: None,
        overdue_at: None,
        changes_by: Some(clock::stamp(now)),
        ..filter.clone()
    })?)
}

/// Whether the open run `row` has a step whose timeout or escalation is still to fall due,
/// or has fallen due (or it is not known): its summary alone does not say how it stands.
pub(super) fn changes_with_time(row: &RunRow) -> bool {
    row.status == Status::Open && row.changes_at.is_some()
}

/// The ids of [`changed_by`]'s runs.
pub(super) fn changed_ids(
    store: &dyn Store,
    filter: &Filter,
    now: DateTime<Utc>,
) -> Result<Vec<RunId>, RunError> {
    Ok(changed_by(store, filter, now)?
        .into_iter()
        .map(|r| r.id)
        .collect())
}
