//! `procdoc training list`: who has not yet confirmed the current revision of each document
//! their departments act in, an adapter over [`crate::app::training`]. Confirming is a
//! personal act done in the browser, so there is no command for it.

use std::path::{Path, PathBuf};

use crate::app::training;
use crate::run::command::database_path;
use crate::run::store::{AnyStore, StoreError};
use crate::spec::load;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum TrainingCommand {
    /// Per department, per current released revision: how many confirmed it and who is missing
    List {
        /// Only this department (a code of procdoc.yaml)
        #[arg(long = "dept", value_name = "CODE")]
        dept: Option<String>,
    },
}

/// Runs one `procdoc training` command; returns the exit code (0, or 2 on usage and I/O
/// problems).
pub fn execute(command: TrainingCommand, qms_dir: &Path, db: Option<PathBuf>) -> u8 {
    match command {
        TrainingCommand::List { dept } => match list(qms_dir, db, dept.as_deref()) {
            Ok(text) => {
                print!("{text}");
                0
            }
            Err(message) => {
                eprintln!("error: {message}");
                2
            }
        },
    }
}

/// The listing, one block per department:
///
/// ```text
/// QA Quality
///   QA-P-001 rev B (effective 2026-03-01): 1 of 2 confirmed; missing: qa2 (Printed qa2)
/// ```
fn list(qms_dir: &Path, db: Option<PathBuf>, dept: Option<&str>) -> Result<String, String> {
    let (qms, _) = load::load(qms_dir).map_err(|e| e.to_string())?;
    if qms.settings.is_none() {
        return Err(format!(
            "{} has no readable procdoc.yaml: run `procdoc check` on it",
            qms_dir.display()
        ));
    }
    let lang = qms
        .settings
        .as_ref()
        .map_or("en", |s| s.primary_language())
        .to_string();
    let path = database_path(qms_dir, db);
    let store = match AnyStore::open(&path, false) {
        Err(StoreError::Missing(_)) => {
            return Ok(format!(
                "no store at {}: nobody has an account yet, so nobody is missing\n",
                crate::run::store::Location::of(&path).shown()
            ));
        }
        other => other.map_err(|e| e.to_string())?,
    };
    let departments =
        training::department_training(&store, &qms, None, dept, &lang).map_err(|r| r.message)?;
    let mut out = String::new();
    if departments.is_empty() {
        out.push_str("no released document that a department acts in\n");
    }
    for d in departments {
        out.push_str(&format!("{} {}\n", d.code, d.name));
        for r in d.revisions {
            let missing = if r.missing.is_empty() {
                "nobody missing".to_string()
            } else {
                let names: Vec<String> = r
                    .missing
                    .iter()
                    .map(|p| format!("{} ({})", p.login, p.name))
                    .collect();
                format!("missing: {}", names.join(", "))
            };
            out.push_str(&format!(
                "  {} rev {} (effective {}): {} of {} confirmed; {missing}\n",
                r.revision.doc,
                r.revision.revision,
                r.revision.effective,
                r.confirmed.len(),
                d.people
            ));
        }
    }
    Ok(out)
}
