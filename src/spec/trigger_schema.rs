//! The JSON Schema of a trigger's text, apart from the trigger's reading of it.
//!
//! A trigger is a text or a recurrence (`{ every: 1 year, in: july }`). In the schema, a
//! text given per language may only have language codes as keys, so that a misspelt
//! recurrence (`{ evry: 1 year, in: july }`) is not taken for a text in two languages, and
//! an editor completes `every` and `in`.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// A trigger's text: a plain scalar, or a map from language code (`en`, `zh-Hant`) to text.
pub struct TriggerText;

impl JsonSchema for TriggerText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TriggerText".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "What starts the flow, in words: a text in the primary language, or a map from language code to text (`{ en: ..., zh: ... }`).",
            "anyOf": [
                { "type": ["string", "number", "boolean"] },
                {
                    "type": "object",
                    "propertyNames": {
                        "description": "A language code such as `en`, `zh` or `zh-Hant`.",
                        "pattern": "^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$",
                        "not": { "enum": ["in"] },
                        "errorMessage": "A trigger is a text, given per language as `{ en: ..., zh: ... }`, or a recurrence `{ every: <interval>, in: <month> }` whose interval is a day or more (`1 year`, `3 months`, `1 working day`)."
                    },
                    "additionalProperties": { "type": ["string", "number", "boolean"] },
                    "minProperties": 1
                }
            ]
        })
    }
}
