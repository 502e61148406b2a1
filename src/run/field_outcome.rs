//! The outcome of a decision taken from a record field (`decision.on: capa.category`): the
//! option entered in that field, never chosen a second time.

use std::collections::BTreeMap;

use serde_json::Value;

use super::engine::{RunError, Spec, refused};
use super::fields::{self, Produced};
use crate::spec::field_decision::outcome_for;

/// The outcome (its index and primary label) the value entered in the decision's field
/// leads to. Refused when the field was not filled in, and when `--outcome` is given and
/// differs from it.
pub(super) fn decide(
    spec: &Spec,
    step: usize,
    produced: &[Produced],
    values: &BTreeMap<String, Value>,
    given: Option<&str>,
) -> Result<(Option<usize>, Option<String>), RunError> {
    let s = spec.step(step);
    let (Some(decision), Some(on)) = (
        s.decision.as_ref(),
        s.decision.as_ref().and_then(|d| d.on.as_deref()),
    ) else {
        return Ok((None, None));
    };
    let Some((_, field)) = fields::lookup(produced, on) else {
        return Err(refused(format!(
            "step {} takes its outcome from `{on}`, which is not a field of a record it produces",
            s.id
        )));
    };
    let listing = field
        .options
        .iter()
        .map(|o| format!("`{}`", spec.text(o)))
        .collect::<Vec<_>>()
        .join(", ");
    let Some(entered) = values.get(on).and_then(Value::as_str) else {
        return Err(RunError::at(
            &format!("fields.{on}"),
            format!(
                "step {} takes its outcome from this field: give one of {listing}",
                s.id
            ),
        )
        .on_the_command_line(format!(
            "step {} takes its outcome from the field {on}: give it with --field {on}=VALUE, one of {listing}",
            s.id
        )));
    };
    let chosen = field
        .options
        .iter()
        .find(|o| o.matches(entered))
        .and_then(|o| outcome_for(decision, o))
        .filter(|&i| spec.net.choice_of_outcome(step, i).is_some());
    let Some(i) = chosen else {
        return Err(refused(format!(
            "`{entered}` entered in {on} leads to no outcome of step {}",
            s.id
        )));
    };
    let label = spec.text(&decision.outcomes[i].when).to_string();
    if let Some(typed) = given.map(str::trim).filter(|t| !t.is_empty())
        && !decision.outcomes[i].when.matches(typed)
    {
        return Err(RunError::at(
            "outcome",
            format!(
                "`{typed}`: step {} takes its outcome from the field {on}, where `{entered}` was entered (outcome `{label}`); give no outcome, or enter the value you mean in {on}",
                s.id
            ),
        ));
    }
    Ok((Some(i), Some(label)))
}
