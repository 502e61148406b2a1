//! Scalars kept as written. YAML reads `1.10` as the number 1.1; where the model keeps such a
//! value as text (a label, a title, a step id in `next`), the characters written are put back.

use std::collections::HashMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::source::SourceFile;

/// Put back the characters written wherever YAML read a plain scalar as a number or
/// boolean and the model keeps it as text: `when: 1.10` is the label `1.10`, not `1.1`.
///
/// serde only hands a text visitor the parsed number, so the written form comes from the
/// source map: the model is turned into JSON, every string that stands where the source has
/// such a scalar gets the written characters back, and the model is read again. Only files
/// with such a scalar pay for this; if anything fails the value is kept as parsed.
pub(crate) fn keep_written_scalars<T: Serialize + DeserializeOwned>(
    file: &SourceFile,
    value: T,
) -> T {
    let written = file.resolved_scalars();
    if written.is_empty() {
        return value;
    }
    let Ok(mut json) = serde_json::to_value(&value) else {
        return value;
    };
    if !restore_written(&mut json, &mut String::new(), written) {
        return value;
    }
    serde_json::from_value(json).unwrap_or(value)
}

/// Replace strings at the paths of `written` by the text written there; true if any changed.
fn restore_written(
    json: &mut serde_json::Value,
    path: &mut String,
    written: &HashMap<String, String>,
) -> bool {
    let len = path.len();
    let changed = match json {
        serde_json::Value::String(s) => {
            // One id written as a one-item list (`next: [1.10]`) is kept as a plain string.
            let raw = written.get(path.as_str()).or_else(|| {
                path.push_str("[0]");
                written.get(path.as_str())
            });
            match raw {
                Some(raw) if raw != s => {
                    *s = raw.clone();
                    true
                }
                _ => false,
            }
        }
        serde_json::Value::Array(items) => {
            let mut changed = false;
            for (i, item) in items.iter_mut().enumerate() {
                path.push_str(&format!("[{i}]"));
                changed |= restore_written(item, path, written);
                path.truncate(len);
            }
            changed
        }
        serde_json::Value::Object(map) => {
            let mut changed = false;
            for (key, item) in map.iter_mut() {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                changed |= restore_written(item, path, written);
                path.truncate(len);
            }
            changed
        }
        _ => false,
    };
    path.truncate(len);
    changed
}
