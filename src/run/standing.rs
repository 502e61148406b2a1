//! What a run record says of a step besides its signatures, as the run stands at the
//! record's moment: to whom an open step is escalated and since when, which departments of
//! a joint step have signed, and which trigger the run was started by.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::engine::{Change, Iteration, Live, Spec, State};
use super::record::{Actor, Stamp, actor};

/// An open step escalated (`escalate:`) to other departments: not a deadline, but from
/// `since` on it is also theirs to chase.
#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    /// The departments it is escalated to, as `escalate.to` names them.
    pub to: Vec<Actor>,
    pub since: Stamp,
}

/// One department of a step signed by each of several (`by: { all: [...] }`), and whether
/// it has signed the iteration.
#[derive(Debug, Clone, Serialize)]
pub struct SignOff {
    pub code: String,
    pub signed: bool,
}

/// The escalation of iteration `number` (from 1) of `step` at `now`: only the open
/// iteration of an active step of an open run, once its escalation moment has come.
pub(super) fn escalation(
    spec: &Spec,
    state: &State,
    step: usize,
    number: usize,
    now: DateTime<Utc>,
) -> Option<Escalation> {
    // Only the open iteration, the last, can be escalated.
    if state.steps[step].len() != number {
        return None;
    }
    super::timeouts::escalated(spec, state, step, now).map(|(since, to)| Escalation {
        to: to.iter().map(|c| actor(spec, c)).collect(),
        since: Stamp::of(since, spec.tz()),
    })
}

/// Every department of a joint step's `by`, in order, with whether it has signed the
/// iteration (each signature names the department it is for; a timeout signs for none);
/// empty on other steps.
pub(super) fn sign_off(spec: &Spec, step: usize, it: &Iteration) -> Vec<SignOff> {
    let by = &spec.step(step).by;
    if !by.joint {
        return Vec::new();
    }
    let signers: Vec<&str> = it
        .signed
        .iter()
        .chain(it.completed.iter().filter(|d| !d.timed_out))
        .filter_map(|d| d.completion.acting_for.as_deref())
        .collect();
    by.iter()
        .map(|code| SignOff {
            code: code.clone(),
            signed: signers.contains(&code.as_str()),
        })
        .collect()
}

/// The step a run of a flow with several triggers started at, as its start event says.
pub(super) fn started_at(live: &Live) -> Option<String> {
    live.events.iter().find_map(|e| match Change::read(e) {
        Ok(Change::Started(s)) => s.start,
        _ => None,
    })
}
