//! Earliest times in `procdoc serve`: the run page says from when an active step may be
//! completed, and signing it sooner is refused (422) with the reason on the form.

mod common;

#[path = "common/site.rs"]
mod site;

use std::path::Path;

use axum::http::StatusCode;

use procdoc::app::{self, DoneRequest, RunRef, StartRun};
use procdoc::run::accounts::Role;
use site::{PASSWORD, Site, block_on, body, encode};

#[test]
fn the_run_page_shows_the_earliest_time_and_an_early_signature_is_refused() {
    block_on(async {
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(
            Path::new("tests/fixtures/run/windows"),
            &dir.path().join("qms"),
        );
        let mut store = site::add_users(
            &dir.path().join("runs.sqlite"),
            &["QA", "GM"],
            &[("qa", &["QA"], Role::Staff)],
        );
        let (qms, _) = procdoc::spec::load::load(&dir.path().join("qms")).unwrap();
        // Started now, so the record may be destroyed three years from now at the earliest.
        app::start_run(
            &mut store,
            &qms,
            &[],
            &StartRun {
                doc: "QA-P-009".into(),
                flow: Some("records".into()),
                reference: "R-1".into(),
                ..Default::default()
            },
        )
        .unwrap();
        app::complete_step(
            &mut store,
            &RunRef::new("R-1"),
            &DoneRequest {
                step: "archive".into(),
                by: "Printed qa".into(),
                ..Default::default()
            },
            None,
        )
        .unwrap();
        let record = app::show_run(&mut store, None, &RunRef::new("R-1"), None, 3600).unwrap();
        let json = serde_json::to_value(&record).unwrap();
        let destroy = json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "destroy")
            .unwrap();
        let earliest = destroy["iterations"][0]["earliest"]["local"]
            .as_str()
            .unwrap()
            .to_string();
        drop(store);
        let site = Site::serve(dir);
        let qa = site.sign_in("qa").await;
        let r = site.get("/runs/R-1", Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::OK);
        let page = body(r).await;
        assert!(page.contains("Not before <time"), "{page}");
        assert!(page.contains(&earliest), "{page}");
        let r = site
            .post(
                "/runs/R-1/steps/destroy",
                &encode(&[("password", PASSWORD)]),
                Some(&qa),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(r).await;
        assert!(
            html.contains(&format!(
                "step destroy may not be completed before {earliest}"
            )),
            "{html}"
        );
    });
}
