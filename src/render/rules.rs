//! Standing rules as documents print them: numbered clauses after the flows of the procedure
//! section, and "Rule 2: ..." on every step a rule applies to (step table and traveller).

use serde::Serialize;

use super::context::{Multi, Printing, step_title};
use super::labels;
use crate::spec::model::{Flow, Procedure, Step};
use crate::spec::numbers::DocNumbers;
use crate::spec::text::Text;

/// A standing rule as printed: its clause number and text, and what it applies to.
#[derive(Serialize)]
pub struct RuleContext {
    pub number: usize,
    pub text: Multi,
    /// The numbers of the steps (the title of an unnumbered step) and the form numbers of
    /// the records it applies to, in the order written.
    pub applies_to: Vec<String>,
}

/// Every rule of `doc`, numbered from 1 in the order written.
pub fn rules(
    p: &Printing,
    doc: &Procedure,
    numbering: &DocNumbers,
    long: &dyn Fn(&Text) -> Multi,
) -> Vec<RuleContext> {
    doc.rules
        .iter()
        .enumerate()
        .map(|(i, rule)| RuleContext {
            number: i + 1,
            text: long(&rule.text),
            applies_to: rule
                .applies_to
                .iter()
                .flat_map(|t| target_names(p, doc, numbering, t.0.trim()))
                .collect(),
        })
        .collect()
}

/// How a rule names a target on paper: a step by its number, a record by its form number.
fn target_names(
    p: &Printing,
    doc: &Procedure,
    numbering: &DocNumbers,
    target: &str,
) -> Vec<String> {
    let (flow_id, step_id) = match target.split_once('/') {
        Some((f, s)) => (Some(f), s),
        None => (None, target),
    };
    let mut out = Vec::new();
    for (f, flow) in doc.flows.iter().enumerate() {
        if flow_id.is_some_and(|id| id != flow.id) {
            continue;
        }
        for (s, step) in flow.steps.iter().enumerate() {
            if step.id == step_id {
                let number = numbering.step(f, s);
                out.push(if number.is_empty() {
                    step_title(p, step).join(" / ")
                } else {
                    number.to_string()
                });
            }
        }
    }
    if flow_id.is_none()
        && let Some(record) = doc.records.iter().find(|r| r.id == target)
    {
        out.push(record.form.clone().unwrap_or_else(|| record.id.clone()));
    }
    out
}

/// The rules shown on `step`: "Rule 2: Controlled copies are never changed by hand." in
/// each printed language.
pub fn step_rules(p: &Printing, doc: &Procedure, flow: &Flow, step: &Step) -> Vec<Multi> {
    crate::spec::rules::for_step(doc, flow, step)
        .into_iter()
        .map(|(number, rule)| {
            p.each(|lang| {
                let text = rule.text.best(lang, p.settings.primary_language());
                format!("{} {number}: {text}", labels::label("rule", lang))
            })
        })
        .collect()
}
