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
    // Joint, not "any one of": each department, and which have signed.
    assert!(text.contains("[QA + PROD + ENG]"), "{text}");
    assert!(!text.contains("[QA/PROD/ENG]"), "{text}");
    assert!(text.contains("QA ✓  PROD ✓  ENG …"), "{text}");
    assert_eq!(approve["joint"], true);
    assert_eq!(
        it["sign_off"][2],
        serde_json::json!({"code": "ENG", "signed": false})
    );
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

impl Env {
    /// `procdoc user ARGS` on the same QMS and store; panics unless it succeeds.
    fn user(&self, args: &[&str]) {
        let o = assert_cmd::Command::cargo_bin("procdoc")
            .unwrap()
            .arg("user")
            .args(args)
            .arg("--qms")
            .arg(&self.qms)
            .arg("--db")
            .arg(&self.db)
            .env_remove("PROCDOC_DB")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    /// A run of the corrective action waiting for the joint approval.
    fn at_approval(&self, reference: &str) {
        self.ok(&["start", "QA-P-010", "--ref", reference]);
        self.ok(&[
            "done",
            reference,
            "classify",
            "--by",
            "helen",
            "--field",
            "capa.category=Major",
        ]);
    }
}

#[test]
fn with_user_accounts_a_typed_name_signs_as_its_account_and_for_its_departments_only() {
    let env = Env::new();
    env.user(&[
        "add",
        "helen",
        "--name",
        "Helen Clarke",
        "--dept",
        "QA",
        "--dept",
        "PROD",
    ]);
    env.user(&["add", "wu", "--name", "Wu Gang", "--dept", "PROD"]);
    env.user(&["add", "zhao", "--name", "Zhao Lei", "--dept", "ENG"]);
    env.user(&["add", "old", "--name", "Old Hand", "--dept", "ENG"]);
    env.user(&["disable", "old"]);
    env.at_approval("CA-1");

    // A name that is no account's is refused once the store has accounts.
    let err = env.refused(&["done", "CA-1", "approve", "--by", "Somebody", "--as", "QA"]);
    assert!(err.contains("no user account"), "{err}");
    let err = env.refused(&["done", "CA-1", "approve", "--by", "Old Hand", "--as", "ENG"]);
    assert!(err.contains("disabled"), "{err}");
    // A department the account is not in, naming the account's departments.
    let err = env.refused(&["done", "CA-1", "approve", "--by", "wu", "--as", "ENG"]);
    assert!(
        err.contains("Wu Gang (wu) may not sign step approve for ENG: they belong to PROD"),
        "{err}"
    );
    // The login first, then the printed name of the same person: one signature each.
    let out = env.ok(&["done", "CA-1", "approve", "--by", "helen", "--as", "QA"]);
    assert!(
        out.contains("approve signed by Helen Clarke (helen) for QA"),
        "{out}"
    );
    let err = env.refused(&[
        "done",
        "CA-1",
        "approve",
        "--by",
        "Helen Clarke",
        "--as",
        "PROD",
    ]);
    assert!(
        err.contains("one person signs for one department only"),
        "{err}"
    );
    // With one department of the account left to sign, it needs no `--as`.
    let out = env.ok(&["done", "CA-1", "approve", "--by", "Wu Gang"]);
    assert!(
        out.contains("approve signed by Wu Gang (wu) for PROD"),
        "{out}"
    );
    let out = env.ok(&["done", "CA-1", "approve", "--by", "zhao", "--check", "all"]);
    assert!(
        out.contains("approve completed by Zhao Lei (zhao) for ENG"),
        "{out}"
    );
    let r = env.show("CA-1");
    let it = &step(&r, "approve")["iterations"][0];
    assert_eq!(it["signed"][0]["by"], "Helen Clarke");
    assert_eq!(it["signed"][0]["login"], "helen");
    assert!(env.ok(&["verify"]).starts_with("OK"));
}

#[test]
fn with_user_accounts_an_account_of_several_departments_says_which_one_it_signs_for() {
    let env = Env::new();
    env.user(&[
        "add",
        "helen",
        "--name",
        "Helen Clarke",
        "--dept",
        "QA",
        "--dept",
        "PROD",
    ]);
    env.at_approval("CA-2");
    let err = env.refused(&["done", "CA-2", "approve", "--by", "Helen Clarke"]);
    assert!(
        err.contains("may sign step approve for QA, PROD: say which one they act for"),
        "{err}"
    );
}

#[test]
fn a_number_is_recorded_as_it_was_entered() {
    let env = Env::new();
    env.ok(&["start", "QA-P-010", "--ref", "CA-3"]);
    // An exponent is not how a form is filled in: refused, nothing written.
    let err = env.refused(&[
        "done",
        "CA-3",
        "classify",
        "--by",
        "Helen",
        "--field",
        "capa.category=Minor",
        "--field",
        "capa.score=1e1",
    ]);
    assert!(err.contains("is not a number"), "{err}");
    env.ok(&[
        "done",
        "CA-3",
        "classify",
        "--by",
        "Helen",
        "--field",
        "capa.category=Minor",
        "--field",
        "capa.score= 7.50 ",
    ]);
    let r = env.show("CA-3");
    let it = &step(&r, "classify")["iterations"][0];
    let text = it.to_string();
    assert!(
        text.contains(r#""raw":"7.50""#) && text.contains(r#""value":"7.50""#),
        "{text}"
    );
    assert!(!text.contains("7.5\""), "{text}");
    let shown = env.ok(&["show", "CA-3"]);
    assert!(shown.contains("7.50"), "{shown}");
    assert!(env.ok(&["verify"]).starts_with("OK"));
}

#[test]
fn the_exported_record_shows_every_signature_of_a_joint_step() {
    let env = Env::new();
    env.at_approval("CA-9");
    env.ok(&["done", "CA-9", "approve", "--by", "Helen", "--as", "QA"]);
    env.ok(&["done", "CA-9", "approve", "--by", "Wu", "--as", "PROD"]);
    env.ok(&[
        "done", "CA-9", "approve", "--by", "Zhao", "--as", "ENG", "--check", "all",
    ]);
    let out = env.db.with_file_name("out");
    env.ok(&["export", "CA-9", "-o", out.to_str().unwrap()]);
    let pdf = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "pdf"))
        .expect("a PDF")
        .path();
    let text = common::pdf_text(&pdf);
    // The traveller table lists the approval's three signatures before the audit trail.
    let table = text.split("Audit trail").next().unwrap_or(&text);
    let flat = table.split_whitespace().collect::<Vec<_>>().join(" ");
    for (who, dept) in [("Helen", "QA"), ("Wu", "PROD"), ("Zhao", "ENG")] {
        let at = flat
            .find(&format!("09:00 {who} "))
            .unwrap_or_else(|| panic!("{who}: {flat}"));
        let line = &flat[at..(at + 90).min(flat.len())];
        assert!(
            line.contains(&format!("for {dept} (approved)")),
            "{who} {dept}: {flat}"
        );
    }
}

#[test]
fn with_user_accounts_the_starter_of_a_run_is_an_account() {
    let env = Env::new();
    // Without accounts, a typed name is recorded as typed.
    env.ok(&["start", "QA-P-010", "--ref", "CA-1", "--by", "Anyone"]);
    assert_eq!(env.show("CA-1")["started_by"], "Anyone");
    env.user(&["add", "helen", "--name", "Helen Clarke", "--dept", "QA"]);
    env.user(&["add", "old", "--name", "Old Hand", "--dept", "QA"]);
    env.user(&["disable", "old"]);
    let err = env.refused(&["start", "QA-P-010", "--ref", "CA-2", "--by", "nobody"]);
    assert!(err.contains("no user account"), "{err}");
    let err = env.refused(&["start", "QA-P-010", "--ref", "CA-2", "--by", "old"]);
    assert!(err.contains("disabled"), "{err}");
    let list = env.ok(&["list"]);
    assert!(!list.contains("CA-2"), "{list}");
    // The login names the account; the record keeps its printed name.
    env.ok(&["start", "QA-P-010", "--ref", "CA-2", "--by", "helen"]);
    assert_eq!(env.show("CA-2")["started_by"], "Helen Clarke");
}
