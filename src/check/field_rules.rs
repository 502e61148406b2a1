//! Record fields that steer or bound a run: decisions taken from a choice field
//! (`decision.on`) and the range of number fields (`min:`, `max:`).

use super::codes;
use super::diagnostic::Diagnostic;
use super::{Context, DocView, step_path};
use crate::spec::field_decision::{can_decide, mismatch, split};
use crate::spec::model::{FieldType, Procedure, Record};

pub fn check(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    decisions(cx, view, out);
    ranges(cx, view, out);
}

/// The record a step's `produces` key names (`capa` or `DOC#capa`).
fn record<'a>(cx: &Context<'a>, doc: &'a Procedure, key: &str) -> Option<&'a Record> {
    let (doc, id) = match key.split_once('#') {
        Some((d, id)) => (&cx.docs.get(d)?.doc, id),
        None => (doc, key),
    };
    doc.records.iter().find(|r| r.id == id)
}

fn decisions(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let file = view.file;
    let lang = cx.primary();
    for (f, flow) in view.doc.flows.iter().enumerate() {
        for (s, step) in flow.steps.iter().enumerate() {
            let Some(decision) = &step.decision else {
                continue;
            };
            let Some(on) = decision.on.as_deref() else {
                continue;
            };
            let at = cx.at(file, &format!("{}.decision.on", step_path(f, s)));
            let wrong = |message: String, hint: String| {
                Diagnostic::new(&codes::DECISION_FIELD, at.clone(), message).hint(hint)
            };
            if decision.multiple {
                // A choice field holds one option, so it can never choose a set of outcomes.
                out.push(wrong(
                    format!(
                        "step `{}` takes its outcome from `{on}`, which holds one option, but its decision says `multiple: true`",
                        step.id
                    ),
                    "drop `multiple: true` (one outcome, the option entered), or drop `on:` so that a person chooses one or more outcomes".into(),
                ));
                continue;
            }
            let produced = step.produces.iter().map(String::as_str).collect::<Vec<_>>();
            let Some((key, field_id)) = split(on) else {
                out.push(wrong(
                    format!("`decision.on: {on}` does not name a field as `record.field`"),
                    "write the record's id, a dot and the field's id, e.g. `on: capa.category`"
                        .into(),
                ));
                continue;
            };
            if !produced.contains(&key) {
                out.push(wrong(
                    format!(
                        "step `{}` decides on `{on}`, but does not produce record `{key}`",
                        step.id
                    ),
                    format!("add `{key}` to the step's `produces`, or name a field of a record it produces"),
                ));
                continue;
            }
            let Some(rec) = record(cx, view.doc, key) else {
                // An unknown record is reported at `produces` (E0102).
                continue;
            };
            let Some(field) = rec.fields.iter().find(|x| x.id == field_id) else {
                let choices: Vec<String> = rec
                    .fields
                    .iter()
                    .filter(|x| can_decide(x))
                    .map(|x| format!("{key}.{}", x.id))
                    .collect();
                out.push(wrong(
                    format!("record `{key}` has no field `{field_id}`"),
                    if choices.is_empty() {
                        format!("give record `{key}` a `choice` field to decide on")
                    } else {
                        format!("its choice fields: {}", choices.join(", "))
                    },
                ));
                continue;
            };
            if !can_decide(field) {
                out.push(wrong(
                    format!(
                        "field `{on}` is a {} field, not a choice: a decision takes one option",
                        field.kind.word()
                    ),
                    "decide on a field of `type: choice`".into(),
                ));
                continue;
            }
            let (missing, extra) = mismatch(decision, field, lang);
            if missing.is_empty() && extra.is_empty() {
                continue;
            }
            let list = |v: &[&str]| {
                v.iter()
                    .map(|x| format!("`{x}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut parts = Vec::new();
            if !missing.is_empty() {
                parts.push(format!("options without an outcome: {}", list(&missing)));
            }
            if !extra.is_empty() {
                parts.push(format!("outcomes that are no option: {}", list(&extra)));
            }
            out.push(
                Diagnostic::new(
                    &codes::DECISION_OPTIONS,
                    at.clone(),
                    format!(
                        "the outcomes of step `{}` differ from the options of field `{on}`: {}",
                        step.id,
                        parts.join("; ")
                    ),
                )
                .hint("give each option of the field exactly one outcome, with the option as its `when`"),
            );
        }
    }
}

fn ranges(cx: &Context, view: &DocView, out: &mut Vec<Diagnostic>) {
    let file = view.file;
    for (i, record) in view.doc.records.iter().enumerate() {
        for (f, field) in record.fields.iter().enumerate() {
            let fp = format!("records[{i}].fields[{f}]");
            if field.kind != FieldType::Number {
                if let Some(key) = [("min", field.min), ("max", field.max)]
                    .into_iter()
                    .find_map(|(k, v)| v.map(|_| k))
                {
                    out.push(
                        Diagnostic::new(
                            &codes::NUMBER_RANGE,
                            cx.key(file, &format!("{fp}.{key}")),
                            format!(
                                "field `{}` has `{key}` but is a {} field, not a number",
                                field.id,
                                field.kind.word()
                            ),
                        )
                        .hint(format!("write `type: number`, or remove `{key}`")),
                    );
                }
                continue;
            }
            if let (Some(min), Some(max)) = (field.min, field.max)
                && min > max
            {
                out.push(
                    Diagnostic::new(
                        &codes::NUMBER_RANGE,
                        cx.at(file, &format!("{fp}.min")),
                        format!(
                            "field `{}` has `min: {min}` greater than `max: {max}`: no value fits",
                            field.id
                        ),
                    )
                    .label(cx.at(file, &format!("{fp}.max")), "max")
                    .hint("swap them, or correct the one that is wrong"),
                );
            }
        }
    }
}
