//! End-to-end CLI behaviour: exit codes, output formats, files read.

mod common;

use assert_cmd::Command;
use serde_json::Value;

fn procdoc() -> Command {
    Command::cargo_bin("procdoc").unwrap()
}

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const SETTINGS: &str = "company: Acme\nlanguages: [en]\ndepartments:\n  - { code: CS, name: Customer Service }\n  - { code: GM, name: General Manager }\n";

const PROCEDURE: &str = "id: CS-P-001
title: Contract review
revision: A
effective: 2026-01-10
owner: CS
approval:
  prepared: { by: Li, date: 2026-01-02 }
  approved: { by: Wang, date: 2026-01-05 }
history:
  - { revision: A, date: 2026-01-10, change: First release }
purpose: Review contracts.
scope: All sales contracts.
responsibilities:
  - { who: CS, duties: [Review] }
  - { who: GM, duties: [Sign] }
flows:
  - id: contract
    title: Contract
    steps:
      - id: review
        title: Review the order
        by: CS
        decision:
          outcomes:
            - { when: Yes, goto: sign }
            - { when: No, goto: cancel }
      - id: sign
        title: Sign
        by: GM
        end: signed
      - id: cancel
        title: Cancel
        by: CS
        end: cancelled
";

fn qms(procedure: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "procdoc.yaml", SETTINGS);
    write(dir.path(), "cs-p-001.yaml", procedure);
    dir
}

#[test]
fn clean_qms_exits_zero() {
    let dir = qms(PROCEDURE);
    procdoc().arg("check").arg(dir.path()).assert().code(0);
}

#[test]
fn errors_exit_one_and_point_at_the_line() {
    let dir = qms(&PROCEDURE.replace("by: GM", "by: GMM"));
    let out = procdoc()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("E0101 unknown-department"), "{text}");
    assert!(text.contains("cs-p-001.yaml:29:13"), "{text}");
    assert!(text.contains("did you mean `GM`?"), "{text}");
}

#[test]
fn warnings_fail_only_when_denied() {
    let dir = qms(&PROCEDURE.replace("purpose: Review contracts.\n", ""));
    procdoc().arg("check").arg(dir.path()).assert().code(0);
    procdoc()
        .arg("check")
        .arg("--deny-warnings")
        .arg(dir.path())
        .assert()
        .code(1);
}

#[test]
fn check_reports_the_states_explored_per_flow() {
    let dir = qms(PROCEDURE);
    let out = procdoc()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    // review, then sign or cancel, then the empty end state: four states.
    assert_eq!(
        report["flows"],
        serde_json::json!([{ "document": "CS-P-001", "flow": "contract", "states": 4, "limit": 100000, "complete": true }])
    );
    let text = procdoc()
        .args(["check", "--stats"])
        .arg(dir.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("limit 100000 per flow"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["CS-P-001", "contract", "4", "0.0%", "all"]),
        "{text}"
    );
    // Without --stats the text output has no table.
    procdoc()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn json_output_lists_findings_with_positions() {
    let dir = qms(&PROCEDURE
        .replace("  - { who: GM, duties: [Sign] }\n", "")
        .replace("by: CS\n        end", "by: QA\n        end"));
    let out = procdoc()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let unknown = findings
        .iter()
        .find(|f| f["code"] == "E0101")
        .expect("unknown department finding");
    assert_eq!(unknown["name"], "unknown-department");
    assert_eq!(unknown["severity"], "error");
    assert_eq!(unknown["line"], 32);
    assert_eq!(unknown["column"], 13);
    assert!(unknown["file"].as_str().unwrap().ends_with("cs-p-001.yaml"));
    assert!(unknown["hint"].is_string());
    let missing = findings
        .iter()
        .find(|f| f["code"] == "W0809")
        .expect("missing responsibility");
    assert_eq!(missing["severity"], "warning");
    assert!(findings.iter().all(|f| f["labels"].is_array()));
}

#[test]
fn usage_and_io_errors_exit_two() {
    procdoc()
        .args(["check", "/nonexistent/qms"])
        .assert()
        .code(2);
    let empty = tempfile::tempdir().unwrap();
    let out = procdoc()
        .arg("check")
        .arg(empty.path())
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("no procdoc.yaml"));
    procdoc()
        .args(["check", "--format", "xml"])
        .assert()
        .code(2);
    procdoc().arg("frobnicate").assert().code(2);
}

#[test]
fn default_folder_is_the_current_one() {
    let dir = qms(PROCEDURE);
    procdoc()
        .current_dir(dir.path())
        .arg("check")
        .assert()
        .code(0);
}

#[test]
fn schema_commands_print_json_schemas() {
    let out = procdoc()
        .arg("schema")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let schema: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(schema["title"], "procdoc procedure");
    assert!(schema["properties"]["flows"].is_object());
    let out = procdoc()
        .args(["schema", "--settings"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let schema: Value = serde_json::from_slice(&out).unwrap();
    assert!(schema["properties"]["departments"].is_object());
}

#[test]
fn graph_exports_dot_mermaid_and_svg() {
    let dir = qms(PROCEDURE);
    let out = procdoc()
        .args(["graph", "CS-P-001", "--qms"])
        .arg(dir.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let dot = String::from_utf8(out).unwrap();
    assert!(dot.starts_with("digraph \"contract\""), "{dot}");
    assert!(dot.contains("shape=diamond"), "{dot}");
    assert!(dot.contains("label=\"Yes\""), "{dot}");
    assert!(dot.contains("cluster_0"), "{dot}");
    let out = procdoc()
        .args([
            "graph", "CS-P-001", "--flow", "contract", "--format", "mermaid", "--qms",
        ])
        .arg(dir.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let mermaid = String::from_utf8(out).unwrap();
    assert!(mermaid.starts_with("flowchart TD"), "{mermaid}");
    assert!(mermaid.contains("-->|\"No\"|"), "{mermaid}");
    // The flowchart the document prints, its parts marked with the flow's steps.
    let out = procdoc()
        .args([
            "graph", "CS-P-001", "--flow", "contract", "--format", "svg", "--qms",
        ])
        .arg(dir.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let svg = String::from_utf8(out).unwrap();
    assert!(svg.starts_with("<svg "), "{svg}");
    assert!(
        svg.contains(r#"<g data-step="start" data-kind="start">"#),
        "{svg}"
    );
    assert!(svg.contains(r#"data-kind="decision""#), "{svg}");
    assert!(svg.contains(r#" data-outcome="No""#), "{svg}");
    assert!(
        svg.contains(r#"<path d="M"#) && svg.contains(" data-from=\""),
        "{svg}"
    );
    procdoc()
        .args(["graph", "NOPE", "--qms"])
        .arg(dir.path())
        .assert()
        .code(2);
    procdoc()
        .args(["graph", "CS-P-001", "--flow", "nope", "--qms"])
        .arg(dir.path())
        .assert()
        .code(2);
}

/// A copy of an example QMS that runs can be written into.
fn example_copy(example: &str) -> tempfile::TempDir {
    let qms = tempfile::tempdir().unwrap();
    common::copy_dir(&std::path::Path::new("specs").join(example), qms.path());
    qms
}

/// `procdoc run ...` in a QMS at a fixed moment, which must succeed.
fn run_ok(qms: &std::path::Path, args: &[&str]) {
    procdoc()
        .arg("run")
        .arg("--qms")
        .arg(qms)
        .args(args)
        .env("PROCDOC_NOW", "2026-11-23T10:00:00+08:00")
        .assert()
        .code(0);
}

#[test]
fn a_run_exports_its_record_as_json_and_pdf() {
    let qms = example_copy("red-maple");
    let run = |args: &[&str]| run_ok(qms.path(), args);
    run(&[
        "start", "CS-P-001", "--flow", "contract", "--ref", "SO-42", "--by", "Li Ming",
    ]);
    run(&["done", "SO-42", "request", "--by", "Customer rep"]);
    let out = tempfile::tempdir().unwrap();
    run(&["export", "SO-42", "-o", out.path().to_str().unwrap()]);
    assert!(out.path().join("SO-42.json").is_file());
    let pdf = std::fs::read(out.path().join("SO-42.pdf")).unwrap();
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "CS-P-001",
        "SO-42",
        "Run record",
        "Customer rep",
        "intact",
        "Audit trail",
    ] {
        assert!(
            text.contains(needle),
            "`{needle}` not in the run record: {text}"
        );
    }
}

#[test]
fn a_run_record_speaks_the_language_of_its_qms() {
    let qms = example_copy("relationship-tw");
    let run = |args: &[&str]| run_ok(qms.path(), args);
    run(&["start", "CS-M-001", "--ref", "R-1", "--by", "王"]);
    run(&[
        "done",
        "R-1",
        "update",
        "--by",
        "王小明",
        "--field",
        "contact-card.name=林先生",
    ]);
    let out = tempfile::tempdir().unwrap();
    run(&["export", "R-1", "-o", out.path().to_str().unwrap()]);
    let pdf = std::fs::read(out.path().join("R-1.pdf")).unwrap();
    let text: String = pdf_extract::extract_text_from_mem(&pdf)
        .unwrap()
        .split_whitespace()
        .collect();
    for needle in [
        "執行記錄",
        "單號",
        "稽核軌跡",
        "已完成",
        "已結束",
        "第1頁共1頁",
        "完整",
        "林先生",
    ] {
        assert!(
            text.contains(needle),
            "`{needle}` not in the run record: {text}"
        );
    }
    for english in ["Run record", "Audit trail", "Checklist", "Page"] {
        assert!(
            !text.contains(english),
            "`{english}` left in English: {text}"
        );
    }
}

/// A copy of the QMS whose management-review flow has more states than the soundness check
/// can explore even with partial-order reduction (W0405), and no error.
fn unproven_qms() -> tempfile::TempDir {
    let qms = tempfile::tempdir().unwrap();
    common::copy_dir(
        std::path::Path::new("tests/fixtures/check/W0405-state-space-limit"),
        qms.path(),
    );
    qms
}

#[test]
fn build_refuses_a_flow_not_proven_sound_unless_allowed() {
    let qms = unproven_qms();
    let out = qms.path().join("out");
    let refused = procdoc()
        .arg("build")
        .arg(qms.path())
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("flow `review` of QP-09 is not proven sound"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-unproven"), "{stderr}");
    assert!(stderr.contains("nothing was built"), "{stderr}");
    assert!(!out.exists(), "a refused build writes nothing");

    let allowed = procdoc()
        .arg("build")
        .arg(qms.path())
        .arg("-o")
        .arg(&out)
        .arg("--allow-unproven")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&allowed.stderr);
    assert!(
        stderr.contains("warning: flow `review` of QP-09 is not proven sound"),
        "{stderr}"
    );
    assert!(out.join("QP-09_A.pdf").is_file(), "the document is built");
}

#[test]
fn release_refuses_a_flow_not_proven_sound_unless_allowed() {
    let qms = unproven_qms();
    let out = qms.path().join("out");
    let release = |extra: &[&str]| {
        let mut cmd = procdoc();
        cmd.args(["release", "QP-09", "--at", "2025-04-01T09:00:00Z", "--qms"])
            .arg(qms.path())
            .arg("-o")
            .arg(&out)
            .args(extra);
        cmd.assert()
    };
    let refused = release(&[]).code(1).get_output().clone();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("flow `review` of QP-09 is not proven sound"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-unproven"), "{stderr}");
    assert!(stderr.contains("nothing was released"), "{stderr}");
    assert!(!qms.path().join("register.yaml").exists());

    release(&["--allow-unproven"]).code(0);
    let register = std::fs::read_to_string(qms.path().join("register.yaml")).unwrap();
    assert!(register.contains("QP-09"), "{register}");
}
