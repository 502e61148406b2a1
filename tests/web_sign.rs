//! Signing a step in the browser over HTTP (`/runs/{ref}/steps/{step}`): the form made
//! from the step, the signature refused (403, 422, 409) with nothing written, and signed
//! as the signed-in user. The axum router driven in-process on a copy of the factory
//! fixture whose check items carry markup.

mod common;

#[path = "common/site.rs"]
mod site;

use std::path::Path;

use axum::http::StatusCode;

use procdoc::app::{self, RunRef, StartRun};
use procdoc::run::accounts::Role;
use procdoc::run::store::SqliteStore;
use site::{ESCAPED, HOSTILE, PASSWORD, Site, block_on, body, edit, encode, location};

const STEP: &str = "/runs/LOT-1/steps/inspect";

impl Site {
    /// The factory fixture with markup in the third check item of `inspect`, one more
    /// department (LOG) that acts in no flow, users `qa`, `qa2` (QA) and `log` (LOG), and a
    /// run LOT-1 of the inspection flow.
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let qms = dir.path().join("qms");
        common::copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
        edit(&qms.join("QA-P-001.yaml"), |text| {
            text.replacen(
                "check: [Dimensions, Surface, Label]",
                &format!("check: [Dimensions, Surface, 'Label {HOSTILE}']"),
                1,
            ) + &format!(
                "rules:\n  - id: gauges\n    text: 'Measure with calibrated gauges {HOSTILE}'\n    applies_to: [inspect]\n"
            )
        });
        edit(&qms.join("procdoc.yaml"), |text| {
            text.replacen(
                "  - { code: GM, name: General Manager }\n",
                "  - { code: GM, name: General Manager }\n  - { code: LOG, name: Logistics }\n",
                1,
            )
        });
        let mut store = site::add_users(
            &dir.path().join("runs.sqlite"),
            &["QA", "PROD", "CS", "GM", "LOG"],
            &[
                ("qa", &["QA"], Role::Staff),
                ("qa2", &["QA"], Role::Staff),
                ("log", &["LOG"], Role::Staff),
            ],
        );
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
        Site::serve(dir)
    }

    /// The run's record, read over another connection.
    fn record(&self) -> app::RunRecord {
        let mut store = SqliteStore::create(&self.db()).unwrap();
        app::show_run(&mut store, None, &RunRef::new("LOT-1"), None, 3600).unwrap()
    }

    /// Signs `form` at [`STEP`] as a browser on this site sends it.
    async fn sign(&self, form: &[(&str, &str)], cookie: &str) -> axum::response::Response {
        self.post(STEP, &encode(form), Some(cookie)).await
    }
}

/// A complete, passing inspection with the password.
fn inspection<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("check", "1"),
        ("check", "2"),
        ("check", "3"),
        ("outcome", "Pass"),
        ("f.inspection-report.lot", "L-77"),
        ("f.inspection-report.measured", "12.5"),
        ("f.inspection-report.inspected_on", "2026-03-02"),
        ("f.inspection-report.next_check", "2026-04-01T10:30"),
        ("f.inspection-report.verdict", "pass"),
        ("f.inspection-report.defects", "scratch"),
        ("f.inspection-report.defects", "dent"),
        ("f.inspection-report.sealed", "yes"),
        ("rows.inspection-report.items", "3"),
        ("t.inspection-report.items.0.0", "Bolt"),
        ("t.inspection-report.items.0.1", "ok"),
        ("f.inspection-report.inspector", "Printed qa"),
        ("note", "all fine"),
        ("password", PASSWORD),
    ];
    form.extend_from_slice(extra);
    form
}

#[test]
fn the_form_is_made_from_the_step_with_the_right_inputs() {
    block_on(async {
        let site = Site::new();
        let qa = site.sign_in("qa").await;
        let r = site.get(STEP, Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = body(r).await;
        for needle in [
            r#"type="checkbox" name="check" value="3""#,
            r#"type="checkbox" name="waive" value="3""#,
            r#"type="radio" name="outcome" value="Rework""#,
            r#"name="f.inspection-report.measured" value="" type="number""#,
            r#"name="f.inspection-report.inspected_on" value="" type="date""#,
            r#"name="f.inspection-report.next_check" value="" type="datetime-local""#,
            r#"<select name="f.inspection-report.verdict""#,
            r#"type="checkbox" name="f.inspection-report.defects" value="crack""#,
            r#"type="checkbox" name="f.inspection-report.sealed" value="yes""#,
            r#"name="t.inspection-report.items.2.1""#,
            r#"name="add_row" value="inspection-report.items""#,
            r#"name="f.inspection-report.inspector" value="Printed qa""#,
            r#"<textarea name="note""#,
            r#"type="password" name="password""#,
            "Result?",
            "Asia/Shanghai",
            // The standing rule on the step, its text escaped.
            "<li>Rule 1: Measure with calibrated gauges &lt;script&gt;",
        ] {
            assert!(
                html.contains(needle),
                "`{needle}` is not on the page:\n{html}"
            );
        }
        assert!(html.contains(ESCAPED), "{html}");
        assert!(!html.contains("<script>alert"), "{html}");
        // Only one department to sign for: no picker.
        assert!(!html.contains(r#"name="as""#));

        // Adding a table row draws the form again with one more row and signs nothing.
        let form = inspection(&[("add_row", "inspection-report.items")]);
        let r = site.sign(&form, &qa).await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = body(r).await;
        assert!(
            html.contains(r#"name="t.inspection-report.items.3.0""#),
            "{html}"
        );
        assert!(html.contains(r#"value="Bolt""#), "{html}");
        assert_eq!(site.record().events.len(), 1);
    });
}

#[test]
fn a_user_of_another_department_is_forbidden_and_nothing_is_written() {
    block_on(async {
        let site = Site::new();
        let log = site.sign_in("log").await;
        let r = site.get(STEP, Some(&log)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = site.sign(&inspection(&[]), &log).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(body(r).await.contains("may not sign step inspect"));
        assert_eq!(site.record().events.len(), 1);
    });
}

#[test]
fn a_wrong_password_keeps_the_entries_and_writes_nothing() {
    block_on(async {
        let site = Site::new();
        let qa = site.sign_in("qa").await;
        let mut form = inspection(&[("note", HOSTILE), ("f.inspection-report.lot", HOSTILE)]);
        let replaced = ["password", "note", "f.inspection-report.lot"];
        form.retain(|(k, v)| !replaced.contains(k) || *v == HOSTILE);
        form.push(("password", "not my password"));
        let r = site.sign(&form, &qa).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(r).await;
        let password = html.find(r#"name="password""#).unwrap();
        let problem = html
            .find("the password is wrong")
            .expect("the problem is shown");
        assert!(problem > password, "next to the password input");
        assert!(html.contains(r#"value="Pass" checked"#), "entries kept");
        assert!(html.contains(r#"value="12.5""#), "entries kept");
        assert!(html.contains(ESCAPED), "{html}");
        assert!(!html.contains("<script>alert"), "escaped");
        assert!(
            !html.contains("not my password"),
            "the password is never sent back"
        );
        assert_eq!(site.record().events.len(), 1);

        // A missing required field is shown next to its input, nothing written either.
        let mut form = inspection(&[]);
        form.retain(|(k, _)| *k != "f.inspection-report.measured");
        let r = site.sign(&form, &qa).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(r).await;
        let input = html.find(r#"name="f.inspection-report.measured""#).unwrap();
        let problem = html.find("Measured length is required").unwrap();
        assert!(problem > input, "{html}");
        assert_eq!(site.record().events.len(), 1);
    });
}

#[test]
fn every_wrong_input_is_shown_at_once_next_to_its_field() {
    block_on(async {
        let site = Site::new();
        let qa = site.sign_in("qa").await;
        // No decision, one check item unticked, and a required field left empty.
        let mut form = inspection(&[]);
        form.retain(|(k, v)| {
            *k != "outcome" && *k != "f.inspection-report.measured" && !(*k == "check" && *v == "3")
        });
        let r = site.sign(&form, &qa).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(r).await;
        // The form's order: check items, the decision, the record's fields; each problem
        // after its own input and before the next one.
        let places: Vec<usize> = [
            r#"name="check""#,
            "unticked check items",
            r#"name="outcome""#,
            "is a decision",
            r#"name="f.inspection-report.measured""#,
            "Measured length is required",
        ]
        .iter()
        .map(|text| {
            html.find(text)
                .unwrap_or_else(|| panic!("`{text}` in {html}"))
        })
        .collect();
        assert!(places.is_sorted(), "{places:?}");
        assert!(
            html.contains("See the problems marked at the fields below."),
            "the summary at the top"
        );
        assert_eq!(site.record().events.len(), 1, "nothing written");
    });
}

/// The complete inspection, signed with a wrong password.
fn with_wrong_password() -> Vec<(&'static str, &'static str)> {
    let mut form = inspection(&[]);
    form.retain(|(k, _)| *k != "password");
    form.push(("password", "not my password"));
    form
}

#[test]
fn wrong_passwords_at_signing_lock_the_login_for_signing_and_signing_in() {
    block_on(async {
        let site = Site::new();
        let qa = site.sign_in("qa").await;
        let wrong = with_wrong_password();
        for _ in 0..procdoc::app::users::MAX_FAILURES {
            let r = site.sign(&wrong, &qa).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        // Locked now: even the right password is not looked at.
        let r = site.sign(&inspection(&[]), &qa).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let html = body(r).await;
        let password = html.find(r#"name="password""#).unwrap();
        let problem = html
            .find("too many wrong passwords")
            .expect("the lock is shown");
        assert!(problem > password, "next to the password input");
        assert_eq!(site.record().events.len(), 1, "nothing written");
        // The same lock holds at sign-in.
        let r = site
            .post(
                "/sign-in",
                &encode(&[("login", "qa"), ("password", PASSWORD)]),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        // Another user signs on.
        let qa2 = site.sign_in("qa2").await;
        let r = site.sign(&inspection(&[]), &qa2).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    });
}

#[test]
fn a_right_password_after_wrong_ones_clears_the_count() {
    block_on(async {
        let site = Site::new();
        let qa = site.sign_in("qa").await;
        let wrong = with_wrong_password();
        for _ in 1..procdoc::app::users::MAX_FAILURES {
            let r = site.sign(&wrong, &qa).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        let r = site.sign(&inspection(&[]), &qa).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        // Counted afresh: one more wrong password (at sign-in) does not lock.
        let r = site
            .post(
                "/sign-in",
                &encode(&[("login", "qa"), ("password", "not my password")]),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        site.sign_in("qa").await;
    });
}

#[test]
fn a_signed_step_records_the_user_and_the_meaning() {
    block_on(async {
        let site = Site::new();
        let qa = site.sign_in("qa").await;
        let r = site.sign(&inspection(&[]), &qa).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/runs/LOT-1");
        let record = site.record();
        assert_eq!(record.events.len(), 2);
        let inspect = record.steps.iter().find(|s| s.id == "inspect").unwrap();
        let sig = inspect.iterations[0].completed.as_ref().unwrap();
        assert_eq!(sig.by.as_deref(), Some("Printed qa"));
        assert_eq!(sig.login.as_deref(), Some("qa"));
        assert_eq!(sig.meaning, Some("performed"));
        assert_eq!(sig.outcome.as_deref(), Some("Pass"));
        assert_eq!(sig.note.as_deref(), Some("all fine"));
        let value = |key: &str| {
            sig.fields
                .iter()
                .find(|f| f.key == key)
                .map(|f| f.value.clone())
                .unwrap_or_else(|| panic!("{key} in {:?}", sig.fields))
        };
        assert_eq!(value("inspection-report.measured"), "12.5 mm");
        assert_eq!(value("inspection-report.next_check"), "2026-04-01 10:30");
        assert_eq!(value("inspection-report.defects"), "scratch, dent");
        assert_eq!(value("inspection-report.sealed"), "yes");
        assert_eq!(value("inspection-report.items"), "Bolt | ok");
        assert!(record.chain.intact);
    });
}

#[test]
fn of_two_signatures_at_once_exactly_one_is_recorded() {
    block_on(async {
        let site = Site::new();
        let (qa, qa2) = (site.sign_in("qa").await, site.sign_in("qa2").await);
        let first = inspection(&[]);
        let second = inspection(&[]);
        let (a, b) = tokio::join!(site.sign(&first, &qa), site.sign(&second, &qa2));
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
        let loser = if a.status() == StatusCode::CONFLICT {
            a
        } else {
            b
        };
        let html = body(loser).await;
        let record = site.record();
        let inspect = record.steps.iter().find(|s| s.id == "inspect").unwrap();
        let winner = inspect.iterations[0].completed.as_ref().unwrap();
        let by = winner.by.clone().unwrap();
        assert!(
            html.contains(&format!("completed first, by {by}")),
            "{html}"
        );
        assert_eq!(record.events.len(), 2);
        assert!(record.chain.intact);
    });
}

#[test]
fn a_signature_posted_from_another_site_is_refused() {
    block_on(async {
        let site = Site::new();
        let qa = site.sign_in("qa").await;
        let r = site
            .post_from(
                STEP,
                &encode(&inspection(&[])),
                Some(&qa),
                Some("http://evil.example"),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(site.record().events.len(), 1);
    });
}
