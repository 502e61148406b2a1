//! Step timeouts on each backend: the tick records the timed-out event at the moment the
//! timeout fell due, the run moves on to `goto`, an escalated step is found for the
//! escalated department, and the chains verify.

use std::path::Path;

use procdoc::app::{self, DoneRequest, RunRef, StartRun};
use procdoc::run::clock;
use procdoc::run::store::{Filter, Store};

use crate::harness::Backend;

/// The supplier-timeout fixture's nonconformity NC-1, started on Friday 6 March 2026 14:00
/// and segregated at 15:00: waiting for the supplier, escalated a week later and timed out
/// after two.
fn nc_1_segregated(db: &crate::harness::TestDb) -> procdoc::run::store::AnyStore {
    let (qms, _) = procdoc::cli::load_and_check(Path::new("tests/fixtures/run/supplier-timeout"))
        .expect("fixture");
    let mut store = db.create();
    let start = StartRun {
        doc: "QP-08".into(),
        reference: "NC-1".into(),
        at: Some("2026-03-06 14:00".into()),
        ..Default::default()
    };
    app::start_run(&mut store, &qms, &[], &start).unwrap();
    let segregate = DoneRequest {
        step: "segregate".into(),
        by: "Helen".into(),
        fields: vec!["part=P-1".into()],
        ..Default::default()
    };
    app::complete_step(
        &mut store,
        &RunRef::new("NC-1"),
        &segregate,
        Some("2026-03-06 15:00"),
    )
    .unwrap();
    store
}

pub fn a_timeout_is_recorded_at_its_due_moment_and_the_run_moves_on(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = nc_1_segregated(&db);
    let tz = chrono_tz::Europe::London;
    let at = |t: &str| clock::parse(t, tz).unwrap();

    // Escalated to PUR from Friday 13 March 15:00: found by PUR's filter, but an escalation
    // is not a deadline: nothing is overdue for PUR.
    store.begin(false).unwrap();
    let pur = store
        .list(&Filter {
            dept: Some("PUR".into()),
            ..Default::default()
        })
        .unwrap();
    let late = store
        .overdue(&clock::stamp(at("2026-03-16 09:00")), &Filter::default())
        .unwrap();
    store.rollback().unwrap();
    assert_eq!(pur.len(), 1);
    assert!(
        !late.iter().any(|o| o.open.dept.as_deref() == Some("PUR")),
        "{late:?}"
    );

    let ticked = app::timeouts::tick(&mut store, at("2026-03-24 10:00")).unwrap();
    assert_eq!(ticked.timeouts, 1, "{ticked:?}");
    assert_eq!(
        app::timeouts::tick(&mut store, at("2026-03-25 10:00"))
            .unwrap()
            .timeouts,
        0
    );

    store.begin(false).unwrap();
    let row = store
        .list(&Filter {
            reference: Some("NC-1".into()),
            ..Default::default()
        })
        .unwrap()
        .remove(0);
    let stored = store.load(row.id).unwrap().unwrap();
    store.rollback().unwrap();
    let last = stored.events.last().unwrap();
    assert_eq!(last.kind, "timed-out");
    assert_eq!(last.by, None);
    assert_eq!(last.at, "2026-03-23T15:00:00Z");
    let open: Vec<&str> = row.open.iter().filter_map(|o| o.step.as_deref()).collect();
    assert_eq!(open, ["hold"]);
    assert!(app::verify(&mut store, None, None).unwrap().intact());
}

/// The moment an open run next changes by time alone (its escalation, then its timeout) is
/// kept with its summary and found by the store's index; a run whose moment is not known
/// (open when the database was upgraded to schema 6) is found at any time until `run tick`
/// learns it, and `run verify` accepts both.
pub fn a_run_is_found_by_the_moment_it_next_changes(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut store = nc_1_segregated(&db);
    let changed_by = |store: &mut procdoc::run::store::AnyStore, at: &str| {
        store.begin(false).unwrap();
        let rows = store
            .list(&Filter {
                changes_by: Some(at.into()),
                ..Default::default()
            })
            .unwrap();
        store.rollback().unwrap();
        rows.into_iter().map(|r| r.reference).collect::<Vec<_>>()
    };
    // Escalated to PUR from Friday 13 March 15:00 (London, UTC then).
    assert!(changed_by(&mut store, "2026-03-13T14:59:59Z").is_empty());
    assert_eq!(changed_by(&mut store, "2026-03-13T15:00:00Z"), ["NC-1"]);

    // As the upgrade leaves it: not known.
    db.sql(
        "UPDATE runs SET changes_at = ''",
        "UPDATE runs SET changes_at = ''",
    );
    let mut store = db.open(true);
    assert_eq!(changed_by(&mut store, "2026-03-06T16:00:00Z"), ["NC-1"]);
    assert!(app::verify(&mut store, None, None).unwrap().intact());
    let tz = chrono_tz::Europe::London;
    let ticked =
        app::timeouts::tick(&mut store, clock::parse("2026-03-06 16:00", tz).unwrap()).unwrap();
    assert_eq!(ticked.timeouts, 0);
    assert!(changed_by(&mut store, "2026-03-06T16:00:00Z").is_empty());
    assert_eq!(changed_by(&mut store, "2026-03-13T15:00:00Z"), ["NC-1"]);

    // A moment altered by hand would hide the run from the views: verify says so.
    db.sql(
        "UPDATE runs SET changes_at = '2099-01-01T00:00:00Z'",
        "UPDATE runs SET changes_at = '2099-01-01T00:00:00Z'",
    );
    let mut store = db.open(true);
    let report = app::verify(&mut store, None, None).unwrap();
    assert!(!report.intact(), "{report:?}");
}
