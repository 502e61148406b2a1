//! Steps signed by several departments, decisions taken from a record field and number
//! ranges, end to end through `procdoc run` (each command in its own process, as in
//! tests/run.rs).

mod common;
use common::copy_dir;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use serde_json::Value;

const CHILD_ARGS: &str = "PROCDOC_RUN_JOINT_TEST_ARGS";

#[derive(Parser)]
struct RunCli {
    #[arg(long, default_value = ".")]
    qms: PathBuf,
    #[arg(long)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: procdoc::run::RunCommand,
}

/// In a normal test run this does nothing. In child mode it is `procdoc run`.
#[test]
fn child_process_entry() {
    let Ok(args) = std::env::var(CHILD_ARGS) else {
        return;
    };
    let args: Vec<String> = serde_json::from_str(&args).expect("child arguments");
    let code = match RunCli::try_parse_from(std::iter::once("procdoc-run".to_string()).chain(args))
    {
        Ok(cli) => procdoc::run::execute(cli.command, &cli.qms, cli.db),
        Err(e) => {
            let _ = e.print();
            2
        }
    };
    let _ = std::io::stdout().flush();
    std::process::exit(i32::from(code));
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
        let o = Command::new(std::env::current_exe().unwrap())
            .args([
                "child_process_entry",
                "--exact",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
            .env(CHILD_ARGS, serde_json::to_string(&all).unwrap())
            .env("PROCDOC_NOW", "2026-03-02 09:00")
            .env_remove("PROCDOC_DB")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        let stdout = match stdout.find("running 1 test\n") {
            Some(i) => stdout[i + "running 1 test\n".len()..].to_string(),
            None => stdout,
        };
        (
            o.status.code().unwrap_or(-1),
            stdout,
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "`{}` failed:\n{out}{err}", args.join(" "));
        out
    }

    fn refused(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 1, "`{}` was not refused:\n{out}{err}", args.join(" "));
        err
    }

    fn show(&self, reference: &str) -> Value {
        serde_json::from_str(&self.ok(&["show", reference, "--format", "json"])).unwrap()
    }
}

fn step<'a>(record: &'a Value, id: &str) -> &'a Value {
    record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()
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
        err.contains("capa.score") && err.contains("1 to 10"),
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
        err.contains("takes its outcome from the field capa.category"),
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
    assert!(err.contains("--as"), "{err}");
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
    assert!(err.contains("entered with the last signature"), "{err}");
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
