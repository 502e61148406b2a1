//! Files attached to a step at the command line (`procdoc run done --attach FILE`): kept
//! once per SHA-256, listed by `run show` (text and JSON) and the exported record, covered
//! by the audit chain, and checked by `run verify`.

mod common;
use common::cli::{Out, RunCommands};
use common::{copy_dir, sha256};

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// A copy of the factory QMS and a run database in a temporary folder.
struct Env {
    dir: tempfile::TempDir,
    qms: PathBuf,
    db: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let qms = dir.path().join("qms");
        copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
        let db = dir.path().join("runs.sqlite");
        Env { dir, qms, db }
    }

    fn run(&self, args: &[&str]) -> Out {
        let o = Command::cargo_bin("procdoc")
            .unwrap()
            .arg("run")
            .arg("--qms")
            .arg(&self.qms)
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env("PROCDOC_NOW", "2026-03-02 09:00")
            .env("NO_COLOR", "1")
            .env_remove("PROCDOC_DB")
            .output()
            .unwrap();
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }

    fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.db).unwrap()
    }
}

impl RunCommands for Env {
    fn output(&self, args: &[&str]) -> (i32, String, String) {
        let o = self.run(args);
        (o.code, o.stdout, o.stderr)
    }
}

const REPORT: &[u8] = b"calibration certificate 42\n";

fn attachments_of(record: &Value, step: &str) -> Vec<Value> {
    let step = record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == step)
        .unwrap();
    step["iterations"][0]["completed"]["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn attached_files_are_recorded_kept_once_listed_and_verified() {
    let env = Env::new();
    let report = env.file("certificate.txt", REPORT);
    let page = env.file("page.html", b"<script>alert(1)</script>");
    env.ok(&["start", "QA-P-001", "--flow", "repeat", "--ref", "R-1"]);
    let out = env.ok(&[
        "done", "R-1", "work", "--by", "Li", "--attach", &report, "--attach", &page,
    ]);
    assert!(
        out.contains("attached certificate.txt (27 B, SHA-256 "),
        "{out}"
    );

    // The same bytes attached again, to another step, are kept once.
    env.ok(&[
        "done",
        "R-1",
        "review",
        "--by",
        "Li",
        "--outcome",
        "again",
        "--attach",
        &report,
    ]);
    let kept: i64 = env
        .sql()
        .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, 2);

    let record: Value =
        serde_json::from_str(&env.ok(&["show", "R-1", "--format", "json"])).unwrap();
    let work = attachments_of(&record, "work");
    assert_eq!(work.len(), 2);
    assert_eq!(work[0]["name"], "certificate.txt");
    assert_eq!(work[0]["size"], REPORT.len());
    assert_eq!(work[0]["sha256"], sha256(REPORT));
    assert_eq!(work[0]["media_type"], "application/octet-stream");
    assert_eq!(work[1]["name"], "page.html");
    // The event itself records them, so the chain covers them.
    let event = &record["events"][1];
    assert_eq!(event["data"]["attachments"][0]["sha256"], sha256(REPORT));
    // A step without files says nothing about them.
    assert!(record["events"][0]["data"].get("attachments").is_none());

    let text = env.ok(&["show", "R-1"]);
    assert!(
        text.contains(&format!(
            "attached: certificate.txt (27 B, SHA-256 {})",
            sha256(REPORT)
        )),
        "{text}"
    );
    assert!(env.ok(&["verify"]).contains("OK: 1 run"));

    // A file that cannot be read is refused, and nothing is written.
    let o = env.run(&[
        "done",
        "R-1",
        "work",
        "--by",
        "Li",
        "--attach",
        "/no/such/file.pdf",
    ]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("--attach /no/such/file.pdf"),
        "{}",
        o.stderr
    );
    let events: i64 = env
        .sql()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 3);

    // A step refused for its own reasons keeps no file.
    let other = env.file("other.bin", b"never kept");
    let o = env.run(&[
        "done",
        "R-1",
        "review",
        "--by",
        "Li",
        "--outcome",
        "maybe",
        "--attach",
        &other,
    ]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    let kept: i64 = env
        .sql()
        .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, 2);
}

#[test]
fn verify_reports_a_changed_or_missing_file() {
    let env = Env::new();
    let report = env.file("certificate.txt", REPORT);
    env.ok(&["start", "QA-P-001", "--flow", "repeat", "--ref", "R-1"]);
    env.ok(&["done", "R-1", "work", "--by", "Li", "--attach", &report]);
    assert_eq!(env.run(&["verify"]).code, 0);

    env.sql()
        .execute(
            "UPDATE files SET bytes = ?1 WHERE sha256 = ?2",
            rusqlite::params![b"calibration certificate 43\n".to_vec(), sha256(REPORT)],
        )
        .unwrap();
    let o = env.run(&["verify"]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains(&format!(
            "R-1 (QA-P-001/repeat): event #2 attaches `certificate.txt` with SHA-256 {}",
            sha256(REPORT)
        )) && o.stdout.contains("it was altered"),
        "{}",
        o.stdout
    );

    env.sql().execute("DELETE FROM files", []).unwrap();
    let o = env.run(&["verify", "R-1"]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("which the store does not hold"),
        "{}",
        o.stdout
    );
}

#[test]
fn the_exported_record_lists_the_files() {
    let env = Env::new();
    let report = env.file("certificate.txt", REPORT);
    env.ok(&["start", "QA-P-001", "--flow", "repeat", "--ref", "R-1"]);
    env.ok(&["done", "R-1", "work", "--by", "Li", "--attach", &report]);
    let out = env.dir.path().join("out");
    env.ok(&["export", "R-1", "-o", out.to_str().unwrap()]);
    let pdf = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "pdf"))
        .expect("a PDF")
        .path();
    let text = common::pdf_text(&pdf);
    assert!(text.contains("certificate.txt"), "{text}");
    assert!(text.contains(&sha256(REPORT)[..16]), "{text}");
}
