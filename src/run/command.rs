//! `procdoc run ...`: the command-line adapter over the run operations of [`crate::app`].
//! Each command reads its arguments, opens the run database, calls one operation and prints
//! its result: output to standard output, refusals and errors to standard error with exit
//! code 1 (refused) or 2 (usage, I/O). The rules are the operations'; nothing here decides.

use std::path::{Path, PathBuf};

use super::checklist::{self, Paint};
use super::clock;
use super::store::{self, AnyStore, Status, Store, StoreError};
use crate::app::{self, DoneRequest, ListQuery, Refusal, RunRef, StartRun};
use crate::check::diagnostic::{self, Severity};
use crate::spec::load;

/// The variable that places the run database when `--db` is not given.
pub const DB_VAR: &str = "PROCDOC_DB";

const OK: u8 = 0;
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
        /// Date of a planned step, STEP=YYYY-MM-DD, or with a time on the office clock
        /// "STEP=YYYY-MM-DD HH:MM" (repeatable)
        #[arg(long = "plan", value_name = "STEP=DATE")]
        plan: Vec<String>,
        /// For a flow with several triggers: the trigger's number (from 1) or its text
        #[arg(long)]
        trigger: Option<String>,
        /// For a flow run per register item: the item's key (see `run due`)
        #[arg(long)]
        item: Option<String>,
        /// For a recurring flow (with --item for one run per register item): the period the
        /// run is for, as `run due` names it (e.g. "2026 Q3", or its first day), to start a
        /// late one; default: the period of the start
        #[arg(long)]
        period: Option<String>,
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
        /// Who did it (signs the step). With user accounts in the store: an account's login
        /// or printed name, whose departments it may sign for
        #[arg(long)]
        by: String,
        /// The decision outcome, by its label in any of the QMS languages (repeatable where
        /// the decision says `multiple: true`)
        #[arg(long)]
        outcome: Vec<String>,
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
        /// A file attached as evidence, kept in the run store by its SHA-256 (repeatable)
        #[arg(long = "attach", value_name = "FILE")]
        attach: Vec<PathBuf>,
    },
    /// Set or move the date of a planned step
    Plan {
        #[arg(value_name = "REF")]
        reference: String,
        step: String,
        /// YYYY-MM-DD, or "YYYY-MM-DD HH:MM" on the office clock (also YYYY-MM-DDTHH:MM)
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
    /// List the active steps waiting for departments, overdue first, then by due time
    Inbox {
        /// A department whose steps to list (repeatable)
        #[arg(long = "dept", value_name = "CODE", required = true)]
        depts: Vec<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Judge deadlines at this moment instead of now
        #[arg(long)]
        at: Option<String>,
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
    /// Record every step timeout (`timeout:`) that has fallen due in any open run, each at
    /// the moment it fell due; `procdoc serve` does this on its own schedule
    Tick {
        /// Take the timeouts due by this moment instead of now
        #[arg(long)]
        at: Option<String>,
    },
    /// Write the run record as a PDF and as JSON (<ref>.pdf, <ref>.json)
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
struct Db<'a> {
    path: &'a Path,
    named: bool,
}

impl Db<'_> {
    /// The store to read, read-only; `None` when no run was ever started in this QMS (its
    /// default database does not exist yet). A database that was named must exist.
    fn read(&self, qms_loads: bool) -> Result<Option<AnyStore>, Refusal> {
        match AnyStore::open(self.path, false) {
            Err(StoreError::Missing(_)) if !self.named && qms_loads => Ok(None),
            other => Ok(Some(other?)),
        }
    }

    /// The store to change, which must exist.
    fn write(&self) -> Result<AnyStore, Refusal> {
        Ok(AnyStore::open(self.path, true)?)
    }

    /// The store to read, which must exist.
    fn open(&self) -> Result<AnyStore, Refusal> {
        Ok(AnyStore::open(self.path, false)?)
    }
}

/// A file given with `--attach`, read whole; its name is the path's last part. Refused
/// about `attach` when it cannot be read.
fn read_attachment(path: &Path) -> Result<app::Upload, Refusal> {
    let bytes = std::fs::read(path).map_err(|e| {
        Refusal::invalid(
            "attach",
            format!("--attach {}: cannot read it: {e}", path.display()),
        )
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(app::Upload::new(&name, None, bytes))
}

/// The command-line option that gives the request's input `input` (its API name, as in
/// [`app::Problem::field`]): `fields.RECORD.FIELD` is `--field RECORD.FIELD`, `as` is
/// `--as`, `plan.STEP` is `--plan STEP`; the words a refusal about that input starts with.
pub fn option_of(input: &str) -> String {
    match input.split_once('.') {
        Some(("fields", key)) => format!("--field {key}"),
        Some((name, part)) => format!("--{name} {part}"),
        None if input == "fields" => "--field".to_string(),
        None if input == "depts" => "--dept".to_string(),
        None => format!("--{input}"),
    }
}

fn run_ref(reference: String, flow: Option<String>) -> RunRef {
    RunRef { reference, flow }
}

fn dispatch(command: RunCommand, qms_dir: &Path, db: &Db) -> Result<u8, Refusal> {
    match command {
        RunCommand::Start {
            doc,
            flow,
            reference,
            by,
            at,
            plan,
            trigger,
            item,
            period,
        } => start(
            qms_dir,
            db,
            &StartRun {
                doc,
                flow,
                reference,
                by,
                at,
                plan,
                trigger,
                item,
                period,
            },
        ),
        RunCommand::Show {
            reference,
            flow,
            format,
            at,
            tolerance,
        } => {
            let tolerance = app::tolerance(tolerance.as_deref())?;
            let mut store = db.open()?;
            // The QMS is read only to say whether a newer revision exists; a run is shown
            // from its own snapshot even when the folder no longer loads.
            let qms = load::load(qms_dir).ok().map(|(q, _)| q);
            let record = app::show_run(
                &mut store,
                qms.as_ref(),
                &run_ref(reference, flow),
                at.as_deref(),
                tolerance,
            )?;
            match format {
                Format::Json => println!("{}", app::to_json(&record)),
                Format::Text => print!("{}", checklist::render(&record, Paint::for_stdout())),
            }
            Ok(OK)
        }
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
            attach,
        } => {
            let attachments = attach
                .iter()
                .map(|path| read_attachment(path))
                .collect::<Result<Vec<_>, _>>()?;
            let request = DoneRequest {
                step,
                by,
                login: None,
                acting_for,
                outcome: outcome.first().cloned(),
                further_outcomes: outcome.iter().skip(1).cloned().collect(),
                check,
                waive,
                reason,
                fields,
                note,
                attachments,
            };
            // The QMS says whether signers must have read the procedure (`training:
            // required`); a run is completed from its own snapshot even when it does not load.
            let qms = load::load(qms_dir).ok().map(|(q, _)| q);
            let mut store = db.write()?;
            let done = app::complete_named(
                &mut store,
                qms.as_ref(),
                &run_ref(reference, flow),
                &request,
                at.as_deref(),
            )?;
            print_completed(&done);
            Ok(OK)
        }
        RunCommand::Plan {
            reference,
            step,
            date,
            by,
            at,
            flow,
        } => {
            let mut store = db.write()?;
            let by = app::named_actor(&store, by)?;
            let planned = app::plan_step(
                &mut store,
                &run_ref(reference, flow),
                &step,
                &date,
                by,
                at.as_deref(),
            )?;
            println!(
                "{}: {} planned for {}",
                planned.run.reference, planned.step, planned.date
            );
            for (step, due) in &planned.due {
                println!("  {step} due {}", clock::show(*due, planned.run.tz));
            }
            for (step, earliest) in &planned.earliest {
                println!(
                    "  {step} not before {}",
                    clock::show(*earliest, planned.run.tz)
                );
            }
            Ok(OK)
        }
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
            let query = ListQuery {
                status,
                overdue,
                doc,
                dept,
            };
            let tolerance = app::tolerance(tolerance.as_deref())?;
            let qms = load::load(qms_dir).ok().map(|(q, _)| q);
            if let Some(dept) = &query.dept {
                app::known_department(qms.as_ref(), dept)?;
            }
            let tz = app::office_tz(qms.as_ref());
            let now = app::moment(at.as_deref(), tz)?;
            let mut store = db.read(qms.is_some())?;
            let list = app::list_runs(
                store.as_mut().map(|s| s as &mut dyn Store),
                &query,
                now,
                tz,
                tolerance,
            )?;
            super::overview::print_list(&list, query.narrows(), format);
            Ok(OK)
        }
        RunCommand::Inbox { depts, format, at } => {
            let qms = load::load(qms_dir).ok().map(|(q, _)| q);
            let tz = app::office_tz(qms.as_ref());
            let now = app::moment(at.as_deref(), tz)?;
            let mut store = db.read(qms.is_some())?;
            let settings = qms.as_ref().and_then(|q| q.settings.as_ref());
            // The party codes come from procdoc.yaml: without it, steps recorded on a
            // customer's or supplier's behalf cannot be found, which must not pass for
            // "nothing waiting".
            if settings.is_none() {
                eprintln!(
                    "warning: {} has no readable procdoc.yaml; steps recorded on a party's behalf are not listed: see `procdoc check`",
                    qms_dir.display()
                );
            }
            for dept in &depts {
                app::known_department(qms.as_ref(), dept)?;
            }
            let parties = qms.as_ref().map(|q| app::codes(q).1).unwrap_or_default();
            let inbox = app::inbox(
                store.as_mut().map(|s| s as &mut dyn Store),
                &depts,
                &parties,
                now,
            )?;
            super::overview::print_inbox(&inbox, &depts, format);
            Ok(OK)
        }
        RunCommand::Due { doc, format, at } => {
            let (qms, problems) = load::load(qms_dir)
                .map_err(|e| Refusal::new(app::RefusalKind::Invalid, None, e.to_string()))?;
            // A procedure file that does not read is missing from the list; say so rather
            // than let "no recurring flows" stand for it.
            let unread = problems
                .iter()
                .filter(|d| d.severity() == Severity::Error)
                .count();
            if unread > 0 && qms.settings.is_some() {
                eprintln!(
                    "warning: the QMS has {unread} error(s) reading its files; procedures that did not load are not listed: see `procdoc check`"
                );
            }
            let calendar = app::office_calendar(&qms)?;
            let now = app::moment(at.as_deref(), calendar.timezone())?;
            let mut store = db.read(true)?;
            let due = app::due_periods(
                store.as_mut().map(|s| s as &mut dyn Store),
                &qms,
                &calendar,
                doc.as_deref(),
                now,
            )?;
            super::overview::print_due(&due, format);
            Ok(OK)
        }
        RunCommand::Verify {
            reference,
            flow,
            expect,
        } => {
            let expect = expect.as_deref().map(app::store_head).transpose()?;
            let mut store = db.open()?;
            let run = reference.map(|r| run_ref(r, flow));
            let report = app::verify(&mut store, run.as_ref(), expect)?;
            Ok(print_verification(&report))
        }
        RunCommand::Tick { at } => {
            let qms = load::load(qms_dir).ok().map(|(q, _)| q);
            let now = app::moment(at.as_deref(), app::office_tz(qms.as_ref()))?;
            let mut store = db.write()?;
            let ticked = app::timeouts::tick(&mut store, now)?;
            for note in &ticked.notes {
                println!("{note}");
            }
            println!(
                "{} open run(s) with a timeout or escalation due looked at, {} timeout(s) recorded",
                ticked.runs, ticked.timeouts
            );
            Ok(OK)
        }
        RunCommand::Export {
            reference,
            output,
            flow,
            tolerance,
        } => {
            let tolerance = app::tolerance(tolerance.as_deref())?;
            let mut store = db.open()?;
            let qms = load::load(qms_dir).ok().map(|(q, _)| q);
            let exported = app::export_run(
                &mut store,
                qms.as_ref(),
                &run_ref(reference, flow),
                &output,
                tolerance,
            )?;
            // Both files first, then the report: a reader that went away loses only the report.
            println!("wrote {}", exported.json.display());
            println!("wrote {}", exported.pdf.display());
            Ok(if exported.intact { OK } else { REFUSED })
        }
    }
}

fn start(qms_dir: &Path, db: &Db, request: &StartRun) -> Result<u8, Refusal> {
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
    }
    let prepared = app::prepare_start(&qms, &diagnostics, request)?;
    let mut store = AnyStore::create(db.path)?;
    let started = app::start_named(&mut store, prepared)?;
    let run = &started.run;
    println!(
        "started run {}: {} rev {}, flow {}",
        run.reference, run.doc, run.revision, run.flow
    );
    print_progress(run, &started.progress);
    Ok(OK)
}

fn print_completed(done: &app::Completed) {
    let acting = done
        .acting_for
        .as_ref()
        .map(|c| format!(" for {c}"))
        .unwrap_or_default();
    let outcome = done
        .outcome
        .as_ref()
        .map(|o| format!(": {o}"))
        .unwrap_or_default();
    let verb = if done.to_sign.is_empty() {
        "completed"
    } else {
        "signed"
    };
    let login = done
        .login
        .as_ref()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    println!(
        "{}: {} {verb} by {}{login}{acting} at {}{outcome}",
        done.run.reference,
        done.step,
        done.by,
        clock::show(done.at, done.run.tz)
    );
    if !done.to_sign.is_empty() {
        println!("  still to sign: {}", done.to_sign.join(", "));
    }
    for a in &done.attachments {
        println!(
            "  attached {} ({}, SHA-256 {})",
            a.name,
            super::attachments::show_size(a.size),
            a.sha256
        );
    }
    print_progress(&done.run, &done.progress);
}

/// What else happened, then how the run ended or which steps are active now:
/// `now active: review (CS), due 2026-03-04 17:30`.
fn print_progress(run: &app::RunInfo, progress: &app::Progress) {
    for note in &progress.notes {
        println!("  {note}");
    }
    if let Some(outcome) = &progress.ended {
        println!("  run {} ended: {outcome}", run.reference);
        return;
    }
    let p = Paint::for_stdout();
    for a in &progress.active {
        let due = a
            .due
            .map(|d| {
                let mut text = format!(", due {}", clock::show(d, run.tz));
                if a.overdue {
                    text.push_str(&format!(" {}", p.red("OVERDUE")));
                }
                text
            })
            .unwrap_or_default();
        let earliest = a
            .earliest
            .map(|t| format!(", not before {}", clock::show(t, run.tz)))
            .unwrap_or_default();
        println!("  now active: {} ({}){earliest}{due}", a.step, a.by);
    }
}

fn print_verification(report: &app::Verification) -> u8 {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if report.intact() {
        println!(
            "OK: {}, {}, every audit chain intact",
            plural(report.runs, "run"),
            plural(report.events, "event")
        );
    } else {
        for p in &report.findings {
            println!("TAMPERED {p}");
        }
    }
    println!("store head: {}", report.head.text());
    match &report.expected {
        Some(app::Expected {
            head,
            added: Some(added),
        }) => println!(
            "the store holds every entry of the head written down ({}), unchanged; {added} added since",
            head.count
        ),
        None if report.intact() => println!(
            "  write it down: `procdoc run verify --expect {}` later proves that none of these entries was removed or changed",
            report.head.text()
        ),
        _ => {}
    }
    for note in &report.notes {
        println!("note: {note}");
    }
    if report.intact() {
        return OK;
    }
    eprintln!(
        "error: the run store failed verification ({})",
        plural(report.findings.len(), "finding")
    );
    REFUSED
}
