//! Hostile JSON requests to the API of `procdoc serve` for the inputs of spec format 1.1
//! (trigger, item, planned date, numbers with a range, outcome lists), on the Kestrel
//! example: each is refused with a 4xx naming the member, and nothing is written.

mod common;

#[path = "common/site.rs"]
mod site;

#[path = "common/kestrel_site.rs"]
mod kestrel;

use axum::http::StatusCode;

use kestrel::{events, site};
use procdoc::app;
use procdoc::run::store::SqliteStore;
use site::{PASSWORD, Site, block_on, body};

/// A JSON request with `token`; the status and the body as JSON (`Null` when not JSON).
async fn api(site: &Site, token: &str, path: &str, json: &str) -> (StatusCode, serde_json::Value) {
    use axum::body::Body;
    use axum::http::{Request, header};
    let r = site
        .send(
            Request::post(path)
                .header(header::HOST, "localhost")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json.to_string()))
                .unwrap(),
        )
        .await;
    let status = r.status();
    let text = body(r).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

fn token(site: &Site, login: &str) -> String {
    let mut store = SqliteStore::create(&site.db()).unwrap();
    app::users::create_token(&mut store, login, procdoc::run::clock::system_now()).unwrap()
}

/// Asserts a JSON refusal (4xx) whose problems or message name `field`.
#[track_caller]
fn api_refused(status: StatusCode, answer: &serde_json::Value, field: &str) {
    assert!(status.is_client_error(), "{field}: {status} {answer}");
    let named = answer["problems"].as_array().is_some_and(|ps| {
        ps.iter()
            .any(|p| p["field"].as_str().is_some_and(|f| f.starts_with(field)))
    }) || answer["error"].as_str().is_some_and(|e| e.contains(field));
    assert!(named, "{field} is not named: {answer}");
}

#[test]
fn the_api_refuses_wrong_triggers_items_outcomes_and_numbers() {
    block_on(async {
        let site = site();
        let qc = token(&site, "qc");
        let huge = format!("\"{}\"", "G".repeat(30_000));
        for (trigger, field) in [
            ("3", "trigger"),
            ("0", "trigger"),
            ("-1", "trigger"),
            ("1e400", "trigger"),
            ("99999999999999999999999", "trigger"),
            ("\"nope\"", "trigger"),
            ("true", "trigger"),
            ("[1, 2]", "trigger"),
        ] {
            let json = format!(
                r#"{{"doc": "KPM-QP-13", "ref": "NC-API", "trigger": {trigger}, "plan": {{"mrb": "2030-06-03"}}}}"#
            );
            let (status, answer) = api(&site, &qc, "/api/runs", &json).await;
            api_refused(status, &answer, field);
            assert_eq!(events(&site, "NC-API"), None, "{trigger}: no run");
        }
        for (item, field) in [
            ("\"GA-999\"", "item"),
            (huge.as_str(), "item"),
            ("\"GA-001\\u0000\"", "item"),
            ("42", "item"),
        ] {
            let json = format!(r#"{{"doc": "KPM-QP-11", "ref": "GA-API", "item": {item}}}"#);
            let (status, answer) = api(&site, &qc, "/api/runs", &json).await;
            api_refused(status, &answer, field);
            assert_eq!(events(&site, "GA-API"), None, "{field}: no run");
        }
        for date in ["\"99999-01-01\"", "\"garbage\"", "12"] {
            let json = format!(
                r#"{{"doc": "KPM-QP-13", "ref": "NC-API", "trigger": 1, "plan": {{"mrb": {date}}}}}"#
            );
            let (status, answer) = api(&site, &qc, "/api/runs", &json).await;
            api_refused(status, &answer, "plan");
            assert_eq!(events(&site, "NC-API"), None, "{date}: no run");
        }
        // Numbers: out of range, not finite, not a number.
        let path = "/api/runs/GA-EVAL/steps/evaluate";
        let before = events(&site, "GA-EVAL");
        for value in ["1e400", "17", "\"NaN\"", "\"inf\"", "[20, 21]", "{}"] {
            let json = format!(
                r#"{{"fields": {{"calibration-record.asset": "GA-001", "calibration-record.standard": "S-1", "calibration-record.temperature": {value}, "calibration-record.tolerance_used": 40, "calibration-record.result": "In tolerance"}}, "password": "{PASSWORD}"}}"#
            );
            let (status, answer) = api(&site, &qc, path, &json).await;
            api_refused(status, &answer, "fields");
            assert_eq!(events(&site, "GA-EVAL"), before, "{value}: nothing written");
        }
        // Outcomes: a list of 10,000, nested lists, a list where one outcome is taken.
        let qa = token(&site, "qa");
        let path = "/api/runs/NC-DISP/steps/disposition";
        let before = events(&site, "NC-DISP");
        let many = format!("[{}]", vec!["\"Scrap\""; 10_000].join(","));
        for outcome in [
            many.as_str(),
            "[[\"Rework\"]]",
            "[]",
            "[\"Rework\", \"Use as is\"]",
            "7",
        ] {
            let json = format!(r#"{{"outcome": {outcome}, "password": "{PASSWORD}"}}"#);
            let (status, answer) = api(&site, &qa, path, &json).await;
            api_refused(status, &answer, "outcome");
            assert_eq!(events(&site, "NC-DISP"), before, "nothing written");
        }
        // Purchasing's token neither starts a calibration nor disposes.
        let pur = token(&site, "pur");
        let (status, _) = api(
            &site,
            &pur,
            "/api/runs",
            r#"{"doc": "KPM-QP-11", "ref": "GA-PUR", "item": "GA-001"}"#,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let json = format!(r#"{{"outcome": ["Scrap"], "password": "{PASSWORD}"}}"#);
        let (status, _) = api(&site, &pur, path, &json).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(events(&site, "GA-PUR"), None);
        assert_eq!(events(&site, "NC-DISP"), before);
    });
}
