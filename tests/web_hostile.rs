//! Hostile requests to `procdoc serve` for the inputs of spec format 1.1, on a copy of the
//! Kestrel example: a run's trigger and register item, several outcomes, numbers with a
//! range, a planned date, a field that decides, a joint sign-off. Each is refused with a
//! clean 4xx that names the input, nothing is written, and every value sent comes back
//! escaped. The new inputs are also behind sign-in, the right department and the
//! same-origin check, as the old ones are. The JSON API's are in `web_hostile_api.rs`.

mod common;

#[path = "common/site.rs"]
mod site;

#[path = "common/kestrel_site.rs"]
mod kestrel;

use axum::http::StatusCode;

use kestrel::{CAL, ESCAPED, HOSTILE, NCR, events, site};
use site::{PASSWORD, Site, block_on, body, encode};

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
