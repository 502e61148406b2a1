//! Command-line arguments and dispatch; maps results to exit codes (0 clean, 1 findings
//! that fail, 2 usage or I/O errors).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::check::diagnostic::{self, Diagnostic, Severity};
use crate::flow::graph::FlowGraph;
use crate::spec::load::{self, Qms};

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
    },
    /// Print the JSON Schema of a procedure file (or of procdoc.yaml)
    Schema {
        /// The schema of procdoc.yaml instead
        #[arg(long)]
        settings: bool,
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
        /// Language of the labels (default: the primary language)
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
enum GraphFormat {
    Dot,
    Mermaid,
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
        } => run_check(&dir, format, deny_warnings),
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
        Command::Graph {
            doc,
            flow,
            format,
            qms,
            lang,
        } => run_graph(&qms, &doc, flow.as_deref(), format, lang.as_deref()),
    };
    ExitCode::from(code)
}

/// Load and check a QMS: all diagnostics, sorted. `Err` is a usage or I/O problem.
pub fn load_and_check(dir: &std::path::Path) -> Result<(Qms, Vec<Diagnostic>), u8> {
    let (qms, mut diagnostics) = match load::load(dir) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(USAGE);
        }
    };
    diagnostics.extend(crate::check::check(&qms));
    diagnostic::sort(&mut diagnostics);
    Ok((qms, diagnostics))
}

fn run_check(dir: &std::path::Path, format: Format, deny_warnings: bool) -> u8 {
    let (qms, diagnostics) = match load_and_check(dir) {
        Ok(r) => r,
        Err(code) => return code,
    };
    match format {
        Format::Json => println!("{}", diagnostic::render_json(&qms.sources, &diagnostics)),
        Format::Text => {
            if diagnostic::print_text(&qms.sources, &diagnostics, false).is_err() {
                return USAGE;
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
    if errors > 0 || (deny_warnings && warnings > 0) {
        FINDINGS
    } else {
        CLEAN
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
    let lang = lang.unwrap_or(settings.primary_language());
    let text = match format {
        GraphFormat::Dot => crate::render::graph_export::dot(&graph, settings, lang),
        GraphFormat::Mermaid => crate::render::graph_export::mermaid(&graph, settings, lang),
    };
    print!("{text}");
    CLEAN
}
