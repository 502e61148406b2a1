//! A copy of the Kestrel example served with a user per department and runs ready at the
//! steps of spec format 1.1 that the hostile-request tests aim at (`web_hostile*.rs`).
#![allow(dead_code)]

use std::path::Path;

use procdoc::app::{self, DoneRequest, RunRef, StartRun};
use procdoc::run::accounts::Role;
use procdoc::run::store::SqliteStore;

use crate::common;
use crate::site::{self, Site};

pub const NCR: &str = "KPM-QP-13/ncr";
pub const CAL: &str = "KPM-QP-11/calibration";
pub const HOSTILE: &str = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>#eval("x")"#;
pub const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img";

/// The Kestrel example served with one user per department (`qa`, `qc`, `prod`, `eng`,
/// `pur`, `sal`, `md`), `qaprod` in QA and PROD, and runs ready at the steps under test:
/// NC-MRB at the joint MRB sign-off, NC-DISP at the inclusive disposition, NC-DEST with the
/// scrap held ten working days before destruction, GA-ROUTE at a decision of one outcome,
/// GA-EVAL at the calibration record whose result decides.
pub fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let qms = dir.path().join("qms");
    common::copy_dir(Path::new("specs/kestrel"), &qms);
    let mut store = site::add_users(
        &dir.path().join("runs.sqlite"),
        &["QA", "QC", "PROD", "ENG", "PUR", "SAL", "MD"],
        &[
            ("qa", &["QA"], Role::Staff),
            ("qc", &["QC"], Role::Staff),
            ("prod", &["PROD"], Role::Staff),
            ("eng", &["ENG"], Role::Staff),
            ("pur", &["PUR"], Role::Staff),
            ("sal", &["SAL"], Role::Staff),
            ("md", &["MD"], Role::Staff),
            ("qaprod", &["QA", "PROD"], Role::Staff),
        ],
    );
    let (loaded, _) = procdoc::spec::load::load(&qms).unwrap();
    let done = |store: &mut SqliteStore, reference: &str, step: &str, extra: DoneRequest| {
        app::complete_step(
            store,
            &RunRef::new(reference),
            &DoneRequest {
                step: step.into(),
                by: if extra.by.is_empty() {
                    "Earlier Hand".into()
                } else {
                    extra.by.clone()
                },
                ..extra
            },
            Some("2026-03-06 09:00"),
        )
        .unwrap_or_else(|e| panic!("{reference} {step}: {e:?}"));
    };
    for reference in ["NC-MRB", "NC-DISP", "NC-DEST"] {
        app::start_run(
            &mut store,
            &loaded,
            &[],
            &StartRun {
                doc: "KPM-QP-13".into(),
                reference: reference.into(),
                at: Some("2026-03-02 09:00".into()),
                trigger: Some("1".into()),
                plan: vec!["mrb=2026-03-10".into()],
                ..Default::default()
            },
        )
        .unwrap();
        let ncr = [
            "ncr.ncr_no=NCR-1",
            "ncr.part=P-1",
            "ncr.quantity=5",
            "ncr.description=Bore oversize",
        ];
        done(
            &mut store,
            reference,
            "identify",
            DoneRequest {
                fields: ncr.iter().map(|f| f.to_string()).collect(),
                ..Default::default()
            },
        );
        done(&mut store, reference, "circulate", DoneRequest::default());
    }
    for reference in ["NC-DISP", "NC-DEST"] {
        for dept in ["QA", "PROD", "ENG"] {
            done(
                &mut store,
                reference,
                "mrb",
                DoneRequest {
                    by: format!("Member {dept}"),
                    acting_for: Some(dept.into()),
                    ..Default::default()
                },
            );
        }
    }
    app::complete_step(
        &mut store,
        &RunRef::new("NC-DEST"),
        &DoneRequest {
            step: "disposition".into(),
            by: "Earlier Hand".into(),
            outcome: Some("Scrap".into()),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    app::complete_step(
        &mut store,
        &RunRef::new("NC-DEST"),
        &DoneRequest {
            step: "scrap-hold".into(),
            by: "Earlier Hand".into(),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    app::start_run(
        &mut store,
        &loaded,
        &[],
        &StartRun {
            doc: "KPM-QP-11".into(),
            reference: "GA-EVAL".into(),
            at: Some("2026-03-02 09:00".into()),
            item: Some("GA-001".into()),
            ..Default::default()
        },
    )
    .unwrap();
    done(&mut store, "GA-EVAL", "recall", DoneRequest::default());
    done(
        &mut store,
        "GA-EVAL",
        "route",
        DoneRequest {
            outcome: Some("In house".into()),
            ..Default::default()
        },
    );
    done(&mut store, "GA-EVAL", "calibrate", DoneRequest::default());
    app::start_run(
        &mut store,
        &loaded,
        &[],
        &StartRun {
            doc: "KPM-QP-11".into(),
            reference: "GA-ROUTE".into(),
            at: Some("2026-03-02 09:00".into()),
            item: Some("GA-002".into()),
            ..Default::default()
        },
    )
    .unwrap();
    done(&mut store, "GA-ROUTE", "recall", DoneRequest::default());
    drop(store);
    Site::serve(dir)
}

/// How many events run `reference` has (`None`: there is no such run).
pub fn events(site: &Site, reference: &str) -> Option<usize> {
    let mut store = SqliteStore::create(&site.db()).unwrap();
    app::show_run(&mut store, None, &RunRef::new(reference), None, 3600)
        .ok()
        .map(|r| r.events.len())
}
