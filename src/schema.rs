//! JSON Schemas of the spec files, generated from the model types, for editors.
//!
//! Editors read them through yaml-language-server (VS Code, Neovim, Helix), so the schemas
//! keep to what it and older editors honour: no `unevaluatedProperties` (which
//! `#[serde(flatten)]` would bring in), a plain `description` and a `markdownDescription`
//! (backticks shown as code) on every property, and `errorMessage` where a pattern would
//! otherwise be shown raw. The rules below are applied to the whole generated schema, so a
//! property added to the model follows them without further work.

use serde_json::{Map, Value};

use crate::spec::model::{Procedure, Settings};

/// The schema of a procedure file, as pretty JSON ending in a newline.
pub fn procedure() -> String {
    pretty(schemars::schema_for!(Procedure))
}

/// The schema of `procdoc.yaml`.
pub fn settings() -> String {
    pretty(schemars::schema_for!(Settings))
}

fn pretty(schema: schemars::Schema) -> String {
    let mut value = schema.to_value();
    for_editors(&mut value);
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// Adjust a generated schema to what `procdoc check` accepts and editors show (see the
/// module documentation); recursive over every subschema.
fn for_editors(value: &mut Value) {
    match value {
        Value::Object(map) => {
            scalar_strings(map);
            if let Some(Value::String(text)) = map.get("description") {
                let text = text.clone();
                map.entry("markdownDescription")
                    .or_insert(Value::String(text));
            }
            for child in map.values_mut() {
                for_editors(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(for_editors),
        _ => {}
    }
}

/// The loader reads a number or boolean written where a plain string is expected as its
/// text (`revision: 2`, `id: 10`, `iso: [8.2.1, 9]`): a string with no pattern, format or
/// fixed values accepts them too.
fn scalar_strings(map: &mut Map<String, Value>) {
    let plain = map.get("type") == Some(&Value::String("string".into()))
        && !["pattern", "format", "enum", "const"]
            .iter()
            .any(|k| map.contains_key(*k));
    if plain {
        map.insert(
            "type".into(),
            Value::Array(vec!["string".into(), "number".into(), "boolean".into()]),
        );
    }
}
