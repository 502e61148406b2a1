//! Several triggers and per-item recurrence end to end through `procdoc run`: a run starts
//! at the chosen trigger's step (by number or text), is refused without one, and a per-item
//! run is pinned to its register item, whose columns fill the record fields that ask for
//! them; `run due` lists item × period.

mod common;
use common::copy_dir;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn qms() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("tests/fixtures/triggers"), dir.path());
    dir
}

fn run(qms: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("procdoc")
        .unwrap()
        .arg("run")
        .arg("--qms")
        .arg(qms)
        .args(args)
        .env("PROCDOC_NOW", "2026-11-23T10:00:00Z")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn show(qms: &Path, reference: &str) -> Value {
    let (code, stdout, stderr) = run(qms, &["show", reference, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn active(record: &Value) -> Vec<String> {
    record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["state"] == "active")
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_run_starts_at_the_step_of_the_trigger_chosen() {
    let dir = qms();
    let q = dir.path();
    let (code, _, stderr) = run(q, &["start", "QP-08", "--ref", "N-1"]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: --trigger: flow `ncr` has several triggers")
            && stderr
                .contains("1. An inspector finds a nonconforming casting (starts at segregate)")
            && stderr.contains("2. A customer returns a casting (starts at report)"),
        "{stderr}"
    );
    let (code, _, stderr) = run(q, &["start", "QP-08", "--ref", "N-1", "--trigger", "3"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("has no trigger `3`"), "{stderr}");

    let (code, _, stderr) = run(q, &["start", "QP-08", "--ref", "N-1", "--trigger", "2"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(active(&show(q, "N-1")), ["report"]);
    let (code, _, stderr) = run(
        q,
        &[
            "start",
            "QP-08",
            "--ref",
            "N-2",
            "--trigger",
            "an inspector finds a nonconforming casting",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(active(&show(q, "N-2")), ["segregate"]);
    // The run says which trigger started it, in the record and as people read it.
    assert_eq!(
        show(q, "N-1")["flow"]["started_by"],
        "2. A customer returns a casting (starts at report)"
    );
    let (_, text, _) = run(q, &["show", "N-2"]);
    assert!(
        text.contains(
            "started by trigger 1. An inspector finds a nonconforming casting (starts at segregate)"
        ),
        "{text}"
    );
    // Started at `report`, the run never does `segregate` and still ends.
    for (step, extra) in [
        ("report", vec!["--field", "part=P-1"]),
        ("disposition", vec!["--outcome", "Scrap"]),
        ("scrap", vec![]),
    ] {
        let mut args = vec!["done", "N-1", step, "--by", "Ann"];
        args.extend(extra);
        let (code, _, stderr) = run(q, &args);
        assert_eq!(code, 0, "{step}: {stderr}");
    }
    let record = show(q, "N-1");
    assert_eq!(record["status"], "ended");
    let (code, _, stderr) = run(q, &["verify"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_per_item_run_is_pinned_to_its_item_and_fills_its_fields() {
    let dir = qms();
    let q = dir.path();
    let (code, stdout, stderr) = run(q, &["due", "--at", "2025-09-15"]);
    assert_eq!(code, 0, "{stderr}");
    // High risk: every 3 months from the effective date (2025-03-01); Medium 6, Low 12.
    assert!(
        stdout.contains("GA-001  2025-09-01 – 2025-11-30  no run yet"),
        "{stdout}"
    );
    assert!(
        stdout.contains("GA-002  2025-09-01 – 2026-02-28  no run yet"),
        "{stdout}"
    );
    assert!(
        stdout.contains("GA-003  2025-03-01 – 2026-02-28  no run yet"),
        "{stdout}"
    );
    assert!(
        stdout.contains("GA-001  2025-03-01 – 2025-05-31  no run yet LATE"),
        "{stdout}"
    );

    let (code, _, stderr) = run(q, &["start", "QP-07", "--ref", "CAL-1"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("give the item with `--item KEY`"),
        "{stderr}"
    );
    let (code, _, stderr) = run(q, &["start", "QP-07", "--ref", "CAL-1", "--item", "GA-999"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("register `gauges` has no item `GA-999`"),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        q,
        &[
            "start",
            "QP-07",
            "--ref",
            "CAL-1",
            "--item",
            "GA-001",
            "--at",
            "2025-09-15",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let (_, text, _) = run(q, &["show", "CAL-1"]);
    assert!(
        text.contains("item GA-001 (asset_no: GA-001 · description: Vernier caliper 0-150 mm · location: Machining cell 1 · risk: High)"),
        "{text}"
    );
    let (code, _, stderr) = run(
        q,
        &[
            "done",
            "CAL-1",
            "calibrate",
            "--by",
            "Ann",
            "--field",
            "result=Pass",
            "--at",
            "2025-09-16",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let record = show(q, "CAL-1");
    assert_eq!(record["item"]["key"], "GA-001");
    assert_eq!(record["period"], "2025-09-01");
    let fields = record.to_string();
    assert!(
        fields.contains("Machining cell 1") && fields.contains("\"Pass\""),
        "{fields}"
    );
    let (_, stdout, _) = run(q, &["due", "--at", "2025-09-20"]);
    assert!(!stdout.contains("GA-001  2025-09-01"), "{stdout}");
    assert!(stdout.contains("GA-002  2025-09-01"), "{stdout}");
    let (code, _, stderr) = run(q, &["verify"]);
    assert_eq!(code, 0, "{stderr}");
    // A register emptied of its items is no assurance that every period has a run.
    std::fs::write(
        q.join("registers/gauges.csv"),
        "asset_no,description,location,risk\n",
    )
    .unwrap();
    let (_, stdout, _) = run(q, &["due", "--at", "2025-09-20"]);
    assert!(
        stdout.contains("cannot list periods: register `gauges` lists no items")
            && !stdout.contains("every period has a run"),
        "{stdout}"
    );
}

#[test]
fn one_run_per_item_and_period_and_a_late_period_is_started_by_name() {
    let dir = qms();
    let q = dir.path();
    let start = |reference: &str, item: &str, period: Option<&str>| {
        let mut args = vec![
            "start",
            "QP-07",
            "--ref",
            reference,
            "--item",
            item,
            "--at",
            "2025-09-15",
        ];
        if let Some(p) = period {
            args.extend(["--period", p]);
        }
        run(q, &args)
    };
    let (code, _, stderr) = start("CAL-1", "GA-001", None);
    assert_eq!(code, 0, "{stderr}");
    // A second run of the same item in the same period is refused, naming the first.
    let (code, _, stderr) = start("CAL-2", "GA-001", None);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("item `GA-001` already has run CAL-1 (open, started 2025-09-15")
            && stderr.contains("of flow `calibrate` for the period from 2025-09-01"),
        "{stderr}"
    );
    // The late period, named by its first day as `run due` prints it, is started today.
    let (code, stdout, stderr) = start("CAL-2", "GA-001", Some("2025-03-01"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("started run CAL-2"), "{stdout}");
    let record = show(q, "CAL-2");
    assert_eq!(record["period"], "2025-03-01");
    // Or by its name as `run due` prints it.
    let (code, _, stderr) = start("CAL-3", "GA-002", Some("2025-03-01 – 2025-08-31"));
    assert_eq!(code, 0, "{stderr}");
    let (_, due, _) = run(q, &["due", "--at", "2025-09-15"]);
    assert!(!due.contains("GA-001  2025-03-01"), "{due}");
    assert!(!due.contains("GA-002  2025-03-01"), "{due}");
    assert!(
        due.contains("GA-001  2025-06-01 – 2025-08-31  no run yet LATE"),
        "{due}"
    );
    // The same period again, however it is named, is refused.
    let (code, _, stderr) = start("CAL-4", "GA-001", Some("2025-03-01"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("already has run CAL-2"), "{stderr}");
    // A period the item does not have, or one not begun yet, is refused with the latest.
    let (code, _, stderr) = start("CAL-4", "GA-001", Some("2025-12-01"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("item `GA-001` has no period `2025-12-01` that has begun by 2025-09-15")
            && stderr.contains("the latest: 2025-09-01 – 2025-11-30"),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        q,
        &["start", "QP-07", "--ref", "CAL-5", "--period", "2025-03-01"],
    );
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = run(q, &["verify"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_per_item_run_names_its_item_in_the_run_list_and_the_printed_record() {
    let dir = qms();
    let q = dir.path();
    let (code, _, stderr) = run(
        q,
        &[
            "start",
            "QP-07",
            "--ref",
            "CAL-1",
            "--item",
            "GA-001",
            "--at",
            "2025-09-15",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let (_, list, _) = run(q, &["list"]);
    let header = list.lines().next().unwrap_or_default();
    assert!(header.contains("ITEM"), "{list}");
    assert!(
        list.lines()
            .any(|l| l.starts_with("CAL-1") && l.contains("GA-001")),
        "{list}"
    );
    let (_, json, _) = run(q, &["list", "--format", "json"]);
    let runs: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(runs[0]["item"], "GA-001", "{json}");

    let out = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(q, &["export", "CAL-1", "-o", out.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let pdf = std::fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "pdf"))
        .expect("a PDF")
        .path();
    let text = common::pdf_text(&pdf);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Item: GA-001"), "{flat}");
    assert!(flat.contains("location: Machining cell 1"), "{flat}");
}

#[test]
fn a_field_that_takes_the_items_value_refuses_another() {
    let dir = qms();
    let q = dir.path();
    let (code, _, stderr) = run(
        q,
        &[
            "start",
            "QP-07",
            "--ref",
            "CAL-1",
            "--item",
            "GA-001",
            "--at",
            "2025-09-15",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let done = |gauge: &str| {
        run(
            q,
            &[
                "done",
                "CAL-1",
                "calibrate",
                "--by",
                "Ann",
                "--field",
                "result=Pass",
                "--field",
                &format!("gauge={gauge}"),
                "--at",
                "2025-09-16",
            ],
        )
    };
    let (code, _, stderr) = done("GA-999");
    assert_ne!(code, 0, "another item's value is accepted");
    assert!(
        stderr.contains(".gauge") && stderr.contains("`GA-001`") && stderr.contains("GA-999"),
        "{stderr}"
    );
    let (code, _, stderr) = done("GA-001");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(show(q, "CAL-1")["steps"][0]["state"], "done");
}
