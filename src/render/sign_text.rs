//! The sentences a document prints for steps signed by several departments ("QA, PROD and
//! ENG each sign") and for decisions taken from a record field ("the outcome follows the
//! category entered on CS-F-012"), in each printed language.

use super::context::{Multi, Printing};
use super::labels::Script;
use crate::spec::field_decision::split;
use crate::spec::model::{Field, Procedure, Record, Step};

/// "QA, PROD and ENG each sign" / "QA、PROD和ENG各自签署"; `None` unless the step is
/// signed by all of its departments.
pub fn joint(p: &Printing, step: &Step) -> Option<Multi> {
    if !step.by.joint {
        return None;
    }
    let codes: Vec<&str> = step.by.iter().map(String::as_str).collect();
    Some(p.each(|lang| match Script::of(lang) {
        Script::English => format!("{} each sign", series(&codes, ", ", " and ")),
        Script::Simplified => format!("{}各自签署", series(&codes, "、", "和")),
        Script::Traditional => format!("{}各自簽署", series(&codes, "、", "和")),
    }))
}

/// "the outcome follows the category entered on CS-F-012" (the record's form number, or its
/// title when it has none); `None` unless the step's decision is taken from a field.
pub fn decided_by(p: &Printing, doc: &Procedure, step: &Step) -> Option<Multi> {
    let (record, field) = decision_field(p, doc, step)?;
    let primary = p.settings.primary_language();
    Some(p.each(|lang| {
        let form = match &record.form {
            Some(form) => form.clone(),
            None => record.title.best(lang, primary).to_string(),
        };
        let label = field.label.best(lang, primary);
        match Script::of(lang) {
            Script::English => format!(
                "the outcome follows the {} entered on {form}",
                lower_first(label)
            ),
            Script::Simplified => format!("结果按{form}上填写的{label}确定"),
            Script::Traditional => format!("結果按{form}上填寫的{label}確定"),
        }
    }))
}

/// What the flowchart's diamond asks when a decision taken from a field has no question of
/// its own: the field's label ("Result?" / "结果？"); `None` unless the decision is on a field.
pub fn field_question(p: &Printing, doc: &Procedure, step: &Step) -> Option<Multi> {
    let (_, field) = decision_field(p, doc, step)?;
    let primary = p.settings.primary_language();
    Some(p.each(|lang| {
        let label = field.label.best(lang, primary);
        match Script::of(lang) {
            Script::English => format!("{label}?"),
            Script::Simplified | Script::Traditional => format!("{label}？"),
        }
    }))
}

/// The record and the choice field a step's `decision.on` names, in this procedure or, for
/// `DOC#record.field`, in another of the QMS.
fn decision_field<'a>(
    p: &Printing<'a>,
    doc: &'a Procedure,
    step: &Step,
) -> Option<(&'a Record, &'a Field)> {
    let on = step.decision.as_ref()?.on.as_deref()?;
    let (key, field_id) = split(on)?;
    let (owner, id) = match key.split_once('#') {
        Some((d, r)) => (*p.procedures.iter().find(|x| x.id == d)?, r),
        None => (doc, key),
    };
    let record = owner.records.iter().find(|r| r.id == id)?;
    let field = record.fields.iter().find(|f| f.id == field_id)?;
    Some((record, field))
}

/// A number field's range as printed on forms, the same in every language: `1–10`, `≥ 0`,
/// `≤ 25.4`; `None` without `min:` and `max:`.
pub fn range(field: &Field) -> Option<String> {
    match (field.min, field.max) {
        (Some(min), Some(max)) => Some(format!("{min}–{max}")),
        (Some(min), None) => Some(format!("≥ {min}")),
        (None, Some(max)) => Some(format!("≤ {max}")),
        (None, None) => None,
    }
}

/// `A, B and C`: items joined by `sep`, the last by `last`.
fn series(items: &[&str], sep: &str, last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., end] => format!("{}{last}{end}", init.join(sep)),
    }
}

/// "Category" → "category", leaving acronyms ("CAPA class") as written.
fn lower_first(label: &str) -> String {
    let mut chars = label.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => {
            first.to_lowercase().chain(label.chars().skip(1)).collect()
        }
        _ => label.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_and_lower_case() {
        assert_eq!(
            series(&["QA", "PROD", "ENG"], ", ", " and "),
            "QA, PROD and ENG"
        );
        assert_eq!(series(&["QA", "PROD"], "、", "和"), "QA和PROD");
        assert_eq!(lower_first("Category"), "category");
        assert_eq!(lower_first("CAPA class"), "CAPA class");
    }
}
