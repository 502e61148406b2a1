//! Hostile requests to `procdoc serve` for the inputs of spec format 1.1, on a copy of the
//! Kestrel example: a run's trigger and register item, several outcomes, numbers with a
//! range, a planned date, a field that decides, a joint sign-off. Each is refused with a
//! clean 4xx that names the input, nothing is written, and every value sent comes back
//! escaped. The new inputs are also behind sign-in, the right department and the
//! same-origin check, as the old ones are.

mod common;

#[path = "common/site.rs"]
mod site;

use std::path::Path;

use axum::http::StatusCode;

use procdoc::app::{self, DoneRequest, RunRef, StartRun};
use procdoc::run::accounts::Role;
use procdoc::run::store::SqliteStore;
use site::{PASSWORD, Site, block_on, body, encode};

const NCR: &str = "KPM-QP-13/ncr";
const CAL: &str = "KPM-QP-11/calibration";
const HOSTILE: &str = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>#eval("x")"#;
const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img";

/// The Kestrel example served with one user per department (`qa`, `qc`, `prod`, `eng`,
/// `pur`, `sal`, `md`), `qaprod` in QA and PROD, and runs ready at the steps under test:
/// NC-MRB at the joint MRB sign-off, NC-DISP at the inclusive disposition, NC-DEST with the
/// scrap held ten working days before destruction, GA-ROUTE at a decision of one outcome,
/// GA-EVAL at the calibration record whose result decides.
fn site() -> Site {
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
fn events(site: &Site, reference: &str) -> Option<usize> {
    let mut store = SqliteStore::create(&site.db()).unwrap();
    app::show_run(&mut store, None, &RunRef::new(reference), None, 3600)
        .ok()
        .map(|r| r.events.len())
}

/// Asserts a refusal: a 4xx (not 500) whose page shows `needle` and an error next to the
/// input `input`.
#[track_caller]
fn refused(status: StatusCode, html: &str, input: &str, needle: &str) {
    assert!(
        status.is_client_error(),
        "{input}: {status} is not a refusal:\n{html}"
    );
    let marked = format!(r#"name="{input}""#);
    let at = html
        .find(&marked)
        .unwrap_or_else(|| panic!("no input {input} on the page:\n{html}"));
    let tail = &html[at..html.len().min(at + 3000)];
    // A group of radio buttons or check boxes has its errors at the end of its fieldset.
    let closing = match input {
        "outcome" | "as" => "</fieldset>",
        _ => "</label>",
    };
    let end = tail.find(closing).unwrap_or(tail.len());
    let label = &tail[..end];
    assert!(
        label.contains(r#"role="alert""#),
        "{input}: no error next to the input:\n{label}\n---\n{html}"
    );
    assert!(
        html.contains(needle),
        "{input}: `{needle}` is not on the page:\n{html}"
    );
}

async fn start(site: &Site, cookie: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = site.post("/runs/new", &encode(form), Some(cookie)).await;
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
    let r = site.post(path, &encode(&form), Some(cookie)).await;
    let status = r.status();
    (status, body(r).await)
}

#[test]
fn a_wrong_trigger_is_refused_at_its_input() {
    block_on(async {
        let site = site();
        let qc = site.sign_in("qc").await;
        let huge = "9".repeat(40);
        for trigger in ["3", "0", "-1", &huge, "first", HOSTILE, "1.5", " 2 x"] {
            let (status, html) = start(
                &site,
                &qc,
                &[
                    ("flow", NCR),
                    ("ref", "NC-T"),
                    ("trigger", trigger),
                    ("plan.mrb", "2026-12-20"),
                ],
            )
            .await;
            eprintln!("trigger {trigger:?}: {status}");
            refused(status, &html, "trigger", "trigger");
            assert!(!html.contains("<script>alert(1)"), "{html}");
            assert_eq!(events(&site, "NC-T"), None, "{trigger}: no run");
        }
    });
}

#[test]
fn a_wrong_item_is_refused_at_its_input_and_comes_back_escaped() {
    block_on(async {
        let site = site();
        let qc = site.sign_in("qc").await;
        // Over the server's limit for a form: refused before it is read.
        let huge = "G".repeat(100 * 1024);
        let r = site
            .post(
                "/runs/new",
                &encode(&[("flow", CAL), ("ref", "GA-T"), ("item", &huge)]),
                Some(&qc),
            )
            .await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let long = "G".repeat(60 * 1024);
        let cases: &[(&str, &str)] = &[
            ("GA-999", "GA-999"),
            (&long, "item"),
            ("GA-001\u{0}\u{7}\u{1b}[31m", "item"),
            (HOSTILE, ESCAPED),
            ("#eval(\"1\")", "#eval"),
        ];
        for (item, needle) in cases {
            let (status, html) = start(
                &site,
                &qc,
                &[("flow", CAL), ("ref", "GA-T"), ("item", item)],
            )
            .await;
            refused(status, &html, "item", needle);
            assert!(!html.contains("<script>alert(1)"), "{html}");
            assert!(
                html.len() < 100 * 1024,
                "the page is bounded: {} bytes",
                html.len()
            );
            assert_eq!(events(&site, "GA-T"), None, "{needle}: no run");
        }
        // No item at all for a flow run per item.
        let (status, html) = start(&site, &qc, &[("flow", CAL), ("ref", "GA-T")]).await;
        refused(status, &html, "item", "item");
        assert_eq!(events(&site, "GA-T"), None);
    });
}

#[test]
fn a_wrong_planned_date_is_refused_at_its_input() {
    block_on(async {
        let site = site();
        let qc = site.sign_in("qc").await;
        for date in [
            "next tuesday",
            "99999-01-01",
            "2026-02-30",
            "2026-13-01",
            HOSTILE,
        ] {
            let (status, html) = start(
                &site,
                &qc,
                &[
                    ("flow", NCR),
                    ("ref", "NC-P"),
                    ("trigger", "1"),
                    ("plan.mrb", date),
                ],
            )
            .await;
            refused(status, &html, "plan.mrb", "mrb");
            assert!(!html.contains("<script>alert(1)"), "{html}");
            assert_eq!(events(&site, "NC-P"), None, "{date}: no run");
        }
    });
}

#[test]
fn a_run_per_trigger_starts_for_the_department_of_that_trigger() {
    block_on(async {
        let site = site();
        // Inspection (QC) starts at `identify`, sales (SAL) at `customer-return`; neither
        // does the flow's first step both.
        for (login, trigger, reference, active) in [
            ("qc", "1", "NC-QC", "identify"),
            ("sal", "2", "NC-SAL", "customer-return"),
        ] {
            let cookie = site.sign_in(login).await;
            let page = body(site.get("/runs/new", Some(&cookie)).await).await;
            assert!(page.contains(NCR), "{login} may start {NCR}:\n{page}");
            let (status, html) = start(
                &site,
                &cookie,
                &[
                    ("flow", NCR),
                    ("ref", reference),
                    ("trigger", trigger),
                    ("plan.mrb", "2026-12-21"),
                ],
            )
            .await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{login}: {html}");
            let run = body(site.get(&format!("/runs/{reference}"), Some(&cookie)).await).await;
            assert!(
                run.contains(&format!("/runs/{reference}/steps/{active}")),
                "{run}"
            );
        }
        // Sales may not say the parts were found at inspection: that trigger is QC's.
        let sal = site.sign_in("sal").await;
        let (status, html) = start(
            &site,
            &sal,
            &[
                ("flow", NCR),
                ("ref", "NC-SAL2"),
                ("trigger", "1"),
                ("plan.mrb", "2026-12-21"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        refused(status, &html, "trigger", "its step identify is not done by");
        assert_eq!(events(&site, "NC-SAL2"), None);
        // Purchasing does no step a run begins at.
        let pur = site.sign_in("pur").await;
        let (status, _) = start(
            &site,
            &pur,
            &[("flow", NCR), ("ref", "NC-PUR"), ("trigger", "1")],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(events(&site, "NC-PUR"), None);
    });
}

#[test]
fn wrong_outcome_lists_are_refused_at_the_decision() {
    block_on(async {
        let site = site();
        let qa = site.sign_in("qa").await;
        let path = "/runs/NC-DISP/steps/disposition";
        let before = events(&site, "NC-DISP");
        let many: Vec<(&str, &str)> = (0..10_000).map(|_| ("outcome", "Rework")).collect();
        let cases: Vec<Vec<(&str, &str)>> = vec![
            vec![("outcome", "Rework"), ("outcome", "Rework")],
            vec![("outcome", "Rework"), ("outcome", "Use as is")],
            vec![("outcome", HOSTILE)],
            vec![("outcome", "")],
            many,
        ];
        for form in &cases {
            let started = std::time::Instant::now();
            let (status, html) = sign(&site, &qa, path, form).await;
            refused(status, &html, "outcome", "outcome");
            assert!(!html.contains("<script>alert(1)"), "{html}");
            assert!(started.elapsed().as_secs() < 10, "answered in bounded time");
            assert_eq!(
                events(&site, "NC-DISP"),
                before,
                "{:?}: nothing written",
                form.first()
            );
        }
        // A decision of one outcome: none, or two, are refused.
        let qc = site.sign_in("qc").await;
        let path = "/runs/GA-ROUTE/steps/route";
        let before = events(&site, "GA-ROUTE");
        for form in [
            vec![],
            vec![
                ("outcome", "In house"),
                ("outcome", "Accredited laboratory"),
            ],
            vec![("outcome", "In house"), ("outcome", "In house")],
        ] {
            let (status, html) = sign(&site, &qc, path, &form).await;
            refused(status, &html, "outcome", "outcome");
            assert_eq!(
                events(&site, "GA-ROUTE"),
                before,
                "{form:?}: nothing written"
            );
        }
    });
}

/// A calibration record filled in right, with `changes` over it.
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
fn numbers_outside_their_range_are_refused_at_the_field() {
    block_on(async {
        let site = site();
        let qc = site.sign_in("qc").await;
        let path = "/runs/GA-EVAL/steps/evaluate";
        let before = events(&site, "GA-EVAL");
        let temperature = "f.calibration-record.temperature";
        for value in ["NaN", "inf", "-inf", "1e400", "17", "22.5", "0x14", HOSTILE] {
            let (status, html) =
                sign(&site, &qc, path, &calibration(&[(temperature, value)])).await;
            refused(status, &html, temperature, "Room temperature");
            assert!(!html.contains("<script>alert(1)"), "{html}");
            assert_eq!(events(&site, "GA-EVAL"), before, "{value}: nothing written");
        }
        let (status, html) = sign(&site, &qc, path, &calibration(&[(temperature, HOSTILE)])).await;
        assert!(status.is_client_error());
        assert!(
            html.contains(ESCAPED),
            "the value comes back escaped:\n{html}"
        );
    });
}

#[test]
fn a_deciding_field_takes_only_its_options_and_no_outcome_is_asked() {
    block_on(async {
        let site = site();
        let qc = site.sign_in("qc").await;
        let path = "/runs/GA-EVAL/steps/evaluate";
        let page = body(site.get(path, Some(&qc)).await).await;
        assert!(
            !page.contains(r#"name="outcome""#),
            "no outcome input:\n{page}"
        );
        let before = events(&site, "GA-EVAL");
        let result = "f.calibration-record.result";
        for value in ["Maybe", HOSTILE, "In tolerance, Out of tolerance"] {
            let (status, html) = sign(&site, &qc, path, &calibration(&[(result, value)])).await;
            refused(status, &html, result, "Result");
            assert!(!html.contains("<script>alert(1)"), "{html}");
            assert_eq!(events(&site, "GA-EVAL"), before, "{value}: nothing written");
        }
        // An outcome forged beside the field does not override it, and the page says why
        // (there is no outcome input to show it at).
        let (status, html) = sign(
            &site,
            &qc,
            path,
            &calibration(&[(result, "Out of tolerance"), ("outcome", "In tolerance")]),
        )
        .await;
        assert!(status.is_client_error(), "{status}: {html}");
        assert!(
            html.contains("takes its outcome from the field calibration-record.result"),
            "{html}"
        );
        assert_eq!(events(&site, "GA-EVAL"), before);
    });
}

#[test]
fn a_joint_sign_off_takes_one_signature_per_department_and_person() {
    block_on(async {
        let site = site();
        let path = "/runs/NC-MRB/steps/mrb";
        let before = events(&site, "NC-MRB").unwrap();
        // Managing director: in none of QA, PROD, ENG.
        let md = site.sign_in("md").await;
        let (status, _) = sign(&site, &md, path, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // QA's member names a department that is not theirs.
        let qa = site.sign_in("qa").await;
        let form = body(site.get(path, Some(&qa)).await).await;
        assert!(form.contains("Still to sign: QA, PROD, ENG"), "{form}");
        assert!(
            !form.contains(r#"name="t.mrb-minutes.signatures.0.0""#),
            "{form}"
        );
        for dept in ["ENG", HOSTILE, "MD"] {
            let (status, html) = sign(&site, &qa, path, &[("as", dept)]).await;
            assert!(status.is_client_error(), "{dept}: {status}\n{html}");
            assert!(!html.contains("<script>alert(1)"), "{html}");
            assert!(html.contains(r#"role="alert""#), "{html}");
        }
        assert_eq!(events(&site, "NC-MRB"), Some(before));
        let (status, html) = sign(&site, &qa, path, &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
        // The same person again: the form says QA has signed, and a signature is refused.
        let r = site.get(path, Some(&qa)).await;
        assert!(r.status().is_client_error(), "{}", r.status());
        let page = body(r).await;
        assert!(page.contains("already signed for QA"), "{page}");
        let (status, html) = sign(&site, &qa, path, &[]).await;
        assert!(status.is_client_error(), "{status}\n{html}");
        let qaprod = site.sign_in("qaprod").await;
        let (status, html) = sign(&site, &qaprod, path, &[("as", "QA")]).await;
        assert!(
            status.is_client_error(),
            "QA signed already: {status}\n{html}"
        );
        assert_eq!(events(&site, "NC-MRB"), Some(before + 1));
        let (status, html) = sign(&site, &qaprod, path, &[("as", "PROD")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
        let (status, html) = sign(&site, &qaprod, path, &[("as", "PROD")]).await;
        assert!(status.is_client_error(), "{status}\n{html}");
        assert_eq!(events(&site, "NC-MRB"), Some(before + 2));
    });
}

#[test]
fn the_new_inputs_need_sign_in_the_department_and_the_same_origin() {
    block_on(async {
        let site = site();
        let start_form = encode(&[("flow", CAL), ("ref", "GA-X"), ("item", "GA-001")]);
        let sign_form = encode(&[
            ("outcome", "Rework"),
            ("outcome", "Scrap"),
            ("password", PASSWORD),
        ]);
        let disposition = "/runs/NC-DISP/steps/disposition";
        let before = events(&site, "NC-DISP");
        // Not signed in: sent to sign in.
        for (path, form) in [("/runs/new", &start_form), (disposition, &sign_form)] {
            let r = site.post(path, form, None).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(site::location(&r), "/sign-in", "{path}");
        }
        // From another site: refused.
        let qa = site.sign_in("qa").await;
        let qc = site.sign_in("qc").await;
        for (path, form, cookie) in [
            ("/runs/new", &start_form, &qc),
            (disposition, &sign_form, &qa),
        ] {
            let r = site
                .post_from(path, form, Some(cookie), Some("http://evil.example"))
                .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        }
        // Another department: purchasing neither starts calibrations nor disposes.
        let pur = site.sign_in("pur").await;
        let r = site.post("/runs/new", &start_form, Some(&pur)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = site.post(disposition, &sign_form, Some(&pur)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(events(&site, "GA-X"), None);
        assert_eq!(events(&site, "NC-DISP"), before);
    });
}

#[test]
fn an_early_signature_is_refused_with_the_date() {
    block_on(async {
        let site = site();
        let prod = site.sign_in("prod").await;
        let before = events(&site, "NC-DEST");
        let (status, html) = sign(&site, &prod, "/runs/NC-DEST/steps/destroy", &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(html.contains("may not be completed before 20"), "{html}");
        assert_eq!(events(&site, "NC-DEST"), before);
    });
}

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

#[test]
fn a_trigger_or_item_for_a_flow_that_takes_none_is_refused_in_words() {
    block_on(async {
        let site = site();
        let qc = site.sign_in("qc").await;
        let (status, html) = start(
            &site,
            &qc,
            &[
                ("flow", NCR),
                ("ref", "NC-I"),
                ("trigger", "1"),
                ("item", "GA-001"),
                ("plan.mrb", "2030-06-03"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            html.contains("is not run per item"),
            "the refusal is said:\n{html}"
        );
        assert!(
            html.contains(r#"<div class="error" role="alert">"#),
            "{html}"
        );
        let (status, html) = start(
            &site,
            &qc,
            &[
                ("flow", CAL),
                ("ref", "GA-I"),
                ("trigger", "1"),
                ("item", "GA-001"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            html.contains("has one trigger"),
            "the refusal is said:\n{html}"
        );
        assert_eq!(events(&site, "NC-I"), None);
        assert_eq!(events(&site, "GA-I"), None);
    });
}

#[test]
fn the_pages_and_records_of_runs_using_the_additions_are_served() {
    block_on(async {
        let site = site();
        let qa = site.sign_in("qa").await;
        for reference in ["NC-DEST", "NC-MRB", "GA-EVAL"] {
            for (suffix, kind) in [
                ("", "text/html"),
                ("/flowchart.svg", "image/svg+xml"),
                ("/record.pdf", "application/pdf"),
                ("/record.json", "application/json"),
            ] {
                let path = format!("/runs/{reference}{suffix}");
                let r = site.get(&path, Some(&qa)).await;
                assert_eq!(r.status(), StatusCode::OK, "{path}");
                let got = r.headers()[axum::http::header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .to_string();
                assert!(got.starts_with(kind), "{path}: {got}");
            }
        }
        let page = body(site.get("/runs/GA-EVAL", Some(&qa)).await).await;
        assert!(
            page.contains("Outside micrometer"),
            "the item's row:\n{page}"
        );
        let page = body(site.get("/runs/NC-DEST", Some(&qa)).await).await;
        for member in ["Member QA", "Member PROD", "Member ENG"] {
            assert!(page.contains(member), "{member}:\n{page}");
        }
    });
}
