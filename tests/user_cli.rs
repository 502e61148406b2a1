//! `procdoc user ...` end to end, as a process: adding, listing, disabling, passwords and
//! API tokens; and an existing run store of the schema before people came along, which
//! opens, gains them and still verifies.

mod common;

use std::path::Path;

use assert_cmd::Command;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let qms = dir.path().join("qms");
    common::copy_dir(Path::new("specs/red-maple"), &qms);
    let db = dir.path().join("runs.sqlite");
    (dir, qms, db)
}

/// `procdoc user ARGS... --qms Q --db D`.
fn user(qms: &Path, db: &Path, args: &[&str]) -> Command {
    let mut c = Command::cargo_bin("procdoc").unwrap();
    c.arg("user")
        .args(args)
        .arg("--qms")
        .arg(qms)
        .arg("--db")
        .arg(db);
    c.env_remove("PROCDOC_DB").env_remove("PROCDOC_NOW");
    c
}

#[test]
fn users_are_added_listed_disabled_and_given_tokens() {
    let (_dir, qms, db) = setup();
    let o = user(
        &qms,
        &db,
        &[
            "add",
            "ana",
            "--name",
            "Ana Li",
            "--dept",
            "CS",
            "--dept",
            "QA",
            "--role",
            "quality",
            "--password-stdin",
        ],
    )
    .write_stdin("correct horse battery\n")
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("added ana (Ana Li), quality of CS, QA"));

    let o = user(&qms, &db, &["add", "bo", "--name", "Bo", "--dept", "SALES"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("`SALES` is not a department of procdoc.yaml"),
        "{err}"
    );
    assert!(err.contains("CS, GM, ENG"), "{err}");

    let o = user(
        &qms,
        &db,
        &["add", "ana", "--name", "Other", "--dept", "CS"],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("already exists"));

    let o = user(
        &qms,
        &db,
        &["add", "bo", "--name", "Bo Wang", "--dept", "LOG"],
    )
    .output()
    .unwrap();
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("no password yet"));

    let o = user(&qms, &db, &["list"]).output().unwrap();
    assert_eq!(
        text(&o.stdout),
        "ana\tAna Li\tquality\tCS,QA\nbo\tBo Wang\tstaff\tLOG\n"
    );

    let o = user(&qms, &db, &["passwd", "bo"])
        .write_stdin("short\n")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("too short"));
    let o = user(&qms, &db, &["passwd", "bo"])
        .write_stdin("a much longer password\n")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));

    // The token is printed once and only its digest is kept.
    let o = user(&qms, &db, &["token", "ana"]).output().unwrap();
    assert!(o.status.success());
    let token = text(&o.stdout).trim().to_string();
    assert!(
        token.starts_with("procdoc_") && token.len() == 8 + 64,
        "{token}"
    );
    let stored = std::fs::read(&db).unwrap();
    let wal = std::fs::read(db.with_extension("sqlite-wal")).unwrap_or_default();
    for bytes in [&stored, &wal] {
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
    }
    let other = user(&qms, &db, &["token", "ana"]).output().unwrap();
    assert_ne!(text(&other.stdout).trim(), token);

    let o = user(&qms, &db, &["disable", "ana"]).output().unwrap();
    assert!(o.status.success());
    let o = user(&qms, &db, &["list"]).output().unwrap();
    assert!(text(&o.stdout).starts_with("ana\tAna Li\tquality\tCS,QA\tdisabled\n"));
    let o = user(&qms, &db, &["token", "ana"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("disabled"));
    let o = user(&qms, &db, &["disable", "nobody"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("no user has the login `nobody`"));
}

#[test]
fn a_store_from_before_people_opens_gains_them_and_still_verifies() {
    let (_dir, qms, db) = setup();
    let o = Command::cargo_bin("procdoc")
        .unwrap()
        .args([
            "run",
            "start",
            "CS-P-001",
            "--ref",
            "ORD-1",
            "--at",
            "2026-03-02 09:00",
        ])
        .arg("--qms")
        .arg(&qms)
        .arg("--db")
        .arg(&db)
        .env_remove("PROCDOC_DB")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    // Make it the schema-2 store an earlier procdoc left: no people tables.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TABLE digests_sent; DROP TABLE files;
             DROP TABLE training; DROP TABLE sign_in_failures; DROP TABLE api_tokens;
             DROP TABLE sessions; DROP TABLE user_departments; DROP TABLE users;
             DROP INDEX runs_changes_at; ALTER TABLE runs DROP COLUMN changes_at;
             PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let verify = || {
        Command::cargo_bin("procdoc")
            .unwrap()
            .args(["run", "verify"])
            .arg("--qms")
            .arg(&qms)
            .arg("--db")
            .arg(&db)
            .env_remove("PROCDOC_DB")
            .output()
            .unwrap()
    };
    let o = verify();
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    // Listing reads it as it is: no one yet, and nothing written.
    let o = user(&qms, &db, &["list"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "");
    let version = |db: &Path| -> i64 {
        rusqlite::Connection::open(db)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(version(&db), 2);
    let o = user(
        &qms,
        &db,
        &["add", "ana", "--name", "Ana Li", "--dept", "CS"],
    )
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(version(&db), procdoc::run::store::SCHEMA_VERSION);
    let o = verify();
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("OK: 1 run"), "{}", text(&o.stdout));
}
