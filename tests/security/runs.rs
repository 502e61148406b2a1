//! Run records as evidence: tampering with what a run was run against, removals and
//! rollbacks, read commands that never write, back-dated sign-offs, and child run names.
//!
//! Every tamper is done the way an attacker with the database file would: direct SQL on
//! the SQLite file, then the real `procdoc` binary is asked.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

use crate::common::copy_dir;

/// A copy of the factory QMS and a run database beside it.
pub struct Runs {
    _dir: tempfile::TempDir,
    pub qms: PathBuf,
    pub db: PathBuf,
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

fn out_of(o: Output) -> Out {
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

impl Runs {
    pub fn factory() -> Runs {
        let dir = tempfile::tempdir().unwrap();
        let qms = dir.path().join("qms");
        copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
        let db = dir.path().join("db").join("runs.sqlite");
        Runs { _dir: dir, qms, db }
    }

    /// `procdoc run --qms Q --db D ARGS` at the computer's real time (no PROCDOC_NOW).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("procdoc").unwrap();
        c.arg("run")
            .arg("--qms")
            .arg(&self.qms)
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("PROCDOC_NOW")
            .env_remove("PROCDOC_DB")
            .env_remove("PROCDOC_ENTRY_TOLERANCE");
        c
    }

    pub fn run(&self, args: &[&str]) -> Out {
        out_of(self.command(args).output().unwrap())
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert_eq!(o.code, 0, "`{}`:\n{}{}", args.join(" "), o.stdout, o.stderr);
        o.stdout
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// The database as an attacker opens it: no foreign keys in the way.
    pub fn sql(&self) -> rusqlite::Connection {
        let db = rusqlite::Connection::open(&self.db).unwrap();
        db.pragma_update(None, "foreign_keys", "OFF").unwrap();
        db
    }

    /// A copy of this environment's database for one tamper variant.
    pub fn variant(&self, name: &str) -> Runs {
        let other = Runs::factory();
        std::fs::create_dir_all(other.db.parent().unwrap()).unwrap();
        std::fs::copy(&self.db, &other.db).unwrap_or_else(|e| panic!("{name}: {e}"));
        other
    }

    /// `run verify [EXTRA]`, which must fail with every given finding in its output.
    pub fn tampered(&self, extra: &[&str], findings: &[&str]) -> Out {
        let mut args = vec!["verify"];
        args.extend(extra);
        let o = self.run(&args);
        assert_eq!(o.code, 1, "verify passed:\n{}{}", o.stdout, o.stderr);
        for f in findings {
            assert!(o.stdout.contains(f), "no `{f}` in:\n{}", o.stdout);
        }
        o
    }

    /// The store head `run verify` prints.
    pub fn head(&self) -> String {
        let out = self.ok(&["verify"]);
        out.lines()
            .find_map(|l| l.strip_prefix("store head: "))
            .unwrap_or_else(|| panic!("no head in {out}"))
            .to_string()
    }
}

/// An inspection run where `Pass` was signed: the snapshot's decision says where it leads.
fn inspected(env: &Runs, reference: &str) {
    env.ok(&[
        "start",
        "QA-P-001",
        "--flow",
        "inspection",
        "--ref",
        reference,
        "--by",
        "Li",
    ]);
    env.ok(&[
        "done",
        reference,
        "inspect",
        "--by",
        "Li",
        "--check",
        "all",
        "--outcome",
        "Pass",
        "--field",
        "lot=L1",
        "--field",
        "measured=12",
    ]);
}

// ---------------------------------------------------------------- item 10

#[test]
fn verify_covers_what_a_run_was_run_against() {
    let base = Runs::factory();
    inspected(&base, "R-1");
    assert!(base.ok(&["verify"]).starts_with("OK: 1 run, 2 events"));
    let sha = |text: &str| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(text.as_bytes()))
    };
    // (name, SQL, what verify must say)
    let swap = "UPDATE snapshots SET body = replace(replace(replace(body, \
                '\"goto\":\"release\"', '\"goto\":\"@\"'), '\"goto\":\"scrap\"', '\"goto\":\"release\"'), \
                '\"goto\":\"@\"', '\"goto\":\"scrap\"')";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "gotos swapped in the snapshot",
            swap.to_string(),
            "R-1 (QA-P-001/inspection): its procedure snapshot was altered",
        ),
        (
            "revision",
            "UPDATE runs SET revision = 'B'".into(),
            "its stored revision `B` is not the `A` its start event recorded",
        ),
        (
            "fingerprint",
            format!("UPDATE runs SET fingerprint = '{}'", "0".repeat(64)),
            "its stored fingerprint",
        ),
        (
            "start time",
            "UPDATE runs SET started_at = '2020-01-01T00:00:00Z'".into(),
            "its stored start time `2020-01-01T00:00:00Z`",
        ),
        (
            "status",
            "UPDATE runs SET status = 'ended', outcome = 'Released'".into(),
            "its stored status `ended` is not the `open` its events replay to",
        ),
        (
            "open steps",
            "DELETE FROM open_steps".into(),
            "its stored open steps `none`",
        ),
        (
            "deadline moved",
            "UPDATE open_steps SET due = '2099-01-01T00:00:00Z' WHERE due IS NOT NULL".into(),
            "its stored open steps",
        ),
        (
            "snapshot removed",
            "DELETE FROM snapshots".into(),
            "its procedure snapshot",
        ),
        (
            "period",
            "UPDATE runs SET period = '2026-01'".into(),
            "its stored period `2026-01`",
        ),
        (
            "outcome",
            "UPDATE runs SET outcome = 'Scrapped'".into(),
            "its stored outcome `Scrapped` is not the `none`",
        ),
        (
            "reference renamed",
            "UPDATE runs SET ref = 'R-9'".into(),
            "R-9 (QA-P-001/inspection): event #1 was altered",
        ),
        (
            // What `run list` flags back-dated runs by.
            "entry gap hidden",
            "UPDATE runs SET entry_gap = NULL".into(),
            "its stored entry gap `none`",
        ),
        (
            "event moved to another time",
            "UPDATE events SET at = '2026-01-01T00:00:00Z' WHERE n = 2".into(),
            "event #2 was altered",
        ),
    ];
    for (name, sql, finding) in &cases {
        let env = base.variant(name);
        env.sql().execute_batch(sql).unwrap();
        let o = env.tampered(&[], &["TAMPERED", finding]);
        assert!(!o.stdout.contains("OK:"), "{name}: {}", o.stdout);
        // The run takes no new events, and says so wherever it is shown.
        let reference = if *name == "reference renamed" {
            "R-9"
        } else {
            "R-1"
        };
        let done = env.run(&["done", reference, "release", "--by", "Wang", "--as", "GM"]);
        assert_ne!(done.code, 0, "{name}: {}", done.stdout);
        if *name != "snapshot removed" {
            assert_eq!(
                env.json(&["show", reference])["chain"]["intact"],
                false,
                "{name}"
            );
        }
    }
    // A status word procdoc never writes is not read as "open": verify and show refuse it.
    for word in ["closed", "OPEN", ""] {
        let env = base.variant(word);
        env.sql()
            .execute("UPDATE runs SET status = ?1", [word])
            .unwrap();
        let o = env.run(&["verify"]);
        assert_ne!(o.code, 0, "status `{word}`: {}", o.stdout);
        assert!(!o.stdout.contains("OK:"), "status `{word}`: {}", o.stdout);
        assert!(
            format!("{}{}", o.stdout, o.stderr).contains("neither `open` nor `ended`"),
            "status `{word}`: {}{}",
            o.stdout,
            o.stderr
        );
    }
    // A missing snapshot is also named as missing, never skipped.
    let env = base.variant("missing");
    env.sql().execute_batch("DELETE FROM snapshots").unwrap();
    env.tampered(&["R-1"], &["is missing from the store"]);

    // Swapping the gotos and re-keying the snapshot consistently still breaks the start
    // event, which sealed the snapshot's hash.
    let env = base.variant("re-keyed");
    let db = env.sql();
    db.execute_batch(swap).unwrap();
    let body: String = db
        .query_row("SELECT body FROM snapshots", [], |r| r.get(0))
        .unwrap();
    let new = sha(&body);
    db.execute("UPDATE snapshots SET hash = ?1", [&new])
        .unwrap();
    db.execute("UPDATE runs SET snapshot = ?1", [&new]).unwrap();
    drop(db);
    env.tampered(&[], &["its stored snapshot"]);
}

// ---------------------------------------------------------------- item 11

/// Two runs with events interleaved, so that one run's last event is not the store's.
fn two_runs() -> Runs {
    let env = Runs::factory();
    inspected(&env, "R-1");
    inspected(&env, "R-2");
    env.ok(&["done", "R-1", "release", "--by", "Wang", "--as", "GM"]);
    env.ok(&["done", "R-2", "release", "--by", "Wang", "--as", "GM"]);
    env
}

/// Removes a run's last event and fixes its header so that its own chain is whole again.
fn remove_last_event(env: &Runs, reference: &str) {
    let db = env.sql();
    let (id, n): (i64, i64) = db
        .query_row(
            "SELECT id, events FROM runs WHERE ref = ?1",
            [reference],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    db.execute("DELETE FROM events WHERE run = ?1 AND n = ?2", (id, n))
        .unwrap();
    db.execute(
        "UPDATE runs SET events = ?2, head = (SELECT hash FROM events WHERE run = ?1 AND n = ?2), \
         status = 'open', outcome = NULL, ended_at = NULL WHERE id = ?1",
        (id, n - 1),
    )
    .unwrap();
}

#[test]
fn removals_and_rollbacks_are_found() {
    let base = two_runs();
    let head = base.head();
    assert!(head.starts_with("6:"), "{head}");

    // A run's last event, header fixed, while another run wrote after it.
    let env = base.variant("last event of R-1");
    remove_last_event(&env, "R-1");
    env.tampered(&[], &["store entry #5 is missing"]);

    // The store's very last event, its run's header fixed: the store head still counts it.
    let env = base.variant("last event, head kept");
    remove_last_event(&env, "R-2");
    env.tampered(
        &[],
        &["store entry #6 is missing: an event was removed from the end of the store"],
    );

    // The store's very last event, header and store head fixed: the store is consistent
    // and shorter; only the head written down shows it.
    let env = base.variant("last event of the store");
    remove_last_event(&env, "R-2");
    let db = env.sql();
    db.execute_batch(
        "UPDATE store_head SET count = 5, link = (SELECT link FROM events WHERE seq = 5)",
    )
    .unwrap();
    drop(db);
    let o = env.run(&["verify"]);
    assert!(o.stdout.contains("store head: 5:"), "{}", o.stdout);
    env.tampered(
        &["--expect", &head],
        &["fewer than the 6 of the head written down"],
    );

    // A whole run.
    let env = base.variant("whole run");
    env.sql()
        .execute_batch(
            "DELETE FROM events WHERE run = (SELECT id FROM runs WHERE ref = 'R-1');
             DELETE FROM open_steps WHERE run = (SELECT id FROM runs WHERE ref = 'R-1');
             DELETE FROM runs WHERE ref = 'R-1';",
        )
        .unwrap();
    env.tampered(&[], &["store entries #1..#2 are missing", "#5 is missing"]);

    // The store head row itself.
    let env = base.variant("head row");
    env.sql().execute_batch("DELETE FROM store_head").unwrap();
    env.tampered(
        &[],
        &["store entries #1..#6 are beyond the recorded store head (#0)"],
    );

    // Yesterday's copy: the database restored from a backup taken before more work.
    let env = base.variant("rollback");
    let yesterday = env.db.with_extension("yesterday");
    std::fs::copy(&env.db, &yesterday).unwrap();
    inspected(&env, "R-3");
    let today = env.head();
    assert!(today.starts_with("8:"), "{today}");
    env.ok(&["verify", "--expect", &today]);
    // An earlier head is part of today's history.
    let o = env.ok(&["verify", "--expect", &head]);
    assert!(o.contains("2 added since"), "{o}");
    std::fs::copy(&yesterday, &env.db).unwrap();
    assert!(env.ok(&["verify"]).starts_with("OK: 2 runs"));
    env.tampered(
        &["--expect", &today],
        &["fewer than the 8 of the head written down"],
    );

    // A different history of the same length (a rewritten store) does not match either.
    // Another signer makes it differ even when both stores are written within one clock tick.
    let other = Runs::factory();
    inspected(&other, "R-1");
    inspected(&other, "R-2");
    other.ok(&["done", "R-1", "release", "--by", "Zhao", "--as", "GM"]);
    other.ok(&["done", "R-2", "release", "--by", "Zhao", "--as", "GM"]);
    other.tampered(
        &["--expect", &head],
        &["are not those of the head written down"],
    );

    // A head that is not one is a usage error.
    for bad in ["6", "6:xyz", "six:0000"] {
        let o = base.run(&["verify", "--expect", bad]);
        assert_eq!(o.code, 2, "{bad}: {}{}", o.stdout, o.stderr);
        assert!(o.stderr.contains("N:HASH"), "{}", o.stderr);
    }
}

// ---------------------------------------------------------------- item 11: read-only

/// Every file in `dir` with the SHA-256 of its bytes, leaving out SQLite's shared-memory
/// index (`-shm`) and an empty write-ahead log (`-wal`), which readers of a WAL database
/// keep where they can (on read-only media they cannot, and need not).
fn files(dir: &Path) -> Vec<(String, String)> {
    use sha2::Digest;
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                hex::encode(sha2::Sha256::digest(&bytes)),
            )
        })
        .filter(|(name, hash)| {
            !(name.ends_with("-shm")
                || (name.ends_with("-wal") && *hash == hex::encode(sha2::Sha256::digest(b""))))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn read_commands_never_create_or_change_a_database() {
    let env = Runs::factory();
    // A mistyped --db: a clear error, and no file.
    let typo = env.db.with_file_name("runz.sqlite");
    for args in [
        vec!["verify"],
        vec!["list"],
        vec!["show", "R-1"],
        vec!["export", "R-1", "-o", "out"],
        vec!["done", "R-1", "inspect", "--by", "Li"],
    ] {
        let mut c = Command::cargo_bin("procdoc").unwrap();
        let o = out_of(
            c.arg("run")
                .arg("--qms")
                .arg(&env.qms)
                .arg("--db")
                .arg(&typo)
                .args(&args)
                .env_remove("PROCDOC_DB")
                .output()
                .unwrap(),
        );
        assert_eq!(o.code, 2, "{args:?}: {}{}", o.stdout, o.stderr);
        assert!(o.stderr.contains("no run database at"), "{}", o.stderr);
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
    // A mistyped --qms (the database's default place): the same.
    let nowhere = env.qms.with_file_name("qsm");
    let mut c = Command::cargo_bin("procdoc").unwrap();
    let o = out_of(
        c.args(["run", "--qms"])
            .arg(&nowhere)
            .arg("verify")
            .env_remove("PROCDOC_DB")
            .output()
            .unwrap(),
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(!nowhere.exists());
    // A QMS without runs yet lists none, and still has no database afterwards.
    let mut c = Command::cargo_bin("procdoc").unwrap();
    let o = out_of(
        c.args(["run", "--qms"])
            .arg(&env.qms)
            .arg("list")
            .env_remove("PROCDOC_DB")
            .output()
            .unwrap(),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("no runs yet"), "{}", o.stdout);
    assert!(!env.qms.join(".procdoc").exists());

    // Reading changes no byte of the database folder and adds no file to it.
    inspected(&env, "R-1");
    let folder = env.db.parent().unwrap().to_path_buf();
    let before = files(&folder);
    let out = env.qms.join("exported");
    for args in [
        vec!["verify"],
        vec!["list"],
        vec!["show", "R-1"],
        vec!["due"],
        vec!["export", "R-1", "-o", out.to_str().unwrap()],
    ] {
        env.ok(&args);
        assert_eq!(
            files(&folder),
            before,
            "{args:?} wrote to the database folder"
        );
    }
}

/// A read-only bind mount of a folder, unmounted when dropped.
struct ReadOnlyMount(PathBuf);

impl ReadOnlyMount {
    /// `None` where this process may not mount (not root, no mount namespace rights).
    fn of(folder: &Path, at: &Path) -> Option<ReadOnlyMount> {
        std::fs::create_dir_all(at).unwrap();
        let mount = |args: &[&std::ffi::OsStr]| {
            std::process::Command::new("mount")
                .args(args)
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !mount(&["--bind".as_ref(), folder.as_os_str(), at.as_os_str()]) {
            return None;
        }
        let guard = ReadOnlyMount(at.to_path_buf());
        mount(&["-o".as_ref(), "remount,ro,bind".as_ref(), at.as_os_str()]).then_some(guard)
    }
}

impl Drop for ReadOnlyMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[cfg(target_os = "linux")]
#[test]
fn read_commands_work_on_read_only_media() {
    let env = Runs::factory();
    inspected(&env, "R-1");
    let media = env.qms.with_file_name("media");
    let Some(_mounted) = ReadOnlyMount::of(env.db.parent().unwrap(), &media) else {
        eprintln!("skipped: this process cannot mount a read-only folder");
        return;
    };
    // Really read-only: even root cannot write there.
    assert!(std::fs::write(media.join("probe"), b"x").is_err());
    let on_media = Runs {
        _dir: tempfile::tempdir().unwrap(),
        qms: env.qms.clone(),
        db: media.join("runs.sqlite"),
    };
    let out = env.qms.join("exported");
    assert!(on_media.ok(&["verify"]).starts_with("OK: 1 run, 2 events"));
    on_media.ok(&["show", "R-1"]);
    on_media.ok(&["list"]);
    on_media.ok(&["export", "R-1", "-o", out.to_str().unwrap()]);
    assert!(out.join("R-1.pdf").is_file());
    // Writing is refused with an error, not a panic or a half-written record.
    let o = on_media.run(&["done", "R-1", "release", "--by", "Wang", "--as", "GM"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("run database"), "{}", o.stderr);
}

// ---------------------------------------------------------------- item 11: schema 1

#[test]
fn a_database_of_schema_1_reads_as_it_is_and_upgrades_keeping_its_head() {
    // Made by procdoc before schema 2: two runs of the factory QMS.
    let env = Runs::factory();
    std::fs::create_dir_all(env.db.parent().unwrap()).unwrap();
    std::fs::copy("tests/fixtures/run/schema-1.sqlite", &env.db).unwrap();
    let before = std::fs::read(&env.db).unwrap();
    let o = env.ok(&["verify"]);
    assert!(o.starts_with("OK: 2 runs"), "{o}");
    assert!(o.contains("has schema 1 and was only read"), "{o}");
    assert!(o.contains("before procdoc kept entry times"), "{o}");
    assert_eq!(
        std::fs::read(&env.db).unwrap(),
        before,
        "verify upgraded it"
    );
    let head = env.head();
    let shown = env.run(&["show", "S1-A"]);
    assert!(
        shown.stdout.contains("before procdoc kept entry times"),
        "{}",
        shown.stdout
    );
    let listed = env.ok(&["list"]);
    assert!(
        listed.contains("S1-A") && listed.contains("S1-B"),
        "{listed}"
    );
    assert!(!listed.contains("ENTERED"), "{listed}");
    env.ok(&["due"]);
    assert_eq!(
        std::fs::read(&env.db).unwrap(),
        before,
        "reading upgraded it"
    );

    // The first change upgrades it; the head written down before still holds.
    env.ok(&["done", "S1-A", "release", "--by", "Wang", "--as", "GM"]);
    let o = env.ok(&["verify", "--expect", &head]);
    assert!(o.contains("1 added since"), "{o}");
    assert!(o.contains("added when the database was upgraded"), "{o}");
    let version: i64 = env
        .sql()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, procdoc::run::store::SCHEMA_VERSION);
    // Tampering with an old run is found after the upgrade as before it.
    env.sql()
        .execute_batch("UPDATE runs SET revision = 'Z' WHERE ref = 'S1-B'")
        .unwrap();
    env.tampered(
        &[],
        &["S1-B (QA-P-001/inspection): its stored revision `Z`"],
    );
}

// ---------------------------------------------------------------- item 12

fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::TimeDelta::days(days))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[test]
fn back_dated_sign_offs_show_when_they_were_entered() {
    let env = Runs::factory();
    // Entered now, stated as four months ago, a minute before its deadline.
    let start = days_ago(120);
    env.ok(&[
        "start",
        "QA-P-001",
        "--flow",
        "inspection",
        "--ref",
        "LATE",
        "--by",
        "Li",
        "--at",
        &start,
    ]);
    let back = (chrono::DateTime::parse_from_rfc3339(&start).unwrap()
        + chrono::TimeDelta::minutes(1))
    .to_rfc3339();
    env.ok(&[
        "done",
        "LATE",
        "inspect",
        "--by",
        "Li",
        "--check",
        "all",
        "--outcome",
        "Pass",
        "--field",
        "lot=L1",
        "--field",
        "measured=12",
        "--at",
        &back,
    ]);
    // Entered at the time it states.
    inspected(&env, "NOW");

    let late = env.json(&["show", "LATE"]);
    let sig = &late["steps"][0]["iterations"][0]["completed"];
    assert_eq!(sig["entered_apart"]["later"], true, "{sig}");
    assert!(sig["entered_apart"]["by"].as_str().unwrap().ends_with(" d"));
    assert!(sig["entered"]["iso"].is_string());
    assert_eq!(late["entered_apart"].as_array().unwrap().len(), 2);
    let now = env.json(&["show", "NOW"]);
    assert!(now["steps"][0]["iterations"][0]["completed"]["entered_apart"].is_null());
    assert!(now["entered_apart"].as_array().unwrap().is_empty());

    let text = env.ok(&["show", "LATE"]);
    assert!(text.contains("ENTERED APART: 2 events"), "{text}");
    assert!(text.contains("after the time signed"), "{text}");
    let list = env.ok(&["list"]);
    let line = |r: &str| list.lines().find(|l| l.starts_with(r)).unwrap().to_string();
    assert!(
        line("LATE").contains("ENTERED 119 d APART")
            || line("LATE").contains("ENTERED 120 d APART"),
        "{list}"
    );
    assert!(!line("NOW").contains("ENTERED"), "{list}");
    let listed = env.json(&["list"]);
    assert!(listed[0]["entered_apart"].is_string(), "{listed}");

    // The printed record flags it too.
    let out = env.qms.join("records");
    env.ok(&["export", "LATE", "-o", out.to_str().unwrap()]);
    let pdf = crate::common::pdf_text(&out.join("LATE.pdf"));
    assert!(pdf.contains("ENTERED APART"), "{pdf}");

    // The tolerance is the reader's choice; the entry time stays on record either way.
    let lenient = env.json(&["show", "LATE", "--tolerance", "200d"]);
    assert!(lenient["entered_apart"].as_array().unwrap().is_empty());
    assert!(lenient["steps"][0]["iterations"][0]["completed"]["entered"]["iso"].is_string());
    let o = env
        .command(&["list"])
        .env("PROCDOC_ENTRY_TOLERANCE", "200d")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains("ENTERED"));
    let bad = env.run(&["show", "LATE", "--tolerance", "soon"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("error: --tolerance: `soon` is not a tolerance"),
        "{}",
        bad.stderr
    );

    // Forward-dated: entered before the time it states.
    inspected(&env, "AHEAD");
    let ahead = chrono::Utc::now() + chrono::TimeDelta::days(3);
    env.ok(&[
        "done",
        "AHEAD",
        "release",
        "--by",
        "Wang",
        "--as",
        "GM",
        "--at",
        &ahead.to_rfc3339(),
    ]);
    let r = env.json(&["show", "AHEAD"]);
    let apart = r["entered_apart"].as_array().unwrap();
    assert_eq!(apart.len(), 1, "{r}");
    assert!(
        apart[0]
            .as_str()
            .unwrap()
            .contains("before the time stated"),
        "{r}"
    );

    // The entry time is sealed in the chain: moving it is tampering.
    env.sql()
        .execute_batch(
            "UPDATE events SET entered = at WHERE run = (SELECT id FROM runs WHERE ref = 'LATE')",
        )
        .unwrap();
    env.tampered(&[], &["LATE (QA-P-001/inspection): event #1 was altered"]);
}

// ---------------------------------------------------------------- item 15

#[test]
fn a_run_started_by_hand_cannot_take_a_child_runs_name() {
    let env = Runs::factory();
    for reference in ["O-1/handle", "O-1/handle#2", "x/y/handle"] {
        let o = env.run(&[
            "start",
            "QA-P-001",
            "--flow",
            "complaint",
            "--ref",
            reference,
        ]);
        assert_eq!(o.code, 2, "{reference}: {}", o.stdout);
        assert!(
            o.stderr
                .contains("is the name procdoc gives the run that step handle"),
            "{}",
            o.stderr
        );
    }
    // References that only look similar are free, and so is the name in another flow.
    for (flow, reference) in [
        ("complaint", "O-1/handled"),
        ("complaint", "O-1/handle#x"),
        ("complaint", "SO/7"),
        ("inspection", "O-1/handle"),
    ] {
        env.ok(&["start", "QA-P-001", "--flow", flow, "--ref", reference]);
    }

    // Even a run that got the name while no step called the flow (an earlier revision)
    // cannot block the child: child runs are named per parent.
    let earlier = Runs::factory();
    let yaml = earlier.qms.join("QA-P-001.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(
        &yaml,
        text.replace("        calls: { flow: complaint }\n", ""),
    )
    .unwrap();
    earlier.ok(&[
        "start",
        "QA-P-001",
        "--flow",
        "complaint",
        "--ref",
        "O-1/handle",
    ]);
    std::fs::write(&yaml, text).unwrap();
    earlier.ok(&["start", "QA-P-001", "--flow", "order", "--ref", "O-1"]);
    earlier.ok(&["done", "O-1", "receive", "--by", "Ann"]);
    earlier.ok(&["done", "O-1", "pay", "--by", "Customer"]);
    earlier.ok(&["done", "O-1", "make", "--by", "Bob"]);
    let out = earlier.ok(&[
        "done",
        "O-1",
        "ship",
        "--by",
        "Ann",
        "--outcome",
        "Complaint",
    ]);
    assert!(out.contains("started child run O-1/handle"), "{out}");
    // The name reaches the child, whose end completes the calling step.
    earlier.ok(&["done", "O-1/handle", "record", "--by", "Ann"]);
    let out = earlier.ok(&["done", "O-1/handle", "fix", "--by", "Bob"]);
    assert!(out.contains("O-1 handle completed"), "{out}");
    assert!(earlier.ok(&["verify"]).starts_with("OK: 3 runs"));
}
