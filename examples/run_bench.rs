//! Fills a run database with 100,000 runs of the red-maple contract flow (one transaction,
//! through the store API), then times `run done` and `run show` as the CLI runs them
//! (opening the database, one transaction each, output included).
//!
//! cargo run --release --example run_bench [-- RUNS] > /dev/null

use std::path::Path;
use std::time::{Duration, Instant};

use procdoc::run::engine::{self, Snapshot, StartRequest};
use procdoc::run::store::{SqliteStore, Store};
use procdoc::run::{RunCommand, command::Format, execute};

#[path = "../tests/common/files.rs"]
mod files;
use files::copy_dir;

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    let p95 = times[times.len() * 95 / 100];
    let max = times[times.len() - 1];
    eprintln!(
        "{name:<12} n={:<4} median {:>6.2} ms   p95 {:>6.2} ms   max {:>6.2} ms",
        times.len(),
        ms(median),
        ms(p95),
        ms(max)
    );
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("procdoc-run-bench-{}", std::process::id()));
    let qms = dir.join("red-maple");
    copy_dir(Path::new("specs/red-maple"), &qms);
    let db = dir.join("runs.sqlite");
    let (loaded, _) = procdoc::spec::load::load(&qms).expect("red-maple loads");
    let settings = loaded.settings.clone().expect("settings");
    let snapshot = Snapshot::take(&loaded, &settings, "CS-P-001").expect("snapshot");
    let start_at =
        procdoc::run::clock::parse("2026-03-02 09:00", chrono_tz::Asia::Shanghai).expect("time");

    let mut store = SqliteStore::create(&db).expect("database");
    let fill = Instant::now();
    store.begin(true).expect("begin");
    let mut notes = Vec::new();
    for i in 0..runs {
        let request = StartRequest {
            doc: "CS-P-001".into(),
            flow: None,
            reference: format!("SO-{i}"),
            by: Some("Li Ming".into()),
            at: start_at,
            plan: Vec::new(),
            trigger: None,
            item: None,
            period: None,
            calls_into: Vec::new(),
        };
        engine::start(&mut store, snapshot.clone(), &request, &mut notes).expect("start");
    }
    store.commit().expect("commit");
    let filled = fill.elapsed();
    drop(store);
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(db.with_extension("sqlite-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    eprintln!(
        "filled {runs} runs in {:.1} s ({:.0} runs/s), database {:.1} MB",
        filled.as_secs_f64(),
        runs as f64 / filled.as_secs_f64(),
        size as f64 / 1e6
    );

    // Every command below opens the database afresh, as a CLI invocation does.
    let at = Some("2026-03-02 10:00".to_string());
    let samples = 100.min(runs);
    let step = (runs / samples).max(1);
    let mut done = Vec::new();
    let mut show = Vec::new();
    for k in 0..samples {
        let reference = format!("SO-{}", k * step);
        let t = Instant::now();
        let code = execute(
            RunCommand::Done {
                reference: reference.clone(),
                step: "request".into(),
                by: "Customer".into(),
                outcome: Vec::new(),
                check: None,
                waive: None,
                reason: None,
                fields: Vec::new(),
                note: None,
                at: at.clone(),
                acting_for: None,
                flow: None,
                attach: Vec::new(),
            },
            &qms,
            Some(db.clone()),
        );
        done.push(t.elapsed());
        assert_eq!(code, 0, "done {reference}");
        let t = Instant::now();
        let code = execute(
            RunCommand::Show {
                reference,
                flow: None,
                format: Format::Text,
                at: at.clone(),
                tolerance: None,
            },
            &qms,
            Some(db.clone()),
        );
        show.push(t.elapsed());
        assert_eq!(code, 0);
    }
    summary("run done", done);
    summary("run show", show);
    let t = Instant::now();
    let code = execute(
        RunCommand::List {
            open: false,
            closed: false,
            overdue: true,
            doc: None,
            dept: Some("GM".into()),
            format: Format::Text,
            at: at.clone(),
            tolerance: None,
        },
        &qms,
        Some(db.clone()),
    );
    eprintln!(
        "run list --overdue --dept GM: {:.1} ms (exit {code})",
        t.elapsed().as_secs_f64() * 1000.0
    );
    whole_process(&qms, &db, runs, step);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same commands as separate processes of the release binary, start-up included, when
/// it has been built next to this example (`cargo build --release`).
fn whole_process(qms: &Path, db: &Path, runs: usize, step: usize) {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.join("procdoc")))
        .filter(|e| e.is_file());
    let Some(exe) = exe else {
        eprintln!("(build the binary with `cargo build --release` to time whole processes too)");
        return;
    };
    let samples = 30.min(runs);
    let mut done = Vec::new();
    let mut show = Vec::new();
    for k in 0..samples {
        // Runs the in-process loop did not touch: the second step of every step-th run.
        let reference = format!("SO-{}", k * step + step / 2);
        let cli = |args: &[&str]| {
            let t = Instant::now();
            let status = std::process::Command::new(&exe)
                .arg("run")
                .args(args)
                .arg("--qms")
                .arg(qms)
                .arg("--db")
                .arg(db)
                .stdout(std::process::Stdio::null())
                .status()
                .expect("procdoc runs");
            assert!(status.success(), "procdoc run {args:?}");
            t.elapsed()
        };
        let at = ["--at", "2026-03-02 10:00"];
        done.push(cli(&[
            &["done", &reference, "request", "--by", "Customer"][..],
            &at[..],
        ]
        .concat()));
        show.push(cli(&[&["show", &reference][..], &at[..]].concat()));
    }
    summary("process done", done);
    summary("process show", show);
}
