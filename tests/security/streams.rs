//! Commands never fail half-way because nobody reads their output: a closed standard
//! output or error (`| head -c0`, `| true`) ends no command early and panics none; a full
//! disk behind `>` is an error instead of a silently cut file.
//!
//! Real processes and real pipes: the reading end is closed before the command starts, so
//! its first write meets a broken pipe every time.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::copy_dir;

fn procdoc() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("procdoc"));
    c.env("NO_COLOR", "1")
        .env_remove("PROCDOC_NOW")
        .env_remove("PROCDOC_DB");
    c
}

/// A pipe whose reading end is already closed.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

struct Ended {
    code: Option<i32>,
    stderr: String,
}

/// Runs `c` with standard output into a closed pipe.
fn stdout_closed(mut c: Command) -> Ended {
    let o = c
        .stdout(Stdio::from(closed_pipe()))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    Ended {
        code: o.status.code(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Runs `c` with both streams into closed pipes.
fn both_closed(mut c: Command) -> Option<i32> {
    c.stdout(Stdio::from(closed_pipe()))
        .stderr(Stdio::from(closed_pipe()))
        .status()
        .unwrap()
        .code()
}

fn quiet(what: &str, ended: &Ended, code: i32) {
    assert_eq!(ended.code, Some(code), "{what}: {}", ended.stderr);
    assert!(
        !ended.stderr.contains("panicked") && !ended.stderr.contains("Broken pipe"),
        "{what}: {}",
        ended.stderr
    );
}

#[test]
fn every_kind_of_command_exits_cleanly_into_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let qms = dir.path().join("qms");
    copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
    let db = dir.path().join("runs.sqlite");
    let run = |args: &[&str]| {
        let mut c = procdoc();
        c.arg("run")
            .arg("--qms")
            .arg(&qms)
            .arg("--db")
            .arg(&db)
            .args(args);
        c
    };
    // Starting a run into a closed pipe still records it, completely.
    quiet(
        "run start",
        &stdout_closed(run(&[
            "start",
            "QA-P-001",
            "--flow",
            "inspection",
            "--ref",
            "P-1",
        ])),
        0,
    );
    quiet(
        "run done",
        &stdout_closed(run(&[
            "done",
            "P-1",
            "inspect",
            "--by",
            "Li",
            "--check",
            "all",
            "--outcome",
            "Rework",
            "--field",
            "lot=L1",
            "--field",
            "measured=3",
        ])),
        0,
    );
    let q = qms.to_str().unwrap();
    let mut cases: Vec<(&str, Command, i32)> = vec![
        ("schema", procdoc_args(&["schema"]), 0),
        (
            "schema --settings",
            procdoc_args(&["schema", "--settings"]),
            0,
        ),
        ("--help", procdoc_args(&["--help"]), 0),
        ("--version", procdoc_args(&["--version"]), 0),
        ("check", procdoc_args(&["check", q]), 0),
        (
            "check json",
            procdoc_args(&["check", q, "--format", "json"]),
            0,
        ),
        ("status", procdoc_args(&["status", q]), 0),
        ("graph", procdoc_args(&["graph", "QA-P-001", "--qms", q]), 0),
        (
            "graph mermaid",
            procdoc_args(&["graph", "QA-P-001", "--qms", q, "--format", "mermaid"]),
            0,
        ),
        ("run show", run(&["show", "P-1"]), 0),
        (
            "run show json",
            run(&["show", "P-1", "--format", "json"]),
            0,
        ),
        ("run list", run(&["list"]), 0),
        ("run due", run(&["due"]), 0),
        ("run verify", run(&["verify"]), 0),
        ("unknown run (error)", run(&["show", "NOPE"]), 2),
    ];
    for (what, c, code) in cases.drain(..) {
        quiet(what, &stdout_closed(c), code);
    }
    // With standard error closed as well, errors are still exit codes, not panics.
    assert_eq!(both_closed(run(&["show", "NOPE"])), Some(2));
    assert_eq!(
        both_closed(procdoc_args(&["check", "/nonexistent/qms"])),
        Some(2)
    );
    assert_eq!(both_closed(procdoc_args(&["no-such-command"])), Some(2));

    // The run's record is whole: both events are there and verify.
    let mut c = run(&["verify"]);
    let o = c.output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("OK: 1 run, 2 events"), "{out}");
}

fn procdoc_args(args: &[&str]) -> Command {
    let mut c = procdoc();
    c.args(args);
    c
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_behind_standard_output_is_an_error() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = procdoc_args(&["schema"])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot write to standard output"), "{err}");
}

const SETTINGS: &str = "company: Acme\nlanguages: [en]\ndepartments:\n  - { code: CS, name: Customer Service }\n  - { code: GM, name: General Manager }\n";

fn procedure(revision: &str) -> String {
    let mut history =
        String::from("  - { revision: A, date: 2026-01-10, change: First release }\n");
    if revision == "B" {
        history.push_str("  - { revision: B, date: 2026-02-10, change: Second release }\n");
    }
    format!(
        "id: CS-P-001
title: Contract review
revision: {revision}
effective: 2026-01-10
owner: CS
approval:
  prepared: {{ by: Li, date: 2026-01-02 }}
  approved: {{ by: Wang, date: 2026-01-05 }}
history:
{history}purpose: Review contracts.
scope: All sales contracts.
responsibilities:
  - {{ who: CS, duties: [Review] }}
  - {{ who: GM, duties: [Sign] }}
flows:
  - id: contract
    title: Contract
    steps:
      - id: review
        title: Review the order
        by: CS
        next: sign
      - id: sign
        title: Sign
        by: GM
        end: signed
"
    )
}

#[test]
fn a_release_into_a_closed_pipe_finishes_its_work() {
    let dir = tempfile::tempdir().unwrap();
    let qms = dir.path().join("qms");
    std::fs::create_dir_all(&qms).unwrap();
    std::fs::write(qms.join("procdoc.yaml"), SETTINGS).unwrap();
    std::fs::write(qms.join("cs-p-001.yaml"), procedure("A")).unwrap();
    let out = dir.path().join("out");
    let release = |at: &str| {
        let mut c = procdoc();
        c.arg("release")
            .arg("CS-P-001")
            .arg("--qms")
            .arg(&qms)
            .arg("-o")
            .arg(&out)
            .args(["--at", at]);
        c
    };
    quiet("release A", &stdout_closed(release("2026-01-10")), 0);
    let controlled_a: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "pdf"))
        .map(|e| e.path())
        .collect();
    assert_eq!(controlled_a.len(), 1, "{controlled_a:?}");

    std::fs::write(qms.join("cs-p-001.yaml"), procedure("B")).unwrap();
    quiet("release B", &stdout_closed(release("2026-02-10")), 0);
    // The superseded controlled copy is gone, the obsolete copy kept, B recorded.
    assert!(!controlled_a[0].exists(), "rev. A's controlled copy stayed");
    assert!(out.join("obsolete").read_dir().unwrap().next().is_some());
    let register = std::fs::read_to_string(qms.join("register.yaml")).unwrap();
    assert!(register.contains("revision: B"), "{register}");
}
