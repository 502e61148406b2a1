//! Records and their fields (`records:` of a procedure): what a blank form prints and a run
//! step fills in. ISO 9001 7.5.3.2 asks that records be identified, stored, protected and
//! retained; the record's form number and retention are part of it.

use schemars::JsonSchema;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Id used by `produces` and `uses` (`DOC-ID#id` from another procedure).
    pub id: String,
    /// Form number printed on the blank form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    /// Title of the record, printed on its form.
    pub title: Text,
    /// How long the record is kept, e.g. `3 years` (or a text such as `permanent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Text>,
    /// Department that keeps the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keeper: Option<String>,
    /// How to fill in or return the form (Markdown subset), printed on it under the title,
    /// e.g. "Return within 3 days".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<Text>,
    /// The fields of the form, in the order printed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Id of the field, unique in the record.
    pub id: String,
    /// Label printed on the form and shown in a run.
    pub label: Text,
    /// Type of the field: text, longtext, number, date, datetime, choice, multichoice, checkbox, table or signature.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// A run refuses to complete the step without a value.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Options of a `choice` or `multichoice` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Text>,
    /// Unit of a `number` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The smallest value a `number` field accepts (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The largest value a `number` field accepts (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Column headings of a `table` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<Text>,
    /// Rows of a `table` field on the printed form: a number of blank rows, or the labels of
    /// rows printed pre-filled in the first column (`[Quality, Delivery, Service]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Rows>,
    /// Where the value comes from: `item.COLUMN` fills the field, in a run of a per-item
    /// flow, with that column of the run's register item (another value is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The rows of a printed table: `rows: 15` (blank rows) or `rows: [Quality, Delivery]`
/// (one row per label, the label printed in the first column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Rows {
    Count(u32),
    Labels(Vec<Text>),
}

impl Rows {
    /// How many rows the printed form has.
    pub fn len(&self) -> usize {
        match self {
            Rows::Count(n) => *n as usize,
            Rows::Labels(labels) => labels.len(),
        }
    }

    /// Whether the table has no rows at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'de> Deserialize<'de> for Rows {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Read in the visitor (not untagged-buffered) so errors keep their position.
        struct RowsVisitor;
        impl<'de> Visitor<'de> for RowsVisitor {
            type Value = Rows;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of blank rows (`rows: 15`) or a list of row labels (`rows: [Quality, Delivery]`)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Rows, E> {
                u32::try_from(v)
                    .map(Rows::Count)
                    .map_err(|_| E::custom(format!("{v} rows are too many for a form")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Rows, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom("a number of rows cannot be negative"))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Rows, A::Error> {
                let mut out = Vec::new();
                while let Some(label) = seq.next_element::<Text>()? {
                    out.push(label);
                }
                Ok(Rows::Labels(out))
            }
        }
        deserializer.deserialize_any(RowsVisitor)
    }
}

impl JsonSchema for Rows {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Rows".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let text = generator.subschema_for::<Text>();
        schemars::json_schema!({
            "description": "A number of blank rows, or a list of row labels printed pre-filled in the first column.",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "array", "items": text }
            ]
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Text,
    Longtext,
    Number,
    Date,
    Datetime,
    Choice,
    Multichoice,
    Checkbox,
    Table,
    Signature,
}

impl FieldType {
    /// The type as specs write it (`text`, `longtext`, ... `signature`): what templates and
    /// forms branch on.
    pub fn word(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Longtext => "longtext",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Choice => "choice",
            FieldType::Multichoice => "multichoice",
            FieldType::Checkbox => "checkbox",
            FieldType::Table => "table",
            FieldType::Signature => "signature",
        }
    }
}

impl Field {
    /// The register column a field takes its value from (`value: item.COLUMN`), if any.
    pub fn item_column(&self) -> Option<&str> {
        self.value
            .as_deref()
            .and_then(|v| v.trim().strip_prefix("item."))
    }
}
