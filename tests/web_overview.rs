//! The overview for quality users: its figures from the application layer on a store with
//! known runs (exact medians and 90th percentiles), and the page and its JSON over HTTP
//! (quality only, every label escaped).

mod common;

#[path = "common/site.rs"]
mod site;

use std::path::Path;

use axum::http::StatusCode;

use procdoc::app::overview::{DeptOverdue, Spread, overview};
use procdoc::app::{self, DoneRequest, RunRef, StartRun};
use procdoc::run::accounts::Role;
use procdoc::run::clock;
use procdoc::run::store::SqliteStore;
use site::{ESCAPED, HOSTILE, Site, block_on, body, edit};

const USERS: &[site::User] = &[
    ("boss", &["QA"], Role::Quality),
    ("qa", &["QA"], Role::Staff),
];

/// A server on the factory fixture whose complaint flow is titled with markup.
fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let qms = dir.path().join("qms");
    common::copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
    edit(&qms.join("QA-P-001.yaml"), |text| {
        text.replacen(
            "  - id: complaint\n    title: Complaint\n",
            &format!(
                "  - id: complaint\n    title: 'Complaint {}'\n",
                HOSTILE.replace('\'', "''")
            ),
            1,
        )
    });
    site::add_users(
        &dir.path().join("runs.sqlite"),
        &["QA", "PROD", "CS", "GM"],
        USERS,
    );
    let site = Site::serve(dir);
    assert!(
        site.state.loaded().diagnostics.is_empty(),
        "the fixture has no errors"
    );
    site
}

fn start(store: &mut SqliteStore, qms: &procdoc::spec::load::Qms, flow: &str, r: &str, at: &str) {
    app::start_run(
        store,
        qms,
        &[],
        &StartRun {
            doc: "QA-P-001".into(),
            flow: Some(flow.into()),
            reference: r.into(),
            at: Some(at.into()),
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("start {r}: {e}"));
}

fn done(store: &mut SqliteStore, r: &str, step: &str, at: &str) {
    let request = DoneRequest {
        step: step.into(),
        by: "Someone".into(),
        ..Default::default()
    };
    app::complete_step(store, &RunRef::new(r), &request, Some(at))
        .unwrap_or_else(|e| panic!("{r} {step}: {e}"));
}

/// Four ended complaints whose cycle times are known, one open complaint, and one open
/// inspection past its step's and its flow's deadlines (the calendar: Shanghai, Monday to
/// Friday, 08:30-12:00 and 13:00-17:30, so a working day is 8 hours).
fn fill(site: &Site) {
    let (qms, _) = procdoc::spec::load::load(&site.qms()).unwrap();
    let mut store = SqliteStore::create(&site.db()).unwrap();
    let ended = [
        // 8 working hours, 9 hours.
        ("C-1", "2026-03-02 08:30", "2026-03-02 17:30"),
        // 16 working hours, 33 hours.
        ("C-2", "2026-03-02 08:30", "2026-03-03 17:30"),
        // Over a weekend: 16 working hours, 3 days and 9 hours.
        ("C-3", "2026-03-06 08:30", "2026-03-09 17:30"),
        // Monday to Friday: 40 working hours, 4 days and 9 hours.
        ("C-4", "2026-03-02 08:30", "2026-03-06 17:30"),
    ];
    for (r, from, to) in ended {
        start(&mut store, &qms, "complaint", r, from);
        done(&mut store, r, "record", to);
        done(&mut store, r, "fix", to);
    }
    start(&mut store, &qms, "complaint", "C-5", "2026-03-02 08:30");
    // Inspect is due Monday 09:30, the whole flow three working days after the start.
    start(&mut store, &qms, "inspection", "LOT-1", "2026-03-06 16:30");
}

#[test]
fn the_figures_count_open_runs_overdue_steps_and_cycle_times() {
    let site = site();
    fill(&site);
    let qms = &site.state.loaded().qms;
    let calendar = app::office_calendar(qms).unwrap();
    let mut store = SqliteStore::create(&site.db()).unwrap();
    let now = clock::parse("2026-03-20 09:00", calendar.timezone()).unwrap();
    let o = overview(Some(&mut store), qms, &calendar, now, "en").unwrap();

    let open: Vec<(&str, usize)> = o
        .open_runs
        .iter()
        .map(|f| (f.flow.flow.as_str(), f.open))
        .collect();
    assert_eq!(open, [("complaint", 1), ("inspection", 1)]);

    assert_eq!(
        o.overdue,
        [DeptOverdue {
            dept: Some("QA".into()),
            steps: 1,
            flows: 1
        }]
    );

    let [cycle] = o.cycle_times.as_slice() else {
        panic!("{:?}", o.cycle_times)
    };
    assert_eq!(cycle.flow.flow, "complaint");
    assert_eq!(cycle.runs, 4);
    // Working days 1, 2, 2, 5; calendar days 0.375, 1.375, 3.375, 4.375.
    assert_eq!(
        cycle.working_days,
        Spread {
            median: 2.0,
            p90: 5.0
        }
    );
    assert_eq!(
        cycle.calendar_days,
        Spread {
            median: 2.375,
            p90: 4.375
        }
    );

    // Before the inspection's deadline nothing is overdue.
    let early = clock::parse("2026-03-09 09:00", calendar.timezone()).unwrap();
    let o = overview(Some(&mut store), qms, &calendar, early, "en").unwrap();
    assert!(o.overdue.is_empty(), "{:?}", o.overdue);
}

#[test]
fn an_empty_store_has_an_empty_overview() {
    let site = site();
    let calendar = app::office_calendar(&site.state.loaded().qms).unwrap();
    let o = overview(
        None,
        &site.state.loaded().qms,
        &calendar,
        clock::system_now(),
        "en",
    )
    .unwrap();
    assert!(o.open_runs.is_empty() && o.overdue.is_empty() && o.cycle_times.is_empty());
}

#[test]
fn quality_users_see_the_overview_with_every_label_escaped() {
    let site = site();
    fill(&site);
    block_on(async {
        let boss = site.sign_in("boss").await;
        let r = site.get("/overview", Some(&boss)).await;
        assert_eq!(r.status(), StatusCode::OK);
        let page = body(r).await;
        assert!(page.contains("href=\"/overview\""), "the header links it");
        assert!(page.contains(ESCAPED), "{page}");
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img src=x"), "{page}");
        assert!(page.contains("<svg"), "the chart is drawn on the page");
        assert!(!page.contains("<script>"), "no inline script: {page}");
        // The chart's bars and figures: the 90th percentile is 5.0 working days.
        assert!(page.contains(">5.0<"), "{page}");
        assert!(page.contains(">2.4<"), "calendar-day median 2.375: {page}");

        let qa = site.sign_in("qa").await;
        let r = site.get("/overview", Some(&qa)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = site.get("/", Some(&qa)).await;
        assert!(
            !body(r).await.contains("href=\"/overview\""),
            "staff have no link"
        );

        let r = site.get("/overview", None).await;
        assert_ne!(r.status(), StatusCode::OK, "signed out");
    });
}

/// A GET as another system sends it: no cookie, the token.
async fn bearer_get(
    site: &Site,
    path: &str,
    token: &str,
) -> axum::http::Response<axum::body::Body> {
    let r = axum::http::Request::get(path)
        .header(axum::http::header::HOST, "localhost")
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    site.send(r).await
}

#[test]
fn the_api_gives_the_overview_to_quality_tokens_only() {
    let site = site();
    fill(&site);
    let token = |login: &str| {
        let mut store = SqliteStore::create(&site.db()).unwrap();
        procdoc::app::users::create_token(&mut store, login, clock::system_now()).unwrap()
    };
    let (boss, qa) = (token("boss"), token("qa"));
    block_on(async {
        let r = bearer_get(&site, "/api/overview", &boss).await;
        assert_eq!(r.status(), StatusCode::OK);
        let json: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
        let cycle = &json["cycle_times"][0];
        assert_eq!(cycle["flow"], "complaint");
        assert_eq!(cycle["working_days"]["median"], 2.0);
        assert_eq!(cycle["calendar_days"]["p90"], 4.375);
        assert_eq!(json["open_runs"].as_array().unwrap().len(), 2);

        let r = bearer_get(&site, "/api/overview", &qa).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    });
}
