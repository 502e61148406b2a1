//! Which open runs may stand otherwise now than the store's summary of them says: those of a
//! flow with a step that times out. A timeout that fell due is recorded only by the next
//! writing command (or `run tick`, or the server's job), so until then the summary still
//! shows the timed-out step open and not the step it leads to; the views that only read
//! replay these runs and take the timeouts in memory ([`crate::run::timeouts::as_of`]).

use std::collections::BTreeMap;

use crate::run::engine::{RunError, Snapshot, Spec};
use crate::run::store::{RunId, RunRow, Status, Store};

/// The open runs among `rows` whose flow has a step with a timeout. One run of each
/// revision and flow is loaded to read its snapshot; the others are judged by it.
pub(super) fn with_timeouts(store: &dyn Store, rows: &[RunRow]) -> Result<Vec<RunId>, RunError> {
    let mut groups: BTreeMap<(&str, &str, &str), Vec<&RunRow>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.status == Status::Open) {
        groups
            .entry((
                row.snapshot_hash.as_str(),
                row.doc.as_str(),
                row.flow.as_str(),
            ))
            .or_default()
            .push(row);
    }
    let mut out = Vec::new();
    for ((_, doc, flow), group) in groups {
        let Some(stored) = store.load(group[0].id)? else {
            continue;
        };
        let Some(body) = &stored.snapshot else {
            continue;
        };
        let corrupt = |message: String| RunError::Corrupt {
            reference: stored.row.reference.clone(),
            message,
        };
        let snapshot = Snapshot::decode_shared(body).map_err(corrupt)?;
        let spec = Spec::new(&snapshot, doc, flow).map_err(corrupt)?;
        if (0..spec.graph.len()).any(|i| spec.step(i).timeout.is_some()) {
            out.extend(group.iter().map(|r| r.id));
        }
    }
    Ok(out)
}
