//! Steps signed by several departments, decisions taken from a record field and number
//! ranges, end to end through `procdoc run` (each command in its own process, as in
//! tests/run.rs).

mod common;
use common::cli::{RunCommands, child_command, child_process, child_stdout};
use common::copy_dir;
use common::run_record::step;

use std::path::{Path, PathBuf};

const CHILD_ARGS: &str = "PROCDOC_RUN_JOINT_TEST_ARGS";

/// In a normal test run this does nothing. In child mode it is `procdoc run`.
#[test]
fn child_process_entry() {
    child_process(CHILD_ARGS, None);
}

struct Env {
    _dir: tempfile::TempDir,
    qms: PathBuf,
    db: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let qms = dir.path().join("qms");
        copy_dir(Path::new("tests/fixtures/run/joint"), &qms);
        let db = dir.path().join("runs.sqlite");
        Env { _dir: dir, qms, db }
    }

    /// (exit code, stdout, stderr) of `procdoc run ARGS`.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut all = vec![
            "--qms".to_string(),
            self.qms.display().to_string(),
            "--db".to_string(),
            self.db.display().to_string(),
        ];
        all.extend(args.iter().map(|a| a.to_string()));
        let o = child_command(CHILD_ARGS, &all)
            .env("PROCDOC_NOW", "2026-03-02 09:00")
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            child_stdout(&o.stdout),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }
}

impl RunCommands for Env {
    fn output(&self, args: &[&str]) -> (i32, String, String) {
        self.run(args)
    }
}

#[test]
fn three_departments_sign_one_step_each_and_the_last_completes_it() {
    let env = Env::new();
    env.ok(&["start", "QA-P-010", "--ref", "CA-1", "--by", "Helen"]);

    // The outcome comes from the field; a number outside its range is refused, naming it.
    let err = env.refused(&[
        "done",
        "CA-1",
        "classify",
        "--by",
        "Helen",
        "--field",
        "capa.category=Major",
        "--field",
        "capa.score=11",
    ]);
    assert!(
        err.contains("--field capa.score: ") && err.contains("1 to 10"),
        "{err}"
    );
    let err = env.refused(&[
        "done",
        "CA-1",
        "classify",
        "--by",
        "Helen",
        "--field",
        "capa.category=Major",
        "--outcome",
        "Minor",
    ]);
    assert!(
        err.contains(
            "--outcome: `Minor`: step classify takes its outcome from the field capa.category"
        ),
        "{err}"
    );
    let out = env.ok(&[
        "done",
        "CA-1",
        "classify",
        "--by",
        "Helen",
        "--field",
        "capa.category=Major",
        "--field",
        "capa.score=7",
        "--outcome",
        "Major",
    ]);
    assert!(
        out.contains("now active: approve (QA + PROD + ENG)"),
        "{out}"
    );

    // Which department a signature is for must be said while several are left.
    let err = env.refused(&["done", "CA-1", "approve", "--by", "Helen"]);
    assert!(
        err.contains("--as: step approve is signed by each of"),
        "{err}"
    );
    let out = env.ok(&["done", "CA-1", "approve", "--by", "Helen", "--as", "QA"]);
    assert!(out.contains("approve signed by Helen for QA"), "{out}");
    assert!(out.contains("still to sign: PROD, ENG"), "{out}");
    assert!(out.contains("now active: approve (PROD + ENG)"), "{out}");

    // One person signs for one department only; a department signs once.
    let err = env.refused(&["done", "CA-1", "approve", "--by", "helen", "--as", "PROD"]);
    assert!(
        err.contains("one person signs for one department only"),
        "{err}"
    );
    let err = env.refused(&["done", "CA-1", "approve", "--by", "Wu", "--as", "QA"]);
    assert!(err.contains("QA has already signed step approve"), "{err}");
    // Ticks and fields come with the last signature.
    let err = env.refused(&[
        "done", "CA-1", "approve", "--by", "Wu", "--as", "PROD", "--check", "all",
    ]);
    assert!(
        err.contains("entered with the last signature; drop --check/--waive"),
        "{err}"
    );
    env.ok(&["done", "CA-1", "approve", "--by", "Wu", "--as", "PROD"]);

    let r = env.show("CA-1");
    let approve = step(&r, "approve");
    assert_eq!(approve["state"], "active");
    let it = &approve["iterations"][0];
    assert_eq!(it["signed"].as_array().unwrap().len(), 2);
    assert_eq!(it["signed"][1]["by"], "Wu");
    assert_eq!(it["signed"][1]["acting_for"]["code"], "PROD");
    assert_eq!(it["signed"][1]["meaning"], "approved");
    assert_eq!(it["to_sign"], serde_json::json!(["ENG"]));
    let text = env.ok(&["show", "CA-1"]);
    assert!(
        text.contains("signed 2026-03-02 09:00 by Wu for PROD (approved)"),
        "{text}"
    );
    assert!(text.contains("still to sign: ENG"), "{text}");
    // The run list shows the step to ENG only now.
    let mine = env.ok(&["list", "--dept", "ENG"]);
    assert!(mine.contains("CA-1"), "{mine}");
    let prod = env.ok(&["list", "--dept", "PROD"]);
    assert!(!prod.contains("CA-1"), "{prod}");
    let inbox = env.ok(&["inbox", "--dept", "ENG"]);
    assert!(inbox.contains("approve"), "{inbox}");
    let inbox = env.ok(&["inbox", "--dept", "QA", "--dept", "PROD"]);
    assert!(!inbox.contains("approve"), "{inbox}");

    let out = env.ok(&[
        "done", "CA-1", "approve", "--by", "Zhao", "--as", "ENG", "--check", "all",
    ]);
    assert!(out.contains("approve completed by Zhao for ENG"), "{out}");
    assert!(out.contains("now active: close (QA)"), "{out}");
    let r = env.show("CA-1");
    assert_eq!(step(&r, "approve")["state"], "done");
    // Each signature is its own event in the audit chain.
    let verify = env.ok(&["verify"]);
    assert!(verify.starts_with("OK"), "{verify}");
    env.ok(&["done", "CA-1", "close", "--by", "Helen"]);
}

#[test]
fn a_minor_category_goes_straight_to_close() {
    let env = Env::new();
    env.ok(&["start", "QA-P-010", "--ref", "CA-2", "--by", "Helen"]);
    let err = env.refused(&["done", "CA-2", "classify", "--by", "Helen"]);
    assert!(err.contains("capa.category"), "{err}");
    let out = env.ok(&[
        "done",
        "CA-2",
        "classify",
        "--by",
        "Helen",
        "--field",
        "capa.category=一般",
    ]);
    assert!(out.contains(": Minor"), "{out}");
    assert!(out.contains("now active: close (QA)"), "{out}");
}
