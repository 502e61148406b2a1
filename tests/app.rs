//! The application layer driven directly, as a web handler drives it: typed results, and
//! typed refusals that name the input they concern and write nothing.

mod common;
use common::copy_dir;

use std::path::{Path, PathBuf};

use procdoc::app::{self, DoneRequest, ListQuery, RefusalKind, RunRef, StartRun};
use procdoc::run::store::{SqliteStore, Status, Store};
use procdoc::spec::load::Qms;

/// A copy of the factory fixture (with `edit` applied to its procedure), loaded and
/// checked, and an empty store.
struct Env {
    _dir: tempfile::TempDir,
    qms: Qms,
    diagnostics: Vec<procdoc::check::diagnostic::Diagnostic>,
    store: SqliteStore,
    db: PathBuf,
}

impl Env {
    fn new(edit: impl Fn(String) -> String) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("qms");
        copy_dir(Path::new("tests/fixtures/run/factory"), &root);
        let file = root.join("QA-P-001.yaml");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, edit(text)).unwrap();
        let (qms, diagnostics) = procdoc::cli::load_and_check(&root).expect("fixture loads");
        let db = dir.path().join("runs.sqlite");
        let store = SqliteStore::create(&db).unwrap();
        Env {
            _dir: dir,
            qms,
            diagnostics,
            store,
            db,
        }
    }

    fn factory() -> Env {
        Env::new(|t| t)
    }

    fn start(&mut self, flow: &str, reference: &str, at: &str) -> app::Started {
        app::start_run(
            &mut self.store,
            &self.qms,
            &self.diagnostics,
            &StartRun {
                doc: "QA-P-001".into(),
                flow: Some(flow.into()),
                reference: reference.into(),
                at: Some(at.into()),
                ..Default::default()
            },
        )
        .unwrap_or_else(|r| panic!("start {reference}: {r}"))
    }

    fn done(
        &mut self,
        reference: &str,
        request: DoneRequest,
        at: &str,
    ) -> Result<app::Completed, app::Refusal> {
        app::complete_step(&mut self.store, &RunRef::new(reference), &request, Some(at))
    }

    fn events(&mut self, reference: &str) -> usize {
        self.record(reference).events.len()
    }

    fn record(&mut self, reference: &str) -> app::RunRecord {
        app::show_run(
            &mut self.store,
            Some(&self.qms),
            &RunRef::new(reference),
            Some("2026-03-10 09:00"),
            3600,
        )
        .unwrap()
    }
}

fn done(step: &str, by: &str) -> DoneRequest {
    DoneRequest {
        step: step.into(),
        by: by.into(),
        ..Default::default()
    }
}

/// An inspection that passes, signed by `by`.
fn inspection(by: &str) -> DoneRequest {
    DoneRequest {
        outcome: Some("Pass".into()),
        check: Some("all".into()),
        fields: vec!["lot=L1".into(), "measured=12".into()],
        ..done("inspect", by)
    }
}

#[test]
fn a_started_run_reports_its_active_steps_and_deadlines() {
    let mut env = Env::factory();
    let started = env.start("inspection", "LOT-1", "2026-03-06 16:30");
    assert_eq!(started.run.reference, "LOT-1");
    assert_eq!(started.run.revision, "A");
    assert_eq!(started.progress.ended, None);
    let [active] = started.progress.active.as_slice() else {
        panic!("{:?}", started.progress.active)
    };
    assert_eq!(
        (active.step.as_str(), active.by.as_str()),
        ("inspect", "QA")
    );
    // Friday 16:30 plus two working hours is Monday 09:30 in Shanghai.
    let due = active.due.expect("inspect has a deadline");
    assert_eq!(
        procdoc::run::clock::show(due, started.run.tz),
        "2026-03-09 09:30"
    );
    assert!(!active.overdue);
}

#[test]
fn completing_a_step_records_the_signature_and_what_follows() {
    let mut env = Env::factory();
    env.start("inspection", "LOT-1", "2026-03-02 09:00");
    let completed = env
        .done("LOT-1", inspection("Qi"), "2026-03-02 10:00")
        .unwrap();
    assert_eq!(completed.step, "inspect");
    assert_eq!(completed.by, "Qi");
    assert_eq!(completed.acting_for.as_deref(), Some("QA"));
    assert_eq!(completed.outcome.as_deref(), Some("Pass"));
    assert_eq!(
        completed.meaning,
        Some(procdoc::spec::model::SignatureMeaning::Performed)
    );
    let steps: Vec<&str> = completed
        .progress
        .active
        .iter()
        .map(|a| a.step.as_str())
        .collect();
    assert_eq!(steps, ["release"]);
}

#[test]
fn refusals_name_the_input_they_concern_and_write_nothing() {
    let mut env = Env::factory();
    env.start("inspection", "LOT-1", "2026-03-02 09:00");
    let before = env.events("LOT-1");
    let at = "2026-03-02 10:00";

    // A step that has not been reached.
    let r = env.done("LOT-1", done("release", "Wu"), at).unwrap_err();
    assert_eq!(r.kind, RefusalKind::Refused);
    assert!(
        r.about("step")
            .is_some_and(|p| p.message.contains("has not been reached")),
        "{r:?}"
    );
    assert_eq!(r.exit_code(), 1);

    // A department that is not the step's.
    let request = DoneRequest {
        acting_for: Some("CS".into()),
        ..inspection("Qi")
    };
    let r = env.done("LOT-1", request, at).unwrap_err();
    assert_eq!(r.kind, RefusalKind::Refused);
    assert!(
        r.about("as")
            .is_some_and(|p| p.message.starts_with("CS: ") && !p.message.contains("--")),
        "{r:?}"
    );
    // The command line's text names its option.
    assert!(r.message.starts_with("--as: CS: "), "{r:?}");

    // A decision without its outcome, and an outcome the decision does not have.
    let request = DoneRequest {
        outcome: None,
        ..inspection("Qi")
    };
    let r = env.done("LOT-1", request, at).unwrap_err();
    assert!(r.about("outcome").is_some(), "{r:?}");
    let request = DoneRequest {
        outcome: Some("Maybe".into()),
        ..inspection("Qi")
    };
    let r = env.done("LOT-1", request, at).unwrap_err();
    assert!(
        r.about("outcome")
            .is_some_and(|p| p.message.contains("`Maybe` is not an outcome")),
        "{r:?}"
    );

    // Unticked check items; a waiver without its reason.
    let request = DoneRequest {
        check: Some("1,2".into()),
        ..inspection("Qi")
    };
    let r = env.done("LOT-1", request, at).unwrap_err();
    assert!(
        r.about("check")
            .is_some_and(|p| p.message.contains("3. Label")),
        "{r:?}"
    );
    let request = DoneRequest {
        check: Some("1,2".into()),
        waive: Some("3".into()),
        ..inspection("Qi")
    };
    let r = env.done("LOT-1", request, at).unwrap_err();
    assert!(r.about("reason").is_some(), "{r:?}");

    // Missing required fields: one problem per field, each named.
    let request = DoneRequest {
        fields: Vec::new(),
        ..inspection("Qi")
    };
    let r = env.done("LOT-1", request, at).unwrap_err();
    assert_eq!(r.kind, RefusalKind::Refused);
    let fields: Vec<&str> = r
        .problems
        .iter()
        .filter_map(|p| p.field.as_deref())
        .collect();
    assert_eq!(
        fields,
        [
            "fields.inspection-report.lot",
            "fields.inspection-report.measured"
        ]
    );
    assert!(r.message.contains("required record fields are missing"));
    assert_eq!(
        r.about("fields.inspection-report.measured")
            .map(|p| p.message.as_str()),
        Some("Measured length is required")
    );

    // A value of the wrong type names its field too.
    let request = DoneRequest {
        fields: vec!["lot=L1".into(), "measured=long".into()],
        ..inspection("Qi")
    };
    let r = env.done("LOT-1", request, at).unwrap_err();
    assert!(
        r.about("fields.inspection-report.measured").is_some(),
        "{r:?}"
    );

    // An unknown step is malformed rather than refused; an unknown run is not found.
    let r = env.done("LOT-1", done("nope", "Qi"), at).unwrap_err();
    assert_eq!((r.kind, r.exit_code()), (RefusalKind::Invalid, 2));
    assert!(r.about("step").is_some());
    let r = env.done("LOT-9", inspection("Qi"), at).unwrap_err();
    assert_eq!(r.kind, RefusalKind::NotFound);

    assert_eq!(env.events("LOT-1"), before, "refusals wrote nothing");
}

#[test]
fn not_by_is_enforced_on_the_signer() {
    let mut env = Env::factory();
    env.start("inspection", "LOT-1", "2026-03-02 09:00");
    env.done("LOT-1", inspection("Qi"), "2026-03-02 10:00")
        .unwrap();
    let release = DoneRequest {
        acting_for: Some("QA".into()),
        ..done("release", "qi")
    };
    let r = env
        .done("LOT-1", release.clone(), "2026-03-02 11:00")
        .unwrap_err();
    assert_eq!(r.kind, RefusalKind::Refused);
    assert!(
        r.about("by")
            .is_some_and(|p| p.message.contains("not_by: inspect")),
        "{r:?}"
    );
    // Someone else may; the run ends.
    let ok = env
        .done(
            "LOT-1",
            DoneRequest {
                by: "Wu".into(),
                ..release
            },
            "2026-03-02 11:00",
        )
        .unwrap();
    assert_eq!(ok.progress.ended.as_deref(), Some("Released"));
    assert!(ok.progress.active.is_empty());
}

#[test]
fn a_start_is_refused_about_its_reference_doc_and_plan() {
    let mut env = Env::factory();
    env.start("audit", "AU-1", "2026-03-02 09:00");
    let request = |reference: &str, doc: &str, plan: &[&str]| StartRun {
        doc: doc.into(),
        flow: Some("audit".into()),
        reference: reference.into(),
        at: Some("2026-03-02 09:00".into()),
        plan: plan.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    };
    let mut start =
        |r: StartRun| app::start_run(&mut env.store, &env.qms, &env.diagnostics, &r).unwrap_err();
    let taken = start(request("AU-1", "QA-P-001", &[]));
    assert_eq!(taken.kind, RefusalKind::Conflict);
    assert!(taken.about("ref").is_some(), "{taken:?}");
    let blank = start(request(" ", "QA-P-001", &[]));
    assert!(blank.about("ref").is_some(), "{blank:?}");
    let unknown = start(request("AU-2", "QA-P-999", &[]));
    assert!(unknown.about("doc").is_some(), "{unknown:?}");
    let bad_date = start(request("AU-2", "QA-P-001", &["visit=20 March"]));
    assert!(bad_date.about("plan.visit").is_some(), "{bad_date:?}");
    let not_planned = start(request("AU-2", "QA-P-001", &["prepare=2026-03-20"]));
    assert!(
        not_planned.about("plan.prepare").is_some(),
        "{not_planned:?}"
    );
}

#[test]
fn a_qms_with_errors_starts_no_run() {
    let mut env = Env::new(|t| t.replace("goto: release", "goto: nowhere"));
    let r = app::start_run(
        &mut env.store,
        &env.qms,
        &env.diagnostics,
        &StartRun {
            doc: "QA-P-001".into(),
            reference: "LOT-1".into(),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(r.kind, RefusalKind::Refused);
    assert!(r.message.starts_with("refusing to start a run"), "{r}");
    let none = app::list_runs(
        Some(&mut env.store),
        &ListQuery::default(),
        chrono::Utc::now(),
        chrono_tz::Tz::UTC,
        3600,
    )
    .unwrap();
    assert!(none.runs.is_empty());
}

#[test]
fn plan_step_reports_the_deadlines_that_count_back_from_it() {
    let mut env = Env::factory();
    env.start("audit", "AU-1", "2026-03-02 09:00");
    let planned = app::plan_step(
        &mut env.store,
        &RunRef::new("AU-1"),
        "visit",
        "2026-03-27",
        None,
        Some("2026-03-02 10:00"),
    )
    .unwrap();
    assert_eq!(planned.step, "visit");
    let due: Vec<String> = planned
        .due
        .iter()
        .map(|(s, d)| format!("{s} {}", procdoc::run::clock::show(*d, planned.run.tz)))
        .collect();
    // A week before the visit is 20 March; due by the end of that day.
    assert_eq!(due, ["prepare 2026-03-21 00:00"]);
    let r = app::plan_step(
        &mut env.store,
        &RunRef::new("AU-1"),
        "visit",
        "27/03/2026",
        None,
        Some("2026-03-02 10:00"),
    )
    .unwrap_err();
    assert!(r.about("date").is_some(), "{r:?}");
}

#[test]
fn the_inbox_lists_active_steps_of_the_departments_overdue_first() {
    let mut env = Env::factory();
    // Inspections for QA with deadlines two working hours on, and an order whose CS step
    // has none.
    env.start("inspection", "LOT-1", "2026-03-02 09:00"); // inspect due 11:00
    env.start("inspection", "LOT-2", "2026-03-02 13:00"); // inspect due 15:00
    env.start("order", "O-1", "2026-03-02 09:30"); // receive (CS), no deadline
    env.start("inspection", "LOT-3", "2026-03-02 08:30"); // inspect due 10:30, then done
    env.done("LOT-3", inspection("Qi"), "2026-03-02 09:00")
        .unwrap();
    let now = app::moment(Some("2026-03-02 12:00"), chrono_tz::Asia::Shanghai).unwrap();

    let inbox = app::inbox(Some(&mut env.store), &["QA".into()], &[], now).unwrap();
    let listed: Vec<(&str, &str, bool)> = inbox
        .items
        .iter()
        .map(|i| (i.reference.as_str(), i.step.as_str(), i.overdue))
        .collect();
    // LOT-1 is overdue (due 11:00); LOT-2 due later; LOT-3 waits at `release` (QA or GM).
    assert_eq!(
        listed,
        [
            ("LOT-1", "inspect", true),
            ("LOT-2", "inspect", false),
            ("LOT-3", "release", false)
        ]
    );
    let first = &inbox.items[0];
    assert_eq!(first.late_by.as_deref(), Some("1 h"));
    assert_eq!(
        first.due.as_ref().map(|d| d.local.as_str()),
        Some("2026-03-02 11:00")
    );
    assert_eq!(first.doc_title, "Inspection and delivery");
    assert_eq!(first.step_title, "Inspect the lot");
    assert!(first.decision);
    assert_eq!(inbox.overdue(), 1);

    let both = app::inbox(Some(&mut env.store), &["CS".into(), "GM".into()], &[], now).unwrap();
    let listed: Vec<(&str, &str, Vec<String>)> = both
        .items
        .iter()
        .map(|i| (i.reference.as_str(), i.step.as_str(), i.depts.clone()))
        .collect();
    assert_eq!(
        listed,
        [
            ("LOT-3", "release", vec!["GM".to_string()]),
            ("O-1", "receive", vec!["CS".to_string()])
        ]
    );

    let r = app::inbox(Some(&mut env.store), &[" ".into()], &[], now).unwrap_err();
    assert!(r.about("depts").is_some());
    assert!(
        app::inbox(None, &["QA".into()], &[], now)
            .unwrap()
            .items
            .is_empty()
    );
}

#[test]
fn a_kept_inbox_is_judged_again_by_the_clock_and_collected_again_after_a_change() {
    let mut env = Env::factory();
    env.start("inspection", "LOT-1", "2026-03-02 09:00"); // inspect due 11:00
    let memo = app::InboxMemo::default();
    let qa = ["QA".to_string()];
    let at = |t: &str| app::moment(Some(t), chrono_tz::Asia::Shanghai).unwrap();
    let kept = |env: &mut Env, now| {
        app::inbox_kept(Some(&mut env.store), &qa, &[], now, None, Some(&memo)).unwrap()
    };
    let fresh = |env: &mut Env, now| app::inbox(Some(&mut env.store), &qa, &[], now).unwrap();

    let early = kept(&mut env, at("2026-03-02 10:00"));
    assert_eq!(early.items, fresh(&mut env, at("2026-03-02 10:00")).items);
    assert!(!early.items[0].overdue);
    // The same store an hour after the deadline: from the memo, and late.
    let late = kept(&mut env, at("2026-03-02 12:00"));
    assert_eq!(late.items, fresh(&mut env, at("2026-03-02 12:00")).items);
    assert_eq!(
        (late.items[0].overdue, late.items[0].late_by.as_deref()),
        (true, Some("1 h"))
    );
    // A completion moves the store's head: the kept inbox is not used any more.
    env.done("LOT-1", inspection("Qi"), "2026-03-02 12:10")
        .unwrap();
    let after = kept(&mut env, at("2026-03-02 12:30"));
    let steps: Vec<&str> = after.items.iter().map(|i| i.step.as_str()).collect();
    assert_eq!(steps, ["release"]);
    assert_eq!(after.items, fresh(&mut env, at("2026-03-02 12:30")).items);
}

#[test]
fn the_inbox_leaves_out_a_join_still_waiting_for_a_branch() {
    let mut env = Env::factory();
    env.start("order", "O-1", "2026-03-02 09:00");
    env.done("O-1", done("receive", "Ann"), "2026-03-02 09:10")
        .unwrap();
    env.done("O-1", done("make", "Pat"), "2026-03-02 09:20")
        .unwrap();
    // `ship` (CS) waits for `pay` (the customer): not in the CS inbox yet.
    let now = app::moment(Some("2026-03-02 10:00"), chrono_tz::Asia::Shanghai).unwrap();
    let parties = ["CUST".to_string()];
    let inbox = app::inbox(Some(&mut env.store), &["CS".into()], &parties, now).unwrap();
    assert!(inbox.items.is_empty(), "{:?}", inbox.items);
    // The customer's payment is the work of the procedure's owner, who records it on the
    // customer's behalf; without the party codes it is nobody's.
    let owner = app::inbox(Some(&mut env.store), &["QA".into()], &parties, now).unwrap();
    let steps: Vec<_> = owner
        .items
        .iter()
        .map(|i| (i.step.as_str(), i.depts.clone(), i.on_behalf.as_deref()))
        .collect();
    assert_eq!(steps, [("pay", vec!["QA".to_string()], Some("CUST"))]);
    let unasked = app::inbox(Some(&mut env.store), &["QA".into()], &[], now).unwrap();
    assert!(unasked.items.is_empty(), "{:?}", unasked.items);
    let record = env.record("O-1");
    let ship = record.steps.iter().find(|s| s.id == "ship").unwrap();
    assert_eq!(ship.state.word(), "waiting");
}

#[test]
fn the_meaning_of_a_signature_is_recorded_and_shown() {
    let mut env = Env::new(|t| {
        t.replace(
            "        not_by: [inspect]\n",
            "        not_by: [inspect]\n        signature: approved\n",
        )
    });
    env.start("inspection", "LOT-1", "2026-03-02 09:00");
    env.done("LOT-1", inspection("Qi"), "2026-03-02 10:00")
        .unwrap();
    let release = DoneRequest {
        acting_for: Some("GM".into()),
        ..done("release", "Wu")
    };
    let signed = env.done("LOT-1", release, "2026-03-02 11:00").unwrap();
    assert_eq!(
        signed.meaning,
        Some(procdoc::spec::model::SignatureMeaning::Approved)
    );
    let record = env.record("LOT-1");
    let meaning = |id: &str| {
        record.steps.iter().find(|s| s.id == id).unwrap().iterations[0]
            .completed
            .as_ref()
            .unwrap()
            .meaning
    };
    assert_eq!(meaning("inspect"), Some("performed"));
    assert_eq!(meaning("release"), Some("approved"));
    let json = app::to_json(&record);
    assert!(json.contains("\"meaning\": \"approved\""), "{json}");
    let text =
        procdoc::run::checklist::render(&record, procdoc::run::checklist::Paint::for_stdout());
    assert!(text.contains("by Wu for GM (approved)"), "{text}");
    // The events carry it, and still verify.
    let signed: Vec<Option<&str>> = record
        .events
        .iter()
        .filter(|e| e.kind == "completed")
        .map(|e| e.data["signature"].as_str())
        .collect();
    assert_eq!(signed, [Some("performed"), Some("approved")]);
    let report = app::verify(&mut env.store, None, None).unwrap();
    assert!(report.intact(), "{:?}", report.findings);
}

#[test]
fn list_due_verify_and_export_answer_as_the_commands_print() {
    let mut env = Env::factory();
    env.start("inspection", "LOT-1", "2026-03-02 09:00");
    env.start("order", "SO/7", "2026-03-02 09:00");
    let tz = app::office_tz(Some(&env.qms));
    let now = app::moment(Some("2026-03-02 12:00"), tz).unwrap();
    let query = ListQuery {
        status: Some(Status::Open),
        overdue: true,
        ..Default::default()
    };
    let list = app::list_runs(Some(&mut env.store), &query, now, tz, 3600).unwrap();
    let refs: Vec<&str> = list.runs.iter().map(|r| r.reference.as_str()).collect();
    assert_eq!(refs, ["LOT-1"]);
    assert_eq!(list.overdue[0].step.as_deref(), Some("inspect"));

    let calendar = app::office_calendar(&env.qms).unwrap();
    let july = app::moment(Some("2026-07-15 09:00"), tz).unwrap();
    let due = app::due_periods(Some(&mut env.store), &env.qms, &calendar, None, july).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].flow.as_str(), due[0].missing.len()), ("survey", 1));

    let report = app::verify(&mut env.store, Some(&RunRef::new("LOT-1")), None).unwrap();
    assert!(report.intact());
    assert_eq!((report.runs, report.events), (1, 1));
    let head = app::store_head(&report.head.text()).unwrap();
    let again = app::verify(&mut env.store, None, Some(head)).unwrap();
    assert_eq!(again.expected.and_then(|e| e.added), Some(0));
    let bad = app::store_head("nonsense").unwrap_err();
    assert!(bad.about("expect").is_some());

    let out = tempfile::tempdir().unwrap();
    let exported = app::export_run(
        &mut env.store,
        Some(&env.qms),
        &RunRef::new("SO/7"),
        out.path(),
        3600,
    )
    .unwrap();
    assert_eq!(exported.json, out.path().join("SO_7.json"));
    assert!(exported.intact && exported.pdf.is_file());
    // The database file is the one the store wrote.
    assert!(env.db.is_file());
    assert_eq!(env.store.head().unwrap().map(|h| h.count), Some(2));
}
