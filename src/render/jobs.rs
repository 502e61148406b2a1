//! The outputs of a build as jobs: for each document, diagram, form, traveller and the
//! master list, the typst source and files it is made from, and its key (the hash of all
//! of them), which tells the build whether the file on disk is still right.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::build::{BuildError, BuildOptions, document_file, file_stem};
use super::context::{self, DocumentContext, Printing};
use super::flowchart;
use super::fonts::glyph_candidates;
use super::master::{self, MasterList};
use super::templates::Templates;
use crate::control::fingerprint;
use crate::flow::graph::FlowGraph;
use crate::spec::load::Qms;
use crate::spec::model::Procedure;

/// One output file and how to make it.
pub(super) struct Job {
    /// Path relative to the output folder.
    pub(super) path: String,
    pub(super) template: &'static str,
    pub(super) kind: JobKind,
    pub(super) key: String,
}

pub(super) enum JobKind {
    /// Written as is (SVG diagrams, typst sources).
    Bytes(Vec<u8>),
    Pdf {
        source: String,
        files: BTreeMap<String, Vec<u8>>,
        date: chrono::NaiveDate,
        ident: String,
    },
}

/// What every template of one document's outputs is given, under `ctx`.
#[derive(Serialize)]
struct SharedContext<'a> {
    #[serde(flatten)]
    document: &'a DocumentContext,
    fonts: &'a [String],
    date: DateParts,
    page_of: Vec<[String; 3]>,
    /// "see page {x}" split around its number, per printed language.
    see_page: Vec<[String; 3]>,
    ident: String,
}

impl<'a> SharedContext<'a> {
    /// `ident` is the text that names the output on every page (document, form or flow).
    fn new(
        document: &'a DocumentContext,
        doc: &Procedure,
        fonts: &'a [String],
        langs: &[String],
        ident: &str,
    ) -> Self {
        SharedContext {
            document,
            fonts,
            date: date_parts(doc.effective.0),
            page_of: page_of(langs),
            see_page: around_each("see_page", langs),
            ident: ident.to_string(),
        }
    }

    fn value(&self) -> minijinja::Value {
        minijinja_ctx(self)
    }
}

/// The company logo as the typst sources read it (`/logo.<ext>`).
pub(super) struct Logo {
    pub(super) name: String,
    pub(super) bytes: Vec<u8>,
}

impl Logo {
    /// The logo the settings name, when it can be read inside the QMS folder (the checker
    /// reports one that cannot).
    pub(super) fn read(qms: &Qms, settings: &crate::spec::model::Settings) -> Option<Logo> {
        let path = settings
            .logo
            .as_ref()
            .and_then(|l| crate::check::settings::logo_inside(&qms.root, l).ok())?;
        let bytes = std::fs::read(&path).ok()?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("png")
            .to_ascii_lowercase();
        Some(Logo {
            name: format!("/logo.{ext}"),
            bytes,
        })
    }
}

/// The files every document's sources can read.
pub(super) fn common_files(logo: Option<&Logo>) -> BTreeMap<String, Vec<u8>> {
    logo.map(|l| (l.name.clone(), l.bytes.clone()))
        .into_iter()
        .collect()
}

/// The languages printed: the one asked for, or every language of the QMS.
pub(super) fn printed_languages(
    settings: &crate::spec::model::Settings,
    opts: &BuildOptions,
) -> Vec<String> {
    match &opts.lang {
        Some(lang) => vec![lang.clone()],
        None => settings.languages.clone(),
    }
}

#[derive(Serialize)]
pub(super) struct DateParts {
    year: i32,
    month: u32,
    day: u32,
}

/// "Page {x} of {y}" split around its numbers, per printed language.
fn page_of(langs: &[String]) -> Vec<[String; 3]> {
    around_each("page_of", langs)
}

/// Label `key` split around its numbers in each printed language, a repeated wording once.
fn around_each(key: &str, langs: &[String]) -> Vec<[String; 3]> {
    let mut out: Vec<[String; 3]> = langs.iter().map(|l| around_numbers(key, l)).collect();
    out.dedup();
    out
}

/// A label with `{x}` and `{y}` split into the text before, between and after them, so
/// that templates can put typst values (page counters, raw hashes) in between.
pub(super) fn around_numbers(key: &str, lang: &str) -> [String; 3] {
    let text = super::labels::label(key, lang);
    let (pre, rest) = text.split_once("{x}").unwrap_or((&text, ""));
    let (mid, post) = rest.split_once("{y}").unwrap_or((rest, ""));
    [pre.to_string(), mid.to_string(), post.to_string()]
}

pub(super) fn hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// The jobs of one procedure (its document, diagrams, forms and travellers); returns the
/// texts it prints, to test for missing glyphs.
pub(super) fn procedure_jobs(
    qms: &Qms,
    parts: &DocumentParts,
    doc: &Procedure,
    jobs: &mut Vec<Job>,
) -> Result<Vec<String>, BuildError> {
    let DocumentParts {
        printing,
        templates,
        fonts,
        langs,
        files_common,
        option_key,
        emit_typst,
    } = *parts;
    let status = crate::control::status_of(qms, doc);
    let ctx = document_job(parts, doc, status, jobs)?;

    for record in doc.records.iter().filter(|r| !r.fields.is_empty()) {
        let record_ctx = context::record(printing, record);
        let form_ident = format!("{} ({} rev. {})", record_ctx.form, doc.id, doc.revision);
        let shared = SharedContext::new(&ctx, doc, fonts, langs, &form_ident);
        let source = templates.render(
            "form.typ.j2",
            &minijinja::context! {
                ctx => shared.value(),
                record => minijinja::Value::from(minijinja::value::Serde(&record_ctx)),
                doc_id => doc.id.clone(),
                doc_revision => doc.revision.clone(),
                doc_effective => doc.effective.to_string(),
            },
        )?;
        let name = format!("forms/{}.pdf", file_stem(&record_ctx.form));
        if emit_typst {
            jobs.push(bytes_job(
                format!("typst/forms/{}.typ", file_stem(&record_ctx.form)),
                source.clone().into_bytes(),
            ));
        }
        jobs.push(pdf_job(
            name,
            "form.typ.j2",
            source,
            files_common.clone(),
            doc.effective.0,
            form_ident,
            option_key,
        ));
    }
    for (f, flow) in doc.flows.iter().enumerate() {
        let traveller_ident = format!("{} / {} rev. {}", doc.id, flow.id, doc.revision);
        let shared = SharedContext::new(&ctx, doc, fonts, langs, &traveller_ident);
        let source = templates.render(
            "traveller.typ.j2",
            &minijinja::context! {
                ctx => shared.value(),
                flow => minijinja::Value::from(minijinja::value::Serde(&ctx.doc.flows[f])),
            },
        )?;
        let stem = format!("{}_{}", file_stem(&doc.id), file_stem(&flow.id));
        if emit_typst {
            jobs.push(bytes_job(
                format!("typst/travellers/{stem}.typ"),
                source.clone().into_bytes(),
            ));
        }
        jobs.push(pdf_job(
            format!("travellers/{stem}.pdf"),
            "traveller.typ.j2",
            source,
            files_common.clone(),
            doc.effective.0,
            traveller_ident,
            option_key,
        ));
    }
    Ok(glyph_candidates(&ctx))
}

/// What every document job shares within one build.
pub(super) struct DocumentParts<'a> {
    pub(super) printing: &'a Printing<'a>,
    pub(super) templates: &'a Templates,
    pub(super) fonts: &'a [String],
    pub(super) langs: &'a [String],
    pub(super) files_common: &'a BTreeMap<String, Vec<u8>>,
    pub(super) option_key: &'a str,
    pub(super) emit_typst: bool,
}

/// The jobs of one controlled document (its diagrams and its PDF) stamped with `status`
/// (`draft`, `controlled`, `obsolete`); returns its context for the forms and travellers.
pub(super) fn document_job(
    parts: &DocumentParts,
    doc: &Procedure,
    status: &'static str,
    jobs: &mut Vec<Job>,
) -> Result<DocumentContext, BuildError> {
    let DocumentParts {
        printing,
        templates,
        fonts,
        langs,
        files_common,
        option_key,
        ..
    } = *parts;
    let fp = fingerprint::meaning(doc, printing.settings.primary_language());
    let mut ctx = context::document(printing, doc, status, &fp);
    let mut files = files_common.clone();
    for (f, flow) in doc.flows.iter().enumerate() {
        let graph = FlowGraph::new(flow);
        let drawn = flowchart::draw(printing, &ctx.doc.flows[f], &graph, fonts);
        let stem = format!("{}_{}", file_stem(&doc.id), file_stem(&flow.id));
        jobs.push(bytes_job(
            format!("diagrams/{stem}.svg"),
            drawn.whole.into_bytes(),
        ));
        ctx.doc.flows[f].landscape = drawn.landscape;
        for (i, page) in drawn.pages.into_iter().enumerate() {
            let name = format!("/diagrams/{stem}-{}.svg", i + 1);
            files.insert(name.clone(), page.into_bytes());
            ctx.doc.flows[f].diagrams.push(name);
        }
        for (k, (room_pt, pages)) in drawn.starts.into_iter().enumerate() {
            let diagrams = match pages {
                None => ctx.doc.flows[f].diagrams.clone(),
                Some(pages) => pages
                    .into_iter()
                    .enumerate()
                    .map(|(i, page)| {
                        let name = format!("/diagrams/{stem}-s{}-{}.svg", k + 1, i + 1);
                        files.insert(name.clone(), page.into_bytes());
                        name
                    })
                    .collect(),
            };
            ctx.doc.flows[f]
                .starts
                .push(context::ChartStart { room_pt, diagrams });
        }
    }
    let ident = format!("{} rev. {}", doc.id, doc.revision);
    let shared = SharedContext::new(&ctx, doc, fonts, langs, &ident);
    let source = templates.render(
        "document.typ.j2",
        &minijinja::context! { ctx => shared.value() },
    )?;
    let stem = document_file(doc);
    if parts.emit_typst {
        jobs.push(bytes_job(
            format!("typst/{}.typ", stem.trim_end_matches(".pdf")),
            source.clone().into_bytes(),
        ));
        // The drawings the source reads, so `typst compile --root typst` finds them (the
        // files every source shares are emitted once, by the build).
        for (name, bytes) in &files {
            if !files_common.contains_key(name) {
                jobs.push(bytes_job(format!("typst{name}"), bytes.clone()));
            }
        }
    }
    jobs.push(pdf_job(
        stem,
        "document.typ.j2",
        source,
        files,
        doc.effective.0,
        ident.clone(),
        option_key,
    ));
    Ok(ctx)
}

/// What `master-list.typ.j2` prints: the header and footer data every template has, and
/// the lists.
#[derive(Serialize)]
struct MasterContext<'a> {
    langs: Vec<context::LangContext>,
    labels: BTreeMap<&'static str, context::Multi>,
    company: context::Multi,
    copyright: Option<context::Multi>,
    logo: Option<String>,
    /// "As of <date>" in the footer.
    status: context::Multi,
    status_key: &'static str,
    fingerprint: String,
    fonts: &'a [String],
    date: DateParts,
    /// The latest effective date of the documents, `YYYY-MM-DD`.
    effective: String,
    page_of: Vec<[String; 3]>,
    ident: String,
    list: &'a MasterList,
}

/// The master list, records register and where-used index: three CSVs and one PDF, dated
/// with the latest effective date of the QMS so that they are reproducible.
pub(super) fn master_list_jobs(
    qms: &Qms,
    parts: &DocumentParts,
    jobs: &mut Vec<Job>,
) -> Result<(), BuildError> {
    let Some(date) = MasterList::date(qms) else {
        return Ok(());
    };
    let printing = parts.printing;
    let list = master::master_list(qms, printing);
    let csvs = list.csv_files();
    let mut hasher = Sha256::new();
    for (_, bytes) in &csvs {
        hasher.update(bytes);
    }
    let fingerprint = fingerprint::short(&hex::encode(hasher.finalize()));
    let labels = super::labels::labels(parts.langs);
    let effective = date.to_string();
    let as_of = labels
        .get("as_of")
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|l| format!("{l} {effective}"))
        .collect();
    let ident = format!(
        "{} {effective}",
        super::labels::label("master_list", &parts.langs[0])
    );
    let ctx = MasterContext {
        langs: context::lang_contexts(parts.langs),
        company: printing.text(&printing.settings.company),
        copyright: printing
            .settings
            .copyright
            .as_ref()
            .map(|t| printing.text(t)),
        logo: printing.logo.clone(),
        status: as_of,
        status_key: "list",
        fingerprint,
        fonts: parts.fonts,
        date: date_parts(date),
        effective,
        page_of: page_of(parts.langs),
        ident: ident.clone(),
        list: &list,
        labels,
    };
    let source = parts.templates.render(
        "master-list.typ.j2",
        &minijinja::context! { ctx => minijinja_ctx(&ctx) },
    )?;
    for (name, bytes) in csvs {
        jobs.push(bytes_job(name.to_string(), bytes));
    }
    if parts.emit_typst {
        jobs.push(bytes_job(
            "typst/master-list.typ".to_string(),
            source.clone().into_bytes(),
        ));
    }
    jobs.push(pdf_job(
        master::PDF.to_string(),
        "master-list.typ.j2",
        source,
        parts.files_common.clone(),
        date,
        ident,
        parts.option_key,
    ));
    Ok(())
}

/// The key of everything a build reads: every source file, the templates, the logo, the
/// options and procdoc's own version (which pins the bundled fonts).
pub(super) fn inputs_key(
    qms: &Qms,
    templates: &Templates,
    opts: &BuildOptions,
    logo: Option<&[u8]>,
    fonts_key: &str,
) -> String {
    let options = format!(
        "{}|{:?}|{}|{:?}|{}",
        env!("CARGO_PKG_VERSION"),
        opts.lang,
        opts.system_fonts,
        opts.font_dirs,
        opts.emit_typst
    );
    let mut parts: Vec<&[u8]> = vec![
        options.as_bytes(),
        fonts_key.as_bytes(),
        templates.fingerprint().as_bytes(),
        logo.unwrap_or_default(),
    ];
    for id in 0..qms.sources.len() {
        let file = qms.sources.get(id);
        parts.push(file.name.as_bytes());
        parts.push(file.text.as_bytes());
    }
    hash(&parts)
}

/// Drawing height per page: an A4 page less header, footer and the flow's heading.
pub(super) fn date_parts(date: chrono::NaiveDate) -> DateParts {
    use chrono::Datelike;
    DateParts {
        year: date.year(),
        month: date.month(),
        day: date.day(),
    }
}

pub(super) fn minijinja_ctx<T: Serialize>(value: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

pub(super) fn bytes_job(path: String, bytes: Vec<u8>) -> Job {
    Job {
        key: hash(&[path.as_bytes(), &bytes]),
        path,
        template: "",
        kind: JobKind::Bytes(bytes),
    }
}

fn pdf_job(
    path: String,
    template: &'static str,
    source: String,
    files: BTreeMap<String, Vec<u8>>,
    date: chrono::NaiveDate,
    ident: String,
    option_key: &str,
) -> Job {
    let mut parts: Vec<&[u8]> = vec![
        path.as_bytes(),
        source.as_bytes(),
        ident.as_bytes(),
        option_key.as_bytes(),
    ];
    for (name, bytes) in &files {
        parts.push(name.as_bytes());
        parts.push(bytes);
    }
    let date_text = date.to_string();
    parts.push(date_text.as_bytes());
    Job {
        key: hash(&parts),
        path,
        template,
        kind: JobKind::Pdf {
            source,
            files,
            date,
            ident,
        },
    }
}
