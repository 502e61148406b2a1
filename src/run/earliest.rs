//! Earliest times (`after:`): the moment before which a step may not be completed, and the
//! refusal of a completion that comes too soon.

use chrono::{DateTime, Utc};

use super::clock;
use super::engine::{RunError, Spec, refused};
use super::state::{Iteration, State};

/// When a step's earliest time stands for one iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Earliest {
    /// The step has no `after`, or may be completed now whatever its rule.
    None,
    /// Not before this instant (UTC; shown on the office clock).
    At(DateTime<Utc>),
    /// Counted back from a planned step whose date is not set yet: not known.
    Unplanned,
}

/// The earliest time of an iteration of `step` by its `after` rule, on the QMS calendar:
/// a duration from the iteration's activation, from the run's start, from the completion of
/// the `from` step that preceded this iteration, or counted back from a planned date (the
/// start of the day counted back; its first working moment for working days).
pub fn earliest(spec: &Spec, state: &State, step: usize, iteration: &Iteration) -> Earliest {
    let Some(after) = &spec.step(step).after else {
        return Earliest::None;
    };
    let time = after.time();
    if let Some(before) = after.before() {
        return match spec.graph.index_of(before).and_then(|p| state.plan.get(&p)) {
            Some(date) => Earliest::At(date.earliest_before(&spec.calendar, time)),
            None => Earliest::Unplanned,
        };
    }
    let from = match after.from() {
        Some("start") => Some(state.started_at),
        Some(from) => {
            let until = iteration.completed.as_ref().map(|d| d.at);
            spec.graph.index_of(from).and_then(|f| {
                state.steps[f]
                    .iter()
                    .filter_map(|i| i.completed.as_ref())
                    .filter(|d| until.is_none_or(|u| d.at <= u))
                    .map(|d| d.at)
                    .max()
            })
        }
        None => Some(iteration.activated_at),
    };
    // A `from` step not done yet (check refuses the spec where that can happen) holds nothing.
    match from {
        Some(t) => Earliest::At(spec.calendar.add(t, time)),
        None => Earliest::None,
    }
}

/// The earliest time of the current iteration of an active step, if it has one.
pub fn of_active(spec: &Spec, state: &State, step: usize) -> Earliest {
    match state.steps[step].last() {
        Some(it) if it.completed.is_none() => earliest(spec, state, step, it),
        _ => Earliest::None,
    }
}

/// Refuses completing `step` at `at` before its earliest time, saying from when it may be
/// completed on the office clock (about the input `step`).
pub fn refuse_too_soon(
    spec: &Spec,
    state: &State,
    step: usize,
    at: DateTime<Utc>,
) -> Result<(), RunError> {
    let id = spec.step_id(step);
    let rule = spec
        .step(step)
        .after
        .as_ref()
        .map(words)
        .unwrap_or_default();
    match of_active(spec, state, step) {
        Earliest::At(t) if at < t => Err(refused(format!(
            "step {id} may not be completed before {} (after: {rule})",
            clock::show(t, spec.tz())
        ))
        .about("step")),
        Earliest::Unplanned => Err(refused(format!(
            "step {id} may not be completed before its earliest time (after: {rule}), which counts back from a date not planned yet: set the date of step {} first",
            spec.step(step).after.as_ref().and_then(|a| a.before()).unwrap_or_default()
        ))
        .about("step")),
        _ => Ok(()),
    }
}

/// An `after` rule as written: `3 years`, `5 days from delivery`, `4 weeks before meeting`.
pub fn words(after: &crate::spec::model::Within) -> String {
    let time = after.time();
    match (after.from(), after.before()) {
        (Some("start"), _) => format!("{time} from the start of the run"),
        (Some(from), _) => format!("{time} from {from}"),
        (None, Some(before)) => format!("{time} before {before}"),
        (None, None) => format!("{time} from when the step became active"),
    }
}
