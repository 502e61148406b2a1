//! `build`: every output of a checked QMS. Each output is a job whose key is the hash of
//! everything it is made from (typst source, images, options); a job whose key and file are
//! unchanged is skipped, so a no-op rebuild never loads a font or starts typst.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::context::{self, DocumentContext, Printing};
use super::flowchart;
use super::labels::Script;
use super::master::{self, MasterList};
use super::templates::Templates;
use super::typeset::{TypesetError, Typesetter, TypstJob};
use crate::control::fingerprint;
use crate::flow::graph::FlowGraph;
use crate::spec::load::Qms;
use crate::spec::model::Procedure;

#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The QMS's output folder (e.g. `output/red-maple`).
    pub out_dir: PathBuf,
    pub templates: Option<PathBuf>,
    /// Print one language only instead of every QMS language.
    pub lang: Option<String>,
    pub force: bool,
    pub system_fonts: bool,
    pub font_dirs: Vec<PathBuf>,
    /// Also write the generated typst sources next to the PDFs.
    pub emit_typst: bool,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

#[derive(Debug, Default)]
pub struct BuildReport {
    pub written: Vec<PathBuf>,
    pub unchanged: usize,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Template(#[from] super::templates::TemplateError),
    #[error("typesetting {output} (from template {template}) failed:\n{message}")]
    Typeset {
        output: String,
        template: String,
        message: String,
    },
    #[error("fonts: {0}")]
    Fonts(String),
    #[error("cannot write {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("the QMS settings could not be read")]
    NoSettings,
}

/// One output file and how to make it.
struct Job {
    /// Path relative to the output folder.
    path: String,
    template: &'static str,
    kind: JobKind,
    key: String,
}

enum JobKind {
    /// Written as is (SVG diagrams, typst sources).
    Bytes(Vec<u8>),
    Pdf {
        source: String,
        files: BTreeMap<String, Vec<u8>>,
        date: chrono::NaiveDate,
        ident: String,
    },
}

/// A file name safe on every OS, also for ids like `ZZA/QP-004` or revision `A/01`.
pub fn file_stem(id: &str) -> String {
    let cleaned: String = id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches(['.', '-', ' ']);
    if trimmed.is_empty() {
        "unnamed".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The controlled document's file name: `<DOC-ID>_<revision>.pdf`.
pub fn document_file(doc: &Procedure) -> String {
    format!("{}_{}.pdf", file_stem(&doc.id), file_stem(&doc.revision))
}

/// What every template of one document's outputs is given, under `ctx`.
#[derive(Serialize)]
struct SharedContext<'a> {
    #[serde(flatten)]
    document: &'a DocumentContext,
    fonts: &'a [String],
    date: DateParts,
    page_of: Vec<[String; 3]>,
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
            ident: ident.to_string(),
        }
    }

    fn value(&self) -> minijinja::Value {
        minijinja_ctx(self)
    }
}

/// The company logo as the typst sources read it (`/logo.<ext>`).
struct Logo {
    name: String,
    bytes: Vec<u8>,
}

impl Logo {
    /// The logo the settings name, when it can be read inside the QMS folder (the checker
    /// reports one that cannot).
    fn read(qms: &Qms, settings: &crate::spec::model::Settings) -> Option<Logo> {
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
fn common_files(logo: Option<&Logo>) -> BTreeMap<String, Vec<u8>> {
    logo.map(|l| (l.name.clone(), l.bytes.clone()))
        .into_iter()
        .collect()
}

/// The languages printed: the one asked for, or every language of the QMS.
fn printed_languages(settings: &crate::spec::model::Settings, opts: &BuildOptions) -> Vec<String> {
    match &opts.lang {
        Some(lang) => vec![lang.clone()],
        None => settings.languages.clone(),
    }
}

/// The bundled font families, in the order that suits the primary language.
pub(crate) fn bundled_fonts(primary: &str) -> Vec<String> {
    font_order(
        &BUNDLED_FAMILIES
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        primary,
    )
}

#[derive(Serialize)]
struct DateParts {
    year: i32,
    month: u32,
    day: u32,
}

/// "Page {x} of {y}" split around its numbers, per printed language.
fn page_of(langs: &[String]) -> Vec<[String; 3]> {
    let mut out: Vec<[String; 3]> = langs.iter().map(|l| around_numbers("page_of", l)).collect();
    out.dedup();
    out
}

/// A label with `{x}` and `{y}` split into the text before, between and after them, so
/// that templates can put typst values (page counters, raw hashes) in between.
fn around_numbers(key: &str, lang: &str) -> [String; 3] {
    let text = super::labels::label(key, lang);
    let (pre, rest) = text.split_once("{x}").unwrap_or((&text, ""));
    let (mid, post) = rest.split_once("{y}").unwrap_or((rest, ""));
    [pre.to_string(), mid.to_string(), post.to_string()]
}

/// Font families in the order text should use them: Latin first, then the CJK font of the
/// primary language (Simplified, Traditional, Japanese or Korean glyph forms differ for the
/// same character), then the other CJK fonts, then anything else, symbols last.
pub fn font_order(families: &[String], primary: &str) -> Vec<String> {
    let lower = primary.to_ascii_lowercase();
    let own = match Script::of(primary) {
        Script::Traditional => "hant",
        Script::Simplified => "hans",
        Script::English if lower.starts_with("ja") => "ja",
        Script::English if lower.starts_with("ko") => "ko",
        Script::English => "hans",
    };
    let kind = |f: &str| {
        if f.contains("Hant") || f.contains(" TC") || f.contains("T Chinese") {
            Some("hant")
        } else if f.contains("Hans") || f.contains(" SC") || f.contains("S Chinese") {
            Some("hans")
        } else if f.contains("Japanese") || f.ends_with(" JP") {
            Some("ja")
        } else if f.contains("Korean") || f.ends_with(" KR") {
            Some("ko")
        } else if f.contains("Symbols") {
            Some("symbols")
        } else {
            None
        }
    };
    let rank = |f: &String| match kind(f) {
        None => 0,
        Some(k) if k == own => 1,
        Some("hans") => 2,
        Some("hant") => 3,
        Some("ja") => 4,
        Some("ko") => 5,
        Some(_) => 6,
    };
    let mut sorted = families.to_vec();
    sorted.sort_by_key(|f| (rank(f), f.clone()));
    sorted
}

/// The bundled families, known without loading a font, so that unchanged builds need none.
pub const BUNDLED_FAMILIES: &[&str] = &[
    "Noto Sans",
    "Noto Sans S Chinese",
    "Noto Sans T Chinese",
    "Noto Sans Japanese",
    "Noto Sans Korean",
    "Noto Sans Symbols2",
];

fn hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// Build everything for a QMS without errors into `opts.out_dir`.
pub fn build(qms: &Qms, opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    let settings = qms.settings.as_ref().ok_or(BuildError::NoSettings)?;
    let templates = Templates::new(opts.templates.as_deref())?;
    let langs = printed_languages(settings, opts);
    let logo = Logo::read(qms, settings);
    // Everything the outputs are made from. When it is what the last build saw and every
    // output it wrote is still there, nothing needs to be rendered at all.
    let inputs_key = inputs_key(
        qms,
        &templates,
        opts,
        logo.as_ref().map(|l| l.bytes.as_slice()),
    );
    let manifest_path = opts.out_dir.join(MANIFEST);
    let previous: BTreeMap<String, String> = std::fs::read_to_string(&manifest_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    if !opts.force
        && previous.get(INPUTS_KEY) == Some(&inputs_key)
        && previous
            .keys()
            .filter(|k| k.as_str() != INPUTS_KEY)
            .all(|path| opts.out_dir.join(path).is_file())
    {
        return Ok(BuildReport {
            unchanged: previous.len() - 1,
            ..Default::default()
        });
    }
    let printing = Printing {
        settings,
        langs: langs.clone(),
        procedures: qms.procedures.iter().map(|p| &p.doc).collect(),
        logo: logo.as_ref().map(|l| l.name.clone()),
    };
    let fonts = bundled_fonts(settings.primary_language());
    let files_common = common_files(logo.as_ref());
    let option_key = format!(
        "{:?}|{}|{}",
        langs,
        opts.system_fonts,
        env!("CARGO_PKG_VERSION")
    );

    let parts = DocumentParts {
        printing: &printing,
        templates: &templates,
        fonts: &fonts,
        langs: &langs,
        files_common: &files_common,
        option_key: &option_key,
        emit_typst: opts.emit_typst,
    };
    let mut jobs = Vec::new();
    let mut warnings = Vec::new();
    for loaded in &qms.procedures {
        let doc = &loaded.doc;
        let status = crate::control::status_of(qms, doc);
        let ctx = document_job(&parts, doc, status, &mut jobs)?;

        for record in doc.records.iter().filter(|r| !r.fields.is_empty()) {
            let record_ctx = context::record(&printing, record);
            let form_ident = format!("{} ({} rev. {})", record_ctx.form, doc.id, doc.revision);
            let shared = SharedContext::new(&ctx, doc, &fonts, &langs, &form_ident);
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
            if opts.emit_typst {
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
                &option_key,
            ));
        }
        for (f, flow) in doc.flows.iter().enumerate() {
            let traveller_ident = format!("{} / {} rev. {}", doc.id, flow.id, doc.revision);
            let shared = SharedContext::new(&ctx, doc, &fonts, &langs, &traveller_ident);
            let source = templates.render(
                "traveller.typ.j2",
                &minijinja::context! {
                    ctx => shared.value(),
                    flow => minijinja::Value::from(minijinja::value::Serde(&ctx.doc.flows[f])),
                },
            )?;
            let stem = format!("{}_{}", file_stem(&doc.id), file_stem(&flow.id));
            if opts.emit_typst {
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
                &option_key,
            ));
        }
        warnings.extend(glyph_candidates(&ctx));
    }
    master_list_jobs(qms, &parts, &mut jobs)?;

    let manifest = previous;
    let (todo, unchanged): (Vec<&Job>, Vec<&Job>) = jobs.iter().partition(|job| {
        opts.force
            || manifest.get(&job.path) != Some(&job.key)
            || !opts.out_dir.join(&job.path).is_file()
    });
    let mut report = BuildReport {
        unchanged: unchanged.len(),
        ..Default::default()
    };
    if todo.is_empty() {
        let mut same = manifest.clone();
        same.insert(INPUTS_KEY.to_string(), inputs_key);
        let text = serde_json::to_string_pretty(&same).unwrap_or_default();
        write_if_changed(&manifest_path, text.as_bytes())?;
        return Ok(report);
    }

    let needs_typst = todo.iter().any(|j| matches!(j.kind, JobKind::Pdf { .. }));
    let typesetter = if needs_typst {
        let t = Typesetter::new(&opts.font_dirs, opts.system_fonts)
            .map_err(|e| BuildError::Fonts(e.to_string()))?;
        for text in &warnings {
            let missing = t.missing_glyphs(text);
            if !missing.is_empty() {
                report.warnings.push(format!(
                    "no bundled font has a glyph for {} in “{}”",
                    missing
                        .iter()
                        .map(|c| format!("'{c}' (U+{:04X})", *c as u32))
                        .collect::<Vec<_>>()
                        .join(", "),
                    text
                ));
            }
        }
        Some(t)
    } else {
        None
    };
    let bar = progress_bar(opts.progress, todo.len());
    // Typst recurses deeply on long tables (a master list of hundreds of procedures);
    // rayon's default 2 MiB worker stacks are not enough for that.
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(COMPILE_STACK_BYTES)
        .build()
        .map_err(|e| BuildError::Fonts(format!("cannot start the build threads: {e}")))?;
    let results: Vec<Result<(String, Vec<u8>), BuildError>> = pool.install(|| {
        todo.par_iter()
            .map(|job| {
                let out = match &job.kind {
                    JobKind::Bytes(bytes) => Ok((job.path.clone(), bytes.clone())),
                    JobKind::Pdf {
                        source,
                        files,
                        date,
                        ident,
                    } => {
                        let typesetter = typesetter
                            .as_ref()
                            .ok_or_else(|| BuildError::Fonts("no typesetter".into()))?;
                        let pdf = compile_pdf(
                            typesetter,
                            &job.path,
                            job.template,
                            source,
                            files,
                            *date,
                            ident,
                        )?;
                        Ok((job.path.clone(), pdf))
                    }
                };
                if let Some(bar) = &bar {
                    bar.inc(1);
                }
                out
            })
            .collect()
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // One failed output means nothing is written: a half-updated set of controlled
    // documents is worse than the previous complete one.
    let results: Vec<(String, Vec<u8>)> = results.into_iter().collect::<Result<_, _>>()?;
    let mut new_manifest = manifest.clone();
    for (job, (path, bytes)) in todo.iter().zip(results) {
        let target = opts.out_dir.join(&path);
        write_if_changed(&target, &bytes)?;
        new_manifest.insert(job.path.clone(), job.key.clone());
        report.written.push(target);
    }
    for job in &unchanged {
        new_manifest.insert(job.path.clone(), job.key.clone());
    }
    new_manifest.insert(INPUTS_KEY.to_string(), inputs_key);
    let text = serde_json::to_string_pretty(&new_manifest).unwrap_or_default();
    write_if_changed(&manifest_path, text.as_bytes())?;
    Ok(report)
}

/// What every document job shares within one build.
struct DocumentParts<'a> {
    printing: &'a Printing<'a>,
    templates: &'a Templates,
    fonts: &'a [String],
    langs: &'a [String],
    files_common: &'a BTreeMap<String, Vec<u8>>,
    option_key: &'a str,
    emit_typst: bool,
}

/// The jobs of one controlled document (its diagrams and its PDF) stamped with `status`
/// (`draft`, `controlled`, `obsolete`); returns its context for the forms and travellers.
fn document_job(
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
        // The images the source reads, so `typst compile --root typst` finds them.
        for (name, bytes) in &files {
            jobs.push(bytes_job(format!("typst{name}"), bytes.clone()));
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
fn master_list_jobs(
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
fn compile_pdf(
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

/// Stack of each build thread; see where the pool is made.
const COMPILE_STACK_BYTES: usize = 64 * 1024 * 1024;

/// The manifest entry holding the key of all inputs together (not an output path).
const INPUTS_KEY: &str = ":inputs";

/// The key of everything a build reads: every source file, the templates, the logo, the
/// options and procdoc's own version (which pins the bundled fonts).
fn inputs_key(
    qms: &Qms,
    templates: &Templates,
    opts: &BuildOptions,
    logo: Option<&[u8]>,
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

/// Remembers the key of every output, to skip unchanged ones next time.
pub const MANIFEST: &str = ".procdoc-build.json";

/// Drawing height per page: an A4 page less header, footer and the flow's heading.
fn date_parts(date: chrono::NaiveDate) -> DateParts {
    use chrono::Datelike;
    DateParts {
        year: date.year(),
        month: date.month(),
        day: date.day(),
    }
}

fn minijinja_ctx<T: Serialize>(value: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

fn bytes_job(path: String, bytes: Vec<u8>) -> Job {
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

/// Texts to test for missing glyphs: every string the document prints.
fn glyph_candidates(ctx: &DocumentContext) -> Vec<String> {
    fn walk(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(ctx) {
        walk(&value, &mut out);
    }
    out.sort();
    out.dedup();
    out
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

fn progress_bar(enabled: bool, len: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !enabled || len < 4 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} building {pos}/{len} [{bar:30}] {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// Write only when the content differs, through a temporary file and a rename, so a killed
/// build never leaves a half-written PDF behind.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| BuildError::Io(parent.to_path_buf(), e))?;
    }
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes).map_err(|e| BuildError::Io(tmp.clone(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| BuildError::Io(path.to_path_buf(), e))
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
