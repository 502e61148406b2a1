//! A per-item run keeps its item, and a run of a flow with several triggers its start, on
//! each backend: `run due` sees the item's period covered, `run show` the item's columns, and
//! `run verify` the chain.

use std::path::Path;

use crate::files;
use crate::harness::Backend;

fn procdoc(qms: &Path, db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("procdoc")
        .unwrap()
        .env("NO_COLOR", "1")
        .env_remove("PROCDOC_DB")
        .arg("run")
        .arg("--qms")
        .arg(qms)
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn a_per_item_run_keeps_its_item_and_a_trigger_its_start(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let qms = dir.path().join("qms");
    files::copy_dir(Path::new("tests/fixtures/triggers"), &qms);
    let db = &db.db;
    let start = [
        "start",
        "QP-07",
        "--ref",
        "CAL-1",
        "--item",
        "GA-002",
        "--at",
        "2025-09-15",
    ];
    let (code, out, err) = procdoc(&qms, db, &start);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = procdoc(
        &qms,
        db,
        &[
            "start",
            "QP-08",
            "--ref",
            "N-1",
            "--trigger",
            "2",
            "--at",
            "2025-09-15",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (_, shown, _) = procdoc(&qms, db, &["show", "CAL-1", "--at", "2025-09-16"]);
    assert!(
        shown.contains("item GA-002 (asset_no: GA-002 · description: Micrometer 25-50 mm"),
        "{shown}"
    );
    let (_, shown, _) = procdoc(&qms, db, &["show", "N-1", "--at", "2025-09-16"]);
    assert!(shown.contains("[active]       report"), "{shown}");
    let (_, due, _) = procdoc(&qms, db, &["due", "--at", "2025-09-20"]);
    assert!(!due.contains("GA-002  2025-09-01"), "{due}");
    assert!(due.contains("GA-001  2025-09-01"), "{due}");
    // One run per item and period: the store finds the first by its period.
    let again = [
        "start",
        "QP-07",
        "--ref",
        "CAL-2",
        "--item",
        "GA-002",
        "--at",
        "2025-09-16",
    ];
    let (code, out, err) = procdoc(&qms, db, &again);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("already has run CAL-1"), "{err}");
    // The late period named as `run due` prints it is started today.
    let (code, out, err) = procdoc(
        &qms,
        db,
        &[&again[..], &["--period", "2025-03-01"]].concat(),
    );
    assert_eq!(code, 0, "{out}{err}");
    let (_, due, _) = procdoc(&qms, db, &["due", "--at", "2025-09-20"]);
    assert!(!due.contains("GA-002  2025-03-01"), "{due}");
    let (code, out, err) = procdoc(&qms, db, &["verify"]);
    assert_eq!(code, 0, "{out}{err}");
}
