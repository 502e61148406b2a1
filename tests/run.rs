//! Checklist runs end to end: every command runs in its own process, as `procdoc run` does.
//!
//! The process is this test binary run again in "child mode" (see [`child_process_entry`]):
//! it parses the arguments with the real `RunCommand` and calls `procdoc::run::execute`,
//! so these tests need no separate binary and can kill or race real processes.

mod common;
use common::cli::{Out, RunCommands, child_command, child_process, child_stdout};
use common::copy_dir;
use common::run_record::{state, step};

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// The arguments of a child-mode process (JSON list).
const CHILD_ARGS: &str = "PROCDOC_RUN_TEST_ARGS";
/// Unix milliseconds a child waits for before acting, so two children act at once.
const CHILD_GO_AT: &str = "PROCDOC_RUN_TEST_GO_AT";

/// In a normal test run this does nothing. In child mode it is `procdoc run`.
#[test]
fn child_process_entry() {
    child_process(CHILD_ARGS, Some(CHILD_GO_AT));
}

/// A `procdoc run` process with `args`.
fn child(args: &[String]) -> Command {
    child_command(CHILD_ARGS, args)
}

fn out_of(o: Output) -> Out {
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: child_stdout(&o.stdout),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A temporary copy of a QMS folder and a run database in a temporary folder.
struct Env {
    _dir: tempfile::TempDir,
    qms: PathBuf,
    db: PathBuf,
    now: RefCell<String>,
}

impl Env {
    fn new(qms: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("qms");
        copy_dir(Path::new(qms), &copy);
        let db = dir.path().join("db").join("runs.sqlite");
        Env {
            _dir: dir,
            qms: copy,
            db,
            now: RefCell::new("2026-03-02 09:00".to_string()),
        }
    }

    fn factory() -> Env {
        Env::new("tests/fixtures/run/factory")
    }

    fn red_maple() -> Env {
        Env::new("specs/red-maple")
    }

    fn at(&self, now: &str) {
        *self.now.borrow_mut() = now.to_string();
    }

    fn args(&self, args: &[&str]) -> Vec<String> {
        let mut all = vec![
            "--qms".to_string(),
            self.qms.display().to_string(),
            "--db".to_string(),
            self.db.display().to_string(),
        ];
        all.extend(args.iter().map(|a| a.to_string()));
        all
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = child(&self.args(args));
        c.env("PROCDOC_NOW", self.now.borrow().as_str());
        c
    }

    fn run(&self, args: &[&str]) -> Out {
        out_of(self.command(args).output().unwrap())
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&all)).expect("JSON output")
    }

    fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.db).unwrap()
    }
}

impl RunCommands for Env {
    fn output(&self, args: &[&str]) -> (i32, String, String) {
        let o = self.run(args);
        (o.code, o.stdout, o.stderr)
    }
}

// ---------------------------------------------------------------- deadlines

#[test]
fn due_times_follow_the_working_calendar() {
    let env = Env::factory();
    // Friday 16:30: one working hour left that day, the second on Monday from 08:30.
    env.ok(&[
        "start",
        "QA-P-001",
        "--flow",
        "inspection",
        "--ref",
        "LOT-1",
        "--at",
        "2026-03-06 16:30",
    ]);
    let r = env.show("LOT-1");
    assert_eq!(
        step(&r, "inspect")["due"]["at"]["local"],
        "2026-03-09 09:30"
    );
    // The flow's 3 working days: Friday's hour, Monday, Tuesday, then 7 hours on Wednesday.
    assert_eq!(r["due"]["at"]["local"], "2026-03-11 16:30");

    // Across the National Day holidays: Wednesday 17:00, then Monday 5 October.
    env.ok(&[
        "start",
        "QA-P-001",
        "--flow",
        "inspection",
        "--ref",
        "LOT-2",
        "--at",
        "2026-09-30 17:00",
    ]);
    let r = env.show("LOT-2");
    assert_eq!(
        step(&r, "inspect")["due"]["at"]["local"],
        "2026-10-05 10:00"
    );

    // `from: inspect`: rework is due one working day after inspect was completed.
    env.at("2026-03-09 10:00");
    env.ok(&[
        "done",
        "LOT-1",
        "inspect",
        "--by",
        "Qi",
        "--outcome",
        "Rework",
        "--check",
        "all",
        "--field",
        "lot=L1",
        "--field",
        "measured=12",
    ]);
    let r = env.show("LOT-1");
    assert_eq!(step(&r, "rework")["due"]["at"]["local"], "2026-03-10 10:00");
    // Completed 30 minutes after its deadline: marked late, not overdue.
    let inspect = &step(&r, "inspect")["iterations"][0]["due"];
    assert_eq!(inspect["late"], true);
    assert_eq!(inspect["overdue"], false);
}

#[test]
fn from_start_and_before_a_planned_date() {
    let env = Env::factory();
    env.ok(&[
        "start",
        "QA-P-001",
        "--flow",
        "order",
        "--ref",
        "O-1",
        "--at",
        "2026-03-02 09:00",
    ]);
    env.ok(&[
        "done",
        "O-1",
        "receive",
        "--by",
        "Ann",
        "--at",
        "2026-03-03 09:00",
    ]);
    let r = env.show("O-1");
    // `pay` counts 5 working days from the run's start, not from its own activation.
    assert_eq!(step(&r, "pay")["due"]["at"]["local"], "2026-03-09 09:00");
    assert_eq!(step(&r, "make")["due"]["at"]["local"], "2026-03-04 09:00");

    env.ok(&[
        "start",
        "QA-P-001",
        "--flow",
        "audit",
        "--ref",
        "AU-1",
        "--plan",
        "visit=2026-03-20",
    ]);
    let r = env.show("AU-1");
    assert_eq!(step(&r, "visit")["planned"], "2026-03-20");
    // A week before the visit is 13 March; on time until the end of that day.
    assert_eq!(
        step(&r, "prepare")["due"]["at"]["local"],
        "2026-03-14 00:00"
    );
    let out = env.ok(&["plan", "AU-1", "visit", "2026-03-27"]);
    assert!(out.contains("prepare due 2026-03-21 00:00"), "{out}");
    let err = env.refused(&["plan", "AU-1", "prepare", "2026-03-27"]);
    assert!(err.contains("planned steps: visit"), "{err}");
}

#[test]
fn list_shows_what_is_overdue_and_for_whom() {
    let env = Env::factory();
    env.ok(&[
        "start",
        "QA-P-001",
        "--flow",
        "inspection",
        "--ref",
        "LOT-1",
    ]);
    env.ok(&["start", "QA-P-001", "--flow", "order", "--ref", "O-1"]);
    env.ok(&["start", "QA-P-001", "--flow", "complaint", "--ref", "C-1"]);
    env.ok(&["done", "C-1", "record", "--by", "Ann"]);
    env.ok(&["done", "C-1", "fix", "--by", "Bob"]);
    env.at("2026-03-02 10:00");
    let all = env.json(&["list"]);
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(env.json(&["list", "--open"]).as_array().unwrap().len(), 2);
    let closed = env.json(&["list", "--closed"]);
    assert_eq!(closed[0]["reference"], "C-1");
    assert_eq!(closed[0]["outcome"], "Complaint closed");
    assert_eq!(
        env.json(&["list", "--overdue"]).as_array().unwrap().len(),
        0
    );
    // 11:00 passes the 2 working hours of LOT-1's inspection.
    env.at("2026-03-02 11:01");
    let late = env.json(&["list", "--overdue"]);
    assert_eq!(late.as_array().unwrap().len(), 1);
    assert_eq!(late[0]["reference"], "LOT-1");
    let text = env.ok(&["list", "--overdue"]);
    assert!(
        text.contains("LOT-1  inspect  for QA  due 2026-03-02 11:00"),
        "{text}"
    );
    let cs = env.json(&["list", "--dept", "CS"]);
    assert_eq!(cs.as_array().unwrap().len(), 1);
    assert_eq!(cs[0]["reference"], "O-1");
    assert_eq!(
        env.json(&["list", "--dept", "GM"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        env.json(&["list", "--doc", "NOPE"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

// ---------------------------------------------------------------- the red-maple contract flow

const REVIEW_FIELDS: [&str; 4] = [
    "--field",
    "contract-review.customer=Vestas",
    "--field",
    "quotation.customer=Vestas",
];

fn review(env: &Env, reference: &str, outcome: &str) {
    let mut args = vec![
        "done",
        reference,
        "review",
        "--by",
        "Li Ming",
        "--outcome",
        outcome,
        "--check",
        "all",
    ];
    args.extend(REVIEW_FIELDS);
    env.ok(&args);
}

/// From the general manager's signature to delivery: the parallel branches and the join.
fn sign_and_deliver(env: &Env, reference: &str) {
    env.ok(&["done", reference, "gm-sign", "--by", "Shen Jianguo"]);
    env.ok(&["done", reference, "inform", "--by", "Li Ming"]);
    let r = env.show(reference);
    assert_eq!(state(&r, "payment"), "active");
    assert_eq!(state(&r, "production"), "active");
    env.ok(&["done", reference, "production", "--by", "Wu Gang"]);
    let r = env.show(reference);
    assert_eq!(state(&r, "delivery-list"), "waiting");
    assert_eq!(step(&r, "delivery-list")["waiting_for"][0], "payment");
    let err = env.refused(&["done", reference, "delivery-list", "--by", "Li Ming"]);
    assert!(err.contains("waiting for payment"), "{err}");
    env.ok(&["done", reference, "payment", "--by", "Customer"]);
    env.ok(&[
        "done",
        reference,
        "delivery-list",
        "--by",
        "Li Ming",
        "--field",
        "contract_no=HT-2026-001",
        "--field",
        "quantity=2",
        "--field",
        "ship_date=2026-03-20",
    ]);
    let out = env.ok(&["done", reference, "transport", "--by", "Zhao Lei"]);
    assert!(out.contains("ended: Mould delivered"), "{out}");
}

#[test]
fn red_maple_contract_runs_through_every_outcome_to_each_end() {
    let env = Env::red_maple();
    for reference in ["SO-1", "SO-2", "SO-3"] {
        env.ok(&["start", "CS-P-001", "--ref", reference, "--by", "Li Ming"]);
        env.ok(&["done", reference, "request", "--by", "Customer"]);
    }
    // Outcome labels match in any QMS language, whatever the case.
    review(&env, "SO-1", "order CAN be fulfilled");
    let r = env.show("SO-1");
    assert_eq!(state(&r, "discuss"), "skipped");
    assert_eq!(state(&r, "cancel"), "skipped");
    assert_eq!(state(&r, "gm-sign"), "active");
    sign_and_deliver(&env, "SO-1");

    review(&env, "SO-2", "部分条款有异议");
    env.ok(&[
        "done",
        "SO-2",
        "discuss",
        "--by",
        "Li Ming",
        "--note",
        "agreed by e-mail",
    ]);
    sign_and_deliver(&env, "SO-2");

    review(&env, "SO-3", "无法执行");
    let out = env.ok(&["done", "SO-3", "cancel", "--by", "Li Ming"]);
    assert!(out.contains("ended: Order cancelled"), "{out}");

    let r = env.show("SO-2");
    assert_eq!(r["status"], "ended");
    assert_eq!(r["outcome"], "Mould delivered");
    assert_eq!(
        step(&r, "review")["iterations"][0]["completed"]["outcome"],
        "Items to discuss"
    );
    assert_eq!(
        step(&r, "discuss")["iterations"][0]["completed"]["note"],
        "agreed by e-mail"
    );
    assert_eq!(state(&r, "cancel"), "skipped");
    assert_eq!(state(&r, "transport"), "done");
    let fields = &step(&r, "delivery-list")["iterations"][0]["completed"]["fields"];
    assert!(
        fields
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key"] == "delivery-list.quantity" && f["raw"] == 2 && f["value"] == "2")
    );
    let r = env.show("SO-3");
    assert_eq!(r["outcome"], "Order cancelled");
    assert_eq!(state(&r, "transport"), "skipped");
    let closed = env.json(&["list", "--closed"]);
    assert_eq!(closed.as_array().unwrap().len(), 3);
    assert!(env.ok(&["verify"]).contains("OK: 3 runs"));
}

#[test]
fn a_loop_activates_earlier_steps_again_and_keeps_every_iteration() {
    let env = Env::factory();
    env.ok(&[
        "start",
        "QA-P-001",
        "--flow",
        "inspection",
        "--ref",
        "LOT-1",
    ]);
    let inspect = |outcome: &str, lot: &str| {
        env.ok(&[
            "done",
            "LOT-1",
            "inspect",
            "--by",
            "Qi",
            "--outcome",
            outcome,
            "--check",
            "all",
            "--field",
            &format!("lot={lot}"),
            "--field",
            "measured=12.5",
        ]);
    };
    inspect("rework", "L1-a");
    env.ok(&["done", "LOT-1", "rework", "--by", "Bo"]);
    inspect("REWORK", "L1-b");
    env.ok(&["done", "LOT-1", "rework", "--by", "Bo"]);
    inspect("scrap", "L1-c");
    let out = env.ok(&["done", "LOT-1", "scrap", "--by", "Bo"]);
    assert!(out.contains("ended: Scrapped"), "{out}");
    let r = env.show("LOT-1");
    let iterations = step(&r, "inspect")["iterations"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(iterations.len(), 3);
    let outcomes: Vec<&str> = iterations
        .iter()
        .map(|i| i["completed"]["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["Rework", "Rework", "Scrap"]);
    assert_eq!(iterations[1]["completed"]["fields"][0]["value"], "L1-b");
    assert_eq!(
        step(&r, "rework")["iterations"].as_array().unwrap().len(),
        2
    );
    assert_eq!(state(&r, "release"), "skipped");
    let text = env.ok(&["show", "LOT-1"]);
    assert!(text.contains("#3 active from"), "{text}");
    assert!(!text.contains('\x1b'), "no colour when piped");
}

// ---------------------------------------------------------------- refusals

#[test]
fn refusals_say_why_and_write_nothing() {
    let env = Env::factory();
    env.ok(&[
        "start",
        "QA-P-001",
        "--flow",
        "inspection",
        "--ref",
        "LOT-1",
    ]);
    let events = || env.show("LOT-1")["chain"]["events"].as_u64().unwrap();
    let before = events();

    let err = env.refused(&["done", "LOT-1", "release", "--by", "Qi", "--as", "QA"]);
    assert!(err.contains("step release is not active"), "{err}");
    assert!(err.contains("active now: inspect (QA)"), "{err}");

    let base = ["done", "LOT-1", "inspect", "--by", "Qi"];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = base.to_vec();
        args.extend(extra);
        args
    }
    let with = |extra: &[&'static str]| with(&base, extra);
    let fields = ["--field", "lot=L1", "--field", "measured=12"];
    let err = env.refused(&with(&["--check", "all"]));
    assert!(
        err.contains("--outcome: step inspect is a decision (Result?): give the outcome, one of `Pass`, `Rework`, `Scrap`"),
        "{err}"
    );
    let err = env.refused(&with(&["--outcome", "maybe", "--check", "all"]));
    assert!(
        err.contains("`maybe` is not an outcome of step inspect: one of `Pass`, `Rework`, `Scrap`"),
        "{err}"
    );

    let err = env.refused(&with(&["--outcome", "pass", "--check", "1"]));
    assert!(err.contains("unticked check items"), "{err}");
    assert!(
        err.contains("2. Surface") && err.contains("3. Label"),
        "{err}"
    );
    let err = env.refused(&with(&[
        "--outcome",
        "pass",
        "--check",
        "1,2",
        "--waive",
        "3",
    ]));
    assert!(err.contains("--waive needs --reason"), "{err}");

    let err = env.refused(&with(&[
        "--outcome",
        "pass",
        "--check",
        "all",
        "--field",
        "lot=L1",
    ]));
    assert!(err.contains("required record fields are missing"), "{err}");
    assert!(
        err.contains("inspection-report.measured (Measured length)"),
        "{err}"
    );

    for (field, why) in [
        ("measured=twelve", "is not a number"),
        ("inspected_on=2026-02-30", "is not a date"),
        ("next_check=soon", "is not a date or time"),
        ("verdict=meh", "is not one of the options: `pass`, `fail`"),
        ("defects=dent,rust", "`rust` is not one of the options"),
        ("sealed=maybe", "is not yes or no"),
        ("items=a|b|c", "has 3 cells, the table has 2 columns"),
        ("colour=red", "no such field"),
    ] {
        let mut args = with(&["--outcome", "pass", "--check", "all"]);
        args.extend(fields);
        args.extend(["--field", field]);
        let err = env.refused(&args);
        assert!(err.contains(why), "{field}: {err}");
    }
    assert_eq!(events(), before, "refusals wrote nothing");

    // A complete, valid completion with every field type, then separation of duties.
    let mut args = with(&[
        "--outcome",
        "pass",
        "--check",
        "1,2",
        "--waive",
        "3",
        "--reason",
        "no label on this lot",
    ]);
    args.extend(fields);
    args.extend([
        "--field",
        "next_check=2026-03-05 10:00",
        "--field",
        "verdict=FAIL",
        "--field",
        "defects=dent, crack",
        "--field",
        "sealed=yes",
        "--field",
        "items=bolt|ok; nut|loose",
        "--field",
        "inspector=Qi",
        "--field",
        "inspected_on=2026-03-02",
    ]);
    env.ok(&args);
    let err = env.refused(&["done", "LOT-1", "release", "--by", "qi", "--as", "QA"]);
    assert!(err.contains("qi completed inspect"), "{err}");
    assert!(
        err.contains("must be completed by someone else (not_by: inspect)"),
        "{err}"
    );
    let err = env.refused(&["done", "LOT-1", "release", "--by", "Zed"]);
    assert!(
        err.contains("--as: step release may be completed for QA, GM: say which"),
        "{err}"
    );
    let err = env.refused(&["done", "LOT-1", "release", "--by", "Zed", "--as", "PROD"]);
    assert!(err.contains("--as: PROD: "), "{err}");
    env.ok(&["done", "LOT-1", "release", "--by", "Zed", "--as", "GM"]);
    let err = env.refused(&["done", "LOT-1", "release", "--by", "Zed", "--as", "GM"]);
    assert!(err.contains("has ended (Released)"), "{err}");

    let r = env.show("LOT-1");
    let sig = &step(&r, "inspect")["iterations"][0]["completed"];
    assert_eq!(sig["checks"][2]["waived"], "no label on this lot");
    let value = |key: &str| {
        sig["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()
            .clone()
    };
    assert_eq!(value("inspection-report.verdict")["raw"], "fail");
    assert_eq!(value("inspection-report.sealed")["raw"], true);
    assert_eq!(
        value("inspection-report.defects")["raw"],
        serde_json::json!(["dent", "crack"])
    );
    assert_eq!(
        value("inspection-report.next_check")["raw"],
        "2026-03-05T02:00:00Z"
    );
    assert_eq!(
        value("inspection-report.next_check")["value"],
        "2026-03-05 10:00"
    );
    assert_eq!(
        value("inspection-report.items")["raw"],
        serde_json::json!([["bolt", "ok"], ["nut", "loose"]])
    );
    assert_eq!(
        step(&r, "release")["iterations"][0]["completed"]["acting_for"]["code"],
        "GM"
    );
}

#[test]
fn usage_errors_exit_with_2() {
    let env = Env::factory();
    env.ok(&["start", "QA-P-001", "--flow", "repeat", "--ref", "R-1"]);
    assert_eq!(env.run(&["show", "NOPE"]).code, 2);
    assert_eq!(env.run(&["done", "R-1", "nosuch", "--by", "A"]).code, 2);
    assert_eq!(
        env.run(&["done", "R-1", "work", "--by", "A", "--at", "yesterday"])
            .code,
        2
    );
    assert_eq!(
        env.run(&["start", "QA-P-001", "--flow", "nope", "--ref", "X"])
            .code,
        2
    );
    assert_eq!(env.run(&["start", "NOPE", "--ref", "X"]).code, 2);
    assert_eq!(env.run(&["start", "QA-P-001", "--ref", " padded "]).code, 2);
    // A reference is unique per flow.
    let err = env.refused(&["start", "QA-P-001", "--flow", "repeat", "--ref", "R-1"]);
    assert!(err.contains("already exists"), "{err}");
    env.ok(&["start", "QA-P-001", "--flow", "complaint", "--ref", "R-1"]);
    let o = env.run(&["show", "R-1"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("add --flow"), "{}", o.stderr);
    env.ok(&["show", "R-1", "--flow", "complaint"]);
}

#[test]
fn a_qms_with_errors_cannot_start_runs() {
    let env = Env::factory();
    let file = env.qms.join("QA-P-001.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("goto: release", "goto: nowhere")).unwrap();
    let err = env.refused(&[
        "start",
        "QA-P-001",
        "--flow",
        "inspection",
        "--ref",
        "LOT-1",
    ]);
    assert!(err.contains("refusing to start a run"), "{err}");
    assert!(err.contains("nowhere"), "{err}");
}

#[test]
fn a_running_checklist_keeps_the_revision_it_started_with() {
    let env = Env::factory();
    env.ok(&[
        "start",
        "QA-P-001",
        "--flow",
        "inspection",
        "--ref",
        "LOT-1",
    ]);
    assert!(env.show("LOT-1")["newer"].is_null());
    let file = env.qms.join("QA-P-001.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    // Same revision, different content: a change without a new revision.
    std::fs::write(
        &file,
        text.replace("check: [Dimensions, Surface, Label]", "check: [Dimensions]"),
    )
    .unwrap();
    let newer = env.show("LOT-1")["newer"].as_str().unwrap().to_string();
    assert!(
        newer.contains("has changed since this run started"),
        "{newer}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("revision: A\n", "revision: B\n").replace(
            "- { revision: A,",
            "- { revision: A, date: 2025-10-01, change: First }\n  - { revision: B,",
        ),
    )
    .unwrap();
    let shown = env.ok(&["show", "LOT-1"]);
    assert!(
        shown.contains("a newer revision B of QA-P-001 exists"),
        "{shown}"
    );
    // The run still demands the three check items of revision A.
    let err = env.refused(&[
        "done",
        "LOT-1",
        "inspect",
        "--by",
        "Qi",
        "--outcome",
        "pass",
        "--check",
        "1",
        "--field",
        "lot=L",
        "--field",
        "measured=1",
    ]);
    assert!(err.contains("3. Label"), "{err}");
    assert_eq!(env.show("LOT-1")["doc"]["revision"], "A");
}

// ---------------------------------------------------------------- calls, parallel, join

#[test]
fn a_calls_step_runs_a_child_and_completes_when_it_ends() {
    let env = Env::factory();
    env.ok(&["start", "QA-P-001", "--flow", "order", "--ref", "O-1"]);
    env.ok(&["done", "O-1", "receive", "--by", "Ann"]);
    let r = env.show("O-1");
    assert_eq!(state(&r, "make"), "active");
    assert_eq!(state(&r, "pay"), "active");
    assert_eq!(state(&r, "ship"), "not-reached");
    env.ok(&["done", "O-1", "pay", "--by", "Customer"]);
    let r = env.show("O-1");
    assert_eq!(state(&r, "ship"), "waiting");
    assert_eq!(step(&r, "ship")["waiting_for"], serde_json::json!(["make"]));
    env.ok(&["done", "O-1", "make", "--by", "Bob"]);
    assert_eq!(state(&env.show("O-1"), "ship"), "active");
    let out = env.ok(&[
        "done",
        "O-1",
        "ship",
        "--by",
        "Ann",
        "--outcome",
        "complaint",
    ]);
    assert!(out.contains("started child run O-1/handle"), "{out}");
    let err = env.refused(&["done", "O-1", "handle", "--by", "Ann"]);
    assert!(err.contains("runs child run O-1/handle"), "{err}");

    let child = env.show("O-1/handle");
    assert_eq!(child["flow"]["id"], "complaint");
    assert_eq!(child["parent"]["run"], "O-1");
    env.ok(&["done", "O-1/handle", "record", "--by", "Ann"]);
    let out = env.ok(&["done", "O-1/handle", "fix", "--by", "Bob"]);
    assert!(out.contains("O-1 handle completed"), "{out}");

    let r = env.show("O-1");
    assert_eq!(state(&r, "handle"), "done");
    assert_eq!(state(&r, "close"), "active");
    let sig = &step(&r, "handle")["iterations"][0]["completed"];
    assert_eq!(sig["child"], "O-1/handle");
    assert!(sig["by"].is_null());
    assert_eq!(r["children"][0]["outcome"], "Complaint closed");
    env.ok(&["done", "O-1", "close", "--by", "Ann"]);
    assert_eq!(env.show("O-1")["outcome"], "Order closed");
    assert!(env.ok(&["verify"]).contains("OK: 2 runs"));
}

// ---------------------------------------------------------------- recurring flows

#[test]
fn due_lists_periods_of_recurring_flows_without_a_run() {
    let env = Env::factory();
    // A database named with --db must exist: reading commands never create one.
    let o = env.run(&["due"]);
    assert_eq!(o.code, 2, "{}", o.stdout);
    assert!(o.stderr.contains("no run database at"), "{}", o.stderr);
    env.ok(&["start", "QA-P-001", "--flow", "repeat", "--ref", "R-0"]);
    env.at("2026-06-30");
    let due = env.json(&["due"]);
    assert_eq!(due[0]["flow"], "survey");
    assert_eq!(due[0]["missing"].as_array().unwrap().len(), 0);
    env.at("2026-07-05 10:00");
    let due = env.json(&["due"]);
    assert_eq!(due[0]["missing"][0]["label"], "July 2026");
    assert_eq!(due[0]["missing"][0]["late"], false);
    assert!(env.ok(&["due"]).contains("July 2026  no run yet"));
    env.at("2026-08-03");
    assert_eq!(env.json(&["due"])[0]["missing"][0]["late"], true);
    env.ok(&[
        "start",
        "QA-P-001",
        "--flow",
        "survey",
        "--ref",
        "SURVEY-2026",
        "--at",
        "2026-07-06",
    ]);
    assert_eq!(env.show("SURVEY-2026")["period"], "2026-07-01");
    assert_eq!(
        env.json(&["due"])[0]["missing"].as_array().unwrap().len(),
        0
    );
}

/// A recurring flow has one run per period: a second start in the same period is refused,
/// naming the run there is; a late period is started by its name or first day as `run due`
/// prints it; a period not begun yet or empty, or `--period` on a flow that does not recur,
/// is a usage error.
#[test]
fn a_recurring_flow_has_one_run_per_period_and_a_late_one_is_started_by_name() {
    let env = Env::factory();
    let start = |reference: &str, at: &str, period: Option<&str>| {
        let mut args = vec![
            "start", "QA-P-001", "--flow", "survey", "--ref", reference, "--at", at,
        ];
        if let Some(p) = period {
            args.extend(["--period", p]);
        }
        env.run(&args)
    };
    let o = start("SURVEY-2026", "2026-07-06", None);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = start("SURVEY-2026B", "2026-07-20", None);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains(
            "flow `survey` already has run SURVEY-2026 (open, started 2026-07-06 00:00) for the period from 2026-07-01"
        ),
        "{}",
        o.stderr
    );
    // Not begun by the start's day.
    let o = start("SURVEY-2029", "2028-08-10", Some("July 2029"));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("has no period `July 2029`")
            && o.stderr.contains("the latest: July 2028"),
        "{}",
        o.stderr
    );
    // An empty period is not taken for the current one.
    let o = start("SURVEY-2028", "2028-08-10", Some(" "));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("the period is empty"), "{}", o.stderr);
    // The 2027 survey, never run, started late in 2028 by its name as `run due` prints it.
    env.at("2028-08-10");
    assert!(env.ok(&["due"]).contains("July 2027  no run yet"));
    let o = start("SURVEY-2027", "2028-08-10", Some("July 2027"));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(env.show("SURVEY-2027")["period"], "2027-07-01");
    let list = env.ok(&["list"]);
    assert!(
        list.lines().next().is_some_and(|h| h.contains("PERIOD"))
            && list
                .lines()
                .any(|l| l.starts_with("SURVEY-2027 ") && l.contains("2027-07-01")),
        "{list}"
    );
    assert!(!env.ok(&["due"]).contains("July 2027"));
    let o = env.run(&[
        "start",
        "QA-P-001",
        "--flow",
        "repeat",
        "--ref",
        "R-9",
        "--period",
        "July 2027",
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("does not recur"), "{}", o.stderr);
}

#[test]
fn due_warns_when_a_procedure_did_not_load() {
    let env = Env::factory();
    env.ok(&["start", "QA-P-001", "--flow", "repeat", "--ref", "R-0"]);
    std::fs::write(env.qms.join("QA-P-009.yaml"), "id: [unclosed\n").unwrap();
    let o = env.run(&["due"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("survey"), "{}", o.stdout);
    assert!(
        o.stderr
            .contains("procedures that did not load are not listed"),
        "{}",
        o.stderr
    );
}

// ---------------------------------------------------------------- evidence

fn run_id(env: &Env, reference: &str) -> i64 {
    env.sql()
        .query_row("SELECT id FROM runs WHERE ref = ?1", [reference], |r| {
            r.get(0)
        })
        .unwrap()
}

fn three_event_run(env: &Env, reference: &str) -> i64 {
    env.ok(&[
        "start", "QA-P-001", "--flow", "repeat", "--ref", reference, "--by", "Li",
    ]);
    env.ok(&["done", reference, "work", "--by", "Li"]);
    env.ok(&[
        "done",
        reference,
        "review",
        "--by",
        "Li",
        "--outcome",
        "again",
    ]);
    env.ok(&["done", reference, "work", "--by", "Li"]);
    run_id(env, reference)
}

#[test]
fn verify_finds_an_update_a_delete_and_an_insert() {
    let env = Env::factory();
    let altered = three_event_run(&env, "R-ALTER");
    let removed = three_event_run(&env, "R-REMOVE");
    let inserted = three_event_run(&env, "R-INSERT");
    three_event_run(&env, "R-INTACT");
    assert!(env.ok(&["verify"]).contains("OK: 4 runs, 16 events"));

    let db = env.sql();
    db.execute(
        "UPDATE events SET by = 'Mallory' WHERE run = ?1 AND n = 2",
        [altered],
    )
    .unwrap();
    db.execute("DELETE FROM events WHERE run = ?1 AND n = 3", [removed])
        .unwrap();
    db.execute(
        "INSERT INTO events (run, n, at, by, kind, data, prev, hash) \
         SELECT run, 5, at, 'Mallory', kind, data, hash, hash FROM events WHERE run = ?1 AND n = 4",
        [inserted],
    )
    .unwrap();
    drop(db);

    let o = env.run(&["verify"]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("R-ALTER (QA-P-001/repeat): event #2 was altered"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("R-REMOVE (QA-P-001/repeat): event #3 was removed"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("R-INSERT (QA-P-001/repeat): event #5 was inserted"),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains("R-INTACT"), "{}", o.stdout);
    // The removed and the inserted event break the store chain too.
    assert!(
        o.stdout.contains("TAMPERED store: store entry #"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("added outside procdoc"), "{}", o.stdout);
    // One run's verify names no finding of that run, but the store's still fail it.
    let one = env.run(&["verify", "R-INTACT"]);
    assert_eq!(one.code, 1, "{}", one.stdout);
    assert!(!one.stdout.contains("TAMPERED R-INTACT"), "{}", one.stdout);
    assert!(one.stdout.contains("TAMPERED store:"), "{}", one.stdout);
    assert_eq!(env.run(&["verify", "R-ALTER"]).code, 1);
    // A tampered run says so wherever it is shown, and takes no new events.
    assert_eq!(env.show("R-ALTER")["chain"]["intact"], false);
    let err = env.refused(&[
        "done",
        "R-ALTER",
        "review",
        "--by",
        "Li",
        "--outcome",
        "stop",
    ]);
    assert!(
        err.contains("audit trail of run R-ALTER is broken"),
        "{err}"
    );
    // An event slipped in beyond the store head blocks every write until it is resolved.
    let err = env.refused(&[
        "done",
        "R-INTACT",
        "review",
        "--by",
        "Li",
        "--outcome",
        "stop",
    ]);
    assert!(err.contains("beyond its recorded head"), "{err}");
}

#[test]
fn export_writes_the_run_record() {
    let env = Env::red_maple();
    env.ok(&["start", "CS-P-001", "--ref", "SO-1001", "--by", "Li Ming"]);
    env.ok(&["done", "SO-1001", "request", "--by", "Customer"]);
    review(&env, "SO-1001", "无法执行");
    env.ok(&["done", "SO-1001", "cancel", "--by", "Li Ming"]);
    let out_dir = env.qms.join("exports");
    let out = env.ok(&["export", "SO-1001", "-o", out_dir.to_str().unwrap()]);
    assert!(out.contains("SO-1001.json"), "{out}");
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("SO-1001.json")).unwrap())
            .unwrap();
    assert_eq!(record["doc"]["id"], "CS-P-001");
    assert_eq!(record["doc"]["revision"], "A/01");
    assert_eq!(record["doc"]["fingerprint"].as_str().unwrap().len(), 64);
    assert_eq!(record["outcome"], "Order cancelled");
    let events = record["events"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(record["chain"]["hash"], events[3]["hash"]);
    assert_eq!(record["chain"]["intact"], true);
    assert_eq!(events[2]["by"], "Li Ming");
    assert!(
        events[2]["summary"]
            .as_str()
            .unwrap()
            .contains("outcome: Order cannot be fulfilled")
    );
    let sig = &step(&record, "review")["iterations"][0]["completed"];
    assert_eq!(sig["by"], "Li Ming");
    assert_eq!(sig["at"]["local"], "2026-03-02 09:00");
}

#[test]
fn the_database_is_versioned_in_wal_mode_and_placed_by_env() {
    let env = Env::factory();
    let other = env.qms.join("elsewhere.sqlite");
    let mut c = child(&[
        "--qms".into(),
        env.qms.display().to_string(),
        "start".into(),
        "QA-P-001".into(),
        "--flow".into(),
        "repeat".into(),
        "--ref".into(),
        "R-1".into(),
    ]);
    c.env("PROCDOC_DB", &other);
    assert_eq!(out_of(c.output().unwrap()).code, 0);
    assert!(other.is_file());
    // Without --db or PROCDOC_DB the database lives in the QMS folder, made by the first
    // run started (reading commands never create it).
    let mut c = child(&["--qms".into(), env.qms.display().to_string(), "list".into()]);
    assert_eq!(out_of(c.output().unwrap()).code, 0);
    assert!(!env.qms.join(".procdoc").exists());
    let mut c = child(&[
        "--qms".into(),
        env.qms.display().to_string(),
        "start".into(),
        "QA-P-001".into(),
        "--flow".into(),
        "repeat".into(),
        "--ref".into(),
        "R-1".into(),
    ]);
    assert_eq!(out_of(c.output().unwrap()).code, 0);
    assert!(env.qms.join(".procdoc/runs.sqlite").is_file());

    let db = rusqlite::Connection::open(&other).unwrap();
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, procdoc::run::store::SCHEMA_VERSION);
    let mode: String = db
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    db.pragma_update(None, "user_version", 99).unwrap();
    drop(db);
    let mut c = child(&[
        "--qms".into(),
        env.qms.display().to_string(),
        "--db".into(),
        other.display().to_string(),
        "list".into(),
    ]);
    let o = out_of(c.output().unwrap());
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("newer than this procdoc understands"),
        "{}",
        o.stderr
    );
}

// ---------------------------------------------------------------- crashes and races

/// A small pseudo-random sequence; the seed is printed so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[cfg(unix)]
#[test]
fn a_process_killed_at_any_moment_leaves_the_database_before_or_after_a_command() {
    use std::os::unix::process::CommandExt;

    let env = Env::factory();
    env.ok(&["start", "QA-P-001", "--flow", "repeat", "--ref", "CRASH"]);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash test seed {seed}");
    let mut random = Lcg(seed);
    let exe = std::env::current_exe().unwrap();
    let work = serde_json::to_string(&env.args(&["done", "CRASH", "work", "--by", "A"])).unwrap();
    let again = serde_json::to_string(&env.args(&[
        "done",
        "CRASH",
        "review",
        "--by",
        "B",
        "--outcome",
        "again",
    ]))
    .unwrap();
    let mut last_events = 0;
    for round in 0..30 {
        // A shell completing steps in a loop, in its own process group so that the kill
        // reaches whichever command is running.
        let mut shell = Command::new("sh");
        shell
            .arg("-c")
            .arg(
                r#"while :; do
                     PROCDOC_RUN_TEST_ARGS="$WORK" "$EXE" child_process_entry --exact --nocapture -q >/dev/null 2>&1
                     PROCDOC_RUN_TEST_ARGS="$AGAIN" "$EXE" child_process_entry --exact --nocapture -q >/dev/null 2>&1
                   done"#,
            )
            .env("EXE", &exe)
            .env("WORK", &work)
            .env("AGAIN", &again)
            .env("PROCDOC_NOW", "2026-03-02 09:00")
            .env_remove(CHILD_ARGS)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let mut running = shell.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(20 + random.next(180)));
        let group = format!("-{}", running.id());
        let killed = Command::new("kill")
            .args(["-KILL", "--", &group])
            .status()
            .unwrap();
        assert!(killed.success());
        let _ = running.wait();
        // Give the killed processes a moment to be reaped before reading.
        std::thread::sleep(Duration::from_millis(5));
        let verify = env.run(&["verify", "CRASH"]);
        assert_eq!(
            verify.code, 0,
            "round {round}: {}{}",
            verify.stdout, verify.stderr
        );
        let events = env.show("CRASH")["chain"]["events"].as_u64().unwrap();
        assert!(events >= last_events, "round {round}: events went back");
        last_events = events;
        let db = env.sql();
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "round {round}");
    }
    assert!(last_events > 1, "some commands completed between kills");
}

#[test]
fn two_processes_completing_the_same_step_exactly_one_succeeds() {
    let env = Env::factory();
    for round in 0..6 {
        let reference = format!("RACE-{round}");
        env.ok(&["start", "QA-P-001", "--flow", "repeat", "--ref", &reference]);
        let go = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 400;
        let spawn = |name: &str| {
            let mut c = env.command(&["done", &reference, "work", "--by", name]);
            c.env(CHILD_GO_AT, go.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            c.spawn().unwrap()
        };
        let a = spawn("Alice");
        let b = spawn("Bob");
        let started = Instant::now();
        let a = out_of(a.wait_with_output().unwrap());
        let b = out_of(b.wait_with_output().unwrap());
        assert!(started.elapsed() < Duration::from_secs(20));
        let (winner, loser) = match (a.code, b.code) {
            (0, 1) => (("Alice", a), b),
            (1, 0) => (("Bob", b), a),
            _ => panic!(
                "round {round}: exit codes {} and {}:\n{}{}\n{}{}",
                a.code, b.code, a.stdout, a.stderr, b.stdout, b.stderr
            ),
        };
        assert!(
            loser.stderr.contains(&format!(
                "step work is no longer active: completed by {} at",
                winner.0
            )),
            "round {round}: {}",
            loser.stderr
        );
        let r = env.show(&reference);
        assert_eq!(step(&r, "work")["iterations"].as_array().unwrap().len(), 1);
        assert_eq!(r["chain"]["events"], 2);
    }
    assert!(env.ok(&["verify"]).contains("OK: 6 runs"));
}
