//! `procdoc init [DIR]`: a new QMS folder a new user can start from, with editors set up.
//!
//! It holds `procdoc.yaml`, one procedure to copy, the JSON Schemas of this procdoc
//! version in `schema/`, and the settings with which VS Code (`.vscode/settings.json`) and
//! Helix (`.helix/languages.toml`) give every YAML file of the folder its schema, in any
//! sub-folder: a modeline would name the schema relative to one file and break when the
//! file is copied elsewhere. Neovim takes the same mapping in its yamlls settings (README).

use std::path::{Path, PathBuf};

/// The starting files, as (path in the new folder, content).
fn files() -> Vec<(&'static str, String)> {
    vec![
        (
            "procdoc.yaml",
            include_str!("../templates/init/procdoc.yaml").to_string(),
        ),
        (
            "QP-001.yaml",
            include_str!("../templates/init/QP-001.yaml").to_string(),
        ),
        ("schema/procedure.schema.json", crate::schema::procedure()),
        ("schema/settings.schema.json", crate::schema::settings()),
        (".vscode/settings.json", vscode_settings()),
        (".helix/languages.toml", helix_languages()),
        (".gitignore", "/output/\n/.procdoc/\n".to_string()),
    ]
}

/// YAML files of a QMS folder that are not procedures: the settings and the release
/// register `procdoc release` writes.
const NOT_PROCEDURES: [&str; 2] = ["procdoc.yaml", "register.yaml"];

/// The `yaml.schemas` mapping (schema path relative to the folder → file patterns, which
/// yaml-language-server matches in any sub-folder).
fn schema_mapping() -> serde_json::Value {
    let mut procedures = vec!["*.yaml".to_string(), "*.yml".to_string()];
    procedures.extend(NOT_PROCEDURES.iter().map(|n| format!("!{n}")));
    serde_json::json!({
        "./schema/settings.schema.json": ["procdoc.yaml"],
        "./schema/procedure.schema.json": procedures,
    })
}

fn vscode_settings() -> String {
    let settings = serde_json::json!({ "yaml.schemas": schema_mapping() });
    let mut text = serde_json::to_string_pretty(&settings).unwrap_or_default();
    text.push('\n');
    text
}

fn helix_languages() -> String {
    let mapping = schema_mapping();
    let mut out = String::from(
        "# Helix: yaml-language-server gives each YAML file of this QMS its schema.\n\
         [language-server.yaml-language-server.config.yaml.schemas]\n",
    );
    if let Some(map) = mapping.as_object() {
        for (schema, patterns) in map {
            out.push_str(&format!("\"{schema}\" = {patterns}\n"));
        }
    }
    out
}

/// Why `init` did not write anything.
#[derive(Debug)]
pub struct InitError(pub String);

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Creates a new QMS in `dir` (created when missing) and returns the files written.
/// Refused, writing nothing, when `dir` is a file or a folder that is not empty.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, InitError> {
    let shown = dir.display();
    if dir.exists() {
        if !dir.is_dir() {
            return Err(InitError(format!("{shown} is a file, not a folder")));
        }
        let mut entries =
            std::fs::read_dir(dir).map_err(|e| InitError(format!("cannot read {shown}: {e}")))?;
        if entries.next().is_some() {
            return Err(InitError(format!(
                "{shown} is not empty: procdoc init starts a new QMS in a new or empty folder, and changes no file that is there"
            )));
        }
    }
    let mut written = Vec::new();
    for (name, content) in files() {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| InitError(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(&path, content)
            .map_err(|e| InitError(format!("cannot write {}: {e}", path.display())))?;
        written.push(path);
    }
    Ok(written)
}
