//! Standing rules end to end: the fixture QMS checks clean, its document prints the rules as
//! numbered clauses and names them on the steps they apply to (step table and traveller),
//! and `procdoc run show` shows them on those steps, in text and in JSON.

mod common;
use common::{build, pdf_text};

use std::path::Path;

const QMS: &str = "tests/fixtures/rules";

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn procdoc(args: &[&str]) -> (i32, String, String) {
    let output = assert_cmd::Command::cargo_bin("procdoc")
        .unwrap()
        .env("NO_COLOR", "1")
        .env_remove("PROCDOC_DB")
        .env_remove("PROCDOC_NOW")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_rules_fixture_checks_clean() {
    let (code, out, err) = procdoc(&["check", "--deny-warnings", QMS]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn documents_print_rules_as_numbered_clauses_and_on_their_steps() {
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = build(Path::new(QMS), out.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let text = squash(&pdf_text(&out.path().join("QP-08_B.pdf")));
    for needle in [
        "Standing rules",
        "1. A casting found nonconforming is tagged before anything else is done with it.",
        "→ 4.1.1)",
        "2. Scrapped castings are never returned to stock.",
        "→ 4.1.5, QF-08-01)",
        "Rule 1: A casting found nonconforming is tagged",
        "Rule 2: Scrapped castings are never returned to stock.",
    ] {
        assert!(text.contains(needle), "`{needle}` not in: {text}");
    }
    let traveller = squash(&pdf_text(&out.path().join("travellers/QP-08_ncr.pdf")));
    assert!(
        traveller.contains("Rule 1: A casting found nonconforming"),
        "{traveller}"
    );
    assert!(
        traveller.contains("Rule 2: Scrapped castings"),
        "{traveller}"
    );
}

#[test]
fn run_show_names_the_rules_on_their_steps() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("runs.sqlite");
    let db = db.to_str().unwrap();
    let (code, out, err) = procdoc(&[
        "run", "--qms", QMS, "--db", db, "start", "QP-08", "--ref", "NC-1",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, text, err) = procdoc(&["run", "--qms", QMS, "--db", db, "show", "NC-1"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = text.lines().collect();
    let below = |step: &str| {
        let at = lines
            .iter()
            .position(|l| l.contains(&format!(" {step} ")))
            .unwrap_or_else(|| panic!("no step {step} in {text}"));
        lines[at + 1].trim().to_string()
    };
    assert_eq!(
        below("segregate"),
        "Rule 1: A casting found nonconforming is tagged before anything else is done with it."
    );
    // `report` produces the record the second rule names.
    assert_eq!(
        below("report"),
        "Rule 2: Scrapped castings are never returned to stock."
    );
    assert!(!below("rework").starts_with("Rule"), "{text}");

    let (code, json, err) = procdoc(&[
        "run", "--qms", QMS, "--db", db, "show", "NC-1", "--format", "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let record: serde_json::Value = serde_json::from_str(&json).unwrap();
    let steps = record["steps"].as_array().unwrap();
    let rules = |id: &str| {
        steps.iter().find(|s| s["id"] == id).unwrap()["rules"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
    };
    assert_eq!(rules("segregate"), 1);
    assert_eq!(rules("scrap"), 1);
    assert_eq!(rules("rework"), 0, "no `rules` key where none apply");
}
