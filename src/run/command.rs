//! `procdoc run ...`: the checklist commands. Each one is one store transaction; output goes
//! to standard output, refusals and errors to standard error with exit code 1 (refused) or
//! 2 (usage, I/O).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::audit::StoreHead;
use super::checklist::{self, Paint};
use super::clock;
use super::engine::{self, DoneRequest, Live, RunError, Snapshot, StartRequest};
use super::integrity;
use super::record::{self, RunRecord};
use super::store::{self, Filter, SqliteStore, Status, Store, StoreError};
use crate::check::diagnostic::{self, Severity};
use crate::check::settings::calendar_of;
use crate::spec::load::{self, Qms};

/// The variable that places the run database when `--db` is not given.
pub const DB_VAR: &str = "PROCDOC_DB";

pub(super) const OK: u8 = 0;
const REFUSED: u8 = 1;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum RunCommand {
    /// Start a run of a flow for one order or case
    Start {
        /// Document id, e.g. CS-P-001
        doc: String,
        /// Flow id (default: the document's first flow)
        #[arg(long)]
        flow: Option<String>,
        /// The order or case number; unique per flow
        #[arg(long = "ref", value_name = "REF")]
        reference: String,
        /// Who starts it
        #[arg(long)]
        by: Option<String>,
        /// When (YYYY-MM-DD, "YYYY-MM-DD HH:MM" in the QMS time zone, or RFC 3339; default: now)
        #[arg(long)]
        at: Option<String>,
        /// Date of a planned step, STEP=YYYY-MM-DD (repeatable)
        #[arg(long = "plan", value_name = "STEP=DATE")]
        plan: Vec<String>,
    },
    /// Show a run's checklist
    Show {
        #[arg(value_name = "REF")]
        reference: String,
        /// The run's flow, when the reference names runs of several flows
        #[arg(long)]
        flow: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Judge deadlines at this moment instead of now
        #[arg(long)]
        at: Option<String>,
        /// Show when a sign-off was entered if that is further than this from the time it
        /// states, e.g. 30m, 4h, 2d (default: PROCDOC_ENTRY_TOLERANCE, else 1h)
        #[arg(long)]
        tolerance: Option<String>,
    },
    /// Complete an active step
    Done {
        #[arg(value_name = "REF")]
        reference: String,
        /// Step id
        step: String,
        /// Who did it (signs the step)
        #[arg(long)]
        by: String,
        /// The decision outcome, by its label in any of the QMS languages
        #[arg(long)]
        outcome: Option<String>,
        /// Ticked check items: `all` or numbers such as `1,3`
        #[arg(long)]
        check: Option<String>,
        /// Check items that do not apply, e.g. `2` (needs --reason)
        #[arg(long)]
        waive: Option<String>,
        /// Why the waived items do not apply
        #[arg(long)]
        reason: Option<String>,
        /// A record field value, KEY=VALUE with KEY `record.field` or `field` (repeatable)
        #[arg(long = "field", value_name = "KEY=VALUE")]
        fields: Vec<String>,
        #[arg(long)]
        note: Option<String>,
        /// When it was done (default: now)
        #[arg(long)]
        at: Option<String>,
        /// The department of the step's `by` the person acts for
        #[arg(long = "as", value_name = "CODE")]
        acting_for: Option<String>,
        #[arg(long)]
        flow: Option<String>,
    },
    /// Set or move the date of a planned step
    Plan {
        #[arg(value_name = "REF")]
        reference: String,
        step: String,
        /// YYYY-MM-DD
        date: String,
        #[arg(long)]
        by: Option<String>,
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        flow: Option<String>,
    },
    /// List runs, what is open and what is overdue for whom
    List {
        /// Only runs still open
        #[arg(long, conflicts_with = "closed")]
        open: bool,
        /// Only runs that have ended
        #[arg(long)]
        closed: bool,
        /// Only runs with an overdue step
        #[arg(long)]
        overdue: bool,
        #[arg(long)]
        doc: Option<String>,
        /// Only runs with an open step this department is responsible for
        #[arg(long)]
        dept: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[arg(long)]
        at: Option<String>,
        /// Flag runs with an entry further than this from the time it states (see `show`)
        #[arg(long)]
        tolerance: Option<String>,
    },
    /// List the periods for which a recurring flow has no run yet
    Due {
        #[arg(long)]
        doc: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[arg(long)]
        at: Option<String>,
    },
    /// Check every run against its audit chain, snapshot and start, and the store chain
    /// through all events; prints the store head to write down
    Verify {
        /// One run (default: every run); the store chain is checked either way
        #[arg(value_name = "REF")]
        reference: Option<String>,
        #[arg(long)]
        flow: Option<String>,
        /// A store head printed by an earlier verify (N:HASH): fail unless every entry up
        /// to it is still there, unchanged
        #[arg(long, value_name = "HEAD")]
        expect: Option<String>,
    },
    /// Write the run record as JSON (<ref>.json)
    Export {
        #[arg(value_name = "REF")]
        reference: String,
        /// Output folder
        #[arg(short = 'o', long = "output", default_value = ".")]
        output: PathBuf,
        #[arg(long)]
        flow: Option<String>,
        /// Show when a sign-off was entered if that is further than this from the time it
        /// states (see `show`)
        #[arg(long)]
        tolerance: Option<String>,
    },
}

/// The run database: `db`, else `PROCDOC_DB`, else `<QMS>/.procdoc/runs.sqlite`.
pub fn database_path(qms_dir: &Path, db: Option<PathBuf>) -> PathBuf {
    db.or_else(|| {
        std::env::var_os(DB_VAR)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
    .unwrap_or_else(|| store::default_path(qms_dir))
}

/// Whether the database was named (`--db` or `PROCDOC_DB`) rather than found in the QMS.
fn database_named(db: Option<&PathBuf>) -> bool {
    db.is_some() || std::env::var_os(DB_VAR).is_some_and(|v| !v.is_empty())
}

/// Runs one `procdoc run` command; returns the exit code.
pub fn execute(command: RunCommand, qms_dir: &Path, db: Option<PathBuf>) -> u8 {
    let named = database_named(db.as_ref());
    let db = database_path(qms_dir, db);
    match dispatch(command, qms_dir, &Db { path: &db, named }) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// Where the run database is, and whether the user named it.
pub(super) struct Db<'a> {
    path: &'a Path,
    named: bool,
}

impl Db<'_> {
    /// The store to read, read-only; `None` when no run was ever started in this QMS (its
    /// default database does not exist yet). A database that was named must exist.
    pub(super) fn read(&self, qms_loads: bool) -> Result<Option<SqliteStore>, RunError> {
        match SqliteStore::open(self.path, false) {
            Err(StoreError::Missing(_)) if !self.named && qms_loads => Ok(None),
            other => Ok(Some(other?)),
        }
    }
}

fn dispatch(command: RunCommand, qms_dir: &Path, db: &Db) -> Result<u8, RunError> {
    let path = db.path;
    match command {
        RunCommand::Start {
            doc,
            flow,
            reference,
            by,
            at,
            plan,
        } => start(qms_dir, path, doc, flow, reference, by, at, plan),
        RunCommand::Show {
            reference,
            flow,
            format,
            at,
            tolerance,
        } => show(
            qms_dir,
            path,
            &reference,
            flow.as_deref(),
            format,
            at.as_deref(),
            tolerance.as_deref(),
        ),
        RunCommand::Done {
            reference,
            step,
            by,
            outcome,
            check,
            waive,
            reason,
            fields,
            note,
            at,
            acting_for,
            flow,
        } => {
            let request = DoneRequest {
                step,
                by,
                acting_for,
                outcome,
                check,
                waive,
                reason,
                fields,
                note,
            };
            done(path, &reference, flow.as_deref(), &request, at.as_deref())
        }
        RunCommand::Plan {
            reference,
            step,
            date,
            by,
            at,
            flow,
        } => plan(
            path,
            &reference,
            flow.as_deref(),
            &step,
            &date,
            by,
            at.as_deref(),
        ),
        RunCommand::List {
            open,
            closed,
            overdue,
            doc,
            dept,
            format,
            at,
            tolerance,
        } => {
            let status = match (open, closed) {
                (true, _) => Some(Status::Open),
                (_, true) => Some(Status::Ended),
                _ => None,
            };
            super::overview::list(
                qms_dir,
                db,
                status,
                overdue,
                doc,
                dept,
                format,
                at.as_deref(),
                tolerance.as_deref(),
            )
        }
        RunCommand::Due { doc, format, at } => {
            super::overview::due(qms_dir, db, doc.as_deref(), format, at.as_deref())
        }
        RunCommand::Verify {
            reference,
            flow,
            expect,
        } => verify(
            path,
            reference.as_deref(),
            flow.as_deref(),
            expect.as_deref(),
        ),
        RunCommand::Export {
            reference,
            output,
            flow,
            tolerance,
        } => export(
            qms_dir,
            path,
            &reference,
            flow.as_deref(),
            &output,
            tolerance.as_deref(),
        ),
    }
}

/// Runs `f` in one transaction: committed if it succeeds (and writes), rolled back otherwise.
pub(super) fn transaction<T>(
    store: &mut dyn Store,
    write: bool,
    f: impl FnOnce(&mut dyn Store) -> Result<T, RunError>,
) -> Result<T, RunError> {
    store.begin(write)?;
    match f(store) {
        Ok(value) => {
            if write {
                store.commit()?;
            } else {
                store.rollback()?;
            }
            Ok(value)
        }
        Err(e) => {
            let _ = store.rollback();
            Err(e)
        }
    }
}

/// The QMS's time zone for commands that are not about one run; UTC without a QMS.
pub(super) fn qms_tz(qms: Option<&Qms>) -> Tz {
    clock::office_timezone(qms.and_then(|q| q.settings.as_ref()))
}

pub(super) fn usage(message: impl Into<String>) -> RunError {
    RunError::Usage(message.into())
}

/// One line per active step: `review (CS) due 2026-03-04 17:30`.
fn active_lines(live: &Live, now: DateTime<Utc>) -> Result<Vec<String>, RunError> {
    let spec = live.spec()?;
    let p = Paint::for_stdout();
    Ok(spec
        .net
        .active(&live.state.marking)
        .into_iter()
        .map(|s| {
            let due = live.state.steps[s]
                .last()
                .and_then(|it| engine::due(&spec, &live.state, s, it))
                .map(|d| {
                    let mut text = format!(", due {}", clock::show(d, spec.tz()));
                    if now > d {
                        text.push_str(&format!(" {}", p.red("OVERDUE")));
                    }
                    text
                })
                .unwrap_or_default();
            format!("{} ({}){due}", spec.step_id(s), spec.by_text(s))
        })
        .collect())
}

fn report(live: &Live, notes: &[String], now: DateTime<Utc>) -> Result<(), RunError> {
    for note in notes {
        println!("  {note}");
    }
    let spec = live.spec()?;
    match &live.state.ended {
        Some(ended) => println!(
            "  run {} ended: {}",
            live.row.reference,
            spec.text(&ended.outcome)
        ),
        None => {
            for line in active_lines(live, now)? {
                println!("  now active: {line}");
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn start(
    qms_dir: &Path,
    db: &Path,
    doc: String,
    flow: Option<String>,
    reference: String,
    by: Option<String>,
    at: Option<String>,
    plan: Vec<String>,
) -> Result<u8, RunError> {
    let (qms, diagnostics) = match crate::cli::load_and_check(qms_dir) {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .cloned()
        .collect();
    if !errors.is_empty() {
        let _ = diagnostic::print_text(&qms.sources, &errors, true);
        return Err(RunError::Refused(format!(
            "refusing to start a run: the QMS in {} has {} error{}; fix them first (see `procdoc check`)",
            qms_dir.display(),
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        )));
    }
    let Some(settings) = qms.settings.as_ref() else {
        return Err(usage("the QMS settings cannot be read"));
    };
    if qms.procedure(&doc).is_none() {
        let known: Vec<&str> = qms.procedures.iter().map(|p| p.doc.id.as_str()).collect();
        return Err(usage(format!(
            "no procedure `{doc}` in {} (known: {})",
            qms_dir.display(),
            known.join(", ")
        )));
    }
    let snapshot = Snapshot::take(&qms, settings, &doc)
        .ok_or_else(|| usage(format!("no procedure `{doc}`")))?;
    let tz = calendar_of(settings).map_or(Tz::UTC, |c| c.timezone());
    let at = clock::now(at.as_deref(), tz).map_err(RunError::Usage)?;
    let calls_into = qms
        .procedures
        .iter()
        .flat_map(|p| {
            p.doc.flows.iter().flat_map(move |f| {
                f.steps.iter().filter_map(move |s| {
                    let call = s.calls.as_ref()?;
                    let called = call.doc.clone().unwrap_or_else(|| p.doc.id.clone());
                    Some((called, call.flow.clone(), s.id.clone()))
                })
            })
        })
        .collect();
    let request = StartRequest {
        doc,
        flow,
        reference,
        by: by.map(|b| b.trim().to_string()).filter(|b| !b.is_empty()),
        at,
        plan,
        calls_into,
    };
    let mut store = SqliteStore::create(db)?;
    let mut notes = Vec::new();
    let live = transaction(&mut store, true, |s| {
        engine::start(s, snapshot, &request, &mut notes)
    })?;
    println!(
        "started run {}: {} rev {}, flow {}",
        live.row.reference, live.row.doc, live.row.revision, live.row.flow
    );
    report(&live, &notes, at)?;
    Ok(OK)
}

/// A run's record, as `show` prints it and `export` writes it.
fn read_record(
    qms_dir: &Path,
    db: &Path,
    reference: &str,
    flow: Option<&str>,
    at: Option<&str>,
    tolerance: Option<&str>,
) -> Result<RunRecord, RunError> {
    let tolerance = clock::tolerance(tolerance).map_err(RunError::Usage)?;
    let mut store = SqliteStore::open(db, false)?;
    // The QMS is read only to say whether a newer revision exists; a run is shown from its
    // own snapshot even when the folder no longer loads.
    let qms = load::load(qms_dir).ok().map(|(q, _)| q);
    transaction(&mut store, false, |s| {
        record::run_record(s, reference, flow, at, qms.as_ref(), tolerance)
    })
}

fn show(
    qms_dir: &Path,
    db: &Path,
    reference: &str,
    flow: Option<&str>,
    format: Format,
    at: Option<&str>,
    tolerance: Option<&str>,
) -> Result<u8, RunError> {
    let record = read_record(qms_dir, db, reference, flow, at, tolerance)?;
    match format {
        Format::Json => println!("{}", to_json(&record)),
        Format::Text => print!("{}", checklist::render(&record, Paint::for_stdout())),
    }
    Ok(OK)
}

pub(super) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_string())
}

fn done(
    db: &Path,
    reference: &str,
    flow: Option<&str>,
    request: &DoneRequest,
    at: Option<&str>,
) -> Result<u8, RunError> {
    let mut store = SqliteStore::open(db, true)?;
    let mut notes = Vec::new();
    let (live, at) = transaction(&mut store, true, |s| {
        let row = engine::find(s, reference, flow)?;
        let mut live = engine::open_for_change(s, row.id)?;
        let at = clock::now(at, live.spec()?.tz()).map_err(RunError::Usage)?;
        engine::complete(s, &mut live, request, at, &mut notes)?;
        Ok((live, at))
    })?;
    let spec = live.spec()?;
    let step = spec.find_step(&request.step)?;
    let done = live.state.steps[step]
        .iter()
        .rev()
        .find_map(|i| i.completed.as_ref());
    let acting = done
        .and_then(|d| d.completion.acting_for.clone())
        .map(|c| format!(" for {c}"))
        .unwrap_or_default();
    let outcome = done
        .and_then(|d| d.completion.outcome_label.clone())
        .map(|o| format!(": {o}"))
        .unwrap_or_default();
    println!(
        "{}: {} completed by {}{acting} at {}{outcome}",
        live.row.reference,
        spec.step_id(step),
        request.by.trim(),
        clock::show(at, spec.tz())
    );
    drop(spec);
    report(&live, &notes, at)?;
    Ok(OK)
}

fn plan(
    db: &Path,
    reference: &str,
    flow: Option<&str>,
    step: &str,
    date: &str,
    by: Option<String>,
    at: Option<&str>,
) -> Result<u8, RunError> {
    let mut store = SqliteStore::open(db, true)?;
    let live = transaction(&mut store, true, |s| {
        let row = engine::find(s, reference, flow)?;
        let mut live = engine::open_for_change(s, row.id)?;
        let at = clock::now(at, live.spec()?.tz()).map_err(RunError::Usage)?;
        engine::plan(s, &mut live, step, date, by, at)?;
        Ok(live)
    })?;
    let spec = live.spec()?;
    let index = spec.find_step(step)?;
    let due: Vec<String> = (0..spec.graph.len())
        .filter(|&s| {
            spec.step(s)
                .within
                .as_ref()
                .and_then(|w| w.before())
                .is_some_and(|b| b == spec.step_id(index))
        })
        .filter_map(|s| {
            let it = live.state.steps[s]
                .last()
                .cloned()
                .unwrap_or(engine::Iteration {
                    activated_at: live.state.started_at,
                    completed: None,
                    child: None,
                });
            engine::due(&spec, &live.state, s, &it)
                .map(|d| format!("{} due {}", spec.step_id(s), clock::show(d, spec.tz())))
        })
        .collect();
    println!(
        "{}: {} planned for {date}",
        live.row.reference,
        spec.step_id(index)
    );
    for line in due {
        println!("  {line}");
    }
    Ok(OK)
}

fn verify(
    db: &Path,
    reference: Option<&str>,
    flow: Option<&str>,
    expect: Option<&str>,
) -> Result<u8, RunError> {
    let expect = expect
        .map(StoreHead::parse)
        .transpose()
        .map_err(|e| usage(format!("--expect: {e}")))?;
    let mut store = SqliteStore::open(db, false)?;
    let (checked, events, mut tampered, chain) = transaction(&mut store, false, |s| {
        let rows = match reference {
            Some(r) => vec![engine::find(s, r, flow)?],
            None => s.list(&Filter::default())?,
        };
        let mut events = 0;
        let mut tampered = Vec::new();
        for row in &rows {
            let Some(stored) = s.load(row.id)? else {
                continue;
            };
            events += stored.events.len();
            for problem in integrity::check_run(s, &stored)? {
                tampered.push(format!(
                    "{} ({}/{}): {problem}",
                    row.reference, row.doc, row.flow
                ));
            }
        }
        Ok((rows.len(), events, tampered, integrity::check_store(s)?))
    })?;
    tampered.extend(chain.problems.iter().map(|p| format!("store: {p}")));
    let expected = expect.as_ref().map(|h| (h, chain.expect(h)));
    if let Some((_, Err(why))) = &expected {
        tampered.push(format!("store: {why}"));
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if tampered.is_empty() {
        println!(
            "OK: {}, {}, every audit chain intact",
            plural(checked, "run"),
            plural(events, "event")
        );
    } else {
        for p in &tampered {
            println!("TAMPERED {p}");
        }
    }
    println!("store head: {}", chain.head.text());
    if let Some((head, Ok(added))) = &expected {
        println!(
            "the store holds every entry of the head written down ({}), unchanged; {added} added since",
            head.count
        );
    } else if expect.is_none() && tampered.is_empty() {
        println!(
            "  write it down: `procdoc run verify --expect {}` later proves that none of these entries was removed or changed",
            chain.head.text()
        );
    }
    for note in chain.notes() {
        println!("note: {note}");
    }
    if tampered.is_empty() {
        return Ok(OK);
    }
    eprintln!(
        "error: the run store failed verification ({})",
        plural(tampered.len(), "finding")
    );
    Ok(REFUSED)
}

/// A file name for a reference: letters, digits, `.`, `-` and `_` kept, the rest `_`.
pub fn safe_name(reference: &str) -> String {
    let name: String = reference
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match name.trim_start_matches('.') {
        "" => "run".to_string(),
        rest => rest.to_string(),
    }
}

/// The file name (without extension) a run exports to: [`safe_name`] of its reference, or,
/// when another run of the store would get the same name on a case-insensitive disk (`SO/7`
/// and `SO_7`, `so_7`, or one reference in two flows), that name with `~` and a short hash
/// of the run's document, flow and reference, so no two runs ever share an export file.
pub fn export_name<'a>(
    run: (&str, &str, &str),
    all: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> String {
    let (reference, doc, flow) = run;
    let plain = safe_name(reference);
    let shared = all
        .into_iter()
        .any(|other| other != run && crate::control::names::same_file(&safe_name(other.0), &plain));
    if !shared {
        return plain;
    }
    let hash = crate::control::command::sha256(format!("{doc}\n{flow}\n{reference}").as_bytes());
    format!("{plain}~{}", &hash[..8])
}

/// Refuse to write an export over a file that is not an earlier export of this same run,
/// comparing names as a case-insensitive disk does.
fn export_target_free(output: &Path, name: &str, record: &RunRecord) -> Result<(), RunError> {
    let ours = |path: &Path| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|v| {
                v["reference"] == record.reference.as_str()
                    && v["doc"]["id"] == record.doc.id.as_str()
                    && v["flow"]["id"] == record.flow.id.as_str()
            })
    };
    let describe = |path: &Path| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .filter(|v| v["reference"].is_string())
            .map(|v| {
                format!(
                    "the export of run {} ({}/{})",
                    v["reference"].as_str().unwrap_or_default(),
                    v["doc"]["id"].as_str().unwrap_or_default(),
                    v["flow"]["id"].as_str().unwrap_or_default()
                )
            })
            .unwrap_or_else(|| "a file procdoc did not export".to_string())
    };
    let entries = match std::fs::read_dir(output) {
        Ok(entries) => entries,
        Err(_) => return Ok(()),
    };
    let json_name = format!("{name}.json");
    let mut witness = None;
    for entry in entries.flatten() {
        let existing = entry.file_name().to_string_lossy().into_owned();
        for ext in ["json", "pdf"] {
            let wanted = format!("{name}.{ext}");
            if !crate::control::names::same_file(&existing, &wanted) {
                continue;
            }
            let json = output.join(format!(
                "{}.json",
                existing
                    .rsplit_once('.')
                    .map(|(s, _)| s)
                    .unwrap_or(&existing)
            ));
            if existing == wanted && ours(&output.join(&json_name)) {
                continue;
            }
            witness = Some((existing.clone(), describe(&json)));
        }
    }
    match witness {
        None => Ok(()),
        Some((existing, what)) => Err(usage(format!(
            "run {} ({}/{}) exports to {name}.json and {name}.pdf, but {} already holds {existing} ({what}), which a case-insensitive disk stores as the same file; export into another folder",
            record.reference,
            record.doc.id,
            record.flow.id,
            output.display()
        ))),
    }
}

fn export(
    qms_dir: &Path,
    db: &Path,
    reference: &str,
    flow: Option<&str>,
    output: &Path,
    tolerance: Option<&str>,
) -> Result<u8, RunError> {
    let record = read_record(qms_dir, db, reference, flow, None, tolerance)?;
    let rows = {
        let mut store = SqliteStore::open(db, false)?;
        transaction(&mut store, false, |s| Ok(s.list(&Filter::default())?))?
    };
    let name = export_name(
        (&record.reference, &record.doc.id, &record.flow.id),
        rows.iter()
            .map(|r| (r.reference.as_str(), r.doc.as_str(), r.flow.as_str())),
    );
    export_target_free(output, &name, &record)?;
    let pdf =
        crate::render::build::run_record_pdf(&record, None).map_err(|e| usage(e.to_string()))?;
    std::fs::create_dir_all(output)
        .map_err(|e| usage(format!("cannot create {}: {e}", output.display())))?;
    let path = output.join(format!("{name}.json"));
    std::fs::write(&path, to_json(&record) + "\n")
        .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?;
    let pdf_path = path.with_extension("pdf");
    std::fs::write(&pdf_path, pdf)
        .map_err(|e| usage(format!("cannot write {}: {e}", pdf_path.display())))?;
    // Both files first, then the report: a reader that went away loses only the report.
    println!("wrote {}", path.display());
    println!("wrote {}", pdf_path.display());
    Ok(if record.chain.intact { OK } else { REFUSED })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_references_readable() {
        assert_eq!(safe_name("SO-1001/complaint"), "SO-1001_complaint");
        assert_eq!(safe_name("../etc"), "_etc");
        assert_eq!(safe_name("订单 1"), "订单_1");
    }
}
