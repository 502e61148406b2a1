//! Step timeouts and escalations end to end, with a fixed clock (`--at`): a timeout is
//! recorded at the moment it fell due, whichever command notices it, the next step's
//! deadline counts from that moment, the audit trail verifies, and an escalated step is
//! listed for the escalated departments from its escalation moment.
//!
//! The QMS (tests/fixtures/run/supplier-timeout) works 08:00-12:00 and 13:00-16:30 in
//! Europe/London (UTC in March 2026) with a holiday on 17 March. `ask-supplier` escalates
//! to PUR and GM after 5 working days and times out to `hold` after 10.

mod common;
use common::run_record::step;

use assert_cmd::Command;
use serde_json::Value;

struct Qms {
    dir: tempfile::TempDir,
}

impl Qms {
    fn new() -> Qms {
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(
            std::path::Path::new("tests/fixtures/run/supplier-timeout"),
            dir.path(),
        );
        Qms { dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("procdoc").unwrap();
        c.env("NO_COLOR", "1")
            .env_remove("PROCDOC_NOW")
            .env_remove("PROCDOC_DB")
            .arg("run")
            .arg("--qms")
            .arg(self.dir.path())
            .args(args);
        c
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.command(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{args:?} failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }

    fn refused(&self, args: &[&str]) -> String {
        let out = self.command(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} was not refused");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn show(&self, reference: &str) -> Value {
        let text = self.ok(&[
            "show",
            reference,
            "--format",
            "json",
            "--at",
            "2026-03-30 09:00",
        ]);
        serde_json::from_str(&text).unwrap()
    }

    /// A run started on Friday 6 March whose `ask-supplier` is active from 15:00.
    fn waiting_for_supplier(&self, reference: &str) {
        self.ok(&[
            "start",
            "QP-08",
            "--ref",
            reference,
            "--by",
            "Helen",
            "--at",
            "2026-03-06 14:00",
        ]);
        self.ok(&[
            "done",
            reference,
            "segregate",
            "--by",
            "Helen",
            "--field",
            "part=P-1",
            "--at",
            "2026-03-06 15:00",
        ]);
    }
}

#[test]
fn tick_records_a_timeout_at_the_moment_it_fell_due_and_the_next_step_counts_from_it() {
    let qms = Qms::new();
    qms.waiting_for_supplier("NC-1");
    // Not yet due: nothing happens.
    let early = qms.ok(&["tick", "--at", "2026-03-23 14:59"]);
    assert!(
        early.contains(
            "1 open run(s) with a timeout or escalation due looked at, 0 timeout(s) recorded"
        ),
        "{early}"
    );
    // Noticed a day late, recorded when it fell due: 10 working days after Friday 15:00,
    // past two weekends and the holiday.
    let late = qms.ok(&["tick", "--at", "2026-03-24 10:00"]);
    assert!(
        late.contains("run NC-1: step ask-supplier timed out at 2026-03-23 15:00"),
        "{late}"
    );
    assert!(late.contains("1 timeout(s) recorded"), "{late}");
    let again = qms.ok(&["tick", "--at", "2026-03-25 10:00"]);
    assert!(again.contains("0 timeout(s) recorded"), "{again}");

    let record = qms.show("NC-1");
    let ask = step(&record, "ask-supplier");
    let closed = &ask["iterations"][0]["completed"];
    assert_eq!(closed["timed_out"], true, "{ask}");
    assert_eq!(closed["by"], Value::Null);
    assert_eq!(closed["at"]["local"], "2026-03-23 15:00");
    let hold = step(&record, "hold");
    assert_eq!(hold["state"], "active");
    let it = &hold["iterations"][0];
    assert_eq!(it["activated"]["local"], "2026-03-23 15:00");
    // `within: 2 working days` of `hold` counts from the timeout.
    assert_eq!(it["due"]["at"]["local"], "2026-03-25 15:00", "{it}");

    let text = qms.ok(&["show", "NC-1", "--at", "2026-03-30 09:00"]);
    assert!(text.contains("timed out 2026-03-23 15:00"), "{text}");
    // Noticed late is not back-dated: the timeout is not among the events entered apart
    // (the others here are, being typed with --at).
    assert!(
        !text.contains("hold became active at 2026-03-23 15:00: entered"),
        "{text}"
    );

    let verified = qms.ok(&["verify"]);
    assert!(verified.contains("every audit chain intact"), "{verified}");

    // The run goes on from `hold` as from any step.
    qms.ok(&[
        "done",
        "NC-1",
        "hold",
        "--by",
        "Pat",
        "--at",
        "2026-03-24 11:00",
    ]);
    let record = qms.show("NC-1");
    assert_eq!(step(&record, "disposition")["state"], "active");
    assert!(qms.ok(&["verify", "NC-1"]).contains("intact"));
}

#[test]
fn any_command_on_the_run_takes_the_timeout_first() {
    let qms = Qms::new();
    qms.waiting_for_supplier("NC-2");
    // The supplier's answer comes in after the timeout: the step is no longer active, and
    // the timeout stays recorded though the completion is refused.
    let refused = qms.refused(&[
        "done",
        "NC-2",
        "ask-supplier",
        "--by",
        "Sam",
        "--as",
        "SUP",
        "--at",
        "2026-03-24 09:00",
    ]);
    assert!(refused.contains("ask-supplier"), "{refused}");
    let record = qms.show("NC-2");
    let closed = &step(&record, "ask-supplier")["iterations"][0]["completed"];
    assert_eq!(closed["timed_out"], true);
    assert_eq!(closed["at"]["local"], "2026-03-23 15:00");
    // Before the timeout, the answer is taken as usual.
    qms.waiting_for_supplier("NC-3");
    qms.ok(&[
        "done",
        "NC-3",
        "ask-supplier",
        "--by",
        "Sam",
        "--as",
        "SUP",
        "--at",
        "2026-03-23 14:00",
    ]);
    let record = qms.show("NC-3");
    assert_eq!(step(&record, "disposition")["state"], "active");
    assert_eq!(step(&record, "hold")["state"], "skipped");
    assert!(qms.ok(&["verify"]).contains("every audit chain intact"));
}

#[test]
fn an_open_step_shows_as_escalated_to_its_departments_from_the_escalation_moment() {
    let qms = Qms::new();
    qms.waiting_for_supplier("NC-4");
    // 5 working days after Friday 15:00 is Friday 13 March 15:00.
    let before = qms.ok(&["inbox", "--dept", "PUR", "--at", "2026-03-13 14:00"]);
    assert!(before.contains("nothing waiting for PUR"), "{before}");
    let after = qms.ok(&["inbox", "--dept", "GM", "--at", "2026-03-13 16:00"]);
    assert!(after.contains("NC-4"), "{after}");
    assert!(after.contains("GM (escalated)"), "{after}");
    let json: Value = serde_json::from_str(&qms.ok(&[
        "inbox",
        "--dept",
        "PUR",
        "--format",
        "json",
        "--at",
        "2026-03-16 09:00",
    ]))
    .unwrap();
    assert_eq!(json[0]["step"], "ask-supplier");
    assert_eq!(json[0]["escalated_to"], serde_json::json!(["PUR"]));
    assert_eq!(json[0]["escalation"], serde_json::json!(["PUR", "GM"]));
    assert_eq!(json[0]["escalated_from"]["local"], "2026-03-13 15:00");
    // An escalation is not a deadline: the step is due when its own `within` says.
    assert_eq!(json[0]["overdue"], false);
    assert_eq!(json[0]["due"]["local"], "2026-03-23 15:00");
    let inbox = qms.ok(&["inbox", "--dept", "PUR", "--at", "2026-03-16 09:00"]);
    assert!(
        inbox.contains("escalated to PUR, GM since 2026-03-13 15:00") && !inbox.contains("OVERDUE"),
        "{inbox}"
    );
    assert!(inbox.contains("0 overdue, 1 escalated"), "{inbox}");
    let listed = qms.ok(&["list", "--dept", "PUR", "--at", "2026-03-16 09:00"]);
    assert!(
        listed.contains("ask-supplier (SUP) escalated to PUR, GM since 2026-03-13 15:00"),
        "{listed}"
    );
    assert!(!listed.contains("OVERDUE"), "{listed}");
    let overdue = qms.ok(&["list", "--overdue", "--at", "2026-03-16 09:00"]);
    assert!(overdue.contains("no runs match"), "{overdue}");
    let shown = qms.ok(&["show", "NC-4", "--at", "2026-03-16 09:00"]);
    assert!(
        shown.contains("due 2026-03-23 15:00 · escalated to PUR, GM since 2026-03-13 15:00"),
        "{shown}"
    );
    assert!(!shown.contains("OVERDUE"), "{shown}");
    let json: Value = serde_json::from_str(&qms.ok(&[
        "show",
        "NC-4",
        "--format",
        "json",
        "--at",
        "2026-03-16 09:00",
    ]))
    .unwrap();
    assert_eq!(json["escalated"], serde_json::json!(["ask-supplier"]));
    let it = &step(&json, "ask-supplier")["iterations"][0];
    assert_eq!(it["escalated"]["to"][0]["code"], "PUR");
    assert_eq!(it["escalated"]["since"]["local"], "2026-03-13 15:00");
}

/// The views that only read a run show it as it stands now: a timeout that fell due is
/// shown taken, marked as not yet recorded, until a command records it.
#[test]
fn read_only_views_show_a_timeout_that_fell_due_before_it_is_recorded() {
    let qms = Qms::new();
    qms.waiting_for_supplier("NC-6");
    let at = ["--at", "2026-03-24 09:00"];
    let shown = qms.ok(&["show", "NC-6", at[0], at[1]]);
    assert!(
        shown.contains("[timed out]    ask-supplier")
            && shown.contains("timed out 2026-03-23 15:00 (not yet recorded)")
            && shown
                .contains("note: ask-supplier timed out at 2026-03-23 15:00 (not yet recorded)")
            && shown.contains("[active]       hold"),
        "{shown}"
    );
    // Nothing was written.
    assert!(shown.contains("audit trail: 2 events"), "{shown}");
    let listed = qms.ok(&["list", at[0], at[1]]);
    assert!(
        listed.contains("hold (PUR)") && !listed.contains("ask-supplier"),
        "{listed}"
    );
    let inbox = qms.ok(&["inbox", "--dept", "PUR", at[0], at[1]]);
    assert!(
        inbox.contains("hold") && !inbox.contains("ask-supplier"),
        "{inbox}"
    );
    // `hold` is due 2 working days after the timeout: overdue on the 26th, not recorded yet.
    let late = qms.ok(&["list", "--overdue", "--at", "2026-03-26 09:00"]);
    assert!(
        late.contains("hold  for PUR  due 2026-03-25 15:00"),
        "{late}"
    );
    let record = qms.show("NC-6");
    assert_eq!(record["chain"]["events"], 2);
    assert_eq!(step(&record, "ask-supplier")["timed_out"], true);
    assert_eq!(
        step(&record, "ask-supplier")["iterations"][0]["completed"]["not_recorded"],
        true
    );

    // Once recorded, the same, without the mark.
    qms.ok(&["tick", at[0], at[1]]);
    let shown = qms.ok(&["show", "NC-6", at[0], at[1]]);
    assert!(
        shown.contains("[timed out]    ask-supplier")
            && shown.contains("timed out 2026-03-23 15:00\n")
            && !shown.contains("not yet recorded")
            && shown.contains("audit trail: 3 events"),
        "{shown}"
    );
}

/// A step of a department that is also escalated to another: with both asked for, the
/// inbox says which is whose (its own department, and the one it was escalated to).
#[test]
fn an_inbox_of_several_departments_names_the_one_an_item_is_escalated_to() {
    let qms = Qms::new();
    let header = std::fs::read_to_string(qms.dir.path().join("QP-08.yaml")).unwrap();
    let header = &header[..header.find("records:").unwrap()];
    let doc = header.replace("id: QP-08", "id: QP-10")
        + r#"flows:
  - id: review
    title: Reviewing a casting
    trigger: A casting arrives
    steps:
      - id: review
        title: Review the casting
        by: QA
        within: 2 working days
        escalate: { after: 1 working day, to: GM }
        end: Reviewed
"#;
    std::fs::write(qms.dir.path().join("QP-10.yaml"), doc).unwrap();
    qms.ok(&[
        "start",
        "QP-10",
        "--ref",
        "R-1",
        "--by",
        "Helen",
        "--at",
        "2026-03-09 09:00",
    ]);
    // Escalated from Tuesday 09:00, due Wednesday 09:00: on Thursday both.
    let both = qms.ok(&[
        "inbox",
        "--dept",
        "QA",
        "--dept",
        "GM",
        "--at",
        "2026-03-12 09:00",
    ]);
    assert!(both.contains("QA, GM (escalated)"), "{both}");
    assert!(!both.contains("QA (escalated)"), "{both}");
    assert!(
        both.contains("OVERDUE 24 h") && both.contains("escalated to GM since 2026-03-10 09:00"),
        "{both}"
    );
    let qa = qms.ok(&["inbox", "--dept", "QA", "--at", "2026-03-10 10:00"]);
    assert!(qa.contains("R-1") && !qa.contains("(escalated)"), "{qa}");
    assert!(
        qa.contains("escalated to GM since 2026-03-10 09:00"),
        "{qa}"
    );
    let listed = qms.ok(&["list", "--at", "2026-03-12 09:00"]);
    assert!(
        listed.contains("review (QA) OVERDUE 24 h escalated to GM since 2026-03-10 09:00"),
        "{listed}"
    );
}

#[test]
fn the_overdue_digest_of_an_escalated_department_holds_the_escalated_step() {
    use procdoc::app::notify::due_digests;
    use procdoc::app::users::{AddUser, add_user};
    use procdoc::run::accounts::{Accounts, Role};
    use procdoc::run::notices::Notices;
    use procdoc::run::store::SqliteStore;

    let qms = Qms::new();
    qms.waiting_for_supplier("NC-5");
    let db = qms.dir.path().join(".procdoc/runs.sqlite");
    let mut store = SqliteStore::create(&db).unwrap();
    let known: Vec<String> = ["QA", "PROD", "PUR", "SAL", "GM"]
        .map(String::from)
        .to_vec();
    for (login, dept) in [("pat", "PUR"), ("sam", "SAL")] {
        add_user(
            &mut store,
            &known,
            AddUser {
                login: login.into(),
                name: format!("Printed {login}"),
                departments: vec![dept.into()],
                role: Role::Staff,
                password: Some("a long enough password 1".into()),
            },
            procdoc::run::clock::system_now(),
        )
        .unwrap();
        let user = store.user_by_login(login).unwrap().unwrap();
        store
            .set_email(user.id, Some(&format!("{login}@example.com")))
            .unwrap();
    }
    let tz = chrono_tz::Europe::London;
    let at = |t: &str| procdoc::run::clock::parse(t, tz).unwrap();
    // Before the escalation (Friday 13 March 15:00) nobody in PUR gets a digest.
    let before = due_digests(&mut store, tz, "en", &[], at("2026-03-13 14:00")).unwrap();
    assert!(before.is_empty(), "{before:?}");
    let after = due_digests(&mut store, tz, "en", &[], at("2026-03-13 16:00")).unwrap();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].to.login, "pat");
    assert_eq!(after[0].items[0].step, "ask-supplier");
    assert_eq!(after[0].items[0].escalated_to, ["PUR"]);
    // Escalated, not overdue: the message says so.
    let mailer = procdoc::mail::Mailer::new(
        &procdoc::mail::MailOptions {
            smtp: "smtp://127.0.0.1:1".into(),
            from: "QMS <qms@example.com>".into(),
        },
        "https://qms.example.com",
    )
    .unwrap();
    let mail = mailer.digest_mail(&after[0]);
    assert_eq!(mail.subject, "1 step overdue or escalated on 2026-03-13");
    assert!(
        mail.body.contains("(PUR)")
            && mail
                .body
                .contains("escalated to PUR, GM since 2026-03-13 15:00"),
        "{}",
        mail.body
    );
    assert!(!mail.body.contains("late by"), "{}", mail.body);
}

/// A timeout whose `goto` is a `join: all` step says that the join still waits for the
/// other branch, not that it is active.
#[test]
fn a_timeout_into_a_join_says_what_the_join_still_waits_for() {
    let qms = Qms::new();
    let header = std::fs::read_to_string(qms.dir.path().join("QP-08.yaml")).unwrap();
    let header = &header[..header.find("records:").unwrap()];
    let doc = header.replace("id: QP-08", "id: QP-09")
        + r#"flows:
  - id: parallel
    title: Checking a casting twice
    trigger: A casting arrives
    steps:
      - id: receive
        title: Receive the casting
        by: QA
        next: [measure, inspect]
      - id: measure
        title: Measure the casting
        by: PROD
        timeout: { after: 4 working hours, goto: merge }
        next: merge
      - id: inspect
        title: Inspect the surface
        by: QA
        next: merge
      - id: merge
        title: Release the casting
        join: all
        by: QA
        end: Released
"#;
    std::fs::write(qms.dir.path().join("QP-09.yaml"), doc).unwrap();
    qms.ok(&[
        "start",
        "QP-09",
        "--ref",
        "P-1",
        "--by",
        "Helen",
        "--at",
        "2026-03-09 09:00",
    ]);
    qms.ok(&[
        "done",
        "P-1",
        "receive",
        "--by",
        "Helen",
        "--at",
        "2026-03-09 09:05",
    ]);
    let out = qms.ok(&["tick", "--at", "2026-03-10 09:00"]);
    assert!(
        out.contains("step measure timed out at 2026-03-09 14:05")
            && out.contains("merge is waiting for inspect"),
        "{out}"
    );
}

/// A timeout not yet recorded that makes a step of another department active: that
/// department's inbox and run list already have it.
#[test]
fn the_department_a_timeout_leads_to_finds_the_step_before_it_is_recorded() {
    let qms = Qms::new();
    let header = std::fs::read_to_string(qms.dir.path().join("QP-08.yaml")).unwrap();
    let header = &header[..header.find("records:").unwrap()];
    let doc = header.replace("id: QP-08", "id: QP-11")
        + r#"flows:
  - id: quote
    title: Asking for a quote
    trigger: A quote is needed
    steps:
      - id: ask
        title: Ask for the quote
        by: SAL
        timeout: { after: 1 working day, goto: chase }
        next: file
      - id: file
        title: File the quote
        by: SAL
        end: Quoted
      - id: chase
        title: Chase the quote
        by: GM
        end: Chased
"#;
    std::fs::write(qms.dir.path().join("QP-11.yaml"), doc).unwrap();
    qms.ok(&[
        "start",
        "QP-11",
        "--ref",
        "Q-1",
        "--by",
        "Helen",
        "--at",
        "2026-03-09 09:00",
    ]);
    let before = qms.ok(&["inbox", "--dept", "GM", "--at", "2026-03-10 08:59"]);
    assert!(before.contains("nothing waiting for GM"), "{before}");
    let after = qms.ok(&["inbox", "--dept", "GM", "--at", "2026-03-10 09:30"]);
    assert!(after.contains("Q-1") && after.contains("chase"), "{after}");
    let sal = qms.ok(&["inbox", "--dept", "SAL", "--at", "2026-03-10 09:30"]);
    assert!(sal.contains("nothing waiting for SAL"), "{sal}");
    let listed = qms.ok(&["list", "--dept", "GM", "--at", "2026-03-10 09:30"]);
    assert!(
        listed.contains("Q-1") && listed.contains("chase (GM)"),
        "{listed}"
    );
    let listed = qms.ok(&["list", "--dept", "SAL", "--at", "2026-03-10 09:30"]);
    assert!(listed.contains("no runs match"), "{listed}");
}

/// The server keeps an inbox until the store changes; a timeout falling due changes it too,
/// though nothing is written.
#[test]
fn a_kept_inbox_is_collected_again_when_a_timeout_falls_due() {
    use procdoc::app;
    use procdoc::run::store::SqliteStore;

    let qms = Qms::new();
    qms.waiting_for_supplier("NC-7");
    let mut store = SqliteStore::create(&qms.dir.path().join(".procdoc/runs.sqlite")).unwrap();
    let memo = app::InboxMemo::default();
    let pur = ["PUR".to_string()];
    let tz = chrono_tz::Europe::London;
    let at = |t: &str| procdoc::run::clock::parse(t, tz).unwrap();
    let mut steps = |now| {
        let kept = app::inbox_kept(Some(&mut store), &pur, &[], now, None, Some(&memo)).unwrap();
        let fresh = app::inbox(Some(&mut store), &pur, &[], now).unwrap();
        assert_eq!(kept.items, fresh.items);
        kept.items
            .iter()
            .map(|i| i.step.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(steps(at("2026-03-23 14:00")), ["ask-supplier"]);
    assert_eq!(steps(at("2026-03-24 09:00")), ["hold"]);
    assert_eq!(steps(at("2026-03-23 14:30")), ["ask-supplier"]);
}

#[test]
fn a_timeout_recorded_before_it_fell_due_by_the_computers_clock_is_flagged() {
    let qms = Qms::new();
    // Everything stated years ahead of the computer's clock: the run's times are typed with
    // --at, and so is the tick, which records the timeout at its due moment in 2030.
    qms.ok(&[
        "start",
        "QP-08",
        "--ref",
        "NC-9",
        "--by",
        "Helen",
        "--at",
        "2030-03-08 14:00",
    ]);
    qms.ok(&[
        "done",
        "NC-9",
        "segregate",
        "--by",
        "Helen",
        "--field",
        "part=P-1",
        "--at",
        "2030-03-08 15:00",
    ]);
    let tick = qms.ok(&["tick", "--at", "2030-04-01 10:00"]);
    assert!(tick.contains("1 timeout(s) recorded"), "{tick}");
    let text = qms.ok(&["show", "NC-9", "--at", "2030-04-01 10:00"]);
    let line = text
        .lines()
        .find(|l| l.contains("timed out") && l.contains("entered"))
        .unwrap_or_else(|| panic!("the timeout is not flagged:\n{text}"));
    assert!(line.contains("before the time stated"), "{line}");
}

/// A department an escalation leads to is not shown the run before the escalation falls
/// due (the store lists it for that department from the start, so that it is found then),
/// and is from then on.
#[test]
fn run_list_for_a_department_shows_an_escalation_only_once_it_falls_due() {
    let qms = Qms::new();
    qms.waiting_for_supplier("NC-1");
    let before = qms.ok(&["list", "--dept", "PUR", "--at", "2026-03-09 10:00"]);
    assert!(before.contains("no runs match"), "{before}");
    let after = qms.ok(&["list", "--dept", "PUR", "--at", "2026-03-16 10:00"]);
    assert!(
        after.contains("NC-1") && after.contains("escalated to PUR"),
        "{after}"
    );
}

/// A department code procdoc.yaml does not know is refused (exit 2, naming the known ones),
/// not answered with "nothing waiting".
#[test]
fn an_unknown_department_is_refused_not_answered_with_nothing() {
    let qms = Qms::new();
    qms.waiting_for_supplier("NC-1");
    for args in [
        &["inbox", "--dept", "NOPE"][..],
        &["list", "--dept", "NOPE"][..],
    ] {
        let o = qms.command(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            err.contains("procdoc.yaml has no department or party `NOPE` (departments: QA"),
            "{err}"
        );
    }
}
