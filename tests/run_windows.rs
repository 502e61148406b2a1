//! Earliest times end to end through `procdoc run`: a completion before a step's `after` is
//! refused with the moment from which it may be completed, and `run show` shows that moment.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

mod common;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(
            Path::new("tests/fixtures/run/windows"),
            &dir.path().join("qms"),
        );
        Env { dir }
    }

    /// `procdoc run ARGS` with the clock fixed at `now` (office time).
    fn run(&self, now: &str, args: &[&str]) -> std::process::Output {
        Command::cargo_bin("procdoc")
            .unwrap()
            .arg("run")
            .args(args)
            .arg("--qms")
            .arg(self.dir.path().join("qms"))
            .arg("--db")
            .arg(self.dir.path().join("runs.sqlite"))
            .env("PROCDOC_NOW", now)
            .env_remove("PROCDOC_DB")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    fn ok(&self, now: &str, args: &[&str]) -> String {
        let o = self.run(now, args);
        assert!(
            o.status.success(),
            "{args:?}: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        text(&o.stdout)
    }

    /// A refused command: exit code 1, nothing written; its error output.
    fn refused(&self, now: &str, args: &[&str]) -> String {
        let o = self.run(now, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o.stdout));
        text(&o.stderr)
    }

    fn show(&self, now: &str, reference: &str) -> Value {
        serde_json::from_str(&self.ok(now, &["show", reference, "--format", "json"])).unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn iteration<'a>(record: &'a Value, step: &str) -> &'a Value {
    let s = record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == step)
        .unwrap();
    s["iterations"].as_array().unwrap().last().unwrap()
}

#[test]
fn a_step_is_not_completed_before_its_waiting_time() {
    let env = Env::new();
    env.ok(
        "2026-03-02 09:00",
        &["start", "QA-P-009", "--flow", "records", "--ref", "R-1"],
    );
    let out = env.ok(
        "2026-03-02 10:00",
        &["done", "R-1", "archive", "--by", "Ann"],
    );
    assert!(
        out.contains("now active: destroy (QA), not before 2029-03-02 10:00"),
        "{out}"
    );
    let err = env.refused(
        "2026-03-03 10:00",
        &["done", "R-1", "destroy", "--by", "Ann"],
    );
    assert!(
        err.contains("step destroy may not be completed before 2029-03-02 10:00 (after: 3 years"),
        "{err}"
    );
    let shown = env.ok("2026-03-03 10:00", &["show", "R-1"]);
    assert!(shown.contains("not before 2029-03-02 10:00"), "{shown}");
    let r = env.show("2026-03-03 10:00", "R-1");
    assert_eq!(
        iteration(&r, "destroy")["earliest"]["local"],
        "2029-03-02 10:00"
    );
    assert_eq!(r["status"], "open");
    // A minute before is still too soon; at the earliest time it is done.
    env.refused(
        "2029-03-02 09:59",
        &["done", "R-1", "destroy", "--by", "Ann"],
    );
    env.ok(
        "2029-03-02 10:00",
        &["done", "R-1", "destroy", "--by", "Ann"],
    );
    let r = env.show("2029-03-02 10:00", "R-1");
    assert!(iteration(&r, "destroy").get("earliest").is_none());
}

#[test]
fn a_window_before_a_planned_meeting_opens_at_the_start_of_its_day() {
    let env = Env::new();
    env.ok(
        "2026-04-01 09:00",
        &["start", "QA-P-009", "--flow", "review", "--ref", "MR-1"],
    );
    // Without the meeting's date the earliest time is not known yet.
    let err = env.refused(
        "2026-04-01 09:00",
        &["done", "MR-1", "agenda", "--by", "Ann"],
    );
    assert!(
        err.contains("not planned yet: set the date of step meeting first"),
        "{err}"
    );
    let out = env.ok(
        "2026-04-01 09:00",
        &["plan", "MR-1", "meeting", "2026-06-15"],
    );
    assert!(out.contains("agenda due 2026-06-02 00:00"), "{out}");
    assert!(out.contains("agenda not before 2026-05-18 00:00"), "{out}");
    // Four weeks before 15 June is 18 May: from its start, until the end of 1 June.
    let err = env.refused(
        "2026-05-17 23:59",
        &["done", "MR-1", "agenda", "--by", "Ann"],
    );
    assert!(
        err.contains(
            "may not be completed before 2026-05-18 00:00 (after: 4 weeks before meeting)"
        ),
        "{err}"
    );
    let r = env.show("2026-05-17 23:59", "MR-1");
    assert_eq!(
        iteration(&r, "agenda")["earliest"]["local"],
        "2026-05-18 00:00"
    );
    assert_eq!(
        iteration(&r, "agenda")["due"]["at"]["local"],
        "2026-06-02 00:00"
    );
    env.ok(
        "2026-05-18 00:00",
        &["done", "MR-1", "agenda", "--by", "Ann"],
    );
}

#[test]
fn a_window_before_a_planned_meeting_time_counts_back_to_that_instant() {
    let env = Env::new();
    // Another shape is refused (a usage error), naming both that are accepted.
    let wrong = |args: &[&str]| {
        let o = env.run("2026-04-01 09:00", args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stdout));
        text(&o.stderr)
    };
    let err = wrong(&[
        "start",
        "QA-P-009",
        "--flow",
        "review",
        "--ref",
        "MR-2",
        "--plan",
        "meeting=15.06.2026 14:00",
    ]);
    assert!(
        err.contains("write YYYY-MM-DD or YYYY-MM-DD HH:MM (also YYYY-MM-DDTHH:MM)"),
        "{err}"
    );
    // A date before the moment it is planned, and a time the office clock skips (the clocks
    // go forward at 02:00 on 29 March 2026 in Amsterdam), are usage errors too.
    let start = |plan: &str| {
        wrong(&[
            "start", "QA-P-009", "--flow", "review", "--ref", "MR-2", "--plan", plan,
        ])
    };
    let err = start("meeting=2026-03-31");
    assert!(
        err.contains(
            "planned date 2026-03-31 of meeting is before the moment it is planned (2026-04-01 09:00)"
        ),
        "{err}"
    );
    // Stated on 1 March, so that the dates below are not before the moment they are planned.
    let wrong_in_march = |option: &str, value: &str| {
        let args = [
            "start", "QA-P-009", "--flow", "review", "--ref", "MR-2", option, value,
        ];
        let o = env.run("2026-03-01 09:00", &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stdout));
        text(&o.stderr)
    };
    let err = wrong_in_march("--plan", "meeting=2026-03-29 02:30");
    assert!(
        err.contains("planned time 2026-03-29 02:30 of meeting does not exist on the office clock (Europe/Amsterdam)"),
        "{err}"
    );
    // The hour the clocks go back is shown twice: a plan or an event time in it is refused,
    // the event time with both moments as offsets to choose from.
    let err = wrong_in_march("--plan", "meeting=2026-10-25 02:30");
    assert!(
        err.contains("planned time 2026-10-25 02:30 of meeting is shown twice on the office clock (Europe/Amsterdam)"),
        "{err}"
    );
    let err = wrong_in_march("--at", "2026-10-25 02:30");
    assert!(
        err.contains("`2026-10-25T02:30:00+02:00` for the first or `2026-10-25T02:30:00+01:00` for the second"),
        "{err}"
    );
    let out = env.ok(
        "2026-04-01 09:00",
        &[
            "start",
            "QA-P-009",
            "--flow",
            "review",
            "--ref",
            "MR-2",
            "--plan",
            "meeting=2026-06-15 14:00",
        ],
    );
    // Two weeks before Monday 15 June 14:00 is Monday 1 June 14:00, not the end of that day.
    assert!(out.contains("due 2026-06-01 14:00"), "{out}");
    let r = env.show("2026-04-01 09:00", "MR-2");
    assert_eq!(
        iteration(&r, "agenda")["due"]["at"]["local"],
        "2026-06-01 14:00"
    );
    // Moved with `run plan`, written with a T.
    let out = env.ok(
        "2026-04-01 09:00",
        &["plan", "MR-2", "meeting", "2026-06-16T09:30"],
    );
    assert!(
        out.contains("meeting planned for 2026-06-16 09:30"),
        "{out}"
    );
    assert!(out.contains("agenda due 2026-06-02 09:30"), "{out}");
    assert!(out.contains("agenda not before 2026-05-19 09:30"), "{out}");
    let err = env.refused(
        "2026-05-19 09:29",
        &["done", "MR-2", "agenda", "--by", "Ann"],
    );
    assert!(
        err.contains("may not be completed before 2026-05-19 09:30"),
        "{err}"
    );
    let err = wrong(&["plan", "MR-2", "meeting", "2026-06-16 9h30"]);
    assert!(err.contains("YYYY-MM-DD HH:MM"), "{err}");
    env.ok(
        "2026-05-19 09:30",
        &["done", "MR-2", "agenda", "--by", "Ann"],
    );
    let shown = env.ok("2026-05-19 09:30", &["show", "MR-2"]);
    assert!(shown.contains("2026-06-16 09:30"), "{shown}");
    // Stated before the run's last event: refused as a completion would be, not recorded at
    // another time than stated. A time earlier the same day is in the past too.
    let err = env.refused(
        "2026-05-19 09:30",
        &[
            "plan",
            "MR-2",
            "meeting",
            "2026-06-17",
            "--at",
            "2026-05-18 09:00",
        ],
    );
    assert!(err.contains("events are recorded in order"), "{err}");
    let err = wrong(&["plan", "MR-2", "meeting", "2026-04-01 08:00"]);
    assert!(
        err.contains("is before the moment it is planned (2026-04-01 09:00)"),
        "{err}"
    );
    assert!(env.ok("2026-05-19 09:30", &["verify"]).starts_with("OK"));
}

#[test]
fn signing_in_the_web_app_before_the_earliest_time_is_refused_at_the_step() {
    use procdoc::app::users::{self, AddUser};
    use procdoc::app::{self, RefusalKind, RunRef, SignStep, StartRun};
    use procdoc::run::accounts::Role;
    use procdoc::run::clock;
    use procdoc::run::store::SqliteStore;

    let env = Env::new();
    let root = env.dir.path().join("qms");
    let (qms, diagnostics) = procdoc::cli::load_and_check(&root).expect("fixture loads");
    let mut store = SqliteStore::create(&env.dir.path().join("app.sqlite")).unwrap();
    let password = "correct horse battery";
    let user = users::add_user(
        &mut store,
        &["QA".to_string(), "GM".to_string()],
        AddUser {
            login: "ann".into(),
            name: "Ann".into(),
            departments: vec!["QA".into()],
            role: Role::Staff,
            password: Some(password.into()),
        },
        clock::system_now(),
    )
    .unwrap();
    // Started now: the record may be destroyed three years from now at the earliest.
    app::start_run(
        &mut store,
        &qms,
        &diagnostics,
        &StartRun {
            doc: "QA-P-009".into(),
            flow: Some("records".into()),
            reference: "R-9".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let sign = |store: &mut SqliteStore, step: &str| {
        app::sign_step(
            store,
            &qms,
            &user,
            password,
            &RunRef::new("R-9"),
            &SignStep {
                step: step.into(),
                ..Default::default()
            },
        )
    };
    sign(&mut store, "archive").unwrap();
    let refusal = sign(&mut store, "destroy").unwrap_err();
    assert_eq!(refusal.kind, RefusalKind::Refused);
    assert_eq!(refusal.kind.http_status(), 422);
    assert_eq!(refusal.problems.len(), 1);
    assert_eq!(refusal.problems[0].field.as_deref(), Some("step"));
    assert!(
        refusal.problems[0]
            .message
            .contains("step destroy may not be completed before"),
        "{refusal:?}"
    );
    // The run page reads the earliest time from the record.
    let record = app::show_run(&mut store, Some(&qms), &RunRef::new("R-9"), None, 3600).unwrap();
    let json = serde_json::to_value(&record).unwrap();
    assert!(iteration(&json, "destroy")["earliest"]["local"].is_string());
}

#[test]
fn the_document_and_the_traveller_say_not_before_in_every_language() {
    let env = Env::new();
    let out = env.dir.path().join("out");
    let o = Command::cargo_bin("procdoc")
        .unwrap()
        .arg("build")
        .arg(env.dir.path().join("qms"))
        .arg("-o")
        .arg(&out)
        .arg("--emit-typst")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let read = |p: &str| std::fs::read_to_string(out.join("typst").join(p)).unwrap();
    let document = read("QA-P-009_A.typ");
    assert!(
        document.contains("not before 3 years / 3年后方可进行"),
        "{document}"
    );
    assert!(
        document.contains(
            "not earlier than 4 weeks before step 4.2.2 / 不早于步骤 4.2.2 之前4周 \\ at least 2 weeks before step 4.2.2"
        ),
        "{document}"
    );
    let traveller = read("travellers/QA-P-009_records.typ");
    assert!(
        traveller.contains("not before 3 years / 3年后方可进行#write-in[Earliest"),
        "{traveller}"
    );
}
