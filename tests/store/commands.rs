//! The `procdoc` binary on each backend, as a person or a service runs it: `--db` and
//! `PROCDOC_DB` name the store (a path or a PostgreSQL URL), `run` and `user` commands work
//! on it, and `procdoc serve` answers pages and writes through it, then stops cleanly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::harness::Backend;

use crate::files;

/// `procdoc ARGS` with `--qms QMS` and the database given by `--db` (or, with `env`, by
/// `PROCDOC_DB`); its exit code, standard output and standard error.
fn procdoc(qms: &Path, db: &Path, env: bool, args: &[&str], input: &str) -> (i32, String, String) {
    let mut command = assert_cmd::Command::cargo_bin("procdoc").unwrap();
    command
        .env("NO_COLOR", "1")
        .env_remove("PROCDOC_DB")
        .args(args);
    command.arg("--qms").arg(qms);
    if env {
        command.env("PROCDOC_DB", db);
    } else {
        command.arg("--db").arg(db);
    }
    let out = command.write_stdin(input).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn run_and_user_commands_use_the_named_store(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let qms = dir.path().join("qms");
    files::copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
    let db = &db.db;

    // A read creates nothing: the store does not exist yet.
    let (code, _, err) = procdoc(&qms, db, false, &["run", "list"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("there is no run database"), "{err}");
    let (code, out, err) = procdoc(
        &qms,
        db,
        false,
        &[
            "run",
            "start",
            "QA-P-001",
            "--flow",
            "inspection",
            "--ref",
            "批次-1",
            "--at",
            "2026-03-02 09:00",
        ],
        "",
    );
    assert_eq!(code, 0, "{out}{err}");
    let done = [
        "run",
        "done",
        "批次-1",
        "inspect",
        "--by",
        "Qi",
        "--outcome",
        "Pass",
        "--check",
        "all",
        "--field",
        "lot=L1",
        "--field",
        "measured=12",
        "--at",
        "2026-03-02 10:00",
    ];
    let (code, out, err) = procdoc(&qms, db, true, &done, "");
    assert_eq!(code, 0, "{out}{err}");
    // The same step again is refused, as with any store.
    let (code, _, err) = procdoc(&qms, db, false, &done, "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no longer active"), "{err}");
    let (code, out, err) = procdoc(&qms, db, true, &["run", "list"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("批次-1"), "{out}");
    let (code, out, err) = procdoc(&qms, db, false, &["run", "verify"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("OK: 1 run, 2 events"), "{out}");

    let add = [
        "user",
        "add",
        "mei",
        "--name",
        "Mei Chen",
        "--dept",
        "QA",
        "--role",
        "quality",
        "--password-stdin",
    ];
    let (code, out, err) = procdoc(&qms, db, false, &add, "a long passphrase\n");
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = procdoc(&qms, db, true, &["user", "list"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("mei\tMei Chen\tquality\tQA"), "{out}");
}

/// One HTTP/1.1 request on a new connection; the status code and the body.
fn request(address: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

pub fn the_server_reads_and_writes_through_the_named_store(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let dir = tempfile::tempdir().unwrap();
    let qms = dir.path().join("qms");
    files::copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
    let add = [
        "user", "add", "mei", "--name", "Mei", "--dept", "QA", "--role", "quality",
    ];
    let (code, _, err) = procdoc(&qms, &db.db, false, &add, "");
    assert_eq!(code, 0, "{err}");
    let (code, token, err) = procdoc(&qms, &db.db, false, &["user", "token", "mei"], "");
    assert_eq!(code, 0, "{err}");
    let token = token.trim();

    let mut server = Command::new(assert_cmd::cargo::cargo_bin("procdoc"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .arg(&qms)
        .env("PROCDOC_DB", &db.db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let address = first
        .split("http://")
        .nth(1)
        .map(|a| a.trim().trim_end_matches('/').to_string())
        .unwrap_or_else(|| panic!("no address in {first:?}"));

    let start = r#"{"doc":"QA-P-001","flow":"inspection","ref":"LOT-7"}"#;
    let (status, answer) = request(&address, "POST", "/api/runs", token, start);
    assert_eq!(status, 201, "{answer}");
    let (status, answer) = request(&address, "POST", "/api/runs", token, start);
    assert_eq!(status, 409, "{answer}");
    let (status, answer) = request(&address, "GET", "/api/runs/LOT-7", token, "");
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"reference\": \"LOT-7\""), "{answer}");

    // Stopped as by Ctrl-C: a clean exit, without a panic of the store's client.
    let stopped = Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let status = server.wait().unwrap();
    let mut err = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let (code, out, err) = procdoc(&qms, &db.db, false, &["run", "verify"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("OK: 1 run, 1 event"), "{out}");
}
