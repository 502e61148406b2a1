//! E-mail notifications of `procdoc serve`, against a real SMTP server the test starts on
//! a local port: a step that becomes active is mailed to every user of its department
//! (in their language, as text/plain, with a link to the step), once the start or the
//! completion was committed; the overdue digest goes out once per person per day, also
//! across a restart; a mail server that cannot be reached never fails the user's action.

mod common;

#[path = "common/site.rs"]
mod site;
#[path = "common/smtp.rs"]
mod smtp;

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use chrono::Duration;

use procdoc::app::{self, DoneRequest, RunRef, StartRun};
use procdoc::mail::{MailOptions, Mailer};
use procdoc::run::accounts::{Accounts, Role};
use procdoc::run::clock;
use procdoc::run::notices::Notices;
use procdoc::run::store::SqliteStore;
use procdoc::web::notify::{DIGEST_JOB, runs_job, send_digests};
use procdoc::web::{AppState, ServeOptions, router};
use site::{PASSWORD, Site, block_on};
use smtp::SmtpServer;

const BASE: &str = "https://qms.example.com";

/// A user: login, departments, e-mail address, language, disabled.
type Person = (
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
    Option<&'static str>,
    bool,
);

const PEOPLE: &[Person] = &[
    ("cs", &["CS"], Some("cs@example.com"), None, false),
    (
        "cs2",
        &["CS", "QA"],
        Some("cs2@example.com"),
        Some("zh-Hant"),
        false,
    ),
    ("gone", &["CS"], Some("gone@example.com"), None, true),
    (
        "prod",
        &["PROD"],
        Some("prod@example.com"),
        Some("zh-Hans"),
        false,
    ),
    ("qa", &["QA"], None, None, false),
];

/// A server on the factory fixture whose users are [`PEOPLE`], sending mail through
/// `smtp` (an address where nothing listens, when `None`).
fn site(smtp: Option<&SmtpServer>) -> Site {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(
        Path::new("tests/fixtures/run/factory"),
        &dir.path().join("qms"),
    );
    let db = dir.path().join("runs.sqlite");
    let add: Vec<site::User> = PEOPLE
        .iter()
        .map(|(login, depts, ..)| (*login, *depts, Role::Staff))
        .collect();
    let mut store = site::add_users(&db, &["QA", "PROD", "CS", "GM"], &add);
    for (login, _, email, lang, disabled) in PEOPLE {
        let user = store.user_by_login(login).unwrap().unwrap();
        store.set_email(user.id, *email).unwrap();
        store.set_language(user.id, *lang).unwrap();
        store.set_disabled(user.id, *disabled).unwrap();
    }
    drop(store);
    serve(dir, smtp)
}

/// Starts the server on `dir` (again, for a restart), mail going to `smtp`.
fn serve(dir: tempfile::TempDir, smtp: Option<&SmtpServer>) -> Site {
    let options = ServeOptions {
        qms_dir: dir.path().join("qms"),
        listen: "127.0.0.1:0".into(),
        db: Some(dir.path().join("runs.sqlite")),
        public_url: Some(BASE.into()),
        output: Some(dir.path().join("out")),
        max_upload: procdoc::web::DEFAULT_MAX_UPLOAD,
    };
    let (mut state, setup) = AppState::open(&options).unwrap();
    let url = match smtp {
        Some(server) => server.url(),
        None => {
            // A port that was free a moment ago: nothing answers there.
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("smtp://127.0.0.1:{}", listener.local_addr().unwrap().port())
        }
    };
    let mail = MailOptions {
        smtp: url,
        from: "QMS <qms@example.com>".into(),
    };
    state.mail = Some(Arc::new(Mailer::new(&mail, BASE).unwrap()));
    let state = Arc::new(state);
    Site {
        app: router(Arc::clone(&state)),
        state,
        dir,
        setup,
    }
}

fn token(site: &Site, login: &str) -> String {
    let mut store = SqliteStore::create(&site.db()).unwrap();
    app::users::create_token(&mut store, login, clock::system_now()).unwrap()
}

/// A JSON post as another system sends it.
async fn api_post(site: &Site, path: &str, token: &str, body: &str) -> Response<Body> {
    let r = Request::post(path)
        .header(header::HOST, "localhost")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    site.send(r).await
}

/// The messages received, by envelope recipient.
fn by_recipient(received: &[smtp::Received]) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = received
        .iter()
        .map(|m| {
            assert_eq!(m.from, "qms@example.com");
            assert_eq!(m.to.len(), 1, "one recipient per message: {:?}", m.to);
            let (subject, body) = m.read();
            (m.to[0].clone(), subject, body)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_step_that_becomes_active_is_mailed_to_its_department_in_their_language() {
    let server = SmtpServer::start();
    let site = site(Some(&server));
    let cs = token(&site, "cs");
    block_on(async {
        let r = api_post(
            &site,
            "/api/runs",
            &cs,
            r#"{"doc": "QA-P-001", "flow": "order", "ref": "SO-1"}"#,
        )
        .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        // Receive (CS) is active: both enabled CS users with an address are told; the
        // disabled one and QA's user without an address are not.
        let mails = by_recipient(&server.wait_for(2));
        let recipients: Vec<&str> = mails.iter().map(|m| m.0.as_str()).collect();
        assert_eq!(recipients, ["cs2@example.com", "cs@example.com"]);
        let (_, subject, body) = &mails[1];
        assert_eq!(subject, "SO-1 · Receive the order: waiting for CS");
        assert_eq!(
            body.replace("\r\n", "\n"),
            "Hello Printed cs,\n\nA step is now waiting for CS:\n\n\
             Run: SO-1\nProcedure: QA-P-001 Inspection and delivery\n\
             Flow: Order with parallel branches and a called complaint flow\n\
             Step: Receive the order\nDue: no deadline\n\n\
             Open it: https://qms.example.com/runs/SO-1/steps/receive\n"
        );
        let (_, subject, body) = &mails[0];
        assert_eq!(subject, "SO-1 · Receive the order: 待CS處理");
        assert!(body.starts_with("Printed cs2，您好："), "{body}");
        assert!(body.contains("有一個步驟正等待CS處理"), "{body}");
        assert!(body.contains("期限: 無期限"), "{body}");

        // Completing it activates make (PROD) and pay: the customer's step, recorded on its
        // behalf by the procedure's owner (QA), so cs2 (CS and QA) is told.
        let r = api_post(
            &site,
            "/api/runs/SO-1/steps/receive",
            &cs,
            &format!(r#"{{"password": "{PASSWORD}"}}"#),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        server.wait_for(4);
        std::thread::sleep(std::time::Duration::from_millis(200));
        let mails = by_recipient(&server.received()[2..]);
        let recipients: Vec<&str> = mails.iter().map(|m| m.0.as_str()).collect();
        assert_eq!(recipients, ["cs2@example.com", "prod@example.com"]);
        assert_eq!(mails[0].1, "SO-1 · Customer pays: 待QA處理");
        let (_, subject, body) = mails[1].clone();
        assert_eq!(subject, "SO-1 · Make the goods: 待PROD处理");
        assert!(body.starts_with("Printed prod，您好："), "{body}");
        assert!(
            body.contains("编号: SO-1\n") || body.contains("编号: SO-1\r\n"),
            "{body}"
        );
        assert!(
            body.contains("打开: https://qms.example.com/runs/SO-1/steps/make"),
            "{body}"
        );
        // The deadline is the one My work shows, on the office clock.
        let mut store = SqliteStore::create(&site.db()).unwrap();
        let work =
            app::inbox(Some(&mut store), &["PROD".into()], &[], clock::system_now()).unwrap();
        let due = work.items[0].due.as_ref().expect("make has a deadline");
        assert!(body.contains(&format!("期限: {}", due.local)), "{body}");
    });
}

#[test]
fn the_overdue_digest_goes_out_once_per_person_per_day_across_restarts() {
    let server = SmtpServer::start();
    let site = site(Some(&server));
    {
        // An order received long ago: make (PROD, one working day) is overdue.
        let (qms, _) = procdoc::spec::load::load(&site.qms()).unwrap();
        let mut store = SqliteStore::create(&site.db()).unwrap();
        let start = StartRun {
            doc: "QA-P-001".into(),
            flow: Some("order".into()),
            reference: "SO-7".into(),
            at: Some("2026-03-02 09:00".into()),
            ..Default::default()
        };
        app::start_run(&mut store, &qms, &[], &start).unwrap();
        let receive = DoneRequest {
            step: "receive".into(),
            by: "Someone".into(),
            ..Default::default()
        };
        app::complete_step(
            &mut store,
            &RunRef::new("SO-7"),
            &receive,
            Some("2026-03-02 10:00"),
        )
        .unwrap();
    }
    let now = clock::parse("2026-03-10 09:00", chrono_tz::Asia::Shanghai).unwrap();
    block_on(async {
        // PROD's make, and the customer's payment that QA records (cs2 is in QA).
        assert_eq!(send_digests(&site.state, now).await, 2);
        let mails = by_recipient(&server.received());
        let recipients: Vec<&str> = mails.iter().map(|m| m.0.as_str()).collect();
        assert_eq!(recipients, ["cs2@example.com", "prod@example.com"]);
        assert_eq!(mails[0].1, "2026-03-10 逾期步驟 1 項");
        assert!(mails[0].2.contains("Customer pays (QA)"), "{}", mails[0].2);
        let (_, subject, body) = mails[1].clone();
        assert_eq!(subject, "2026-03-10 逾期步骤 1 项");
        assert!(
            body.contains("截至 2026-03-10，您所在部门的以下步骤已逾期"),
            "{body}"
        );
        assert!(
            body.contains("SO-7 · QA-P-001 Order with parallel branches and a called complaint flow · Make the goods (PROD)"),
            "{body}"
        );
        assert!(body.contains("期限: 2026-03-03 10:00"), "{body}");
        assert!(
            body.contains("https://qms.example.com/runs/SO-7/steps/make"),
            "{body}"
        );
        // Later the same day: nothing more.
        assert_eq!(send_digests(&site.state, now + Duration::hours(6)).await, 0);
    });
    let Site { dir, state, .. } = site;
    drop(state);
    // A restarted server knows what was sent.
    let site = serve(dir, Some(&server));
    block_on(async {
        assert_eq!(send_digests(&site.state, now + Duration::hours(7)).await, 0);
        assert_eq!(server.received().len(), 2);
        // The next office day has its own digests.
        assert_eq!(send_digests(&site.state, now + Duration::days(1)).await, 2);
        let subjects: Vec<String> = by_recipient(&server.received()[2..])
            .into_iter()
            .map(|m| m.1)
            .collect();
        assert_eq!(
            subjects,
            ["2026-03-11 逾期步驟 1 項", "2026-03-11 逾期步骤 1 项"]
        );
    });
}

#[test]
fn the_digest_job_runs_on_one_server_of_a_store_at_a_time() {
    let first = site(None);
    // A second server on the same store, as behind a load balancer.
    let options = ServeOptions {
        qms_dir: first.qms(),
        listen: "127.0.0.1:0".into(),
        db: Some(first.db()),
        public_url: Some(BASE.into()),
        output: None,
        max_upload: procdoc::web::DEFAULT_MAX_UPLOAD,
    };
    let second = Arc::new(AppState::open(&options).unwrap().0);
    block_on(async {
        for _ in 0..3 {
            assert!(runs_job(&first.state, DIGEST_JOB).await);
            assert!(!runs_job(&second, DIGEST_JOB).await);
        }
    });
    // The first server stops (its folder kept): the second takes the job at its next turn.
    let Site {
        app, state, dir, ..
    } = first;
    drop((app, state));
    block_on(async {
        assert!(runs_job(&second, DIGEST_JOB).await);
        assert!(runs_job(&second, DIGEST_JOB).await);
    });
    drop(second);
    drop(dir);
}

#[test]
fn a_mail_server_that_cannot_be_reached_never_fails_the_action() {
    let site = site(None);
    let cs = token(&site, "cs");
    block_on(async {
        let r = api_post(
            &site,
            "/api/runs",
            &cs,
            r#"{"doc": "QA-P-001", "flow": "order", "ref": "SO-2"}"#,
        )
        .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let r = api_post(
            &site,
            "/api/runs/SO-2/steps/receive",
            &cs,
            &format!(r#"{{"password": "{PASSWORD}"}}"#),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let now = clock::system_now();
        assert_eq!(send_digests(&site.state, now + Duration::days(30)).await, 0);
    });
    // Nothing was recorded as sent: the digest is tried again on the next round.
    let store = SqliteStore::create(&site.db()).unwrap();
    let prod = store.user_by_login("prod").unwrap().unwrap();
    let day = clock::local_date(
        clock::system_now() + Duration::days(30),
        chrono_tz::Asia::Shanghai,
    )
    .format("%Y-%m-%d")
    .to_string();
    assert!(!store.digest_sent(prod.id, &day).unwrap());
}

#[test]
fn user_add_takes_an_email_address_and_refuses_one_that_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let qms = dir.path().join("qms");
    common::copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
    let db = dir.path().join("runs.sqlite");
    let user = |args: &[&str]| {
        assert_cmd::Command::cargo_bin("procdoc")
            .unwrap()
            .arg("user")
            .args(args)
            .arg("--qms")
            .arg(&qms)
            .arg("--db")
            .arg(&db)
            .env_remove("PROCDOC_DB")
            .output()
            .unwrap()
    };
    let o = user(&[
        "add",
        "ana",
        "--name",
        "Ana Li",
        "--dept",
        "CS",
        "--email",
        "not an address",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("`not an address` is not an e-mail address")
    );
    let o = user(&[
        "add",
        "ana",
        "--name",
        "Ana Li",
        "--dept",
        "CS",
        "--email",
        "ana@example.com",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = user(&["list"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "ana\tAna Li\tstaff\tCS\tana@example.com\n"
    );
}
