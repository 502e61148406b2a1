//! A decision with `multiple: true` signed in the browser (check boxes, no script needed)
//! and through the JSON API (`outcome` as a list), and the `join: started` step that follows.

mod common;

#[path = "common/site.rs"]
mod site;

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use procdoc::app::{self, DoneRequest, RunRef, StartRun, users};
use procdoc::run::accounts::Role;
use procdoc::run::clock;
use procdoc::run::store::SqliteStore;
use site::{PASSWORD, Site, block_on, body, encode};

/// The inclusive fixture served with users `qa` (QA) and `prod` (PROD), runs NC-1 and NC-2
/// at `disposition`, and an API token for `qa`.
fn site() -> (Site, String) {
    let dir = tempfile::tempdir().unwrap();
    let qms = dir.path().join("qms");
    common::copy_dir(Path::new("tests/fixtures/inclusive"), &qms);
    let mut store = site::add_users(
        &dir.path().join("runs.sqlite"),
        &["QA", "PROD", "PUR", "SAL", "GM"],
        &[
            ("qa", &["QA"], Role::Staff),
            ("prod", &["PROD"], Role::Staff),
        ],
    );
    let (loaded, _) = procdoc::spec::load::load(&qms).unwrap();
    for reference in ["NC-1", "NC-2"] {
        app::start_run(
            &mut store,
            &loaded,
            &[],
            &StartRun {
                doc: "QP-08".into(),
                reference: reference.into(),
                at: Some("2026-03-02 09:00".into()),
                ..Default::default()
            },
        )
        .unwrap();
        app::complete_step(
            &mut store,
            &RunRef::new(reference),
            &DoneRequest {
                step: "report".into(),
                by: "Ann".into(),
                fields: vec!["ncr.part=P-1".into()],
                ..Default::default()
            },
            None,
        )
        .unwrap();
    }
    let token = users::create_token(&mut store, "qa", clock::system_now()).unwrap();
    drop(store);
    (Site::serve(dir), token)
}

fn states(site: &Site, reference: &str) -> Vec<(String, String)> {
    let mut store = SqliteStore::create(&site.db()).unwrap();
    let record = app::show_run(&mut store, None, &RunRef::new(reference), None, 3600).unwrap();
    let record = serde_json::to_value(&record).unwrap();
    record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn state_of(states: &[(String, String)], id: &str) -> String {
    states.iter().find(|(s, _)| s == id).unwrap().1.clone()
}

async fn api_post(site: &Site, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let r = site
        .send(
            Request::post(path)
                .header(header::HOST, "localhost")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    let status = r.status();
    let text = body_text(r).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn body_text(r: axum::response::Response) -> String {
    body(r).await
}

#[test]
fn the_form_offers_a_check_box_per_outcome_and_signs_several() {
    block_on(async {
        let (site, _) = site();
        let qa = site.sign_in("qa").await;
        let path = "/runs/NC-1/steps/disposition";
        let html = body(site.get(path, Some(&qa)).await).await;
        for outcome in ["Rework", "Scrap", "Return to supplier"] {
            let needle = format!(r#"type="checkbox" name="outcome" value="{outcome}""#);
            assert!(
                html.contains(&needle),
                "`{needle}` is not on the page:\n{html}"
            );
        }
        assert!(html.contains("one or more may be chosen"), "{html}");
        assert!(!html.contains(r#"type="radio" name="outcome""#), "{html}");
        let form = encode(&[
            ("outcome", "Rework"),
            ("outcome", "Scrap"),
            ("password", PASSWORD),
        ]);
        let r = site.post(path, &form, Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(r).await);
        let now = states(&site, "NC-1");
        assert_eq!(state_of(&now, "rework"), "active");
        assert_eq!(state_of(&now, "scrap"), "active");
        assert_eq!(state_of(&now, "return"), "skipped");
        // Scrap done: close waits for the rework branch only.
        let prod = site.sign_in("prod").await;
        let r = site
            .post(
                "/runs/NC-1/steps/scrap",
                &encode(&[("password", PASSWORD)]),
                Some(&prod),
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(r).await);
        assert_eq!(state_of(&states(&site, "NC-1"), "close"), "waiting");
    });
}

#[test]
fn the_api_takes_a_list_of_outcomes_where_the_decision_says_multiple() {
    block_on(async {
        let (site, token) = site();
        let (status, run) = api_post(
            &site,
            &token,
            "/api/runs/NC-2/steps/disposition",
            &json!({"outcome": ["Return to supplier", "Rework"], "password": PASSWORD}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let now = states(&site, "NC-2");
        assert_eq!(state_of(&now, "rework"), "active");
        assert_eq!(state_of(&now, "return"), "active");
        assert_eq!(state_of(&now, "scrap"), "skipped");
        // A list where the decision takes one outcome is refused, and nothing is written.
        let mut store = SqliteStore::create(&site.db()).unwrap();
        app::complete_step(
            &mut store,
            &RunRef::new("NC-2"),
            &DoneRequest {
                step: "rework".into(),
                by: "Bob".into(),
                ..Default::default()
            },
            None,
        )
        .unwrap();
        drop(store);
        let (status, refusal) = api_post(
            &site,
            &token,
            "/api/runs/NC-2/steps/reinspect",
            &json!({"outcome": ["Pass", "Fail"], "password": PASSWORD}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refusal}");
        assert!(
            refusal.to_string().contains("takes one outcome"),
            "{refusal}"
        );
        assert_eq!(state_of(&states(&site, "NC-2"), "reinspect"), "active");
        // A string still works as before.
        let (status, run) = api_post(
            &site,
            &token,
            "/api/runs/NC-2/steps/reinspect",
            &json!({"outcome": "Pass", "password": PASSWORD}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{run}");
    });
}
