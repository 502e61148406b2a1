//! How a run store grows: fills one (an SQLite file, or a PostgreSQL database by its URL)
//! with RUNS inspection runs of the store tests' factory procedure, each started, inspected
//! with a filled record and released (three events), and prints the store's size before
//! and after, per run and per event. The README's sizing figures come from it.
//!
//! cargo run --release --example store_size -- DB [RUNS]
//!
//! DB is a path (a new file) or postgres://USER@HOST/DB (an empty database or schema).

use std::path::{Path, PathBuf};
use std::time::Instant;

use procdoc::app::{self, DoneRequest, RunRef, StartRun};
use procdoc::run::store::{AnyStore, Location, Store};

#[path = "../tests/common/files.rs"]
mod files;
#[path = "common/size.rs"]
mod size;
use size::size;

fn done(step: &str, by: &str) -> DoneRequest {
    DoneRequest {
        step: step.into(),
        by: by.into(),
        ..Default::default()
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let db = PathBuf::from(args.next().expect("usage: store_size DB [RUNS]"));
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temporary folder");
    let qms_dir = dir.path().join("qms");
    files::copy_dir(Path::new("tests/fixtures/run/factory"), &qms_dir);
    let (qms, diagnostics) = procdoc::cli::load_and_check(&qms_dir).expect("fixture loads");

    let mut store = AnyStore::create(&db).expect("store");
    let empty = size(&db);
    let fill = Instant::now();
    store.begin_batch().expect("batch");
    for i in 0..runs {
        let reference = format!("客诉-2026-{i:05}");
        let start = StartRun {
            doc: "QA-P-001".into(),
            flow: Some("inspection".into()),
            reference: reference.clone(),
            by: Some("质检员 Qi".into()),
            at: Some("2026-03-02 09:00".into()),
            plan: Vec::new(),
            ..Default::default()
        };
        app::start_run(&mut store, &qms, &diagnostics, &start).expect("start");
        let run = RunRef::new(&reference);
        let inspect = DoneRequest {
            outcome: Some("Pass".into()),
            check: Some("all".into()),
            fields: vec![format!("lot=L{i}"), "measured=12.5".into()],
            note: Some("尺寸、外观、标签均合格".into()),
            ..done("inspect", "质检员 Qi")
        };
        app::complete_step(&mut store, &run, &inspect, Some("2026-03-02 10:00")).expect("inspect");
        let release = DoneRequest {
            acting_for: Some("GM".into()),
            ..done("release", "王总 Wang")
        };
        app::complete_step(&mut store, &run, &release, Some("2026-03-02 11:00")).expect("release");
        if i % 500 == 499 {
            store.end_batch(true).expect("commit");
            store.begin_batch().expect("batch");
        }
    }
    store.end_batch(true).expect("commit");
    let events = store.head().expect("head").map_or(0, |h| h.count);
    drop(store);
    let full = size(&db);
    let grown = full.saturating_sub(empty) as f64;
    println!(
        "{}: {runs} runs, {events} events in {:.0} s; empty {} kB, full {:.1} MB: {:.0} bytes per run, {:.0} per event",
        Location::of(&db).shown(),
        fill.elapsed().as_secs_f64(),
        empty / 1000,
        full as f64 / 1e6,
        grown / runs.max(1) as f64,
        grown / events.max(1) as f64
    );
}
