//! How `procdoc serve` shows the constructs of format 1.1 on My work and on a run's page: an
//! escalated step (to whom, since when, not as overdue), a timeout that fell due but is not
//! recorded yet (shown taken, marked), a joint step with who has signed, and the trigger a
//! run was started by. The runs are started back-dated; the server's clock is the real one.

mod common;

#[path = "common/site.rs"]
mod site;

use std::path::Path;

use axum::http::StatusCode;

use procdoc::app::{self, DoneRequest, RunRef, StartRun};
use procdoc::run::accounts::Role;
use site::{Site, block_on, body};

/// A copy of the supplier-timeout QMS with a second procedure whose only step is QA's,
/// escalated to GM after one working day and never timing out.
fn qms(dir: &Path) {
    let qms = dir.join("qms");
    common::copy_dir(Path::new("tests/fixtures/run/supplier-timeout"), &qms);
    let header = std::fs::read_to_string(qms.join("QP-08.yaml")).unwrap();
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
        escalate: { after: 1 working day, to: GM }
        end: Reviewed
"#;
    std::fs::write(qms.join("QP-10.yaml"), doc).unwrap();
}

fn start(
    store: &mut procdoc::run::store::SqliteStore,
    qms: &procdoc::spec::load::Qms,
    doc: &str,
    reference: &str,
) {
    app::start_run(
        store,
        qms,
        &[],
        &StartRun {
            doc: doc.into(),
            reference: reference.into(),
            by: Some("Helen".into()),
            at: Some("2026-03-06 14:00".into()),
            ..Default::default()
        },
    )
    .unwrap();
}

#[test]
fn my_work_and_the_run_page_show_escalations_and_timeouts_not_yet_recorded() {
    block_on(async {
        let dir = tempfile::tempdir().unwrap();
        qms(dir.path());
        let mut store = site::add_users(
            &dir.path().join("runs.sqlite"),
            &["QA", "PROD", "PUR", "SAL", "GM"],
            &[
                ("gm", &["GM"], Role::Staff),
                ("pur", &["PUR"], Role::Staff),
                ("qa", &["QA"], Role::Quality),
            ],
        );
        let (qms, _) = procdoc::spec::load::load(&dir.path().join("qms")).unwrap();
        start(&mut store, &qms, "QP-10", "R-1");
        start(&mut store, &qms, "QP-08", "NC-1");
        app::complete_step(
            &mut store,
            &RunRef::new("NC-1"),
            &DoneRequest {
                step: "segregate".into(),
                by: "Helen".into(),
                fields: vec!["part=P-1".into()],
                ..Default::default()
            },
            Some("2026-03-06 15:00"),
        )
        .unwrap();
        drop(store);
        let site = Site::serve(dir);

        // GM's work: QA's review, escalated to GM since Monday 9 March 14:00; no deadline.
        let gm = site.sign_in("gm").await;
        let r = site.get("/", Some(&gm)).await;
        assert_eq!(r.status(), StatusCode::OK);
        let page = body(r).await;
        assert!(page.contains("Review the casting"), "{page}");
        assert!(
            page.contains("escalated to GM since <time datetime=\"2026-03-09T14:00:00+00:00\">2026-03-09 14:00</time>"),
            "{page}"
        );
        assert!(!page.contains("late by"), "{page}");

        // The supplier never answered: ask-supplier timed out on 23 March, and `hold` is
        // PUR's (and late) though no command has recorded the timeout yet.
        let pur = site.sign_in("pur").await;
        let page = body(site.get("/", Some(&pur)).await).await;
        assert!(
            page.contains("Keep the casting on hold and chase the supplier"),
            "{page}"
        );
        assert!(!page.contains("Ask the supplier for the cause"), "{page}");
        assert!(page.contains("late by"), "{page}");

        let qa = site.sign_in("qa").await;
        let page = body(site.get("/runs/NC-1", Some(&qa)).await).await;
        assert!(
            page.contains("ask-supplier timed out at 2026-03-23 15:00 (not yet recorded)"),
            "{page}"
        );
        let ask = &page[page.find("id=\"step-ask-supplier\"").unwrap()..];
        let ask = &ask[..ask.find("</li>").unwrap()];
        assert!(
            ask.contains("<span class=\"tag state\">timed out</span>"),
            "{ask}"
        );
        assert!(ask.contains("not yet recorded"), "{ask}");
        assert!(!ask.contains("Signed:"), "{ask}");

        let page = body(site.get("/runs/R-1", Some(&qa)).await).await;
        assert!(
            page.contains("<span class=\"tag escalated\">escalated to GM since"),
            "{page}"
        );
    });
}

#[test]
fn the_run_page_shows_a_joint_step_with_who_has_signed() {
    block_on(async {
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(
            Path::new("tests/fixtures/run/joint"),
            &dir.path().join("qms"),
        );
        let mut store = site::add_users(
            &dir.path().join("runs.sqlite"),
            &["QA", "PROD", "ENG"],
            &[("qa", &["QA"], Role::Quality)],
        );
        let (qms, _) = procdoc::spec::load::load(&dir.path().join("qms")).unwrap();
        app::start_run(
            &mut store,
            &qms,
            &[],
            &StartRun {
                doc: "QA-P-010".into(),
                reference: "CA-1".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let done = |store: &mut procdoc::run::store::SqliteStore,
                    step: &str,
                    by: &str,
                    extra: DoneRequest| {
            app::complete_step(
                store,
                &RunRef::new("CA-1"),
                &DoneRequest {
                    step: step.into(),
                    by: by.into(),
                    ..extra
                },
                None,
            )
            .unwrap();
        };
        done(
            &mut store,
            "classify",
            "Helen",
            DoneRequest {
                fields: vec!["capa.category=Major".into(), "capa.score=7".into()],
                outcome: Some("Major".into()),
                ..Default::default()
            },
        );
        done(
            &mut store,
            "approve",
            "Helen",
            DoneRequest {
                acting_for: Some("QA".into()),
                ..Default::default()
            },
        );
        drop(store);
        let site = Site::serve(dir);
        let qa = site.sign_in("qa").await;
        let page = body(site.get("/runs/CA-1", Some(&qa)).await).await;
        let approve = &page[page.find("id=\"step-approve\"").unwrap()..];
        let approve = &approve[..approve.find("id=\"step-close\"").unwrap()];
        assert!(approve.contains(" + "), "{approve}");
        assert!(
            approve.contains("<p class=\"sign-off\">QA ✓ · PROD … · ENG …</p>"),
            "{approve}"
        );
    });
}

#[test]
fn the_run_page_names_the_trigger_a_run_was_started_by() {
    block_on(async {
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(
            Path::new("tests/fixtures/triggers"),
            &dir.path().join("qms"),
        );
        let mut store = site::add_users(
            &dir.path().join("runs.sqlite"),
            &["QA", "PROD", "PUR", "SAL", "GM"],
            &[("qa", &["QA"], Role::Quality)],
        );
        let (qms, _) = procdoc::spec::load::load(&dir.path().join("qms")).unwrap();
        app::start_run(
            &mut store,
            &qms,
            &[],
            &StartRun {
                doc: "QP-08".into(),
                reference: "N-1".into(),
                trigger: Some("2".into()),
                ..Default::default()
            },
        )
        .unwrap();
        drop(store);
        let site = Site::serve(dir);
        let qa = site.sign_in("qa").await;
        let page = body(site.get("/runs/N-1", Some(&qa)).await).await;
        assert!(
            page.contains(
                "<p class=\"trigger\">Started by: 2. A customer returns a casting (starts at report)</p>"
            ),
            "{page}"
        );
    });
}
