//! Refusals as `procdoc serve` shows them, on the Kestrel example: the step form, the start
//! form and the JSON API say what is wrong with an input next to it, in words that do not
//! name the command line's options (`--field`, `--outcome`, `--trigger`, `--item`, `--as`),
//! while the command line still names them (`tests/run*.rs`).

mod common;

#[path = "common/site.rs"]
mod site;

#[path = "common/kestrel_site.rs"]
mod kestrel;

use axum::http::StatusCode;

use kestrel::{CAL, NCR, site};
use procdoc::app;
use procdoc::run::store::SqliteStore;
use site::{PASSWORD, Site, block_on, body, encode};

/// The command line's options a refusal could name, and its command.
const OPTIONS: &[&str] = &[
    "--field",
    "--outcome",
    "--trigger",
    "--item",
    "--as",
    "--check",
    "--waive",
    "--reason",
    "--by",
    "--plan",
    "--note",
    "procdoc run",
];

/// Asserts that `text` names none of the command line's options (an option is followed by
/// a character that cannot continue its name).
#[track_caller]
fn no_command_line(case: &str, text: &str) {
    for option in OPTIONS {
        let named = text.match_indices(option).any(|(at, _)| {
            text[at + option.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-'))
        });
        assert!(!named, "{case}: `{option}` is shown:\n{text}");
    }
}

/// Asserts a refusal (4xx) of a form: the page has an error next to the input `input`,
/// shows `needle`, and names no option of the command line.
#[track_caller]
fn refused_in_words(case: &str, status: StatusCode, html: &str, input: &str, needle: &str) {
    assert!(status.is_client_error(), "{case}: {status}\n{html}");
    let at = html
        .find(&format!(r#"name="{input}""#))
        .unwrap_or_else(|| panic!("{case}: no input {input}:\n{html}"));
    let tail = &html[at..html.len().min(at + 4000)];
    let closing = match input {
        "outcome" | "as" => "</fieldset>",
        _ => "</label>",
    };
    let label = &tail[..tail.find(closing).unwrap_or(tail.len())];
    assert!(
        label.contains(r#"role="alert""#),
        "{case}: no error next to {input}:\n{label}"
    );
    assert!(
        html.contains(needle),
        "{case}: `{needle}` not shown:\n{html}"
    );
    no_command_line(case, html);
}

async fn post(
    site: &Site,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let r = site.post(path, &encode(form), Some(cookie)).await;
    let status = r.status();
    (status, body(r).await)
}

async fn sign(
    site: &Site,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut form = form.to_vec();
    form.push(("password", PASSWORD));
    post(site, cookie, path, &form).await
}

fn calibration<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("f.calibration-record.asset", "GA-001"),
        ("f.calibration-record.standard", "Gauge blocks cert 4411"),
        ("f.calibration-record.temperature", "20"),
        ("f.calibration-record.tolerance_used", "40"),
        ("f.calibration-record.result", "In tolerance"),
    ];
    for (name, value) in changes {
        form.retain(|(n, _)| n != name);
        form.push((name, value));
    }
    form
}

#[test]
fn the_step_form_says_what_is_wrong_without_options() {
    block_on(async {
        let site = site();
        let qc = site.sign_in("qc").await;
        let temperature = "f.calibration-record.temperature";
        let path = "/runs/GA-EVAL/steps/evaluate";
        let (status, html) = sign(&site, &qc, path, &calibration(&[(temperature, "30")])).await;
        refused_in_words("temperature", status, &html, temperature, "18 to 22");
        // An outcome forged beside the field that decides.
        let form = calibration(&[
            ("f.calibration-record.result", "Out of tolerance"),
            ("outcome", "In tolerance"),
        ]);
        let (status, html) = sign(&site, &qc, path, &form).await;
        assert!(status.is_client_error(), "{status}");
        assert!(html.contains("give no outcome"), "{html}");
        no_command_line("forged outcome", &html);

        // A decision of one outcome: none, and two.
        let path = "/runs/GA-ROUTE/steps/route";
        let (status, html) = sign(&site, &qc, path, &[]).await;
        refused_in_words("no outcome", status, &html, "outcome", "give the outcome");
        let two = [
            ("outcome", "In house"),
            ("outcome", "Accredited laboratory"),
        ];
        let (status, html) = sign(&site, &qc, path, &two).await;
        refused_in_words(
            "two outcomes",
            status,
            &html,
            "outcome",
            "give the outcome once",
        );

        // The inclusive decision with none.
        let qa = site.sign_in("qa").await;
        let path = "/runs/NC-DISP/steps/disposition";
        let (status, html) = sign(&site, &qa, path, &[]).await;
        refused_in_words(
            "none of several",
            status,
            &html,
            "outcome",
            "one or more outcomes",
        );

        // The joint sign-off: a department that is not a signer.
        let path = "/runs/NC-MRB/steps/mrb";
        let (status, html) = sign(&site, &qa, path, &[("as", "MD")]).await;
        assert!(status.is_client_error(), "{status}\n{html}");
        assert!(html.contains(r#"role="alert""#), "{html}");
        no_command_line("as MD", &html);
    });
}

/// A form as sent: its names and values.
type Form<'a> = &'a [(&'a str, &'a str)];

#[test]
fn the_start_form_says_what_is_wrong_without_options() {
    block_on(async {
        let site = site();
        let qc = site.sign_in("qc").await;
        let cases: &[(&str, Form, &str)] = &[
            (
                "no trigger",
                &[("flow", NCR), ("ref", "NC-W"), ("plan.mrb", "2026-12-21")],
                "choose one",
            ),
            (
                "no item",
                &[("flow", CAL), ("ref", "GA-W")],
                "give the item",
            ),
            (
                "a trigger where there is one",
                &[
                    ("flow", CAL),
                    ("ref", "GA-W"),
                    ("item", "GA-001"),
                    ("trigger", "2"),
                ],
                "has one trigger",
            ),
            (
                "an item where the flow takes none",
                &[
                    ("flow", NCR),
                    ("ref", "NC-W"),
                    ("trigger", "1"),
                    ("item", "GA-001"),
                    ("plan.mrb", "2026-12-21"),
                ],
                "not run per item",
            ),
        ];
        for (case, form, needle) in cases {
            let (status, html) = post(&site, &qc, "/runs/new", form).await;
            assert!(status.is_client_error(), "{case}: {status}\n{html}");
            assert!(
                html.contains(needle),
                "{case}: `{needle}` not shown:\n{html}"
            );
            no_command_line(case, &html);
        }
    });
}

/// A JSON request with `token`; the status and the body as JSON.
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
    (status, serde_json::from_str(&text).unwrap_or_default())
}

fn token(site: &Site, login: &str) -> String {
    let mut store = SqliteStore::create(&site.db()).unwrap();
    app::users::create_token(&mut store, login, procdoc::run::clock::system_now()).unwrap()
}

/// Asserts a JSON refusal with a problem about `field` that says `needle`, and no option
/// of the command line anywhere in the answer.
#[track_caller]
fn api_in_words(
    case: &str,
    status: StatusCode,
    answer: &serde_json::Value,
    field: &str,
    needle: &str,
) {
    assert!(status.is_client_error(), "{case}: {status} {answer}");
    let problem = answer["problems"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["field"] == field))
        .unwrap_or_else(|| panic!("{case}: no problem about {field}: {answer}"));
    let message = problem["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{case}: {answer}");
    no_command_line(case, &answer.to_string());
}

#[test]
fn the_api_says_what_is_wrong_without_options() {
    block_on(async {
        let site = site();
        let qc = token(&site, "qc");
        let fields = |temperature: &str, result: &str| {
            format!(
                r#""fields": {{"calibration-record.asset": "GA-001", "calibration-record.standard": "S-1", "calibration-record.temperature": {temperature}, "calibration-record.tolerance_used": 40, "calibration-record.result": "{result}"}}"#
            )
        };
        let path = "/api/runs/GA-EVAL/steps/evaluate";
        let json = format!(
            r#"{{{}, "password": "{PASSWORD}"}}"#,
            fields("30", "In tolerance")
        );
        let (status, answer) = api(&site, &qc, path, &json).await;
        api_in_words(
            "temperature",
            status,
            &answer,
            "fields.calibration-record.temperature",
            "18 to 22",
        );
        let json = format!(
            r#"{{{}, "outcome": "In tolerance", "password": "{PASSWORD}"}}"#,
            fields("20", "Out of tolerance")
        );
        let (status, answer) = api(&site, &qc, path, &json).await;
        api_in_words(
            "forged outcome",
            status,
            &answer,
            "outcome",
            "give no outcome",
        );

        let path = "/api/runs/GA-ROUTE/steps/route";
        let json = format!(r#"{{"password": "{PASSWORD}"}}"#);
        let (status, answer) = api(&site, &qc, path, &json).await;
        api_in_words("no outcome", status, &answer, "outcome", "give the outcome");
        let json = format!(
            r#"{{"outcome": ["In house", "Accredited laboratory"], "password": "{PASSWORD}"}}"#
        );
        let (status, answer) = api(&site, &qc, path, &json).await;
        api_in_words(
            "two outcomes",
            status,
            &answer,
            "outcome",
            "give the outcome once",
        );

        // A note with a word too long to print.
        let json = format!(
            r#"{{"outcome": "In house", "note": "{}", "password": "{PASSWORD}"}}"#,
            "x".repeat(2001)
        );
        let (status, answer) = api(&site, &qc, path, &json).await;
        api_in_words("long word", status, &answer, "note", "holds a word of 2001");

        let qa = token(&site, "qa");
        let path = "/api/runs/NC-DISP/steps/disposition";
        let json = format!(r#"{{"password": "{PASSWORD}"}}"#);
        let (status, answer) = api(&site, &qa, path, &json).await;
        api_in_words(
            "none of several",
            status,
            &answer,
            "outcome",
            "one or more outcomes",
        );

        // The joint sign-off: a department that is not a signer, and fields entered with
        // a signature that leaves others to sign.
        let path = "/api/runs/NC-MRB/steps/mrb";
        let json = format!(r#"{{"as": "MD", "password": "{PASSWORD}"}}"#);
        let (status, answer) = api(&site, &qa, path, &json).await;
        assert!(status.is_client_error(), "{status} {answer}");
        no_command_line("as MD", &answer.to_string());
        let json = format!(
            r#"{{"as": "QA", "fields": {{"mrb-minutes.decision": "x"}}, "password": "{PASSWORD}"}}"#
        );
        let (status, answer) = api(&site, &qa, path, &json).await;
        api_in_words(
            "fields before the last signature",
            status,
            &answer,
            "fields",
            "entered with the last signature",
        );

        // Starting: no trigger, no item.
        let (status, answer) = api(
            &site,
            &qc,
            "/api/runs",
            r#"{"doc": "KPM-QP-13", "ref": "NC-W", "plan": {"mrb": "2030-06-03"}}"#,
        )
        .await;
        api_in_words("no trigger", status, &answer, "trigger", "choose one");
        let (status, answer) = api(
            &site,
            &qc,
            "/api/runs",
            r#"{"doc": "KPM-QP-11", "ref": "GA-W"}"#,
        )
        .await;
        api_in_words("no item", status, &answer, "item", "give the item");

        // The query of a reading: a moment and a tolerance that cannot be read.
        for (path, field, needle) in [
            ("/api/inbox?at=soon", "at", "write YYYY-MM-DD"),
            (
                "/api/runs/GA-EVAL?tolerance=soon",
                "tolerance",
                "is not a tolerance",
            ),
        ] {
            let r = site
                .send(
                    axum::http::Request::get(path)
                        .header(axum::http::header::HOST, "localhost")
                        .header(axum::http::header::AUTHORIZATION, format!("Bearer {qc}"))
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await;
            let status = r.status();
            let answer = serde_json::from_str(&body(r).await).unwrap_or_default();
            api_in_words(path, status, &answer, field, needle);
        }
    });
}
