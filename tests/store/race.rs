//! Two stores (two connections, as two server instances have) completing the same step of
//! one run at the same moment, through the application layer as a request does: exactly one
//! succeeds, the other is refused as today, and the audit chain never forks.

use std::path::Path;
use std::sync::Barrier;

use procdoc::app::{self, DoneRequest, RefusalKind, RunRef, StartRun};
use procdoc::run::store::Store;

use crate::harness::Backend;

/// Rounds of the race; each is a new run.
const ROUNDS: usize = 12;

fn inspection() -> DoneRequest {
    DoneRequest {
        step: "inspect".into(),
        by: "Qi".into(),
        outcome: Some("Pass".into()),
        check: Some("all".into()),
        fields: vec!["lot=L1".into(), "measured=12".into()],
        ..Default::default()
    }
}

pub fn two_stores_completing_one_step_never_fork_the_chain(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let (qms, diagnostics) =
        procdoc::cli::load_and_check(Path::new("tests/fixtures/run/factory")).expect("fixture");
    let mut one = db.create();
    let mut two = db.open(true);
    for round in 0..ROUNDS {
        let reference = format!("LOT-{round}");
        app::start_run(
            &mut one,
            &qms,
            &diagnostics,
            &StartRun {
                doc: "QA-P-001".into(),
                flow: Some("inspection".into()),
                reference: reference.clone(),
                at: Some("2026-03-02 09:00".into()),
                ..Default::default()
            },
        )
        .unwrap_or_else(|r| panic!("start {reference}: {r}"));
        let barrier = Barrier::new(2);
        let run = RunRef::new(&reference);
        let racer = |store: &mut procdoc::run::store::AnyStore| {
            barrier.wait();
            app::complete_step(store, &run, &inspection(), Some("2026-03-02 10:00"))
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| racer(&mut one));
            let b = s.spawn(|| racer(&mut two));
            (a.join().unwrap(), b.join().unwrap())
        });
        let (won, lost) = match (a, b) {
            (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
            (a, b) => panic!("round {round}: exactly one must win: {a:?} / {b:?}"),
        };
        assert_eq!(won.step, "inspect");
        assert!(
            matches!(lost.kind, RefusalKind::Conflict | RefusalKind::Refused),
            "round {round}: {lost:?}"
        );
    }
    // One completion per run, and one unbroken store chain through every event.
    let entries = one.entries().unwrap();
    let head = one.head().unwrap().unwrap();
    assert_eq!(head.count, entries.len() as u64);
    assert!(
        entries
            .iter()
            .enumerate()
            .all(|(i, e)| e.pos == i as u64 + 1)
    );
    for run in one.list(&Default::default()).unwrap() {
        let events = one.load(run.id).unwrap().unwrap().events;
        let completed = events.iter().filter(|e| e.kind == "completed").count();
        assert_eq!(completed, 1, "{}: {events:?}", run.reference);
    }
    let verified = app::verify(&mut two, None, None).unwrap();
    assert!(verified.findings.is_empty(), "{:?}", verified.findings);
    assert_eq!(verified.runs, ROUNDS);
}
