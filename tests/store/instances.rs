//! Two `procdoc serve` processes on one store, as behind a reverse proxy: a session opened
//! on one is good on the other until it is closed on either, and two people completing the
//! same step at the same moment on different instances are one signature and one clear
//! refusal, never a forked audit chain.

use std::sync::{Arc, Barrier};

use crate::harness::Backend;
use crate::serve::{PASSWORD, Server, qms_with_user, verified};

pub fn a_session_opened_on_one_instance_is_good_on_the_other(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (qms, _) = qms_with_user(dir.path(), &db.db);
    let a = Server::start(&qms, &db.db);
    let b = Server::start(&qms, &db.db);

    let signed_in = a.form(
        "/sign-in",
        None,
        &format!("login=mei&password={}", PASSWORD.replace(' ', "+")),
    );
    assert_eq!(signed_in.status, 303, "{signed_in:?}");
    let cookie = signed_in.cookie().expect("a session cookie");
    let home = |server: &Server, cookie: Option<&str>| {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
        server.request("GET", "/", &headers, "")
    };
    // B knows the session A opened: the page, not the way to the sign-in form.
    for server in [&a, &b] {
        let page = home(server, Some(&cookie));
        assert_eq!(page.status, 200, "{page:?}");
        assert!(page.body.contains("Mei Chen"), "{}", page.body);
    }
    let stranger = home(&b, None);
    assert_eq!(stranger.status, 303);
    assert_eq!(stranger.header("location"), Some("/sign-in"));

    // Signed out on B: A refuses the cookie from then on.
    let out = b.form("/sign-out", Some(&cookie), "");
    assert_eq!(out.status, 303, "{out:?}");
    for server in [&a, &b] {
        let page = home(server, Some(&cookie));
        assert_eq!(page.status, 303, "{page:?}");
        assert_eq!(page.header("location"), Some("/sign-in"));
    }
    for server in [&a, &b] {
        assert!(!server.log().contains("panicked"), "{}", server.log());
    }
}

/// The body of a complete signature of the factory's `inspect` step.
fn inspection() -> String {
    serde_json::json!({
        "outcome": "Pass",
        "check": "all",
        "fields": {"lot": "L1", "measured": 12},
        "password": PASSWORD,
    })
    .to_string()
}

/// How many times the two instances race for one step.
const ROUNDS: usize = 20;

pub fn two_instances_completing_one_step_sign_it_once(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (qms, token) = qms_with_user(dir.path(), &db.db);
    let servers = Arc::new([Server::start(&qms, &db.db), Server::start(&qms, &db.db)]);

    // The refusal one instance gives today to the second signature of a step.
    let start = |reference: &str| {
        let body = format!(r#"{{"doc":"QA-P-001","flow":"inspection","ref":"{reference}"}}"#);
        let started = servers[0].api("POST", "/api/runs", &token, &body);
        assert_eq!(started.status, 201, "{started:?}");
    };
    start("ALONE");
    let path = "/api/runs/ALONE/steps/inspect";
    let first = servers[0].api("POST", path, &token, &inspection());
    assert_eq!(first.status, 200, "{first:?}");
    let again = servers[0].api("POST", path, &token, &inspection());
    assert!([409, 422].contains(&again.status), "{again:?}");
    let refusal: serde_json::Value = serde_json::from_str(&again.body).expect("a JSON refusal");

    for round in 0..ROUNDS {
        let reference = format!("LOT-{round}");
        start(&reference);
        let gate = Arc::new(Barrier::new(2));
        let racers: Vec<_> = (0..2)
            .map(|i| {
                let (servers, gate, token) =
                    (Arc::clone(&servers), Arc::clone(&gate), token.clone());
                let path = format!("/api/runs/{reference}/steps/inspect");
                std::thread::spawn(move || {
                    gate.wait();
                    servers[i].api("POST", &path, &token, &inspection())
                })
            })
            .collect();
        let answers: Vec<_> = racers.into_iter().map(|r| r.join().unwrap()).collect();
        let signed: Vec<_> = answers.iter().filter(|a| a.status == 200).collect();
        assert_eq!(signed.len(), 1, "round {round}: {answers:?}");
        let lost = answers.iter().find(|a| a.status != 200).unwrap();
        assert_eq!(lost.status, again.status, "round {round}: {lost:?}");
        let lost: serde_json::Value = serde_json::from_str(&lost.body).expect("a JSON refusal");
        assert_eq!(lost["kind"], refusal["kind"], "round {round}: {lost}");
        // The same words, but for the time of the signature that came first.
        let words = |v: &serde_json::Value| {
            v["error"]
                .as_str()
                .unwrap_or_default()
                .replace(|c: char| c.is_ascii_digit(), "#")
        };
        assert_eq!(words(&lost), words(&refusal), "round {round}");
    }
    let report = verified(&qms, &db.db);
    let runs = ROUNDS + 1;
    assert!(
        report.contains(&format!("OK: {runs} runs, {} events", runs * 2)),
        "{report}"
    );
    for server in servers.iter() {
        assert!(!server.log().contains("panicked"), "{}", server.log());
    }
}
