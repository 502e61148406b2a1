//! The run pages of `procdoc serve` over HTTP (My work, the run list, starting a run, a run's
//! page and its record), the axum router driven in-process on a copy of the factory fixture
//! whose texts carry markup.

mod common;

#[path = "common/site.rs"]
mod site;

use std::path::Path;

use axum::http::{StatusCode, header};

use procdoc::app::{self, DoneRequest, RunRef, StartRun};
use procdoc::run::accounts::Role;
use procdoc::run::store::SqliteStore;
use site::{ESCAPED, HOSTILE, Site, block_on, body, edit, location};

impl Site {
    /// A server on the factory fixture, with markup in the complaint's first step title and
    /// one more department (LOG) that acts in none of its flows, and the users `add` makes.
    fn new(add: &[site::User]) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let qms = dir.path().join("qms");
        common::copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
        edit(&qms.join("QA-P-001.yaml"), |text| {
            text.replacen(
                "        title: Record the complaint\n",
                &format!(
                    "        title: 'Record the complaint {}'\n",
                    HOSTILE.replace('\'', "''")
                ),
                1,
            )
        });
        edit(&qms.join("procdoc.yaml"), |text| {
            text.replacen(
                "  - { code: GM, name: General Manager }\n",
                "  - { code: GM, name: General Manager }\n  - { code: LOG, name: Logistics }\n",
                1,
            )
        });
        Site::open(dir, &["QA", "PROD", "CS", "GM", "LOG"], add)
    }

    /// A server on a plain copy of the bilingual red-maple example.
    fn red_maple(add: &[site::User]) -> Site {
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(Path::new("specs/red-maple"), &dir.path().join("qms"));
        Site::open(dir, &["CS", "GM", "ENG", "QA", "PROD", "LOG"], add)
    }

    /// Serves `dir/qms` with the store `dir/runs.sqlite`, holding the users `add` (of the
    /// departments `known`).
    fn open(dir: tempfile::TempDir, known: &[&str], add: &[site::User]) -> Site {
        site::add_users(&dir.path().join("runs.sqlite"), known, add);
        let site = Site::serve(dir);
        assert!(
            site.state.loaded().diagnostics.is_empty(),
            "the edited fixture has no errors"
        );
        site
    }

    /// Starts a run of QA-P-001 through the application layer (another connection to the
    /// store), at `at` when given.
    fn start(&self, flow: &str, reference: &str, at: Option<&str>) {
        self.start_of("QA-P-001", flow, reference, at);
    }

    fn start_of(&self, doc: &str, flow: &str, reference: &str, at: Option<&str>) {
        let (qms, _) = procdoc::spec::load::load(&self.qms()).unwrap();
        let mut store = SqliteStore::create(&self.db()).unwrap();
        app::start_run(
            &mut store,
            &qms,
            &[],
            &StartRun {
                doc: doc.into(),
                flow: Some(flow.into()),
                reference: reference.into(),
                by: Some("Printed qa".into()),
                at: at.map(str::to_string),
                plan: Vec::new(),
                ..Default::default()
            },
        )
        .unwrap();
    }

    fn runs(&self) -> usize {
        let store = SqliteStore::create(&self.db()).unwrap();
        procdoc::run::store::Store::list(&store, &Default::default())
            .unwrap()
            .len()
    }

    /// A page's status and text.
    async fn page(&self, path: &str, cookie: &str) -> (StatusCode, String) {
        let r = self.get(path, Some(cookie)).await;
        (r.status(), body(r).await)
    }
}

/// The position of `needle` in `hay`, failing with the page when it is missing.
fn at(hay: &str, needle: &str) -> usize {
    hay.find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is not on the page:\n{hay}"))
}

const STAFF: &[(&str, &[&str], Role)] = &[
    ("cs", &["CS"], Role::Staff),
    ("qa", &["QA"], Role::Staff),
    ("prod", &["PROD"], Role::Staff),
    ("log", &["LOG"], Role::Staff),
    ("boss", &["QA"], Role::Quality),
];

#[test]
fn a_started_run_waits_in_the_inbox_of_the_department_of_its_first_step_only() {
    block_on(async {
        let site = Site::new(STAFF);
        let cs = site.sign_in("cs").await;
        let r = site
            .post(
                "/runs/new",
                "flow=QA-P-001%2Fcomplaint&ref=C-100",
                Some(&cs),
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(r).await);
        assert_eq!(location(&r), "/runs/C-100");
        assert_eq!(site.runs(), 1);

        let (status, home) = site.page("/", &cs).await;
        assert_eq!(status, StatusCode::OK);
        at(&home, "C-100");
        at(&home, "href=\"/runs/C-100/steps/record\"");
        at(&home, "href=\"/runs/C-100\"");
        at(&home, "<span class=\"count\">1</span>");

        // The header counts the work on every page, and follows the store.
        let (_, runs) = site.page("/runs", &cs).await;
        at(&runs, "<span class=\"count\">1</span>");
        site.start("complaint", "C-101", None);
        let (_, runs) = site.page("/runs", &cs).await;
        at(&runs, "<span class=\"count\">2</span>");

        // PROD does the second step, not the first: nothing for them yet.
        let prod = site.sign_in("prod").await;
        let (_, home) = site.page("/", &prod).await;
        assert!(!home.contains("C-100"), "{home}");
        assert!(home.contains("<span class=\"count\">0</span>"), "{home}");

        // A quality user sees every department's work, and may narrow it to one.
        let boss = site.sign_in("boss").await;
        let (_, all) = site.page("/", &boss).await;
        at(&all, "C-100");
        let (_, qa_only) = site.page("/?dept=QA", &boss).await;
        assert!(!qa_only.contains("/runs/C-100/steps/record"), "{qa_only}");
    });
}

#[test]
fn overdue_steps_come_first_with_how_late_they_are() {
    block_on(async {
        let site = Site::new(STAFF);
        // Started long ago: its inspection (2 working hours) is long overdue.
        site.start("inspection", "Z-OLD", Some("2026-03-02 09:00"));
        site.start("inspection", "A-NEW", None);
        let qa = site.sign_in("qa").await;
        let (_, home) = site.page("/", &qa).await;
        let old = at(&home, ">Z-OLD<");
        let new = at(&home, ">A-NEW<");
        assert!(old < new, "the overdue run is listed first:\n{home}");
        let late = at(&home, "late by");
        assert!(old < late && late < new, "{home}");
        at(&home, "2026-03-02 11:00");
    });
}

#[test]
fn starting_a_run_records_it_in_the_users_name_and_a_refusal_shows_next_to_its_field() {
    block_on(async {
        let site = Site::new(STAFF);
        let qa = site.sign_in("qa").await;
        let (status, form) = site.page("/runs/new?flow=QA-P-001%2Faudit", &qa).await;
        assert_eq!(status, StatusCode::OK);
        at(&form, "name=\"plan.visit\"");
        at(&form, "not released");

        // A date that does not exist: refused, nothing written, values kept.
        let r = site
            .post(
                "/runs/new",
                "flow=QA-P-001%2Faudit&ref=AUD-%3Cb%3E7&plan.visit=2026-13-45",
                Some(&qa),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(r).await;
        let input = at(
            &html,
            "name=\"plan.visit\" value=\"2026-13-45\" aria-invalid",
        );
        let problem = at(&html, "role=\"alert\">planned date `2026-13-45`");
        assert!(problem > input, "the problem follows its input:\n{html}");
        at(&html, "value=\"AUD-&lt;b&gt;7\"");
        assert!(!html.contains("AUD-<b>7"), "{html}");
        assert_eq!(site.runs(), 0, "nothing was written");

        // Without a reference: refused about the reference.
        let r = site
            .post("/runs/new", "flow=QA-P-001%2Faudit&ref=+", Some(&qa))
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(site.runs(), 0);

        let r = site
            .post(
                "/runs/new",
                "flow=QA-P-001%2Faudit&ref=AUD-7&plan.visit=2026-12-10",
                Some(&qa),
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/runs/AUD-7");
        let (status, page) = site.page("/runs/AUD-7", &qa).await;
        assert_eq!(status, StatusCode::OK);
        at(&page, "Printed qa");
        at(&page, "2026-12-10");

        // The same reference again: refused about the reference.
        let r = site
            .post(
                "/runs/new",
                "flow=QA-P-001%2Faudit&ref=AUD-7&plan.visit=2026-12-10",
                Some(&qa),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = body(r).await;
        at(&html, "value=\"AUD-7\" placeholder");
        at(&html, "autofocus aria-invalid=\"true\"");
        assert_eq!(site.runs(), 1);

        // PROD neither does the audit's first step nor owns the procedure.
        let prod = site.sign_in("prod").await;
        let (_, offered) = site.page("/runs/new", &prod).await;
        assert!(!offered.contains("QA-P-001/audit"), "{offered}");
        let r = site
            .post(
                "/runs/new",
                "flow=QA-P-001%2Faudit&ref=AUD-8&plan.visit=2026-12-10",
                Some(&prod),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(site.runs(), 1);
    });
}

#[test]
fn a_planned_step_started_from_the_form_takes_a_time_of_day_with_its_date() {
    block_on(async {
        let site = Site::new(STAFF);
        let qa = site.sign_in("qa").await;
        let (_, form) = site.page("/runs/new?flow=QA-P-001%2Faudit", &qa).await;
        at(&form, "type=\"time\" name=\"plan_time.visit\"");
        let r = site
            .post(
                "/runs/new",
                "flow=QA-P-001%2Faudit&ref=AUD-9&plan.visit=2026-12-10&plan_time.visit=14%3A30",
                Some(&qa),
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = site.page("/runs/AUD-9", &qa).await;
        at(&page, "2026-12-10 14:30");
        // A time without its date is refused at the date, saying what to write.
        let r = site
            .post(
                "/runs/new",
                "flow=QA-P-001%2Faudit&ref=AUD-10&plan_time.visit=14%3A30",
                Some(&qa),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        at(&body(r).await, "YYYY-MM-DD HH:MM");
        assert_eq!(site.runs(), 1);
    });
}

#[test]
fn the_run_page_shows_the_checklist_the_active_step_the_flowchart_and_the_audit_trail() {
    block_on(async {
        let site = Site::new(STAFF);
        site.start("inspection", "LOT-1", None);
        {
            let mut store = SqliteStore::create(&site.db()).unwrap();
            app::complete_step(
                &mut store,
                &RunRef::new("LOT-1"),
                &DoneRequest {
                    step: "inspect".into(),
                    by: "Printed qa".into(),
                    login: None,
                    acting_for: None,
                    outcome: Some("Rework".into()),
                    further_outcomes: Vec::new(),
                    check: Some("all".into()),
                    waive: None,
                    reason: None,
                    fields: vec![
                        format!("inspection-report.lot={HOSTILE}"),
                        "inspection-report.measured=12.5".into(),
                    ],
                    note: Some(HOSTILE.into()),
                    attachments: Vec::new(),
                },
                None,
            )
            .unwrap();
        }
        let qa = site.sign_in("qa").await;
        let (status, page) = site.page("/runs/LOT-1", &qa).await;
        assert_eq!(status, StatusCode::OK);
        // Every step, the done one signed, the active one marked with its form's link.
        at(&page, "Inspect the lot");
        at(&page, "Scrap the lot");
        at(&page, "step state-done\" id=\"step-inspect\"");
        at(&page, "step state-active\" id=\"step-rework\"");
        at(&page, "href=\"/runs/LOT-1/steps/rework\"");
        at(&page, "Printed qa");
        at(&page, "12.5");
        at(&page, "Rework");
        // The audit trail: one line per event with its hash.
        at(&page, "Audit trail");
        assert!(page.matches("<code title=\"").count() >= 2, "{page}");
        at(&page, "src=\"/runs/LOT-1/flowchart.svg\"");
        assert!(!page.contains(HOSTILE), "{page}");
        at(&page, ESCAPED);

        let r = site.get("/runs/LOT-1/flowchart.svg", Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "image/svg+xml");
        let svg = body(r).await;
        at(&svg, "<svg");
        at(
            &svg,
            "data-step=\"rework\" data-kind=\"task\" data-marked=\"\"",
        );
        assert!(!svg.contains("data-step=\"inspect\" data-kind=\"decision\" data-marked"));

        let r = site.get("/runs/LOT-1/record.pdf", Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/pdf");
        let disposition = r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(disposition.starts_with("attachment"), "{disposition}");
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 26).await.unwrap();
        assert!(bytes.starts_with(b"%PDF"));

        let r = site.get("/runs/LOT-1/record.json", Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        let json: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
        assert_eq!(json["reference"], "LOT-1");

        // The run list has it; the LOG user may not see it.
        let (_, list) = site.page("/runs", &qa).await;
        at(&list, "href=\"/runs/LOT-1\"");
        let log = site.sign_in("log").await;
        let (status, _) = site.page("/runs/LOT-1", &log).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let r = site.get("/runs/LOT-1/record.pdf", Some(&log)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = site.get("/runs/LOT-1/flowchart.svg", Some(&log)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let (_, list) = site.page("/runs", &log).await;
        assert!(!list.contains("LOT-1"), "{list}");
        let (status, _) = site.page("/runs/NOPE", &qa).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    });
}

#[test]
fn markup_in_spec_texts_and_references_is_escaped_on_every_run_page() {
    block_on(async {
        let site = Site::new(STAFF);
        site.start("complaint", HOSTILE, None);
        let cs = site.sign_in("cs").await;
        let encoded: String = HOSTILE
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let run = format!("/runs/{encoded}");
        for path in ["/", "/runs", "/runs/new?flow=QA-P-001%2Fcomplaint", &run] {
            let (status, html) = site.page(path, &cs).await;
            assert_eq!(status, StatusCode::OK, "{path}: {html}");
            assert!(!html.contains("<script>"), "{path}: {html}");
            assert!(!html.contains("<img src=x"), "{path}: {html}");
        }
        let (_, home) = site.page("/", &cs).await;
        at(&home, ESCAPED);
        let (_, page) = site.page(&run, &cs).await;
        at(&page, ESCAPED);
        let r = site.get(&format!("{run}/flowchart.svg"), Some(&cs)).await;
        let svg = body(r).await;
        assert!(!svg.contains("<script>"), "{svg}");
    });
}

#[test]
fn run_pages_need_a_session() {
    block_on(async {
        let site = Site::new(STAFF);
        site.start("complaint", "C-1", None);
        for path in [
            "/",
            "/runs",
            "/runs/new",
            "/runs/C-1",
            "/runs/C-1/flowchart.svg",
            "/runs/C-1/record.pdf",
            "/runs/C-1/record.json",
        ] {
            let r = site.get(path, None).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(location(&r), "/sign-in", "{path}");
        }
        let r = site
            .post("/runs/new", "flow=QA-P-001%2Fcomplaint&ref=C-2", None)
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/sign-in");
        assert_eq!(site.runs(), 1);
    });
}

#[test]
fn a_reader_of_chinese_gets_the_labels_and_the_procedures_texts_in_chinese() {
    block_on(async {
        let site = Site::red_maple(&[("mei", &["CS"], Role::Staff)]);
        site.start_of("CS-P-001", "complaint", "TS-9", None);
        let mei = site.sign_in("mei").await;
        let (_, home) = site.page("/", &mei).await;
        at(&home, "Record the complaint and make a temporary plan");
        let r = site
            .post("/language", "lang=zh&back=%2Fruns%2FTS-9", Some(&mei))
            .await;
        assert_eq!(location(&r), "/runs/TS-9");
        let (_, home) = site.page("/", &mei).await;
        at(&home, "我的工作");
        at(&home, "客服部门记录投诉并制订临时性的计划");
        let (status, page) = site.page("/runs/TS-9", &mei).await;
        assert_eq!(status, StatusCode::OK);
        at(&page, "审计追踪");
        at(&page, "客服部门记录投诉并制订临时性的计划");
        at(&page, "客服部");
        // The record to keep stays in the QMS's primary language, as `run export` writes it.
        let r = site.get("/runs/TS-9/record.json", Some(&mei)).await;
        let json: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
        assert_eq!(json["language"], "en");
        assert_eq!(
            json["steps"][0]["title"],
            "Record the complaint and make a temporary plan"
        );
    });
}

#[test]
fn a_partys_step_waits_in_my_work_of_the_department_that_records_it_on_its_behalf() {
    block_on(async {
        let site = Site::new(STAFF);
        site.start("order", "O-7", None);
        let mut store = SqliteStore::create(&site.db()).unwrap();
        let receive = DoneRequest {
            step: "receive".into(),
            by: "Printed cs".into(),
            ..Default::default()
        };
        app::complete_step(&mut store, &RunRef::new("O-7"), &receive, None).unwrap();
        // `pay` is the customer's: QA owns the procedure, so QA records it for the customer;
        // CS's `ship` still waits for it.
        let qa = site.sign_in("qa").await;
        let (_, home) = site.page("/", &qa).await;
        at(&home, "href=\"/runs/O-7/steps/pay\"");
        at(&home, "recorded on behalf of Customer");
        let cs = site.sign_in("cs").await;
        let (_, home) = site.page("/", &cs).await;
        assert!(!home.contains("/runs/O-7/steps/"), "{home}");
    });
}

/// A document number with a slash (zza-feed's `ZZA/QP-004`): the start form's `DOC/flow`
/// key is split at its last slash, so the run starts, and the runs list filters by it.
#[test]
fn a_document_number_with_a_slash_starts_and_lists_its_runs() {
    block_on(async {
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(Path::new("specs/zza-feed"), &dir.path().join("qms"));
        let site = Site::open(dir, &["GM"], &[("gm", &["GM"], Role::Quality)]);
        let gm = site.sign_in("gm").await;
        let r = site
            .post(
                "/runs/new",
                "flow=ZZA%2FQP-004%2Fcontract&ref=HT-1",
                Some(&gm),
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(r).await);
        assert_eq!(location(&r), "/runs/HT-1");
        let (status, runs) = site.page("/runs?flow=ZZA%2FQP-004%2Fcontract", &gm).await;
        assert_eq!(status, StatusCode::OK);
        at(&runs, "HT-1");
    });
}
