//! A record's form as printed: its title, retention and keeper, and each field with its
//! kind, options, unit, range and the rows the paper leaves for it.

use serde::Serialize;

use super::context::{Multi, Printing};
use crate::spec::model::Rows;

#[derive(Serialize)]
pub struct RecordContext {
    /// The record's number in the records list (`7.5`); empty on a form of its own.
    pub number: String,
    pub id: String,
    /// The form number, or the record's id where it has none (names the form's file).
    pub form: String,
    /// The form number as printed on the form; empty where the record has none (the
    /// original prints no number then, and an id is no number).
    pub form_no: String,
    pub title: Multi,
    pub retention: Option<Multi>,
    pub keeper: Option<Multi>,
    pub has_form: bool,
    /// How to fill in or return the form, per language (Markdown subset).
    pub instructions: Option<Multi>,
    pub fields: Vec<FieldContext>,
}

#[derive(Serialize)]
pub struct FieldContext {
    pub id: String,
    pub label: Multi,
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<Multi>,
    pub unit: Option<String>,
    /// A number field's range, language-neutral (`1–10`, `≥ 0`, `≤ 25.4`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    pub columns: Vec<Multi>,
    /// Number of rows printed.
    pub rows: u32,
    /// The label printed in the first column of each row; empty for blank rows.
    pub row_labels: Vec<Multi>,
}

/// The most rows a printed table gets: a longer list is a register, not a form.
const MAX_FORM_ROWS: usize = 40;

pub fn record(p: &Printing, r: &crate::spec::model::Record) -> RecordContext {
    RecordContext {
        number: String::new(),
        id: r.id.clone(),
        form: r.form.clone().unwrap_or_else(|| r.id.clone()),
        form_no: r.form.clone().unwrap_or_default(),
        title: p.text(&r.title),
        retention: r.retention.as_ref().map(|t| p.amount(t)),
        keeper: r.keeper.as_ref().map(|k| p.actor(k)),
        has_form: !r.fields.is_empty(),
        instructions: p.opt(&r.instructions),
        fields: r
            .fields
            .iter()
            .map(|f| FieldContext {
                id: f.id.clone(),
                label: p.text(&f.label),
                kind: f.kind.word(),
                required: f.required,
                options: f.options.iter().map(|o| p.text(o)).collect(),
                unit: f.unit.clone(),
                range: super::sign_text::range(f),
                columns: f.columns.iter().map(|c| p.text(c)).collect(),
                rows: f.rows.as_ref().map_or(5, |r| r.len()).min(MAX_FORM_ROWS) as u32,
                row_labels: match &f.rows {
                    Some(Rows::Labels(labels)) => labels
                        .iter()
                        .take(MAX_FORM_ROWS)
                        .map(|l| p.text(l))
                        .collect(),
                    _ => Vec::new(),
                },
            })
            .collect(),
    }
}
