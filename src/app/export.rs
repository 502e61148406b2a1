//! Exporting a run's record: the JSON and the PDF, under a file name that no other run of
//! the store shares, even on a case-insensitive disk.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Refusal, RefusalKind, RunRef, show_run, transaction};
use crate::run::record::RunRecord;
use crate::run::store::{Filter, Store};
use crate::spec::load::Qms;

/// A run record written as JSON and PDF.
#[derive(Debug, Clone)]
pub struct Exported {
    pub json: PathBuf,
    pub pdf: PathBuf,
    /// The run's audit chain verified; an export of a broken chain is written but flagged.
    pub intact: bool,
}

/// Pretty JSON, as `run show --format json` prints and `run export` writes it.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_string())
}

/// Writes a run's record into `output` as `<name>.json` and `<name>.pdf`, `<name>` being
/// [`export_name`]'s. Refused when `output` holds a file of that name
/// (as a case-insensitive disk compares names) that is not an earlier export of this run.
pub fn export_run(
    store: &mut dyn Store,
    qms: Option<&Qms>,
    run: &RunRef,
    output: &Path,
    tolerance: i64,
) -> Result<Exported, Refusal> {
    let record = show_run(store, qms, run, None, tolerance)?;
    let rows = transaction(store, false, |s| Ok(s.list(&Filter::default())?))?;
    let name = export_name(
        (&record.reference, &record.doc.id, &record.flow.id),
        rows.iter()
            .map(|r| (r.reference.as_str(), r.doc.as_str(), r.flow.as_str())),
    );
    target_free(output, &name, &record)?;
    let io = |message: String| Refusal::new(RefusalKind::Storage, Some("output"), message);
    let pdf = crate::render::build::run_record_pdf(&record, None)
        .map_err(|e| Refusal::new(RefusalKind::Invalid, None, e.to_string()))?;
    std::fs::create_dir_all(output)
        .map_err(|e| io(format!("cannot create {}: {e}", output.display())))?;
    let json = output.join(format!("{name}.json"));
    std::fs::write(&json, to_json(&record) + "\n")
        .map_err(|e| io(format!("cannot write {}: {e}", json.display())))?;
    let pdf_path = json.with_extension("pdf");
    std::fs::write(&pdf_path, pdf)
        .map_err(|e| io(format!("cannot write {}: {e}", pdf_path.display())))?;
    Ok(Exported {
        json,
        pdf: pdf_path,
        intact: record.chain.intact,
    })
}

/// A file name for a reference: letters, digits, `.`, `-` and `_` kept, the rest `_`.
pub fn safe_name(reference: &str) -> String {
    let name: String = reference
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match name.trim_start_matches('.') {
        "" => "run".to_string(),
        rest => rest.to_string(),
    }
}

/// The file name (without extension) a run exports to: [`safe_name`] of its reference, or,
/// when another run of the store would get the same name on a case-insensitive disk (`SO/7`
/// and `SO_7`, `so_7`, or one reference in two flows), that name with `~` and a short hash
/// of the run's document, flow and reference, so no two runs ever share an export file.
pub fn export_name<'a>(
    run: (&str, &str, &str),
    all: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> String {
    let (reference, doc, flow) = run;
    let plain = safe_name(reference);
    let shared = all
        .into_iter()
        .any(|other| other != run && crate::control::names::same_file(&safe_name(other.0), &plain));
    if !shared {
        return plain;
    }
    let hash = crate::control::command::sha256(format!("{doc}\n{flow}\n{reference}").as_bytes());
    format!("{plain}~{}", &hash[..8])
}

/// Refuse to write an export over a file that is not an earlier export of this same run,
/// comparing names as a case-insensitive disk does.
fn target_free(output: &Path, name: &str, record: &RunRecord) -> Result<(), Refusal> {
    let ours = |path: &Path| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|v| {
                v["reference"] == record.reference.as_str()
                    && v["doc"]["id"] == record.doc.id.as_str()
                    && v["flow"]["id"] == record.flow.id.as_str()
            })
    };
    let describe = |path: &Path| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .filter(|v| v["reference"].is_string())
            .map(|v| {
                format!(
                    "the export of run {} ({}/{})",
                    v["reference"].as_str().unwrap_or_default(),
                    v["doc"]["id"].as_str().unwrap_or_default(),
                    v["flow"]["id"].as_str().unwrap_or_default()
                )
            })
            .unwrap_or_else(|| "a file procdoc did not export".to_string())
    };
    let entries = match std::fs::read_dir(output) {
        Ok(entries) => entries,
        Err(_) => return Ok(()),
    };
    let json_name = format!("{name}.json");
    let mut witness = None;
    for entry in entries.flatten() {
        let existing = entry.file_name().to_string_lossy().into_owned();
        for ext in ["json", "pdf"] {
            let wanted = format!("{name}.{ext}");
            if !crate::control::names::same_file(&existing, &wanted) {
                continue;
            }
            let json = output.join(format!(
                "{}.json",
                existing
                    .rsplit_once('.')
                    .map(|(s, _)| s)
                    .unwrap_or(&existing)
            ));
            if existing == wanted && ours(&output.join(&json_name)) {
                continue;
            }
            witness = Some((existing.clone(), describe(&json)));
        }
    }
    match witness {
        None => Ok(()),
        Some((existing, what)) => Err(Refusal::new(
            RefusalKind::Invalid,
            Some("output"),
            format!(
                "run {} ({}/{}) exports to {name}.json and {name}.pdf, but {} already holds {existing} ({what}), which a case-insensitive disk stores as the same file; export into another folder",
                record.reference,
                record.doc.id,
                record.flow.id,
                output.display()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_references_readable() {
        assert_eq!(safe_name("SO-1001/complaint"), "SO-1001_complaint");
        assert_eq!(safe_name("../etc"), "_etc");
        assert_eq!(safe_name("订单 1"), "订单_1");
    }

    #[test]
    fn runs_whose_names_meet_on_a_case_insensitive_disk_get_a_hash() {
        let one = ("SO/7", "CS-P-001", "order");
        let all = [one, ("so_7", "CS-P-001", "order")];
        let name = export_name(one, all);
        assert!(
            name.starts_with("SO_7~") && name.len() == "SO_7~".len() + 8,
            "{name}"
        );
        assert_eq!(export_name(one, [one]), "SO_7");
    }
}
