//! `decision.on: record.field`: a decision whose outcome is the option entered in a choice
//! field. The one pairing of options and outcomes that the checker and the runner share.

use super::model::{Decision, Field, FieldType};
use super::text::Text;

/// The index of the outcome an option of the field leads to: the outcome whose label equals
/// the option in one of its languages (trimmed, case-insensitive).
pub fn outcome_for(decision: &Decision, option: &Text) -> Option<usize> {
    decision
        .outcomes
        .iter()
        .position(|o| option.variants().iter().any(|v| o.when.matches(v)))
}

/// `on:` split into (record key, field id): `capa.category` or `DOC#capa.category`.
pub fn split(on: &str) -> Option<(&str, &str)> {
    on.trim()
        .rsplit_once('.')
        .filter(|(r, f)| !r.is_empty() && !f.is_empty())
}

/// Whether a field can decide: a single choice.
pub fn can_decide(field: &Field) -> bool {
    field.kind == FieldType::Choice
}

/// How the options and the outcomes differ: (options without an outcome, outcomes that are
/// no option), each as its primary text.
pub fn mismatch<'a>(
    decision: &'a Decision,
    field: &'a Field,
    lang: &str,
) -> (Vec<&'a str>, Vec<&'a str>) {
    let missing = field
        .options
        .iter()
        .filter(|o| outcome_for(decision, o).is_none())
        .map(|o| o.best(lang, lang))
        .collect();
    let extra = decision
        .outcomes
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            !field
                .options
                .iter()
                .any(|o| outcome_for(decision, o) == Some(*i))
        })
        .map(|(_, o)| o.when.best(lang, lang))
        .collect();
    (missing, extra)
}
