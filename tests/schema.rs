//! The committed JSON Schemas under `specs/schema/` match the model, and every example file
//! points editors at them. `UPDATE_SCHEMAS=1 cargo test --test schema` rewrites them.

use std::path::Path;

fn compare_or_update(path: &str, generated: &str) {
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(path, generated).expect("write schema");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "{path} is stale: run `UPDATE_SCHEMAS=1 cargo test --test schema` and commit it"
    );
}

#[test]
fn committed_schemas_are_current() {
    compare_or_update(
        "specs/schema/procedure.schema.json",
        &procdoc::schema::procedure(),
    );
    compare_or_update(
        "specs/schema/settings.schema.json",
        &procdoc::schema::settings(),
    );
}

fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn every_example_file_declares_its_schema() {
    let mut files = Vec::new();
    yaml_files(Path::new("specs"), &mut files);
    assert!(files.len() >= 10, "the examples are missing");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("utf-8 example");
        let first = text.lines().next().unwrap_or_default();
        let name = if file.file_name().is_some_and(|n| n == "procdoc.yaml") {
            "settings.schema.json"
        } else {
            "procedure.schema.json"
        };
        assert!(
            first.starts_with("# yaml-language-server: $schema=") && first.ends_with(name),
            "{} must start with `# yaml-language-server: $schema=.../{name}`",
            file.display()
        );
        let target = first.trim_start_matches("# yaml-language-server: $schema=");
        let resolved = file.parent().unwrap().join(target);
        assert!(
            resolved.is_file(),
            "{}: schema path {target} does not exist",
            file.display()
        );
    }
}

/// Every property of `schema` (at any depth) without a description, as `path.property`.
fn undescribed(schema: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match schema {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(props)) = map.get("properties") {
                for (name, prop) in props {
                    let described = prop.get("description").is_some_and(|d| d.is_string())
                        && prop.get("markdownDescription") == prop.get("description");
                    if !described {
                        out.push(format!("{path}.{name}"));
                    }
                }
            }
            for (key, child) in map {
                undescribed(child, &format!("{path}/{key}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                undescribed(item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Hover in an editor shows a property's description: every property has one (a doc
/// comment on the model's field), with the same text as `markdownDescription` so that
/// backticks show as code.
#[test]
fn every_property_has_a_description_and_markdown() {
    for (name, text) in [
        ("procedure", procdoc::schema::procedure()),
        ("settings", procdoc::schema::settings()),
    ] {
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut missing = Vec::new();
        undescribed(&schema, name, &mut missing);
        assert!(
            missing.is_empty(),
            "properties without a description (add a doc comment to the field):\n{}",
            missing.join("\n")
        );
        // Older editors ignore `unevaluatedProperties` and would accept any key there;
        // `#[serde(flatten)]` in a schema-visible type brings it in.
        assert!(
            !text.contains("unevaluatedProperties"),
            "{name}: the schema uses unevaluatedProperties"
        );
    }
}
