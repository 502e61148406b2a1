//! Several outcomes of one decision (`decision.multiple: true`, `--outcome A --outcome B`):
//! which are given, whether the step may take them together, and how they are recorded.

use super::engine::{RunError, Spec, refused};

/// The outcomes taken: the first index, the labels as recorded (primary language, joined by
/// `, `), and every index for a `multiple` decision.
pub type Chosen = (Option<usize>, Option<String>, Vec<usize>);

/// The outcomes named by `given` and `further` (labels in any QMS language) for `step`:
/// `Ok(None)` when the step does not take several outcomes and only one was given (the
/// caller judges that one); a refusal when several are given to a step that takes one, or
/// when a label is no outcome of the step.
pub fn outcomes(
    spec: &Spec,
    step: usize,
    given: Option<&str>,
    further: &[String],
) -> Result<Option<Chosen>, RunError> {
    let s = spec.step(step);
    let multiple = s.decision.as_ref().filter(|d| d.multiple);
    let Some(decision) = multiple else {
        if !further.is_empty() {
            return Err(RunError::at(
                "outcome",
                match &s.decision {
                    Some(_) => format!(
                        "step {} takes one outcome: give the outcome once (its decision does not say `multiple: true`)",
                        s.id
                    ),
                    None => format!("step {} is not a decision: give no outcome", s.id),
                },
            ));
        }
        return Ok(None);
    };
    let listing = || {
        decision
            .outcomes
            .iter()
            .map(|o| format!("`{}`", spec.text(&o.when)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let labels: Vec<&str> = given
        .into_iter()
        .chain(further.iter().map(String::as_str))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if labels.is_empty() {
        let question = decision
            .question
            .as_ref()
            .map(|q| format!(" ({})", spec.text(q)))
            .unwrap_or_default();
        return Err(RunError::at(
            "outcome",
            format!(
                "step {} is a decision{question}: give one or more outcomes, of {}",
                s.id,
                listing()
            ),
        ));
    }
    let mut chosen = Vec::new();
    for label in labels {
        let Some(i) = decision.outcomes.iter().position(|o| o.when.matches(label)) else {
            return Err(refused(format!(
                "`{label}` is not an outcome of step {}: one or more of {}",
                s.id,
                listing()
            )));
        };
        // A repeated outcome is a slip (or a forged form), not a choice: said, not merged.
        if chosen.contains(&i) {
            return Err(refused(format!(
                "`{label}` is given twice for step {}: give each outcome once",
                s.id
            )));
        }
        chosen.push(i);
    }
    chosen.sort_unstable();
    if spec.net.choice_of_outcomes(step, &chosen).is_none() {
        return Err(refused(format!(
            "step {} cannot take these outcomes together: one or more of {}",
            s.id,
            listing()
        )));
    }
    let label = chosen
        .iter()
        .map(|&i| spec.text(&decision.outcomes[i].when).to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Some((chosen.first().copied(), Some(label), chosen)))
}
