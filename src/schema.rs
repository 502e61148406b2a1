//! JSON Schemas of the spec files, generated from the model types, for editors.

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
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
