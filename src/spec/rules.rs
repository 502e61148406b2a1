//! Standing rules (`rules:` of a procedure): which rules a step shows.
//!
//! A rule names steps (`issue`, or `flow/step` where several flows share a step id) and
//! records; a rule naming a record is shown on every step that produces or uses it. The
//! printed document, the traveller, `run show` and the web step page all ask here, so they
//! show the same rules with the same numbers.

use super::model::{Flow, Procedure, Rule, Step};

/// The rules shown on `step` of `flow`, each with its clause number (1-based, the order of
/// `rules:` in the procedure).
pub fn for_step<'a>(doc: &'a Procedure, flow: &Flow, step: &Step) -> Vec<(usize, &'a Rule)> {
    doc.rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| {
            rule.applies_to
                .iter()
                .any(|target| names_step(&target.0, flow, step))
        })
        .map(|(i, rule)| (i + 1, rule))
        .collect()
}

fn names_step(target: &str, flow: &Flow, step: &Step) -> bool {
    let target = target.trim();
    if let Some((f, s)) = target.split_once('/') {
        return f == flow.id && s == step.id;
    }
    target == step.id
        || step
            .produces
            .iter()
            .chain(step.uses.iter())
            .any(|record| record == target)
}

/// Whether `target` of a rule's `applies_to` names a step or record of `doc`.
pub fn resolves(doc: &Procedure, target: &str) -> bool {
    let target = target.trim();
    if let Some((f, s)) = target.split_once('/') {
        return doc
            .flows
            .iter()
            .any(|flow| flow.id == f && flow.steps.iter().any(|st| st.id == s));
    }
    doc.records.iter().any(|r| r.id == target)
        || doc
            .flows
            .iter()
            .any(|flow| flow.steps.iter().any(|st| st.id == target))
}

/// The step and record ids a rule may name, for a "did you mean" hint.
pub fn targets(doc: &Procedure) -> Vec<String> {
    let mut out: Vec<String> = doc.records.iter().map(|r| r.id.clone()).collect();
    for flow in &doc.flows {
        out.extend(flow.steps.iter().map(|s| s.id.clone()));
    }
    out.sort();
    out.dedup();
    out
}
