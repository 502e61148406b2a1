//! A step signed by several departments and a decision taken from a field, on each backend:
//! one attributed event per signature, the open step listed for those still to sign.

use std::path::Path;

use procdoc::app::{self, DoneRequest, RunRef, StartRun};
use procdoc::run::store::{AnyStore, Filter, Store};

use crate::harness::Backend;

fn done(step: &str, by: &str, acting_for: &str) -> DoneRequest {
    DoneRequest {
        step: step.into(),
        by: by.into(),
        acting_for: Some(acting_for.into()),
        ..Default::default()
    }
}

fn listed_for(store: &mut AnyStore, dept: &str) -> usize {
    store
        .list(&Filter {
            dept: Some(dept.into()),
            ..Default::default()
        })
        .unwrap()
        .len()
}

pub fn a_joint_step_takes_one_signature_per_department(backend: Backend) {
    let Some(db) = backend.fresh() else {
        return;
    };
    let mut store = db.create();
    let (qms, _) =
        procdoc::cli::load_and_check(Path::new("tests/fixtures/run/joint")).expect("fixture");
    app::start_run(
        &mut store,
        &qms,
        &[],
        &StartRun {
            doc: "QA-P-010".into(),
            reference: "CA-7".into(),
            at: Some("2026-03-02 09:00".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let run = RunRef::new("CA-7");
    let classify = DoneRequest {
        fields: vec!["capa.category=Major".into(), "capa.score=4".into()],
        ..done("classify", "Helen", "QA")
    };
    let done_now = app::complete_step(&mut store, &run, &classify, None).unwrap();
    assert_eq!(done_now.outcome.as_deref(), Some("Major"));

    let first = app::complete_step(&mut store, &run, &done("approve", "Helen", "QA"), None);
    assert_eq!(first.unwrap().to_sign, ["PROD", "ENG"]);
    assert_eq!(listed_for(&mut store, "QA"), 0);
    assert_eq!(listed_for(&mut store, "PROD"), 1);
    let again = app::complete_step(&mut store, &run, &done("approve", "HELEN", "PROD"), None);
    let refused = again.unwrap_err();
    assert!(
        refused
            .message
            .contains("one person signs for one department only"),
        "{refused}"
    );
    app::complete_step(&mut store, &run, &done("approve", "Wu", "PROD"), None).unwrap();
    assert_eq!(listed_for(&mut store, "PROD"), 0);
    assert_eq!(listed_for(&mut store, "ENG"), 1);
    let last = DoneRequest {
        check: Some("all".into()),
        ..done("approve", "Zhao", "ENG")
    };
    let completed = app::complete_step(&mut store, &run, &last, None).unwrap();
    assert!(completed.to_sign.is_empty());
    assert_eq!(listed_for(&mut store, "ENG"), 0);
    assert_eq!(listed_for(&mut store, "QA"), 1);

    let id = store
        .list(&Filter {
            reference: Some("CA-7".into()),
            ..Default::default()
        })
        .unwrap()[0]
        .id;
    let stored = store.load(id).unwrap();
    let kinds: Vec<String> = stored
        .unwrap()
        .events
        .iter()
        .map(|e| format!("{} {}", e.kind, e.by.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        kinds,
        [
            "started ",
            "completed Helen",
            "signed Helen",
            "signed Wu",
            "completed Zhao"
        ]
    );
    assert!(app::verify(&mut store, None, None).unwrap().intact());
}
