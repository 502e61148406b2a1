//! How the queries that find open work scale with a store's history: `run list --overdue`
//! and My work's inbox on a store that grows from 10,000 to 1,000,000 runs, on SQLite or
//! PostgreSQL, with the database's own plan of each query.
//!
//! cargo build --release --example store_scale
//! target/release/examples/store_scale [--db URL] [SIZE ...]
//!
//! SIZEs default to 10000 100000 1000000. The open work stays the same at every size, as it
//! does in a company: the 1,000 newest runs of the test factory's inspection flow (QA-P-001,
//! in `tests/fixtures/run/factory`) wait at the inspection by quality assurance (QA, within
//! 2 working hours), half of them past that deadline; at each size those of the size before
//! are done first. The history grows: ended runs
//! (inspected "Pass" with the record filled, then released; three events each) are added
//! through the engine, a thousand runs a transaction, until the store holds SIZE runs. At each
//! size the listing (`app::list_runs`, as `procdoc run list --overdue` calls it) and the
//! inbox of QA
//! (`app::inbox`, collected afresh, as My work does when the store has changed) are timed
//! five times (median), and the plans of their queries printed: they must stay index
//! lookups, their time flat while the history grows a hundredfold.
//!
//! `--db` names the store as `procdoc serve --db` takes it: without it, an SQLite file in a
//! temporary folder; with a PostgreSQL URL, an empty database (drop and create it again
//! between runs).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use procdoc::app::{self, ListQuery, RunRef};
use procdoc::run::clock;
use procdoc::run::completion::DoneRequest;
use procdoc::run::engine::{self, Snapshot, StartRequest};
use procdoc::run::store::{AnyStore, Filter, Status, Store};

#[path = "../tests/common/files.rs"]
mod files;
#[path = "common/size.rs"]
mod size;
use files::copy_dir;
use size::size;

/// Runs waiting at the review, at every size.
const OPEN: usize = 1000;
/// Timings per measurement; the median is reported.
const TIMES: usize = 5;

/// The inspection, passed with its record filled, and the release by someone else.
fn history() -> [DoneRequest; 2] {
    [
        DoneRequest {
            step: "inspect".into(),
            by: "Qi".into(),
            outcome: Some("Pass".into()),
            check: Some("all".into()),
            fields: vec!["lot=L1".into(), "measured=12".into()],
            ..Default::default()
        },
        DoneRequest {
            step: "release".into(),
            by: "Wang".into(),
            acting_for: Some("QA".into()),
            ..Default::default()
        },
    ]
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn timed<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..TIMES {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    (median(times), last.expect("timed at least once"))
}

fn indent(plan: &str) -> String {
    plan.lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>()
}

fn main() {
    let mut db = None;
    let mut sizes = Vec::new();
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        if arg == "--db" {
            db = Some(PathBuf::from(
                given.next().expect("--db takes a URL or a path"),
            ));
        } else {
            sizes.push(arg.parse::<usize>().expect("SIZEs are numbers of runs"));
        }
    }
    if sizes.is_empty() {
        sizes = vec![10_000, 100_000, 1_000_000];
    }
    sizes.sort_unstable();

    let dir = std::env::temp_dir().join(format!("procdoc-store-scale-{}", std::process::id()));
    let qms = dir.join("factory");
    copy_dir(Path::new("tests/fixtures/run/factory"), &qms);
    let db = db.unwrap_or_else(|| dir.join("runs.sqlite"));
    let (loaded, _) = procdoc::spec::load::load(&qms).expect("the factory loads");
    let settings = loaded.settings.clone().expect("settings");
    let snapshot = Snapshot::take(&loaded, &settings, "QA-P-001").expect("snapshot");
    let tz = chrono_tz::Asia::Shanghai;
    let now = clock::parse("2026-06-01 12:00", tz).expect("time");
    let mut store = AnyStore::create(&db).expect("database");
    eprintln!("store: {}", procdoc::run::store::Location::of(&db).shown());

    let mut notes = Vec::new();
    let mut start = |store: &mut AnyStore, reference: String, at, steps: &[DoneRequest]| {
        let request = StartRequest {
            doc: "QA-P-001".into(),
            flow: Some("inspection".into()),
            reference,
            by: Some("Li".into()),
            at,
            plan: Vec::new(),
            trigger: None,
            item: None,
            period: None,
            calls_into: Vec::new(),
        };
        let mut live = engine::start(store, snapshot.clone(), &request, &mut notes).expect("start");
        for (k, step) in steps.iter().enumerate() {
            let when = at + chrono::Duration::minutes(10 * (k as i64 + 1));
            engine::complete(store, &mut live, step, when, &mut notes).expect("complete");
        }
    };
    let history = history();
    let mut runs = 0;
    let mut open: Vec<String> = Vec::new();
    let stamp = clock::stamp(now);
    for &target in &sizes {
        let fill = Instant::now();
        // The open work of the size before is done now and joins the history, so that the
        // open runs are always the newest, as they are in a company.
        for reference in open.drain(..) {
            for step in &history {
                app::complete_step(
                    &mut store,
                    &RunRef::new(&reference),
                    step,
                    Some("2026-06-01 11:30"),
                )
                .expect("the earlier open run ends");
            }
        }
        let bar = indicatif::ProgressBar::new(target.saturating_sub(runs) as u64);
        store.begin(true).expect("begin");
        while runs + OPEN < target {
            let at = now - chrono::Duration::days(400) + chrono::Duration::seconds(runs as i64);
            start(&mut store, format!("SO-{runs}"), at, &history);
            runs += 1;
            bar.inc(1);
            // A transaction per thousand runs: PostgreSQL keeps every version of the store
            // head's row that one transaction writes, so one transaction for a million runs
            // would make each event slower than the last.
            if runs % 1000 == 0 {
                store.commit().expect("commit");
                store.begin(true).expect("begin");
            }
        }
        // The open work: half started long ago (their inspection overdue), half just now.
        for i in 0..OPEN {
            let days = if i % 2 == 0 { 60 } else { 0 };
            let at = now - chrono::Duration::days(days) - chrono::Duration::hours(1);
            let reference = format!("OPEN-{target}-{i}");
            start(&mut store, reference.clone(), at, &[]);
            open.push(reference);
            runs += 1;
            bar.inc(1);
        }
        store.commit().expect("commit");
        bar.finish_and_clear();
        let events = store.head().expect("head").map_or(0, |h| h.count);
        eprintln!(
            "\n== {runs} runs, {events} events, {:.0} MB (filled in {:.0} s)",
            size(&db) as f64 / 1e6,
            fill.elapsed().as_secs_f64()
        );

        let query = ListQuery {
            overdue: true,
            ..Default::default()
        };
        let (took, listed) =
            timed(|| app::list_runs(Some(&mut store), &query, now, tz, 0).expect("list --overdue"));
        eprintln!(
            "run list --overdue: {:>8.2} ms  ({} runs, {} overdue steps)",
            took.as_secs_f64() * 1000.0,
            listed.runs.len(),
            listed.overdue.len()
        );
        let depts = ["QA".to_string()];
        let (took, inbox) =
            timed(|| app::inbox(Some(&mut store), &depts, &[], now).expect("inbox"));
        eprintln!(
            "inbox of QA:        {:>8.2} ms  ({} steps, {} overdue)",
            took.as_secs_f64() * 1000.0,
            inbox.items.len(),
            inbox.overdue()
        );
        let overdue = Filter {
            overdue_at: Some(stamp.clone()),
            ..Default::default()
        };
        let plans = store
            .query_plans(&overdue, &stamp)
            .expect("plans of run list --overdue");
        eprint!(
            "plan, runs with an overdue step:\n{}plan, overdue steps:\n{}",
            indent(&plans.list),
            indent(&plans.overdue)
        );
        let waiting = Filter {
            status: Some(Status::Open),
            dept: Some("QA".into()),
            ..Default::default()
        };
        let plans = store
            .query_plans(&waiting, &stamp)
            .expect("plans of the inbox");
        eprint!(
            "plan, open runs waiting for QA (inbox):\n{}",
            indent(&plans.list)
        );
        // Both also replay the runs a timeout or escalation may have changed since their
        // summary was written.
        let changed = Filter {
            status: Some(Status::Open),
            changes_by: Some(stamp.clone()),
            ..Default::default()
        };
        let plans = store
            .query_plans(&changed, &stamp)
            .expect("plans of the runs changed by time");
        eprint!(
            "plan, open runs a timeout or escalation may have changed:\n{}",
            indent(&plans.list)
        );
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
