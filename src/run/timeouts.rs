//! Timeouts and escalations of open steps (`timeout:` and `escalate:` on a step).
//!
//! Both count from the moment the step's current iteration became active, on the company
//! calendar (working units follow its hours). A timeout is the step's extra exit in the flow
//! semantics ([`crate::flow::semantics::Net::timeout_choice`]): when it falls due the run
//! records a `timed-out` event stamped with the moment it fell due — not the moment it was
//! noticed — so the audit trail and the deadlines of the next step are the same whether it is
//! noticed by the next command on the run, `procdoc run tick` or the server's schedule.
//! An escalation changes nothing in the run; it is derived when the run is listed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::engine::{self, Live, RunError, Spec};
use super::state::{Applied, Completion, Done, Iteration, State};
use super::store::{OpenStep, Store};
use crate::flow::semantics::FireError;

/// The event of a step closed by its timeout. Its time is the moment the timeout fell due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedOut {
    pub step: String,
    /// The iteration of the step that timed out, counted from 1.
    pub iteration: u32,
    /// The step made active (`timeout.goto`), as the spec said when it happened.
    pub goto: String,
    /// The spec's `timeout.after` (`20 working days`), for the record.
    pub after: String,
}

/// The most timeouts one command takes on a run. Each moves time forward (a timeout is never
/// `immediately`, which the checker refuses), so only a flow looping through timeouts for
/// years of missed time reaches it; the rest is taken by the next command.
const MAX_PER_COMMAND: usize = 1000;

/// When the open iteration of `step` times out: its activation plus `timeout.after` on the
/// calendar (UTC). `None` when the step has no timeout or the iteration is closed.
pub fn timeout_due(spec: &Spec, step: usize, iteration: &Iteration) -> Option<DateTime<Utc>> {
    if iteration.completed.is_some() {
        return None;
    }
    let timeout = spec.step(step).timeout.as_ref()?;
    Some(spec.calendar.add(iteration.activated_at, timeout.after))
}

/// From when the open iteration of `step` is escalated, and to which departments (codes as
/// the spec writes them). `None` when the step has no `escalate` or the iteration is closed.
pub fn escalation_due(
    spec: &Spec,
    step: usize,
    iteration: &Iteration,
) -> Option<(DateTime<Utc>, Vec<String>)> {
    if iteration.completed.is_some() {
        return None;
    }
    let escalate = spec.step(step).escalate.as_ref()?;
    Some((
        spec.calendar.add(iteration.activated_at, escalate.after),
        escalate.to.iter().cloned().collect(),
    ))
}

/// The departments an active step is escalated to at `now` (empty when it is not).
pub fn escalated_to(spec: &Spec, state: &State, step: usize, now: DateTime<Utc>) -> Vec<String> {
    if state.ended.is_some() || !state.is_active(spec, step) {
        return Vec::new();
    }
    state.steps[step]
        .last()
        .and_then(|it| escalation_due(spec, step, it))
        .filter(|(from, _)| *from <= now)
        .map(|(_, to)| to)
        .unwrap_or_default()
}

/// The store's summary rows for the escalation of active `step`: one per department of
/// `escalate.to` that is not already one of the step's own, due at the escalation moment.
/// So `run list --dept`, the overdue list, the inbox and the digests find the step for the
/// escalated departments, late for them from the moment it was escalated.
pub(super) fn escalation_rows(spec: &Spec, state: &State, step: usize) -> Vec<OpenStep> {
    let Some((from, to)) = state.steps[step]
        .last()
        .and_then(|it| escalation_due(spec, step, it))
    else {
        return Vec::new();
    };
    let own = &spec.step(step).by;
    to.into_iter()
        .filter(|d| !own.iter().any(|o| o == d))
        .map(|dept| OpenStep {
            step: Some(spec.step_id(step).to_string()),
            dept: Some(dept),
            due: Some(super::clock::stamp(from)),
        })
        .collect()
}

/// The earliest timeout among the run's active steps that fell due by `now`: (step, moment).
pub fn next_due(spec: &Spec, state: &State, now: DateTime<Utc>) -> Option<(usize, DateTime<Utc>)> {
    if state.ended.is_some() {
        return None;
    }
    spec.net
        .active(&state.marking)
        .into_iter()
        .filter(|&s| spec.net.timeout_choice(s).is_some())
        .filter_map(|s| {
            let it = state.steps[s]
                .iter()
                .rev()
                .find(|i| i.completed.is_none())?;
            Some((s, timeout_due(spec, s, it)?))
        })
        .filter(|&(_, due)| due <= now)
        .min_by_key(|&(s, due)| (due, s))
}

/// Takes every timeout of the run that fell due by `now`, earliest first (a step made active
/// by one may time out in turn), each recorded at the moment it fell due. Returns one note
/// per timeout taken, for the command's output. Called on a run opened for change, before
/// the command's own event, so that the command sees the run as it stands at `now`.
pub fn take_due(
    store: &mut dyn Store,
    live: &mut Live,
    now: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> Result<usize, RunError> {
    let mut taken = 0;
    while taken < MAX_PER_COMMAND {
        let spec = live.spec()?;
        let Some((step, due)) = next_due(&spec, &live.state, now) else {
            break;
        };
        let s = spec.step(step);
        let Some(timeout) = &s.timeout else { break };
        let event = TimedOut {
            step: s.id.clone(),
            iteration: u32::try_from(live.state.steps[step].len()).unwrap_or(u32::MAX),
            goto: timeout.goto.clone(),
            after: timeout.after.to_string(),
        };
        let tz = spec.tz();
        drop(spec);
        // Never before an event already in the run (the chain's times only go forward).
        let at = due.max(live.state.last_at);
        notes.push(format!(
            "step {} timed out at {} (no answer within {}); {} is active",
            event.step,
            super::clock::show(at, tz),
            event.after,
            event.goto
        ));
        engine::record_system(
            store,
            live,
            at,
            super::state::Change::TimedOut(event),
            notes,
        )?;
        taken += 1;
    }
    Ok(taken)
}

impl State {
    /// Applies a `timed-out` event: the step's open iteration closes without a signature and
    /// its timeout exit fires. Errors mean the event does not fit the flow (a damaged store).
    pub(super) fn time_out(
        &mut self,
        spec: &Spec,
        n: u64,
        at: DateTime<Utc>,
        step: usize,
        t: &TimedOut,
    ) -> Result<Applied, String> {
        let choice = spec
            .net
            .timeout_choice(step)
            .ok_or_else(|| format!("event #{n} times out `{}`, which has no timeout", t.step))?;
        let firing = spec
            .net
            .fire(&self.marking, step, choice)
            .map_err(|e| match e {
                FireError::NotActive => {
                    format!("event #{n} times out `{}`, which was not active", t.step)
                }
                FireError::NoSuchChoice { .. } => {
                    format!("event #{n} times out `{}`, which has no timeout", t.step)
                }
            })?;
        let Some(open) = self.steps[step]
            .iter_mut()
            .rev()
            .find(|i| i.completed.is_none())
        else {
            return Err(format!("event #{n} times out `{}` twice", t.step));
        };
        open.completed = Some(Done {
            event: n,
            at,
            by: None,
            completion: Completion {
                step: t.step.clone(),
                iteration: t.iteration,
                ..Completion::default()
            },
            timed_out: true,
        });
        self.marking = firing.marking;
        for &s in &firing.activated {
            self.steps[s].push(Iteration {
                activated_at: at,
                completed: None,
                child: None,
            });
        }
        Ok(Applied {
            activated: firing.activated,
            ended: false,
        })
    }
}
