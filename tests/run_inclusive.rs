//! Inclusive choices and joins in a run, end to end through `procdoc run`: several
//! `--outcome` on a `multiple: true` decision, refused elsewhere, and the `join: started`
//! step that waits only for the branches that were started.

mod common;
use common::cli::RunCommands;
use common::run_record::state;

use std::path::Path;

use assert_cmd::Command;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let qms = dir.path().join("qms");
        std::fs::create_dir_all(&qms).unwrap();
        for name in ["procdoc.yaml", "QP-08.yaml"] {
            std::fs::copy(
                Path::new("tests/fixtures/inclusive").join(name),
                qms.join(name),
            )
            .unwrap();
        }
        Env { dir }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("procdoc")
            .unwrap()
            .arg("run")
            .arg("--qms")
            .arg(self.dir.path().join("qms"))
            .arg("--db")
            .arg(self.dir.path().join("runs.sqlite"))
            .args(args)
            .env("PROCDOC_NOW", "2026-03-02 09:00")
            .env_remove("PROCDOC_DB")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn start(&self, reference: &str) {
        self.ok(&["start", "QP-08", "--ref", reference, "--by", "Ann"]);
        self.ok(&[
            "done", reference, "report", "--by", "Ann", "--field", "part=P-1",
        ]);
    }
}

impl RunCommands for Env {
    fn output(&self, args: &[&str]) -> (i32, String, String) {
        self.run(args)
    }
}

#[test]
fn several_outcomes_start_their_steps_and_the_join_waits_for_those_only() {
    let env = Env::new();
    env.start("NC-1");
    let out = env.ok(&[
        "done",
        "NC-1",
        "disposition",
        "--by",
        "Ann",
        "--outcome",
        "Rework",
        "--outcome",
        "Return to supplier",
    ]);
    assert!(out.contains("Rework, Return to supplier"), "{out}");
    assert!(
        out.contains("now active: rework") && out.contains("now active: return"),
        "{out}"
    );
    env.ok(&["done", "NC-1", "return", "--by", "Pat"]);
    let err = env.refused(&["done", "NC-1", "close", "--by", "Ann"]);
    assert!(
        err.contains("waiting for reinspect to be completed first (join: started)"),
        "{err}"
    );
    let record = env.show("NC-1");
    assert_eq!(state(&record, "close"), "waiting");
    assert_eq!(state(&record, "scrap"), "skipped");
    // Round the rework loop once: the join still waits.
    env.ok(&["done", "NC-1", "rework", "--by", "Bob"]);
    env.ok(&[
        "done",
        "NC-1",
        "reinspect",
        "--by",
        "Ann",
        "--outcome",
        "Fail",
    ]);
    env.refused(&["done", "NC-1", "close", "--by", "Ann"]);
    env.ok(&["done", "NC-1", "rework", "--by", "Bob"]);
    let out = env.ok(&[
        "done",
        "NC-1",
        "reinspect",
        "--by",
        "Ann",
        "--outcome",
        "Pass",
    ]);
    assert!(out.contains("now active: close"), "{out}");
    let out = env.ok(&["done", "NC-1", "close", "--by", "Ann"]);
    assert!(out.contains("ended: Closed"), "{out}");
    env.ok(&["verify", "NC-1"]);
}

#[test]
fn one_outcome_of_a_multiple_decision_and_the_join_follows_at_once() {
    let env = Env::new();
    env.start("NC-2");
    // Labels match in any case, as for one outcome.
    env.ok(&[
        "done",
        "NC-2",
        "disposition",
        "--by",
        "Ann",
        "--outcome",
        "scrap",
    ]);
    let out = env.ok(&["done", "NC-2", "scrap", "--by", "Bob"]);
    assert!(out.contains("now active: close"), "{out}");
    let record = env.show("NC-2");
    assert_eq!(state(&record, "rework"), "skipped");
}

#[test]
fn several_outcomes_are_refused_where_the_decision_takes_one() {
    let env = Env::new();
    env.start("NC-3");
    let err = env.refused(&["done", "NC-3", "disposition", "--by", "Ann"]);
    assert!(
        err.contains("--outcome: step disposition is a decision")
            && err.contains("give one or more outcomes"),
        "{err}"
    );
    let err = env.refused(&[
        "done",
        "NC-3",
        "disposition",
        "--by",
        "Ann",
        "--outcome",
        "Rework",
        "--outcome",
        "Melt down",
    ]);
    assert!(
        err.contains("`Melt down` is not an outcome of step disposition"),
        "{err}"
    );
    env.ok(&[
        "done",
        "NC-3",
        "disposition",
        "--by",
        "Ann",
        "--outcome",
        "Rework",
    ]);
    env.ok(&["done", "NC-3", "rework", "--by", "Bob"]);
    let err = env.refused(&[
        "done",
        "NC-3",
        "reinspect",
        "--by",
        "Ann",
        "--outcome",
        "Pass",
        "--outcome",
        "Fail",
    ]);
    assert!(
        err.contains("--outcome: step reinspect takes one outcome: give the outcome once"),
        "{err}"
    );
    let err = env.refused(&[
        "done",
        "NC-3",
        "reinspect",
        "--by",
        "Ann",
        "--outcome",
        "Pass",
        "--outcome",
        "Pass",
    ]);
    assert!(err.contains("takes one outcome"), "{err}");
}
