//! Reading the record of a run as `procdoc run show --format json` prints it.

use serde_json::Value;

/// The step `id` of a run record; panics naming it when the record has no such step.
pub fn step<'a>(record: &'a Value, id: &str) -> &'a Value {
    record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

/// The state of step `id` of a run record (`active`, `done`, `waiting`...).
pub fn state(record: &Value, id: &str) -> String {
    step(record, id)["state"].as_str().unwrap().to_string()
}
