//! Verifying runs against their audit chains, snapshots and starts, and the store chain
//! through every event.

use super::{Refusal, RunRef, StoreHead, transaction};
use crate::run::attachments::{self, Attachments};
use crate::run::engine;
use crate::run::engine::RunError;
use crate::run::integrity::{self, StoreChain};
use crate::run::store::Filter;

/// What verification found. Findings are not a refusal: the report is the result.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Runs checked.
    pub runs: usize,
    /// Their events.
    pub events: usize,
    /// Each finding, `REF (DOC/FLOW): problem` or `store: problem`; empty when every
    /// chain is intact (and the expected head, if any, is still held).
    pub findings: Vec<String>,
    /// The store head now, to be written down.
    pub head: StoreHead,
    /// The head the request expected, when given.
    pub expected: Option<Expected>,
    /// What the reader should know about how the store came to hold its chain.
    pub notes: Vec<String>,
}

/// A head written down earlier, and whether the store still holds it.
#[derive(Debug, Clone)]
pub struct Expected {
    pub head: StoreHead,
    /// Entries added since, when the store holds every entry up to it unchanged; `None`
    /// when it does not (a finding says why).
    pub added: Option<u64>,
}

impl Verification {
    /// Nothing was found.
    pub fn intact(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checks one run (or every run when `run` is `None`) and the store chain, in one reading
/// transaction, and that the store holds every attached file with the bytes its event
/// records; with `expect`, also that the store still holds every entry up to that head.
pub fn verify(
    store: &mut dyn Attachments,
    run: Option<&RunRef>,
    expect: Option<StoreHead>,
) -> Result<Verification, Refusal> {
    let examined = transaction(store, false, |s| examine(s, run))?;
    Ok(report(examined, expect))
}

/// [`verify`] of every run and the store chain inside the caller's transaction: for an
/// operation that must see its own writes checked before it commits them (`copy_store`).
pub(super) fn verify_within(store: &dyn Attachments) -> Result<Verification, RunError> {
    Ok(report(examine(store, None)?, None))
}

/// Runs checked, their events, the runs' findings, and the store chain.
type Examined = (usize, usize, Vec<String>, StoreChain);

fn examine(s: &dyn Attachments, run: Option<&RunRef>) -> Result<Examined, RunError> {
    let rows = match run {
        Some(r) => vec![engine::find(s, &r.reference, r.flow.as_deref())?],
        None => s.list(&Filter::default())?,
    };
    let mut events = 0;
    let mut findings = Vec::new();
    for row in &rows {
        let Some(stored) = s.load(row.id)? else {
            continue;
        };
        events += stored.events.len();
        let problems = integrity::check_run(s, &stored)?
            .into_iter()
            .chain(attachments::check_run(s, &stored)?);
        for problem in problems {
            findings.push(format!(
                "{} ({}/{}): {problem}",
                row.reference, row.doc, row.flow
            ));
        }
    }
    Ok((rows.len(), events, findings, integrity::check_store(s)?))
}

fn report(
    (runs, events, mut findings, chain): Examined,
    expect: Option<StoreHead>,
) -> Verification {
    findings.extend(chain.problems.iter().map(|p| format!("store: {p}")));
    let expected = expect.map(|head| {
        let added = match chain.expect(&head) {
            Ok(added) => Some(added),
            Err(why) => {
                findings.push(format!("store: {why}"));
                None
            }
        };
        Expected { head, added }
    });
    Verification {
        runs,
        events,
        findings,
        head: chain.head.clone(),
        expected,
        notes: chain.notes(),
    }
}
