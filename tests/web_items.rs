//! Starting per-item runs from the web app's start form: one run per item and period, and a
//! late period chosen by name, through the same application layer as `procdoc run start`.

mod common;

#[path = "common/site.rs"]
mod site;

use std::path::Path;

use axum::http::StatusCode;

use procdoc::run::accounts::Role;
use site::{Site, block_on, body};

fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(
        Path::new("tests/fixtures/triggers"),
        &dir.path().join("qms"),
    );
    site::add_users(
        &dir.path().join("runs.sqlite"),
        &["QA", "PROD", "PUR", "SAL", "GM"],
        &[("qa", &["QA"], Role::Quality)],
    );
    Site::serve(dir)
}

#[test]
fn the_start_form_refuses_a_second_run_of_an_item_and_period_and_starts_a_named_one() {
    block_on(async {
        let site = site();
        let qa = site.sign_in("qa").await;
        let r = site
            .get("/runs/new?flow=QP-07%2Fcalibrate", Some(&qa))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let form = body(r).await;
        assert!(form.contains(r#"<input name="period""#), "{form}");
        let start = |reference: &str, period: &str| {
            format!("flow=QP-07%2Fcalibrate&ref={reference}&item=GA-001&period={period}")
        };
        let r = site.post("/runs/new", &start("CAL-1", ""), Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = site.post("/runs/new", &start("CAL-2", ""), Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(r).await;
        assert!(html.contains("already has run CAL-1"), "{html}");
        let r = site
            .post("/runs/new", &start("CAL-2", "2025-03-01"), Some(&qa))
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = site
            .post("/runs/new", &start("CAL-3", "1999-01-01"), Some(&qa))
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(r).await;
        assert!(
            html.contains(r#"name="period" value="1999-01-01""#)
                && html.contains("has no period `1999-01-01`"),
            "{html}"
        );
    });
}

#[test]
fn a_field_taken_from_the_item_is_shown_read_only_and_refuses_another_value() {
    block_on(async {
        let site = site();
        let qa = site.sign_in("qa").await;
        let r = site
            .post(
                "/runs/new",
                "flow=QP-07%2Fcalibrate&ref=CAL-1&item=GA-001",
                Some(&qa),
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = site.get("/runs/CAL-1/steps/calibrate", Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::OK);
        let form = body(r).await;
        assert!(
            form.contains(r#"name="f.calibration.gauge" value="GA-001" readonly"#),
            "{form}"
        );
        let r = site
            .post(
                "/runs/CAL-1/steps/calibrate",
                &site::encode(&[
                    ("f.calibration.gauge", "GA-999"),
                    ("f.calibration.result", "Pass"),
                    ("password", site::PASSWORD),
                ]),
                Some(&qa),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(r).await;
        assert!(html.contains("`GA-001`"), "{html}");
    });
}
