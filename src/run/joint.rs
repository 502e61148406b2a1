//! Steps signed by all of several departments (`by: { all: [QA, PROD, ENG] }`): each
//! department signs once, one person for one department only, and the step completes with
//! the last signature. Every signature but the last is a `signed` event; the last is the
//! step's `completed` event, which carries the record fields and check items.

use super::clock;
use super::engine::{RunError, Spec, refused};
use super::state::{Done, State};

/// The signatures given so far on the step's open iteration, oldest first; none when the
/// step is not active.
pub fn signatures<'a>(spec: &Spec, state: &'a State, step: usize) -> &'a [Done] {
    if !state.is_active(spec, step) {
        return &[];
    }
    state.steps[step]
        .last()
        .filter(|i| i.completed.is_none())
        .map_or(&[], |i| i.signed.as_slice())
}

/// The departments that may still sign the step, in the step's order: for a joint step,
/// those of `by.all` that have not signed its open iteration; otherwise every code of `by`
/// (any one of them completes it).
pub fn still_to_sign(spec: &Spec, state: &State, step: usize) -> Vec<String> {
    let by = &spec.step(step).by;
    if !by.joint {
        return by.iter().cloned().collect();
    }
    let signed = signatures(spec, state, step);
    let mut out: Vec<String> = Vec::new();
    for code in by.iter() {
        let done = signed
            .iter()
            .any(|d| d.completion.acting_for.as_deref() == Some(code.as_str()));
        if !done && !out.contains(code) {
            out.push(code.clone());
        }
    }
    out
}

/// The department a signature on a joint step is for: the one given with `--as` (one still
/// to sign), or the only one left.
pub(super) fn acting_for(
    spec: &Spec,
    state: &State,
    step: usize,
    given: Option<&str>,
) -> Result<String, RunError> {
    let id = spec.step_id(step);
    let left = still_to_sign(spec, state, step);
    match given.map(str::trim) {
        Some(code) if left.iter().any(|c| c == code) => Ok(code.to_string()),
        Some(code) => {
            if let Some(done) = signatures(spec, state, step)
                .iter()
                .find(|d| d.completion.acting_for.as_deref() == Some(code))
            {
                Err(refused(format!(
                    "{code} has already signed step {id} ({} at {}); still to sign: {}",
                    done.by.as_deref().unwrap_or("the system"),
                    clock::show(done.at, spec.tz()),
                    left.join(", ")
                )))
            } else {
                Err(RunError::at(
                    "as",
                    format!(
                        "{code}: step {id} is signed by each of {}, so the person must sign for one of them",
                        spec.step(step).by.0.join(", ")
                    ),
                ))
            }
        }
        None => match left.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(RunError::at(
                "as",
                format!(
                    "step {id} is signed by each of {}; still to sign: {}: say which one this signature is for",
                    spec.step(step).by.0.join(", "),
                    left.join(", ")
                ),
            )),
        },
    }
}

/// One person signs for one department only on a step: refused when the signer (the same
/// login, or without logins the same name, ignoring case) already signed this iteration.
pub(super) fn one_department_each(
    spec: &Spec,
    state: &State,
    step: usize,
    name: &str,
    login: Option<&str>,
) -> Result<(), RunError> {
    match signatures(spec, state, step)
        .iter()
        .find(|d| super::completion::same_signer(d, name, login))
    {
        Some(done) => Err(refused(format!(
            "{name} already signed step {} for {} at {}: one person signs for one department only; another member must sign for {}",
            spec.step_id(step),
            done.completion.acting_for.as_deref().unwrap_or("-"),
            clock::show(done.at, spec.tz()),
            still_to_sign(spec, state, step).join(", ")
        ))),
        None => Ok(()),
    }
}

/// Whether a signature for `code` leaves others still to sign (it is then a `signed` event,
/// not the completion).
pub fn leaves_others(spec: &Spec, state: &State, step: usize, code: &str) -> bool {
    spec.step(step).by.joint && still_to_sign(spec, state, step).iter().any(|c| c != code)
}
