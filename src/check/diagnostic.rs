//! Findings and their two renderings: compiler-style text with the source line, and JSON.

use std::io::{self, Write};

use codespan_reporting::diagnostic as cs;
use codespan_reporting::term::termcolor::{BufferedStandardStream, ColorChoice};
use codespan_reporting::term::{self, Config, Styles, StylesWriter};
use serde::Serialize;

use super::codes::Code;
use crate::spec::source::{Location, Sources};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Worth knowing, never a failure (a draft awaiting its signatures).
    Info,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: &'static Code,
    pub message: String,
    pub location: Option<Location>,
    pub hint: Option<String>,
    /// Secondary places: the other steps of a cycle, the path that deadlocks.
    pub labels: Vec<(Location, String)>,
    /// Extra lines shown under the source excerpt (a path of steps, how units were compared).
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn new(code: &'static Code, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            location: Some(location),
            hint: None,
            labels: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A finding about a file as a whole, not a place in it.
    pub fn unlocated(code: &'static Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            location: None,
            hint: None,
            labels: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    pub fn label(mut self, location: Location, message: impl Into<String>) -> Self {
        self.labels.push((location, message.into()));
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// A note only when `condition` holds.
    pub fn notes_if(self, condition: bool, note: impl Into<String>) -> Self {
        if condition { self.note(note) } else { self }
    }

    pub fn severity(&self) -> Severity {
        self.code.severity
    }

    fn sort_key(&self) -> (usize, usize, &'static str, &str) {
        let (file, start) = self
            .location
            .as_ref()
            .map(|l| (l.file, l.span.start))
            .unwrap_or((usize::MAX, 0));
        (file, start, self.code.code, &self.message)
    }
}

/// Put findings in reading order (file, position, code) so output is stable.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

pub fn count(diagnostics: &[Diagnostic], severity: Severity) -> usize {
    diagnostics
        .iter()
        .filter(|d| d.severity() == severity)
        .count()
}

fn to_codespan(d: &Diagnostic) -> cs::Diagnostic<usize> {
    let severity = match d.severity() {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Info => cs::Severity::Note,
    };
    let mut labels = Vec::new();
    if let Some(loc) = &d.location {
        labels.push(cs::Label::primary(loc.file, loc.span.clone()));
    }
    for (loc, message) in &d.labels {
        labels.push(cs::Label::secondary(loc.file, loc.span.clone()).with_message(message));
    }
    let mut notes = d.notes.clone();
    if let Some(hint) = &d.hint {
        notes.push(format!("hint: {hint}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(format!("{} {}", d.code.code, d.code.name))
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// Compiler-style text: header, file:line:column, the source line underlined, notes, hint.
pub fn render_text(sources: &Sources, diagnostics: &[Diagnostic]) -> String {
    let config = Config::default();
    let mut out = String::new();
    for d in diagnostics {
        if term::emit_to_string(&mut out, &config, sources, &to_codespan(d)).is_err() {
            out.push_str(&format!(
                "{}[{}]: {}\n",
                severity_word(d),
                d.code.code,
                d.message
            ));
        }
    }
    out
}

/// The same as [`render_text`], coloured when standard output is a terminal.
pub fn print_text(
    sources: &Sources,
    diagnostics: &[Diagnostic],
    to_stderr: bool,
) -> io::Result<()> {
    use std::io::IsTerminal;
    let terminal = if to_stderr {
        io::stderr().is_terminal()
    } else {
        io::stdout().is_terminal()
    };
    let choice = if terminal && std::env::var_os("NO_COLOR").is_none() {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    // Buffered: a report of a thousand findings is written in a few large writes, not
    // one per line.
    let stream = if to_stderr {
        BufferedStandardStream::stderr(choice)
    } else {
        BufferedStandardStream::stdout(choice)
    };
    let styles = Styles::default();
    let config = Config::default();
    let mut writer = StylesWriter::new(stream, &styles);
    let written = (|| {
        for d in diagnostics {
            if term::emit_to_write_style(&mut writer, &config, sources, &to_codespan(d)).is_err() {
                writeln!(
                    writer,
                    "{}[{}]: {}",
                    severity_word(d),
                    d.code.code,
                    d.message
                )?;
            }
        }
        writer.flush()
    })();
    // A reader that went away (`| head`) is not a failure of the command.
    match written {
        Err(e) if crate::output::reader_gone(&e) => Ok(()),
        other => other,
    }
}

fn severity_word(d: &Diagnostic) -> &'static str {
    match d.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// One line summarising the counts, as compilers print at the end.
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = count(diagnostics, Severity::Error);
    let warnings = count(diagnostics, Severity::Warning);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let notes = count(diagnostics, Severity::Info);
    let mut out = format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    // Only mentioned when there are some, so the usual summary stays short.
    if notes > 0 {
        out.push_str(&format!(", {}", plural(notes, "note")));
    }
    out
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    message: &'a str,
    hint: Option<&'a str>,
    notes: &'a [String],
    labels: Vec<JsonLabel<'a>>,
}

/// The findings as a JSON array, for editors and CI.
pub fn render_json(sources: &Sources, diagnostics: &[Diagnostic]) -> String {
    serde_json::to_string_pretty(&json_items(sources, diagnostics))
        .unwrap_or_else(|_| "[]".to_string())
}

/// `check --format json`: `{ "findings": [...], "flows": [...] }`, the findings as
/// [`render_json`] gives them and, per flow, how many states its soundness check explored.
pub fn render_json_report(
    sources: &Sources,
    diagnostics: &[Diagnostic],
    flows: &[crate::check::FlowStats],
) -> String {
    #[derive(Serialize)]
    struct Report<'a> {
        findings: Vec<JsonDiagnostic<'a>>,
        flows: &'a [crate::check::FlowStats],
    }
    let report = Report {
        findings: json_items(sources, diagnostics),
        flows,
    };
    serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".to_string())
}

fn json_items<'a>(sources: &'a Sources, diagnostics: &'a [Diagnostic]) -> Vec<JsonDiagnostic<'a>> {
    diagnostics
        .iter()
        .map(|d| {
            let place = d.location.as_ref().map(|loc| {
                let file = sources.get(loc.file);
                let (line, column) = file.line_col(loc.span.start);
                let (end_line, end_column) = file.line_col(loc.span.end);
                (file.name.as_str(), line, column, end_line, end_column)
            });
            JsonDiagnostic {
                code: d.code.code,
                name: d.code.name,
                severity: d.severity(),
                file: place.map(|p| p.0),
                line: place.map(|p| p.1),
                column: place.map(|p| p.2),
                end_line: place.map(|p| p.3),
                end_column: place.map(|p| p.4),
                message: &d.message,
                hint: d.hint.as_deref(),
                notes: &d.notes,
                labels: d
                    .labels
                    .iter()
                    .map(|(loc, message)| {
                        let file = sources.get(loc.file);
                        let (line, column) = file.line_col(loc.span.start);
                        JsonLabel {
                            file: &file.name,
                            line,
                            column,
                            message,
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}
