//! Typesetting one PDF: the PDF/A rule every output goes through, how a typst error is
//! reported, and the PDFs made outside a build (one released document, a run's record).

use std::collections::BTreeMap;
use std::path::Path;

use super::build::{BuildError, BuildOptions, document_file};
use super::context::Printing;
use super::fonts::bundled_fonts;
use super::jobs::{
    DocumentParts, Job, JobKind, Logo, around_numbers, common_files, date_parts, document_job,
    minijinja_ctx, printed_languages,
};
use super::templates::Templates;
use super::typeset::{TypesetError, Typesetter, TypstJob};
use crate::spec::load::Qms;
use crate::spec::model::Procedure;

/// One controlled document's PDF, typeset on its own: what `release` records, and how a
/// released revision is rebuilt from the register (`procedures` lists every procedure the
/// document may refer to, with `doc` among them).
pub fn document_pdf(
    qms: &Qms,
    doc: &Procedure,
    procedures: Vec<&Procedure>,
    status: &'static str,
    opts: &BuildOptions,
) -> Result<Vec<u8>, BuildError> {
    let settings = qms.settings.as_ref().ok_or(BuildError::NoSettings)?;
    let templates = Templates::new(opts.templates.as_deref())?;
    let langs = printed_languages(settings, opts);
    let logo = Logo::read(qms, settings);
    let files_common = common_files(logo.as_ref());
    let printing = Printing {
        settings,
        langs: langs.clone(),
        procedures,
        logo: logo.map(|l| l.name),
    };
    let fonts = bundled_fonts(settings.primary_language());
    let mut jobs = Vec::new();
    document_job(
        &DocumentParts {
            printing: &printing,
            templates: &templates,
            fonts: &fonts,
            langs: &langs,
            files_common: &files_common,
            option_key: "",
            emit_typst: false,
        },
        doc,
        status,
        &mut jobs,
    )?;
    let path = document_file(doc);
    let Some(Job {
        kind:
            JobKind::Pdf {
                source,
                files,
                date,
                ident,
            },
        template,
        ..
    }) = jobs.iter().find(|j| j.path == path)
    else {
        return Err(BuildError::Fonts("no document job".into()));
    };
    let typesetter = Typesetter::new(&opts.font_dirs, opts.system_fonts)
        .map_err(|e| BuildError::Fonts(e.to_string()))?;
    compile_pdf(&typesetter, &path, template, source, files, *date, ident)
}

/// Typeset one PDF as PDF/A-2b. PDF/A forbids text without a glyph; the missing glyphs are
/// reported as warnings naming the text (by `build`), so such a document is still printed,
/// as a plain PDF, rather than not at all. `build` and `release` both go through here, so a
/// released copy is byte for byte what `build` writes.
pub(super) fn compile_pdf(
    typesetter: &Typesetter,
    output: &str,
    template: &str,
    source: &str,
    files: &BTreeMap<String, Vec<u8>>,
    date: chrono::NaiveDate,
    ident: &str,
) -> Result<Vec<u8>, BuildError> {
    let typst_job = |pdf_a| TypstJob {
        main: source,
        main_name: template,
        files,
        date,
        ident,
        pdf_a,
    };
    let compiled = match typesetter.compile_pdf(&typst_job(true)) {
        Err(TypesetError::Export(message)) if message.contains("could not be displayed") => {
            typesetter.compile_pdf(&typst_job(false))
        }
        other => other,
    };
    compiled.map(|c| c.pdf).map_err(|e| BuildError::Typeset {
        output: output.to_string(),
        template: template.to_string(),
        message: describe_typeset_error(&e, source),
    })
}

fn describe_typeset_error(error: &super::typeset::TypesetError, source: &str) -> String {
    match error {
        TypesetError::Compile(messages) => messages
            .iter()
            .map(|m| {
                let excerpt = m
                    .line
                    .and_then(|l| source.lines().nth(l.saturating_sub(1)))
                    .map(|l| format!("\n    | {}", l.trim()))
                    .unwrap_or_default();
                let at = m
                    .line
                    .map(|l| format!(" (generated line {l})"))
                    .unwrap_or_default();
                let hints: String = m
                    .hints
                    .iter()
                    .map(|h| format!("\n    = hint: {h}"))
                    .collect();
                format!("  {}{at}{excerpt}{hints}", m.message)
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// The PDF of one checklist run's record, in the look of the controlled documents.
pub fn run_record_pdf(
    record: &crate::run::RunRecord,
    templates: Option<&Path>,
) -> Result<Vec<u8>, BuildError> {
    let templates = Templates::new(templates)?;
    let fonts = bundled_fonts(&record.language);
    // The record is dated by its last event, never by the clock, so exports are reproducible.
    let last = record
        .events
        .last()
        .map(|e| e.at.iso.as_str())
        .unwrap_or(&record.started.iso);
    let date = chrono::DateTime::parse_from_rfc3339(last)
        .map(|d| d.date_naive())
        .unwrap_or_default();
    let lang = &record.language;
    let words: BTreeMap<&str, String> = super::labels::labels(std::slice::from_ref(lang))
        .into_iter()
        .map(|(key, mut texts)| (key, texts.pop().unwrap_or_default()))
        .collect();
    let source = templates.render(
        "run-record.typ.j2",
        &minijinja::context! {
            record => minijinja_ctx(record),
            fonts => fonts,
            date => minijinja_ctx(&date_parts(date)),
            lang => super::labels::typst_lang(lang),
            page_of => around_numbers("page_of", lang),
            chain_of => around_numbers("chain_of", lang),
            L => words,
        },
    )?;
    let typesetter = Typesetter::new(&[], false).map_err(|e| BuildError::Fonts(e.to_string()))?;
    let ident = format!("{} {}", record.doc.id, record.reference);
    compile_pdf(
        &typesetter,
        &ident,
        "run-record.typ.j2",
        &source,
        &BTreeMap::new(),
        date,
        &ident,
    )
}
