//! Failures under load: a server killed (`kill -9`) in the middle of requests loses no step
//! it acknowledged and leaves no half-written event; a database restarted under load is a
//! clear "try again" (503) while it is away, and the same server answers normally once it
//! is back, without a restart of its own.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use procdoc::run::store::{AnyStore, Filter, Store};

use crate::harness::{Backend, own_cluster};
use crate::serve::{Answer, PASSWORD, Server, qms_with_user, request, verified};

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

fn start_body(reference: &str) -> String {
    format!(r#"{{"doc":"QA-P-001","flow":"inspection","ref":"{reference}"}}"#)
}

/// An API call on `address` with `token`; `Err` when the server is gone.
fn api(
    address: &str,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> std::io::Result<Answer> {
    let bearer = format!("Bearer {token}");
    request(
        address,
        method,
        path,
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        body,
    )
}

/// How many events the run `reference` has in the store.
fn events_of(db: &Path, reference: &str) -> u64 {
    let store = AnyStore::open(db, false).expect("open the store");
    let filter = Filter {
        reference: Some(reference.to_string()),
        ..Filter::default()
    };
    let rows = store.list(&filter).expect("list the run");
    assert_eq!(rows.len(), 1, "{reference}");
    rows[0].events
}

/// A short delay that differs from round to round: where the kill lands.
fn some_millis(most: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    u64::from(nanos) % most
}

const KILL_ROUNDS: usize = 5;
const RUNS_PER_ROUND: usize = 40;
const CLIENTS: usize = 4;

pub fn a_killed_server_loses_no_acknowledged_step(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (qms, token) = qms_with_user(dir.path(), &db.db);
    let mut acknowledged_in_all = 0;
    for round in 0..KILL_ROUNDS {
        let mut server = Server::start(&qms, &db.db);
        let references: Vec<String> = (0..RUNS_PER_ROUND)
            .map(|i| format!("K{round}-{i}"))
            .collect();
        for reference in &references {
            let started = server.api("POST", "/api/runs", &token, &start_body(reference));
            assert_eq!(started.status, 201, "{started:?}");
        }
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let mine: Vec<String> = references
                    .iter()
                    .skip(c)
                    .step_by(CLIENTS)
                    .cloned()
                    .collect();
                let (address, token, acknowledged) = (
                    server.address.clone(),
                    token.clone(),
                    Arc::clone(&acknowledged),
                );
                std::thread::spawn(move || {
                    for reference in mine {
                        let path = format!("/api/runs/{reference}/steps/inspect");
                        match api(&address, "POST", &path, &token, &inspection()) {
                            Ok(answer) if answer.status == 200 => {
                                acknowledged.lock().unwrap().push(reference);
                            }
                            Ok(answer) => panic!("{reference}: {answer:?}"),
                            // Killed: no answer, and nothing more to ask.
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        // Killed once the load is on, after a delay of its own each round.
        let deadline = Instant::now() + Duration::from_secs(120);
        while acknowledged.lock().unwrap().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(some_millis(100)));
        server.kill();
        for client in clients {
            client.join().expect("a client failed");
        }
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(
            !acknowledged.is_empty(),
            "round {round}: nothing was signed"
        );
        for reference in &acknowledged {
            assert_eq!(
                events_of(&db.db, reference),
                2,
                "round {round}: {reference}"
            );
        }
        acknowledged_in_all += acknowledged.len();
        eprintln!(
            "round {round}: {} of {RUNS_PER_ROUND} signatures acknowledged before the kill",
            acknowledged.len()
        );
        verified(&qms, &db.db);
    }
    assert!(acknowledged_in_all > 0);
}

/// Everything a client may be told while the database restarts: an answer, or a 503
/// saying to try again; never a 500, a dropped connection or a hang.
fn answered_or_unavailable(answer: &std::io::Result<Answer>, what: &str) -> bool {
    match answer {
        Ok(a) if (200..300).contains(&a.status) => true,
        Ok(a) if a.status == 503 => {
            assert!(a.body.contains("cannot be reached"), "{what}: {a:?}");
            assert!(a.header("retry-after").is_some(), "{what}: {a:?}");
            false
        }
        other => panic!("{what}: {other:?}"),
    }
}

pub fn a_restarted_database_is_a_clear_503_then_served_again() {
    let Some(cluster) = own_cluster() else { return };
    let db = PathBuf::from(&cluster.url);
    let dir = tempfile::tempdir().unwrap();
    let (qms, token) = qms_with_user(dir.path(), &db);
    let server = Server::start(&qms, &db);
    let started = server.api("POST", "/api/runs", &token, &start_body("R-0"));
    assert_eq!(started.status, 201, "{started:?}");

    // Restarted under load: clients reading a run and starting runs meanwhile.
    let stop = Arc::new(AtomicBool::new(false));
    let back = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|c| {
            let back = Arc::clone(&back);
            let (address, token, stop) = (server.address.clone(), token.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let (mut ok, mut unavailable, mut after) = (0, 0, 0);
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    // Sent after the restart was over, they should all be answered; not
                    // asserted: a busy connection can still meet a very short restart.
                    let sent_after = back.load(Ordering::SeqCst);
                    let read = api(&address, "GET", "/api/runs/R-0", &token, "");
                    let body = start_body(&format!("L{c}-{i}"));
                    let start = api(&address, "POST", "/api/runs", &token, &body);
                    for (answer, what) in [(read, "read"), (start, "start")] {
                        if answered_or_unavailable(&answer, what) {
                            ok += 1;
                        } else {
                            unavailable += 1;
                            after += usize::from(sent_after);
                        }
                    }
                }
                (ok, unavailable, after)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    cluster.restart().expect("restart PostgreSQL");
    back.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        let (ok, unavailable, after) = client.join().expect("a client failed");
        eprintln!(
            "restart under load: {ok} answered, {unavailable} told to try again ({after} of them after the restart)"
        );
        assert!(ok > 0);
    }

    let health = server.request("GET", "/health", &[], "");
    assert_eq!(
        (health.status, health.body.as_str()),
        (200, "ok\n"),
        "{health:?}"
    );

    // Away: every request is told so, at once, and the health check says so.
    cluster.down().expect("stop PostgreSQL");
    let health = server.request("GET", "/health", &[], "");
    assert_eq!(health.status, 503, "{health:?}");
    let signed_in = server.form(
        "/sign-in",
        None,
        &format!("login=mei&password={}", PASSWORD.replace(' ', "+")),
    );
    assert_eq!(signed_in.status, 503, "{signed_in:?}");
    for _ in 0..3 {
        let read = api(&server.address, "GET", "/api/runs/R-0", &token, "");
        assert!(!answered_or_unavailable(&read, "read while away"));
        let sign = api(
            &server.address,
            "POST",
            "/api/runs/R-0/steps/inspect",
            &token,
            &inspection(),
        );
        assert!(!answered_or_unavailable(&sign, "signature while away"));
        let start = api(
            &server.address,
            "POST",
            "/api/runs",
            &token,
            &start_body("AWAY"),
        );
        assert!(!answered_or_unavailable(&start, "start while away"));
    }
    std::thread::sleep(Duration::from_secs(1));

    // Back: the same server answers every request, the first ones included.
    cluster.up().expect("start PostgreSQL again");
    for i in 0..10 {
        let read = server.api("GET", "/api/runs/R-0", &token, "");
        assert_eq!(read.status, 200, "read {i} after the restart: {read:?}");
    }
    let health = server.request("GET", "/health", &[], "");
    assert_eq!(health.status, 200, "{health:?}");
    let sign = server.api("POST", "/api/runs/R-0/steps/inspect", &token, &inspection());
    assert_eq!(sign.status, 200, "{sign:?}");
    let signed_in = server.form(
        "/sign-in",
        None,
        &format!("login=mei&password={}", PASSWORD.replace(' ', "+")),
    );
    assert_eq!(signed_in.status, 303, "{signed_in:?}");
    let log = server.log();
    assert!(!log.contains("panicked"), "{log}");
    verified(&qms, &db);
}
