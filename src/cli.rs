//! Command-line arguments and dispatch; maps results to exit codes (0 clean, 1 findings
//! that fail, 2 usage or I/O errors).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::check::diagnostic::{self, Diagnostic, Severity};
use crate::flow::graph::FlowGraph;
use crate::spec::load::{self, Qms};

mod db;
mod training;
mod user;

#[derive(Parser)]
#[command(
    name = "procdoc",
    version,
    about = "Controlled procedures for ISO 9001 quality systems, from YAML specs",
    long_about = "procdoc reads a QMS folder (procdoc.yaml and one YAML file per procedure), proves every flow sound, and generates the controlled documents."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

// One value per process, read once: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Check a QMS folder and print every finding
    Check {
        /// The QMS folder (holding procdoc.yaml)
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Exit with 1 on warnings too
        #[arg(long)]
        deny_warnings: bool,
        /// Where `release` wrote the controlled and OBSOLETE copies, to check them against
        /// the register (default: output/<QMS folder name>)
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Also print how many states the soundness check explored in each flow, and how
        /// close that is to the limit (the JSON output always has them under `flows`)
        #[arg(long)]
        stats: bool,
    },
    /// Build the controlled documents, blank forms, checklist travellers and flowcharts
    Build {
        /// The QMS folder (holding procdoc.yaml)
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output folder (default: output/<QMS folder name>)
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Use a company's own templates from this folder (files named like the defaults)
        #[arg(long)]
        templates: Option<PathBuf>,
        /// Print one language only (any QMS language code) instead of all of them
        #[arg(long)]
        lang: Option<String>,
        /// Rebuild every output even when its inputs are unchanged
        #[arg(long)]
        force: bool,
        /// Also use the fonts installed on this computer (output then depends on them)
        #[arg(long)]
        system_fonts: bool,
        /// Extra folder of fonts to use
        #[arg(long = "font-path")]
        font_dirs: Vec<PathBuf>,
        /// Also write the generated typst sources under typst/
        #[arg(long)]
        emit_typst: bool,
        /// Rebuild one released revision from the register instead, e.g. CS-P-001@A/01
        #[arg(long, value_name = "DOC-ID@REV")]
        revision: Option<String>,
        /// Build even when a flow is not proven sound (its states were explored only
        /// partly, W0405)
        #[arg(long)]
        allow_unproven: bool,
    },
    /// Release a document's current revision: controlled PDF plus an entry in register.yaml
    Release {
        /// Document id, e.g. CS-P-001
        doc: String,
        /// The QMS folder
        #[arg(long, default_value = ".")]
        qms: PathBuf,
        /// Release time (default: now or PROCDOC_NOW)
        #[arg(long)]
        at: Option<String>,
        /// Output folder (default: output/<QMS folder name>)
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Use a company's own templates from this folder
        #[arg(long)]
        templates: Option<PathBuf>,
        /// Release even when a flow of the document is not proven sound (its states were
        /// explored only partly, W0405)
        #[arg(long)]
        allow_unproven: bool,
    },
    /// Record a periodic review of a released document (no new revision)
    Review {
        /// Document id
        doc: String,
        /// Who reviewed it
        #[arg(long)]
        by: String,
        /// What the review found
        #[arg(long)]
        note: Option<String>,
        /// Date of the review (default: today or PROCDOC_NOW)
        #[arg(long)]
        at: Option<String>,
        /// The QMS folder
        #[arg(long, default_value = ".")]
        qms: PathBuf,
    },
    /// Show every document's revision, release state and next review
    Status {
        /// The QMS folder
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// A register head written down earlier (`R3V1-3F2A-91C0-7B1E`): fail unless the
        /// register still holds every entry it covered, unchanged
        #[arg(long, value_name = "HEAD")]
        expect: Option<String>,
    },
    /// Say which document and revision a PDF (or a footer fingerprint) is
    Verify {
        /// A PDF file
        file: Option<PathBuf>,
        /// The fingerprint printed in a footer, e.g. 3F2A-91C0-7B1E
        #[arg(long, conflicts_with = "file")]
        fingerprint: Option<String>,
        /// The QMS folder
        #[arg(long, default_value = ".")]
        qms: PathBuf,
    },
    /// What changed between two revisions of a document (default: last release to working files)
    Diff {
        /// Document id
        doc: String,
        /// Old revision (default: the last release)
        #[arg(long)]
        from: Option<String>,
        /// New revision (default: the working files)
        #[arg(long)]
        to: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// The QMS folder
        #[arg(long, default_value = ".")]
        qms: PathBuf,
    },
    /// Start a new QMS: procdoc.yaml, a procedure to copy, the schemas, and editor settings
    /// that give every YAML file its schema (VS Code, Helix; Neovim: see the README)
    Init {
        /// The folder to create it in; it must be new or empty
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Print the JSON Schema of a procedure file (or of procdoc.yaml)
    Schema {
        /// The schema of procdoc.yaml instead
        #[arg(long)]
        settings: bool,
    },
    /// Run a flow as a checklist for one order or case (start, show, done, plan, list, inbox, due, verify, export)
    Run {
        /// The QMS folder
        #[arg(long, default_value = ".", global = true)]
        qms: PathBuf,
        /// The run database: a file, sqlite:PATH or postgres://USER@HOST/DB (default:
        /// PROCDOC_DB, else <QMS>/.procdoc/runs.sqlite)
        #[arg(long, global = true)]
        db: Option<PathBuf>,
        #[command(subcommand)]
        command: crate::run::RunCommand,
    },
    /// Manage the people who sign in to `procdoc serve` (add, list, disable, passwd, token)
    User {
        /// The QMS folder (its procdoc.yaml lists the departments)
        #[arg(long, default_value = ".", global = true)]
        qms: PathBuf,
        /// The run database: a file, sqlite:PATH or postgres://USER@HOST/DB (default:
        /// PROCDOC_DB, else <QMS>/.procdoc/runs.sqlite)
        #[arg(long, global = true)]
        db: Option<PathBuf>,
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Read-and-confirm of released revisions: who is missing (list)
    Training {
        /// The QMS folder (its register says which revisions are current)
        #[arg(long, default_value = ".", global = true)]
        qms: PathBuf,
        /// The run database: a file, sqlite:PATH or postgres://USER@HOST/DB (default:
        /// PROCDOC_DB, else <QMS>/.procdoc/runs.sqlite)
        #[arg(long, global = true)]
        db: Option<PathBuf>,
        #[command(subcommand)]
        command: training::TrainingCommand,
    },
    /// Move a whole run store to another backend (copy)
    Db {
        #[command(subcommand)]
        command: db::DbCommand,
    },
    /// Serve the QMS in the browser: sign-in, my work, the documents, and a JSON API
    Serve {
        /// The QMS folder (holding procdoc.yaml)
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Address and port to listen on
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The run database: a file, sqlite:PATH or postgres://USER@HOST/DB (default:
        /// PROCDOC_DB, else <QMS>/.procdoc/runs.sqlite)
        #[arg(long)]
        db: Option<PathBuf>,
        /// The address people reach the server at, e.g. https://qms.example.com (sets
        /// the Secure flag of the session cookie when https, and the accepted form origin)
        #[arg(long)]
        public_url: Option<String>,
        /// The folder `procdoc build` wrote the documents to (default: output/<QMS folder name>)
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The most the files attached to one step may hold together: bytes, or with a
        /// unit, e.g. 500kB, 20MB, 1GB
        #[arg(long, value_name = "SIZE", default_value = "20MB", value_parser = crate::web::upload::parse_size)]
        max_upload: usize,
        /// Send e-mail notifications through this SMTP server: smtp://host:port,
        /// smtps://user:password@host:465 (default: PROCDOC_SMTP; none: no e-mail)
        #[arg(long, value_name = "URL")]
        smtp: Option<String>,
        /// The sender of notifications, e.g. "QMS <qms@example.com>" (default:
        /// PROCDOC_MAIL_FROM); needed with --smtp
        #[arg(long, value_name = "ADDR")]
        mail_from: Option<String>,
    },
    /// Print the graph of a flow for other tools
    Graph {
        /// Document id, e.g. CS-P-001
        doc: String,
        /// Flow id (default: the first flow)
        #[arg(long)]
        flow: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        /// The QMS folder
        #[arg(long, default_value = ".")]
        qms: PathBuf,
        /// Language of the labels (default: the primary language; for svg: every language)
        #[arg(long)]
        lang: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum DiffFormat {
    Text,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum GraphFormat {
    Dot,
    Mermaid,
    /// The flowchart the controlled document prints, as one SVG whose shapes and lines
    /// carry `data-step`, `data-from`, `data-to` and `data-outcome`.
    Svg,
}

/// Exit codes.
const CLEAN: u8 = 0;
const FINDINGS: u8 = 1;
const USAGE: u8 = 2;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { CLEAN });
        }
    };
    let code = match cli.command {
        Command::Check {
            dir,
            format,
            deny_warnings,
            output,
            stats,
        } => run_check(&dir, format, deny_warnings, output, stats),
        Command::Build {
            dir,
            output,
            templates,
            lang,
            force,
            system_fonts,
            font_dirs,
            emit_typst,
            revision: None,
            allow_unproven,
        } => run_build(
            &dir,
            output,
            crate::render::build::BuildOptions {
                out_dir: PathBuf::new(),
                templates,
                lang,
                force,
                system_fonts,
                font_dirs,
                emit_typst,
                progress: true,
            },
            allow_unproven,
        ),
        Command::Build {
            dir,
            output,
            templates,
            revision: Some(revision),
            ..
        } => crate::control::release::rebuild(&dir, &revision, output, templates),
        Command::Release {
            doc,
            qms,
            at,
            output,
            templates,
            allow_unproven,
        } => crate::control::release::release(
            &qms,
            &doc,
            at.as_deref(),
            output,
            templates,
            allow_unproven,
        ),
        Command::Review {
            doc,
            by,
            note,
            at,
            qms,
        } => crate::control::command::review(&qms, &doc, &by, note.as_deref(), at.as_deref()),
        Command::Status { dir, expect } => crate::control::command::status(&dir, expect.as_deref()),
        Command::Verify {
            file,
            fingerprint,
            qms,
        } => crate::control::command::verify(&qms, file.as_deref(), fingerprint.as_deref()),
        Command::Diff {
            doc,
            from,
            to,
            format,
            qms,
        } => crate::control::command::diff(
            &qms,
            &doc,
            from.as_deref(),
            to.as_deref(),
            format == DiffFormat::Markdown,
        ),
        Command::Init { dir } => match crate::init::init(&dir) {
            Ok(files) => {
                for file in &files {
                    println!("wrote {}", file.display());
                }
                println!(
                    "started a QMS in {}: edit procdoc.yaml, copy QP-001.yaml for each procedure, then run `procdoc check {}`",
                    dir.display(),
                    dir.display()
                );
                CLEAN
            }
            Err(e) => {
                eprintln!("error: {e}");
                USAGE
            }
        },
        Command::Schema { settings } => {
            print!(
                "{}",
                if settings {
                    crate::schema::settings()
                } else {
                    crate::schema::procedure()
                }
            );
            CLEAN
        }
        Command::Run { qms, db, command } => crate::run::execute(command, &qms, db),
        Command::User { qms, db, command } => user::execute(command, &qms, db),
        Command::Training { qms, db, command } => training::execute(command, &qms, db),
        Command::Db { command } => db::execute(command),
        Command::Serve {
            dir,
            listen,
            db,
            public_url,
            output,
            max_upload,
            smtp,
            mail_from,
        } => {
            let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
            let mail = match (
                smtp.or_else(|| from_env("PROCDOC_SMTP")),
                mail_from.or_else(|| from_env("PROCDOC_MAIL_FROM")),
            ) {
                (None, _) => None,
                (Some(smtp), Some(from)) => Some(crate::mail::MailOptions { smtp, from }),
                (Some(_), None) => {
                    eprintln!(
                        "error: e-mail needs a sender: give --mail-from ADDR (or PROCDOC_MAIL_FROM)"
                    );
                    return ExitCode::from(USAGE);
                }
            };
            let options = crate::web::ServeOptions {
                qms_dir: dir,
                listen,
                db,
                public_url,
                output,
                max_upload,
            };
            crate::web::serve(options, mail)
        }
        Command::Graph {
            doc,
            flow,
            format,
            qms,
            lang,
        } => run_graph(&qms, &doc, flow.as_deref(), format, lang.as_deref()),
    };
    ExitCode::from(crate::output::finish(code))
}

/// Load and check a QMS: all diagnostics, sorted. `Err` is a usage or I/O problem.
pub fn load_and_check(dir: &std::path::Path) -> Result<(Qms, Vec<Diagnostic>), u8> {
    load_and_check_with_stats(dir).map(|(qms, diagnostics, _)| (qms, diagnostics))
}

/// [`load_and_check`], with how far the soundness check explored each flow.
pub fn load_and_check_with_stats(
    dir: &std::path::Path,
) -> Result<(Qms, Vec<Diagnostic>, Vec<crate::check::FlowStats>), u8> {
    let (qms, mut diagnostics) = match load::load(dir) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(USAGE);
        }
    };
    let (found, flows) = crate::check::check_with_stats(&qms);
    diagnostics.extend(found);
    diagnostic::sort(&mut diagnostics);
    Ok((qms, diagnostics, flows))
}

/// Prints the verdict of [`crate::app::proof::proof`] for `build` and `release`: a flow not
/// proven sound (W0405) is refused, naming it and the flag that accepts it anyway,
/// `--allow-unproven` (then it is only warned about). `doc` limits the question to one
/// document's flows; `what` says what was not done. Prints to stderr; `Err` is the exit
/// code.
pub fn refuse_unproven(
    flows: &[crate::check::FlowStats],
    doc: Option<&str>,
    allow: bool,
    what: &str,
) -> Result<(), u8> {
    use crate::app::proof::{Proof, proof};
    let said = |list: &[String]| {
        let verb = if list.len() == 1 { "is" } else { "are" };
        (list.join(", "), verb)
    };
    match proof(flows, doc, allow) {
        Proof::Proven => Ok(()),
        Proof::AcceptedUnproven(list) => {
            let (list, verb) = said(&list);
            eprintln!(
                "warning: {list} {verb} not proven sound (its states were explored only partly, W0405); going on because of --allow-unproven"
            );
            Ok(())
        }
        Proof::Refused(list) => {
            let (list, verb) = said(&list);
            eprintln!(
                "error: {list} {verb} not proven sound: its states were explored only partly (W0405), so a run could get stuck; {what}\n  hint: split the flow into smaller flows connected with `calls`, or pass --allow-unproven to accept it unproven"
            );
            Err(FINDINGS)
        }
    }
}

fn run_check(
    dir: &std::path::Path,
    format: Format,
    deny_warnings: bool,
    output: Option<PathBuf>,
    stats: bool,
) -> u8 {
    let (qms, mut diagnostics) = match load::load(dir) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let (found, flows) = crate::check::check_with_stats(&qms);
    diagnostics.extend(found);
    let copies = output.unwrap_or_else(|| crate::control::command::default_out_dir(&qms));
    diagnostics.extend(crate::control::checks::copies(&qms, &copies));
    diagnostic::sort(&mut diagnostics);
    match format {
        Format::Json => println!(
            "{}",
            diagnostic::render_json_report(&qms.sources, &diagnostics, &flows)
        ),
        Format::Text => {
            if diagnostic::print_text(&qms.sources, &diagnostics, false).is_err() {
                return USAGE;
            }
            if stats {
                println!("{}", state_table(&flows));
            }
            let documents = qms.procedures.len();
            eprintln!(
                "checked {} ({documents} procedure{}): {}",
                dir.display(),
                if documents == 1 { "" } else { "s" },
                diagnostic::summary(&diagnostics)
            );
        }
    }
    let errors = diagnostic::count(&diagnostics, Severity::Error);
    let warnings = diagnostic::count(&diagnostics, Severity::Warning);
    // The process ends here: freeing a large QMS value by value would take longer than
    // its check's rules, and the system takes the memory back at once.
    std::mem::forget(qms);
    if errors > 0 || (deny_warnings && warnings > 0) {
        FINDINGS
    } else {
        CLEAN
    }
}

/// `check --stats`: states explored per flow, against the limit.
fn state_table(flows: &[crate::check::FlowStats]) -> String {
    let header = ["document", "flow", "states", "of limit", "explored"].map(String::from);
    let rows: Vec<[String; 5]> = std::iter::once(header)
        .chain(flows.iter().map(|f| {
            [
                f.document.clone(),
                f.flow.clone(),
                f.states.to_string(),
                format!("{:.1}%", f.states as f64 * 100.0 / f.limit as f64),
                match (f.complete, f.reduced) {
                    (true, false) => "all",
                    (true, true) => "all (reduced)",
                    (false, _) => "partly",
                }
                .to_string(),
            ]
        }))
        .collect();
    let widths: Vec<usize> = (0..5)
        .map(|c| {
            rows.iter()
                .map(|r| crate::columns::width(&r[c]))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!(
        "soundness: states explored per flow (limit {} per flow)",
        crate::check::STATE_LIMIT
    );
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| crate::columns::pad(cell, w))
            .collect();
        out.push('\n');
        out.push_str(cells.join("  ").trim_end());
    }
    out
}

fn run_build(
    dir: &std::path::Path,
    output: Option<PathBuf>,
    mut options: crate::render::build::BuildOptions,
    allow_unproven: bool,
) -> u8 {
    let started = std::time::Instant::now();
    let (qms, diagnostics, flows) = match load_and_check_with_stats(dir) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if diagnostic::print_text(&qms.sources, &diagnostics, true).is_err() {
        return USAGE;
    }
    let errors = diagnostic::count(&diagnostics, Severity::Error);
    if errors > 0 {
        eprintln!(
            "error: {} has {}; nothing was built",
            dir.display(),
            diagnostic::summary(&diagnostics)
        );
        return FINDINGS;
    }
    if let Err(code) = refuse_unproven(&flows, None, allow_unproven, "nothing was built") {
        return code;
    }
    if let Some(lang) = &options.lang
        && let Some(settings) = &qms.settings
        && !settings.languages.iter().any(|l| l == lang)
    {
        eprintln!(
            "error: `{lang}` is not a language of this QMS (languages: {})",
            settings.languages.join(", ")
        );
        return USAGE;
    }
    options.out_dir = output.unwrap_or_else(|| PathBuf::from("output").join(qms.name()));
    match crate::render::build::build(&qms, &options) {
        Ok(report) => {
            for warning in &report.warnings {
                eprintln!("warning: {warning}");
            }
            for removed in &report.removed {
                eprintln!("removed {} (no longer made)", removed.display());
            }
            let remade = if report.remade_same > 0 {
                format!(", {} made again byte for byte the same", report.remade_same)
            } else {
                String::new()
            };
            eprintln!(
                "built {} into {}: {} written{remade}, {} unchanged ({:.2} s)",
                dir.display(),
                options.out_dir.display(),
                report.written.len(),
                report.unchanged,
                started.elapsed().as_secs_f64()
            );
            CLEAN
        }
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                crate::render::build::BuildError::Io(..)
                | crate::render::build::BuildError::Fonts(_) => USAGE,
                _ => FINDINGS,
            }
        }
    }
}

fn run_graph(
    dir: &std::path::Path,
    doc: &str,
    flow: Option<&str>,
    format: GraphFormat,
    lang: Option<&str>,
) -> u8 {
    let (qms, diagnostics) = match load::load(dir) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let Some(settings) = &qms.settings else {
        let _ = diagnostic::print_text(&qms.sources, &diagnostics, true);
        return FINDINGS;
    };
    let Some(procedure) = qms.procedure(doc) else {
        let _ = diagnostic::print_text(&qms.sources, &diagnostics, true);
        let known: Vec<&str> = qms.procedures.iter().map(|p| p.doc.id.as_str()).collect();
        eprintln!(
            "error: no procedure `{doc}` in {} (known: {})",
            dir.display(),
            known.join(", ")
        );
        return USAGE;
    };
    let chosen = match flow {
        Some(id) => procedure.doc.flows.iter().find(|f| f.id == id),
        None => procedure.doc.flows.first(),
    };
    let Some(chosen) = chosen else {
        let known: Vec<&str> = procedure.doc.flows.iter().map(|f| f.id.as_str()).collect();
        eprintln!(
            "error: procedure `{doc}` has no flow `{}` (flows: {})",
            flow.unwrap_or(""),
            known.join(", ")
        );
        return USAGE;
    };
    let graph = FlowGraph::new(chosen);
    let text = match format {
        GraphFormat::Dot => crate::render::graph_export::dot(
            &graph,
            settings,
            lang.unwrap_or(settings.primary_language()),
        ),
        GraphFormat::Mermaid => crate::render::graph_export::mermaid(
            &graph,
            settings,
            lang.unwrap_or(settings.primary_language()),
        ),
        GraphFormat::Svg => {
            // Without --lang, every language of the QMS, like the printed document.
            let langs = match lang {
                Some(l) => vec![l.to_string()],
                None => settings.languages.clone(),
            };
            let index = procedure
                .doc
                .flows
                .iter()
                .position(|f| std::ptr::eq(f, chosen));
            let procedures = qms.procedures.iter().map(|p| &p.doc).collect();
            match index.and_then(|f| {
                crate::render::flowchart::of_flow(settings, procedures, &procedure.doc, f, langs)
            }) {
                Some(drawn) => drawn.whole,
                None => return USAGE,
            }
        }
    };
    print!("{text}");
    CLEAN
}
