//! `procdoc db copy` on each backend: a populated SQLite store (runs with completed and
//! signed steps, users, an API token, attached files, training records, a sent digest)
//! copied into a fresh store of the backend under test, compared row by row and event by
//! event, and verified; refused into a store that is not empty, and leaving the target
//! empty when the copy fails.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use procdoc::app::users::{self, AddUser};
use procdoc::app::{self, DoneRequest, RefusalKind, RunRef, SignStep, StartRun, Upload};
use procdoc::run::accounts::{Accounts, Role, Session, TrainingRecord};
use procdoc::run::attachments::Attachments;
use procdoc::run::notices::Notices;
use procdoc::run::store::{AnyStore, Filter, Store};
use procdoc::run::transfer::Transfer;

use crate::harness::Backend;

use crate::files;

const PASSWORD: &str = "correct horse battery";
/// The case the tests follow through the copy: a Chinese reference.
const CASE: &str = "客诉-2026-001";
const REPORT: &[u8] = "批次 L1：尺寸、外观、标签均合格\n".as_bytes();

fn moment(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0).unwrap()
}

/// A QMS folder (the factory fixture) and an SQLite store beside it, filled by
/// [`populate`].
struct Source {
    dir: tempfile::TempDir,
}

impl Source {
    fn new() -> Source {
        let dir = tempfile::tempdir().unwrap();
        files::copy_dir(
            Path::new("tests/fixtures/run/factory"),
            &dir.path().join("qms"),
        );
        let source = Source { dir };
        let mut store = AnyStore::create(&source.db()).unwrap();
        populate(&mut store, &source.qms());
        source
    }

    fn qms(&self) -> PathBuf {
        self.dir.path().join("qms")
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("runs.sqlite")
    }

    /// The store as `--from` names it.
    fn url(&self) -> PathBuf {
        PathBuf::from(format!("sqlite:{}", self.db().display()))
    }
}

fn done(step: &str, by: &str) -> DoneRequest {
    DoneRequest {
        step: step.into(),
        by: by.into(),
        ..Default::default()
    }
}

/// Completes a step now: a signature (in [`populate`]) is always recorded now, and events
/// are recorded in order.
fn complete(store: &mut AnyStore, reference: &str, request: DoneRequest) {
    app::complete_step(store, &RunRef::new(reference), &request, None)
        .unwrap_or_else(|r| panic!("{reference} {}: {r}", request.step));
}

fn start(store: &mut AnyStore, qms: &procdoc::spec::load::Qms, flow: &str, reference: &str) {
    app::start_run(
        store,
        qms,
        &[],
        &StartRun {
            doc: "QA-P-001".into(),
            flow: Some(flow.into()),
            reference: reference.into(),
            at: Some("2026-03-02 09:00".into()),
            ..Default::default()
        },
    )
    .unwrap_or_else(|r| panic!("start {reference}: {r}"));
}

/// Three runs (one ended, signed with a password and an attached file; one in a rework
/// loop; one with parallel branches), two users, an API token, a session, a training
/// record and a sent digest.
fn populate(store: &mut AnyStore, root: &Path) {
    let (qms, _) = procdoc::cli::load_and_check(root).expect("fixture loads");
    let known: Vec<String> = ["QA", "PROD", "CS", "GM"].map(String::from).to_vec();
    let add = |store: &mut AnyStore, login: &str, name: &str, depts: &[&str], password| {
        users::add_user(
            store,
            &known,
            AddUser {
                login: login.into(),
                name: name.into(),
                departments: depts.iter().map(|d| d.to_string()).collect(),
                role: Role::Staff,
                password,
            },
            moment(8),
        )
        .unwrap()
    };
    let qi = add(
        store,
        "qi",
        "齐文 Qi Wen",
        &["QA"],
        Some(PASSWORD.to_string()),
    );
    let lu = add(store, "lu", "Lu Chen", &["PROD", "CS"], None);
    store.set_email(lu.id, Some("lu@example.com")).unwrap();
    store.set_language(qi.id, Some("zh")).unwrap();
    users::create_token(store, "qi", moment(8)).unwrap();
    let session = Session {
        user: qi.id,
        created_at: moment(8),
        last_seen: moment(9),
    };
    store.add_session(&"5".repeat(64), &session).unwrap();

    start(store, &qms, "inspection", CASE);
    let sign = SignStep {
        step: "inspect".into(),
        outcome: Some("Pass".into()),
        check: Some("all".into()),
        fields: vec![
            "inspection-report.lot=批次-1".into(),
            "inspection-report.measured=12".into(),
        ],
        attachments: vec![Upload::new(
            "检验报告.txt",
            Some("text/plain"),
            REPORT.to_vec(),
        )],
        ..Default::default()
    };
    app::sign_step(store, &qms, &qi, PASSWORD, &RunRef::new(CASE), &sign)
        .unwrap_or_else(|r| panic!("sign: {r}"));
    complete(
        store,
        CASE,
        DoneRequest {
            acting_for: Some("GM".into()),
            ..done("release", "王总 Wang")
        },
    );

    start(store, &qms, "inspection", "LOT-2");
    let rework = DoneRequest {
        outcome: Some("Rework".into()),
        check: Some("all".into()),
        fields: vec!["lot=L2".into(), "measured=13.5".into()],
        attachments: vec![Upload::new("photo.jpg", None, vec![0xff, 0xd8, 0, 1, 2])],
        ..done("inspect", "Li")
    };
    complete(store, "LOT-2", rework);
    complete(store, "LOT-2", done("rework", "Chen"));

    start(store, &qms, "order", "SO-1");
    complete(store, "SO-1", done("receive", "Zhao"));
    complete(store, "SO-1", done("make", "Chen"));

    store
        .add_training(&TrainingRecord {
            user: qi.id,
            doc: "QA-P-001".into(),
            revision: "A".into(),
            at: moment(8),
        })
        .unwrap();
    store
        .record_digest(lu.id, "2026-03-02", moment(7), 2)
        .unwrap();
}

/// Asserts that `target` holds what `source` holds, row by row and event by event (the
/// same ids, bytes, hashes and places in the store chain), sessions excepted.
fn assert_same(source: &AnyStore, target: &AnyStore) {
    let rows = source.list(&Filter::default()).unwrap();
    assert_eq!(rows.len(), 3);
    let copied = target.list(&Filter::default()).unwrap();
    assert_eq!(format!("{copied:?}"), format!("{rows:?}"));
    for row in &rows {
        let (a, b) = (
            source.load(row.id).unwrap().unwrap(),
            target.load(row.id).unwrap().unwrap(),
        );
        assert_eq!(b.snapshot, a.snapshot, "{}", row.reference);
        assert_eq!(b.events, a.events, "{}", row.reference);
        assert!(!a.events.is_empty());
    }
    assert_eq!(
        format!("{:?}", target.entries().unwrap()),
        format!("{:?}", source.entries().unwrap())
    );
    assert_eq!(target.head().unwrap(), source.head().unwrap());
    assert_eq!(target.provenance().unwrap(), source.provenance().unwrap());
    assert_eq!(target.users().unwrap(), source.users().unwrap());
    assert_eq!(target.tokens().unwrap(), source.tokens().unwrap());
    assert_eq!(target.tokens().unwrap().len(), 1);
    assert_eq!(
        target.training(None).unwrap(),
        source.training(None).unwrap()
    );
    assert_eq!(target.digests().unwrap(), source.digests().unwrap());
    let kept = source.files().unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(target.files().unwrap(), kept);
    for sha in &kept {
        assert_eq!(target.file(sha).unwrap(), source.file(sha).unwrap());
    }
    assert_eq!(target.session(&"5".repeat(64)).unwrap(), None);
}

pub fn a_populated_store_is_copied_event_for_event(backend: Backend) {
    let Some(target) = backend.fresh() else {
        return;
    };
    let source = Source::new();
    let copied = app::copy_database(&source.url(), &target.db).unwrap();
    assert_eq!(
        (copied.runs, copied.users, copied.tokens, copied.files),
        (3, 2, 1, 2)
    );
    assert_eq!(
        (copied.training, copied.digests, copied.snapshots),
        (1, 1, 1)
    );
    assert!(copied.verification.intact(), "{:?}", copied.verification);

    let mut from = AnyStore::open(&source.db(), false).unwrap();
    let mut to = target.open(false);
    assert_same(&from, &to);
    // The target verifies on its own, and holds every entry of the source's head.
    let head = from.head().unwrap().unwrap();
    assert_eq!(copied.events as u64, head.count);
    let report = app::verify(&mut to, None, Some(head.clone())).unwrap();
    assert!(report.intact(), "{:?}", report.findings);
    assert_eq!(report.expected.and_then(|e| e.added), Some(0));
    assert!(app::verify(&mut from, None, None).unwrap().intact());

    // The Chinese reference and the values typed come back byte for byte.
    let case = procdoc::run::engine::find(&to, CASE, None).unwrap();
    assert_eq!(case.reference.as_bytes(), CASE.as_bytes());
    let events = to.load(case.id).unwrap().unwrap().events;
    assert!(events.iter().any(|e| e.data.contains("批次-1")));
    assert!(events.iter().any(|e| e.data.contains("检验报告.txt")));
    let qi = to.user_by_login("qi").unwrap().unwrap();
    assert_eq!(qi.name.as_bytes(), "齐文 Qi Wen".as_bytes());

    // The copy goes on where the source stopped: a new run and user get new ids.
    let mut to = target.open(true);
    let (qms, _) = procdoc::cli::load_and_check(&source.qms()).unwrap();
    start(&mut to, &qms, "inspection", "LOT-3");
    let lot3 = procdoc::run::engine::find(&to, "LOT-3", None).unwrap();
    assert!(lot3.id.0 > 3, "{:?}", lot3.id);
    complete(
        &mut to,
        "LOT-3",
        DoneRequest {
            outcome: Some("Scrap".into()),
            check: Some("all".into()),
            fields: vec!["lot=L3".into(), "measured=1".into()],
            ..done("inspect", "Li")
        },
    );
    let known: Vec<String> = vec!["QA".into()];
    let ann = AddUser {
        login: "ann".into(),
        name: "Ann".into(),
        departments: vec!["QA".into()],
        role: Role::Staff,
        password: None,
    };
    let ann = users::add_user(&mut to, &known, ann, moment(12)).unwrap();
    assert!(ann.id.0 > 2, "{:?}", ann.id);
    let report = app::verify(&mut to, None, Some(head)).unwrap();
    assert!(report.intact(), "{:?}", report.findings);
    assert_eq!(report.expected.and_then(|e| e.added), Some(2));

    // A PostgreSQL store copies back into a new SQLite file just as well.
    if backend == Backend::Postgres {
        let back = tempfile::tempdir().unwrap();
        let file = back.path().join("back.sqlite");
        let copied = app::copy_database(&target.db, &file).unwrap();
        assert_eq!((copied.runs, copied.users), (4, 3));
        let back = AnyStore::open(&file, false).unwrap();
        let to = target.open(false);
        assert_eq!(back.entries().unwrap().len(), to.entries().unwrap().len());
        assert_eq!(back.head().unwrap(), to.head().unwrap());
        assert_eq!(back.users().unwrap(), to.users().unwrap());
    }
}

pub fn a_target_that_is_not_empty_is_refused(backend: Backend) {
    let Some(target) = backend.fresh() else {
        return;
    };
    let source = Source::new();
    let mut store = target.create();
    let known: Vec<String> = vec!["QA".into()];
    let ann = AddUser {
        login: "ann".into(),
        name: "Ann".into(),
        departments: vec!["QA".into()],
        role: Role::Staff,
        password: None,
    };
    users::add_user(&mut store, &known, ann, moment(12)).unwrap();
    drop(store);
    let refused = app::copy_database(&source.url(), &target.db).unwrap_err();
    assert_eq!(refused.kind, RefusalKind::Refused, "{refused:?}");
    assert_eq!(refused.exit_code(), 1);
    assert!(refused.about("to").is_some(), "{refused:?}");
    assert!(refused.message.contains("not empty"), "{}", refused.message);
    assert!(refused.message.contains("1 user"), "{}", refused.message);
    let store = target.open(false);
    assert_eq!(store.list(&Filter::default()).unwrap().len(), 0);
    assert_eq!(store.users().unwrap().len(), 1);

    // A copy that succeeded is not repeated: the second one is refused, and changes nothing.
    let Some(fresh) = backend.fresh() else { return };
    app::copy_database(&source.url(), &fresh.db).unwrap();
    let head = fresh.open(false).head().unwrap();
    let again = app::copy_database(&source.url(), &fresh.db).unwrap_err();
    assert_eq!(again.kind, RefusalKind::Refused, "{again:?}");
    assert!(again.message.contains("3 runs"), "{}", again.message);
    assert_eq!(fresh.open(false).head().unwrap(), head);

    // Nor is a store copied onto itself.
    let same = app::copy_database(&source.url(), &source.db()).unwrap_err();
    assert!(same.about("to").is_some(), "{same:?}");
}

pub fn a_failed_copy_leaves_the_target_empty(backend: Backend) {
    let Some(target) = backend.fresh() else {
        return;
    };
    let source = Source::new();
    // A value changed behind procdoc's back: the copy is written, then fails verification.
    let conn = rusqlite::Connection::open(source.db()).unwrap();
    let changed = conn
        .execute(
            "UPDATE events SET data = replace(data, '批次-1', '批次-9') WHERE data LIKE '%批次-1%'",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let refused = app::copy_database(&source.url(), &target.db).unwrap_err();
    assert_eq!(refused.kind, RefusalKind::Broken, "{refused:?}");
    assert_eq!(refused.exit_code(), 1);
    assert!(refused.message.contains(CASE), "{}", refused.message);
    assert!(
        refused.message.contains("nothing was written"),
        "{}",
        refused.message
    );
    let store = target.open(false);
    assert!(store.list(&Filter::default()).unwrap().is_empty());
    assert!(store.users().unwrap().is_empty());
    assert!(store.files().unwrap().is_empty());
    assert!(store.tokens().unwrap().is_empty());
    assert!(store.training(None).unwrap().is_empty());
    assert_eq!(store.head().unwrap().map(|h| h.count), Some(0));
    assert!(store.entries().unwrap().is_empty());
}

/// `procdoc ARGS`: exit code, standard output, standard error.
fn procdoc(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("procdoc")
        .unwrap()
        .env("NO_COLOR", "1")
        .env_remove("PROCDOC_DB")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn the_binary_copies_and_the_target_verifies(backend: Backend) {
    let Some(target) = backend.fresh() else {
        return;
    };
    let source = Source::new();
    let from = source.url();
    let copy = [
        "db".as_ref(),
        "copy".as_ref(),
        "--from".as_ref(),
        from.as_os_str(),
        "--to".as_ref(),
        target.db.as_os_str(),
    ];
    let events = AnyStore::open(&source.db(), false)
        .unwrap()
        .head()
        .unwrap()
        .unwrap()
        .count;
    let (code, out, err) = procdoc(&copy);
    assert_eq!(code, 0, "{out}{err}");
    let counts = format!(
        "copied 3 runs, {events} events, 1 snapshot, 2 users, 1 API token, 2 attached files"
    );
    assert!(out.contains(&counts), "{out}");
    let verified = format!("OK: the target verifies: 3 runs, {events} events");
    assert!(out.contains(&verified), "{out}");
    let (code, out, err) = procdoc(&copy);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("is not empty"), "{err}");

    let qms = source.qms();
    let verify = [
        "run".as_ref(),
        "verify".as_ref(),
        "--qms".as_ref(),
        qms.as_os_str(),
        "--db".as_ref(),
        target.db.as_os_str(),
    ];
    let (code, out, err) = procdoc(&verify);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("OK: 3 runs, {events} events")),
        "{out}"
    );
    let show = [
        "run".as_ref(),
        "show".as_ref(),
        CASE.as_ref(),
        "--qms".as_ref(),
        qms.as_os_str(),
        "--db".as_ref(),
        target.db.as_os_str(),
    ];
    let (code, out, err) = procdoc(&show);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(CASE) && out.contains("批次-1"), "{out}");

    let missing = tempfile::tempdir().unwrap();
    let nowhere = missing.path().join("none.sqlite");
    let (code, _, err) = procdoc(&[
        "db".as_ref(),
        "copy".as_ref(),
        "--from".as_ref(),
        nowhere.as_os_str(),
        "--to".as_ref(),
        target.db.as_os_str(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("there is no run database"), "{err}");
}
