//! Read-and-confirm over HTTP: the task on My work (with the count in the header), the
//! confirm button (`POST /documents/{doc}/{rev}/confirm`), the training page, and
//! `training: required` refusing a signature in the browser and through the API until the
//! revision is confirmed. The axum router driven in-process on a copy of the factory
//! fixture whose title carries markup.

mod common;
#[path = "common/releases.rs"]
mod releases;
#[path = "common/site.rs"]
mod site;

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use procdoc::app::users;
use procdoc::app::{self, RunRef, StartRun};
use procdoc::run::accounts::Role;
use procdoc::run::clock;
use procdoc::run::store::SqliteStore;
use site::{ESCAPED, HOSTILE, PASSWORD, Site, block_on, body, edit, encode, location};

const CONFIRM: &str = "/documents/QA-P-001/A/confirm";
const STEP: &str = "/runs/LOT-1/steps/inspect";

impl Site {
    /// The factory fixture titled with markup, one more department (LOG) that acts in no
    /// flow, revision A of QA-P-001 released (its PDF in the output folder), users `qa`,
    /// `qa2` (QA staff), `boss` (QA quality), `log` (LOG), a run LOT-1 of the inspection
    /// flow, and an API token of `qa`, returned. `required` sets `training: required`.
    fn trained(required: bool) -> (Site, String) {
        let dir = tempfile::tempdir().unwrap();
        let qms = dir.path().join("qms");
        common::copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
        edit(&qms.join("QA-P-001.yaml"), |text| {
            text.replacen(
                "title: Inspection and delivery\n",
                &format!("title: 'Inspection {HOSTILE}'\n"),
                1,
            )
        });
        edit(&qms.join("procdoc.yaml"), |text| {
            let text = text.replacen(
                "  - { code: GM, name: General Manager }\n",
                "  - { code: GM, name: General Manager }\n  - { code: LOG, name: Logistics }\n",
                1,
            );
            if required {
                format!("{text}training: required\n")
            } else {
                text
            }
        });
        releases::release(
            &qms,
            "QA-P-001",
            "2026-03-01T01:00:00Z",
            Some(&dir.path().join("out")),
        );
        let mut store = site::add_users(
            &dir.path().join("runs.sqlite"),
            &["QA", "PROD", "CS", "GM", "LOG"],
            &[
                ("qa", &["QA"], Role::Staff),
                ("qa2", &["QA"], Role::Staff),
                ("boss", &["QA"], Role::Quality),
                ("log", &["LOG"], Role::Staff),
            ],
        );
        let token = users::create_token(&mut store, "qa", clock::system_now()).unwrap();
        let (loaded, _) = procdoc::spec::load::load(&qms).unwrap();
        app::start_run(
            &mut store,
            &loaded,
            &[],
            &StartRun {
                doc: "QA-P-001".into(),
                flow: Some("inspection".into()),
                reference: "LOT-1".into(),
                at: Some("2026-03-02 09:00".into()),
                ..Default::default()
            },
        )
        .unwrap();
        drop(store);
        (Site::serve(dir), token)
    }

    /// How many events LOT-1 has, read over another connection.
    fn events(&self) -> usize {
        let mut store = SqliteStore::create(&self.db()).unwrap();
        app::show_run(&mut store, None, &RunRef::new("LOT-1"), None, 3600)
            .unwrap()
            .events
            .len()
    }

    /// How many training records the store holds.
    fn records(&self) -> usize {
        use procdoc::run::accounts::Accounts;
        let store = SqliteStore::create(&self.db()).unwrap();
        store.training(None).unwrap().len()
    }
}

/// A complete, passing inspection with the password.
fn inspection() -> String {
    encode(&[
        ("check", "1"),
        ("check", "2"),
        ("check", "3"),
        ("outcome", "Pass"),
        ("f.inspection-report.lot", "L-77"),
        ("f.inspection-report.measured", "12.5"),
        ("password", PASSWORD),
    ])
}

/// The count shown next to My work in the header.
fn header_count(html: &str) -> &str {
    let nav = &html[html.find("<nav>").unwrap()..];
    let start = nav.find(r#"<span class="count">"#).unwrap() + r#"<span class="count">"#.len();
    &nav[start..start + nav[start..].find('<').unwrap()]
}

#[test]
fn my_work_lists_the_revision_to_read_for_the_right_users_only() {
    block_on(async {
        let (site, _) = Site::trained(false);
        let qa = site.sign_in("qa").await;
        let html = body(site.get("/", Some(&qa)).await).await;
        for needle in [
            "QA-P-001",
            r#"href="/files/QA-P-001-revA.pdf""#,
            &format!(r#"action="{CONFIRM}""#),
            "I have read and understood",
            "2025-10-01",
            ESCAPED,
        ] {
            assert!(
                html.contains(needle),
                "`{needle}` is not on My work:\n{html}"
            );
        }
        assert!(!html.contains("<script>alert"), "{html}");
        // One step (inspect) and one revision to read.
        assert_eq!(header_count(&html), "2", "{html}");

        let log = site.sign_in("log").await;
        let html = body(site.get("/", Some(&log)).await).await;
        assert!(!html.contains(CONFIRM), "LOG acts in nothing:\n{html}");
    });
}

#[test]
fn confirming_removes_the_task_and_a_second_confirmation_is_refused() {
    block_on(async {
        let (site, _) = Site::trained(false);
        let qa = site.sign_in("qa").await;
        // A form from another site confirms nothing.
        let r = site
            .post_from(CONFIRM, "back=/", Some(&qa), Some("http://evil.example"))
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(site.records(), 0);

        let r = site.post(CONFIRM, "back=/", Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/");
        assert_eq!(site.records(), 1);
        let html = body(site.get("/", Some(&qa)).await).await;
        assert!(!html.contains(CONFIRM), "{html}");
        assert_eq!(header_count(&html), "1");

        let r = site.post(CONFIRM, "", Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(body(r).await.contains("already"));
        let r = site
            .post("/documents/QA-P-001/Z/confirm", "", Some(&qa))
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(site.records(), 1);
    });
}

#[test]
fn the_training_page_lists_who_is_missing_for_quality_users_only() {
    block_on(async {
        let (site, _) = Site::trained(false);
        let qa = site.sign_in("qa").await;
        assert_eq!(
            site.post(CONFIRM, "", Some(&qa)).await.status(),
            StatusCode::SEE_OTHER
        );

        let boss = site.sign_in("boss").await;
        let r = site.get("/training?dept=QA", Some(&boss)).await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = body(r).await;
        let missing = &html[html.find(r#"class="missing""#).unwrap()..];
        let missing = &missing[..missing.find("</td>").unwrap()];
        assert!(
            missing.contains("Printed qa2 (qa2)") && missing.contains("Printed boss (boss)"),
            "{missing}"
        );
        assert!(!missing.contains("(qa)"), "{missing}");
        assert!(html.contains("Printed qa (qa) <time"), "{html}");
        assert!(html.contains("3 people"), "QA's head count: {html}");
        assert!(
            html.contains(ESCAPED) && !html.contains("<script>alert"),
            "{html}"
        );

        // Staff see their own records, and may not look at a department's.
        let r = site.get("/training", Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = body(r).await;
        assert!(
            html.contains("My training records") && html.contains("QA-P-001"),
            "{html}"
        );
        assert!(!html.contains(r#"class="missing""#), "{html}");
        let r = site.get("/training?dept=QA", Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // Signed out: to the sign-in page.
        let r = site.get("/training", None).await;
        assert_ne!(r.status(), StatusCode::OK);
    });
}

#[test]
fn training_required_refuses_the_signature_until_confirmed() {
    block_on(async {
        let (site, token) = Site::trained(true);
        let qa = site.sign_in("qa").await;
        let before = site.events();
        // The form says so before anything is filled in, with the document and the button.
        let html = body(site.get(STEP, Some(&qa)).await).await;
        assert!(html.contains("Training required"), "{html}");
        assert!(
            html.contains(r#"href="/files/QA-P-001-revA.pdf""#),
            "{html}"
        );
        assert!(html.contains(&format!(r#"action="{CONFIRM}""#)), "{html}");

        let r = site.post(STEP, &inspection(), Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let html = body(r).await;
        assert!(
            html.contains("has not confirmed revision A of QA-P-001"),
            "{html}"
        );
        assert_eq!(site.events(), before, "nothing written");

        // The API refuses alike.
        let request = Request::post("/api/runs/LOT-1/steps/inspect")
            .header(header::HOST, "localhost")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::json!({
                    "outcome": "Pass", "check": "all", "password": PASSWORD,
                    "fields": {"inspection-report.lot": "L-77", "inspection-report.measured": 12.5},
                })
                .to_string(),
            ))
            .unwrap();
        let r = site.send(request).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(body(r).await.contains("training is required"));
        assert_eq!(site.events(), before);

        // Confirmed from the step's notice: back to the form, which signs now.
        let r = site
            .post(CONFIRM, &encode(&[("back", STEP)]), Some(&qa))
            .await;
        assert_eq!(location(&r), STEP);
        let html = body(site.get(STEP, Some(&qa)).await).await;
        assert!(!html.contains("Training required"), "{html}");
        let r = site.post(STEP, &inspection(), Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(r).await);
        assert!(site.events() > before);
    });
}

#[test]
fn without_training_required_signing_is_not_blocked() {
    block_on(async {
        let (site, _) = Site::trained(false);
        let qa = site.sign_in("qa").await;
        let html = body(site.get(STEP, Some(&qa)).await).await;
        assert!(!html.contains("Training required"), "{html}");
        let r = site.post(STEP, &inspection(), Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(r).await);
    });
}

/// A revision released while the server runs reaches My work without a restart: the server
/// takes the changed QMS folder at its next look. A QMS changed into one with errors is
/// kept out and the one before is still served.
#[test]
fn a_release_while_the_server_runs_gives_its_read_task_without_a_restart() {
    use procdoc::web::qms_watch::Watched;
    block_on(async {
        let (site, _) = Site::trained(false);
        assert_eq!(site.state.reload_if_changed(), Watched::Unchanged);
        let qa = site.sign_in("qa").await;
        let r = site.post(CONFIRM, "", Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let html = body(site.get("/", Some(&qa)).await).await;
        assert!(!html.contains("/documents/QA-P-001/"), "{html}");

        let file = site.qms().join("QA-P-001.yaml");
        releases::revise(&file, "A", "B");
        edit(&file, |text| {
            text.replacen(
                "  - { revision: A, date: 2025-10-01, change: First release }\n",
                "  - { revision: A, date: 2025-10-01, change: First release }\n  - { revision: B, date: 2026-04-01, change: Second release }\n",
                1,
            )
        });
        releases::release(
            &site.qms(),
            "QA-P-001",
            "2026-04-01T01:00:00Z",
            Some(&site.dir.path().join("out")),
        );
        // The stand-in register's copies are not procdoc's (three check errors, as at start):
        // a QMS served with errors is served again with its change.
        assert_eq!(site.state.reload_if_changed(), Watched::Reloaded(3));
        let html = body(site.get("/", Some(&qa)).await).await;
        assert!(
            html.contains(r#"action="/documents/QA-P-001/B/confirm""#),
            "revision B is not on My work:\n{html}"
        );
        let html = body(site.get("/documents", Some(&qa)).await).await;
        assert!(html.contains("QA-P-001-revB.pdf"), "{html}");
    });
}

/// A spec saved with an error into a QMS served without errors is kept out (runs still
/// start on the QMS before), reported once; once corrected, it is served.
#[test]
fn a_change_that_brings_errors_is_kept_out_until_corrected() {
    use procdoc::web::qms_watch::Watched;
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(
        Path::new("tests/fixtures/run/factory"),
        &dir.path().join("qms"),
    );
    drop(site::add_users(
        &dir.path().join("runs.sqlite"),
        &["QA"],
        &[("qa", &["QA"], Role::Staff)],
    ));
    let site = Site::serve(dir);
    assert!(site.state.loaded().diagnostics.is_empty());
    let file = site.qms().join("QA-P-001.yaml");
    // Saved again unchanged (a new modification time): nothing to take.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&file, std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(site.state.reload_if_changed(), Watched::Unchanged);
    edit(&file, |text| text.replacen("owner: QA", "owner: NOBODY", 1));
    match site.state.reload_if_changed() {
        Watched::Kept(why) => assert!(why.contains("NOBODY"), "{why}"),
        other => panic!("a QMS with errors was {other:?}"),
    }
    assert_eq!(site.state.reload_if_changed(), Watched::Unchanged);
    assert!(site.state.loaded().diagnostics.is_empty());
    assert_eq!(
        site.state
            .loaded()
            .qms
            .procedure("QA-P-001")
            .unwrap()
            .doc
            .owner,
        "QA"
    );
    edit(&file, |text| {
        text.replacen("owner: NOBODY", "owner: QA", 1).replacen(
            "title: Inspection and delivery",
            "title: Inspection and dispatch",
            1,
        )
    });
    assert_eq!(site.state.reload_if_changed(), Watched::Reloaded(0));
    let html = block_on(async {
        let qa = site.sign_in("qa").await;
        body(site.get("/documents", Some(&qa)).await).await
    });
    assert!(html.contains("Inspection and dispatch"), "{html}");
}
