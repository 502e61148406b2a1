//! `build`: every output of a checked QMS. Each output is a job whose key is the hash of
//! everything it is made from (typst source, images, options, fonts); a job whose key is
//! unchanged and whose file still has the bytes it was written with is skipped, so a no-op
//! rebuild never loads a font or starts typst. How files get into the folder (lock,
//! temporary names, manifest) is [`super::output`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::context::{self, DocumentContext, Printing};
use super::flowchart;
use super::labels::Script;
use super::master::{self, MasterList};
use super::output::{self, FolderLock, Manifest, Recorded, Staged};
use super::templates::Templates;
use super::typeset::{TypesetError, Typesetter, TypstJob};
use crate::control::fingerprint;
use crate::control::register::{Register, Release};
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
    /// Files of earlier builds or releases that this build no longer makes.
    pub removed: Vec<PathBuf>,
    /// Outputs made again (their inputs changed) that came out byte for byte as on disk.
    pub remade_same: usize,
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
    #[error("two outputs would be written to one file: {0} and {1}")]
    Collision(String, String),
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
///
/// The folder is locked for the whole build (a second build into it waits, then finds
/// the first one's outputs). Outputs are typeset on every core, a procedure at a time per
/// core, and each is written to a temporary file as soon as it is ready, so memory holds
/// only the documents being typeset. Only when every output succeeded are the temporary
/// files renamed into place: a failed build changes nothing.
pub fn build(qms: &Qms, opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    let settings = qms.settings.as_ref().ok_or(BuildError::NoSettings)?;
    let templates = Templates::new(opts.templates.as_deref())?;
    let langs = printed_languages(settings, opts);
    let logo = Logo::read(qms, settings);
    let fonts_key = font_dirs_key(&opts.font_dirs);
    // Everything the outputs are made from. When it is what the last build saw and every
    // output it wrote is still there with the bytes it wrote, nothing needs rendering.
    let inputs_key = inputs_key(
        qms,
        &templates,
        opts,
        logo.as_ref().map(|l| l.bytes.as_slice()),
        &fonts_key,
    );
    let out_dir = &opts.out_dir;
    let _lock = FolderLock::acquire(out_dir, || {
        eprintln!(
            "waiting for another build into {} to finish",
            out_dir.display()
        )
    })
    .map_err(|e| BuildError::Io(out_dir.join(output::LOCK_FILE), e))?;
    let previous = Manifest::read(out_dir);
    if !opts.force && previous.inputs == inputs_key && previous.all_intact(out_dir) {
        return Ok(BuildReport {
            unchanged: previous.outputs.len(),
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
        "{:?}|{}|{}|{fonts_key}",
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

    // The master list is the longest single output: it goes first so that it is typeset
    // beside the procedures instead of alone at the end.
    let mut tasks = vec![Task::MasterList];
    if opts.emit_typst {
        tasks.push(Task::CommonFiles);
    }
    let register = qms.register.as_ref();
    tasks.extend(
        register
            .iter()
            .flat_map(|r| superseded(r))
            .map(Task::Obsolete),
    );
    tasks.extend(qms.procedures.iter().map(|p| Task::Procedure(&p.doc)));
    let pdfs = tasks.iter().map(|t| t.pdf_count()).sum();
    let bar = progress_bar(opts.progress, pdfs);
    let run = Run {
        qms,
        parts: &parts,
        opts,
        previous: &previous,
        typesetter: std::sync::OnceLock::new(),
        bar: bar.as_ref(),
    };
    // Typst recurses deeply on long tables (a master list of hundreds of procedures);
    // rayon's default 2 MiB worker stacks are not enough for that.
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(COMPILE_STACK_BYTES)
        .build()
        .map_err(|e| BuildError::Fonts(format!("cannot start the build threads: {e}")))?;
    let outcomes: Vec<Result<Settled, BuildError>> =
        pool.install(|| tasks.par_iter().map(|task| run.task(task)).collect());
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut settled = Vec::new();
    let mut failure = None;
    for outcome in outcomes {
        match outcome {
            Ok(s) => settled.push(s),
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    let mut done: Vec<Done> = Vec::new();
    let mut glyph_texts = Vec::new();
    for s in settled {
        done.extend(s.done);
        glyph_texts.extend(s.glyph_texts);
    }
    if failure.is_none() {
        failure = name_collision(&done).err();
    }
    // One failed output means nothing is written: a half-updated set of controlled
    // documents is worse than the previous complete one.
    if let Some(e) = failure {
        for d in done {
            if let Some(staged) = d.staged {
                staged.discard();
            }
        }
        return Err(e);
    }

    let mut report = BuildReport::default();
    if let Some(Ok(typesetter)) = run.typesetter.get() {
        report.warnings = missing_glyph_warnings(typesetter, glyph_texts);
    }
    let mut manifest = Manifest::new(inputs_key);
    let mut failure = None;
    for d in done {
        if d.remade && d.staged.is_none() {
            report.remade_same += 1;
        }
        manifest.outputs.insert(
            d.path.clone(),
            Recorded {
                key: d.key,
                sha256: d.sha256,
            },
        );
        match d.staged {
            Some(staged) if failure.is_none() => {
                let target = staged.target().to_path_buf();
                match staged.commit() {
                    Ok(()) => report.written.push(target),
                    Err(e) => failure = Some(BuildError::Io(target, e)),
                }
            }
            Some(staged) => staged.discard(),
            None => report.unchanged += 1,
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    remove_stale(qms, out_dir, &previous, &manifest, &mut report);
    manifest
        .write(out_dir)
        .map_err(|e| BuildError::Io(out_dir.join(output::MANIFEST), e))?;
    Ok(report)
}

/// One unit of parallel work: everything of one procedure, the master list, one obsolete
/// copy, or the files every emitted typst source shares.
enum Task<'a> {
    MasterList,
    CommonFiles,
    Obsolete(&'a Release),
    Procedure(&'a Procedure),
}

impl Task<'_> {
    /// How many PDFs the task makes, for the progress bar.
    fn pdf_count(&self) -> usize {
        match self {
            Task::MasterList | Task::Obsolete(_) => 1,
            Task::CommonFiles => 0,
            Task::Procedure(doc) => {
                1 + doc.flows.len() + doc.records.iter().filter(|r| !r.fields.is_empty()).count()
            }
        }
    }
}

/// Every released revision that a later release of its document replaced.
fn superseded(register: &Register) -> impl Iterator<Item = &Release> {
    register.releases.iter().filter(move |r| {
        register
            .latest(&r.doc)
            .is_some_and(|latest| latest.revision != r.revision)
    })
}

/// What one build shares between its threads.
struct Run<'a> {
    qms: &'a Qms,
    parts: &'a DocumentParts<'a>,
    opts: &'a BuildOptions,
    previous: &'a Manifest,
    /// Loaded by the first output that needs typst; never when nothing is typeset.
    typesetter: std::sync::OnceLock<Result<Typesetter, String>>,
    bar: Option<&'a indicatif::ProgressBar>,
}

/// The outputs of one task, each settled: unchanged, or staged under a temporary name.
struct Settled {
    done: Vec<Done>,
    /// Texts to test for missing glyphs.
    glyph_texts: Vec<String>,
}

struct Done {
    path: String,
    key: String,
    sha256: String,
    /// The new bytes, not yet in place; `None` when the file on disk is already right.
    staged: Option<Staged>,
    /// Made again rather than kept by its key.
    remade: bool,
}

impl Run<'_> {
    fn task(&self, task: &Task) -> Result<Settled, BuildError> {
        let mut jobs = Vec::new();
        let mut glyph_texts = Vec::new();
        match task {
            Task::MasterList => master_list_jobs(self.qms, self.parts, &mut jobs)?,
            Task::CommonFiles => {
                // The files every source reads, so `typst compile --root typst` finds them.
                for (name, bytes) in self.parts.files_common {
                    jobs.push(bytes_job(format!("typst{name}"), bytes.clone()));
                }
            }
            Task::Obsolete(release) => return self.obsolete(release),
            Task::Procedure(doc) => {
                glyph_texts = procedure_jobs(self.qms, self.parts, doc, &mut jobs)?;
            }
        }
        let done = jobs
            .into_par_iter()
            .map(|job| self.settle(job))
            .collect::<Result<Vec<_>, _>>()?;
        // Once per procedure: often enough to keep a long build's memory flat, rarely
        // enough to cost nothing measurable.
        super::typeset::return_freed_memory();
        Ok(Settled { done, glyph_texts })
    }

    /// The copy of a superseded revision stamped OBSOLETE, under `obsolete/`. The copy
    /// `release` certified in the register is kept as it is, even when a build today
    /// would print it differently.
    fn obsolete(&self, release: &Release) -> Result<Settled, BuildError> {
        let name = format!("obsolete/{}", document_file(&release.content));
        let target = self.opts.out_dir.join(&name);
        let certified = self
            .qms
            .register
            .as_ref()
            .and_then(|r| {
                r.releases_of(&release.doc).find_map(|later| {
                    later
                        .obsoleted
                        .as_ref()
                        .filter(|o| o.revision == release.revision)
                })
            })
            .map(|o| o.pdf_sha256.clone());
        if let Some(sha) = certified.filter(|sha| output::is_intact(&target, sha)) {
            if let Some(bar) = self.bar {
                bar.inc(1);
            }
            return Ok(Settled {
                done: vec![Done {
                    path: name,
                    key: format!("certified:{sha}"),
                    sha256: sha,
                    staged: None,
                    remade: false,
                }],
                glyph_texts: Vec::new(),
            });
        }
        let content = &release.content;
        let printing = Printing {
            procedures: self
                .qms
                .procedures
                .iter()
                .map(|p| {
                    if p.doc.id == content.id {
                        content
                    } else {
                        &p.doc
                    }
                })
                .collect(),
            langs: self.parts.printing.langs.clone(),
            logo: self.parts.printing.logo.clone(),
            ..*self.parts.printing
        };
        let parts = DocumentParts {
            printing: &printing,
            emit_typst: false,
            ..*self.parts
        };
        let mut jobs = Vec::new();
        document_job(&parts, content, "obsolete", &mut jobs)?;
        let done = jobs
            .into_iter()
            .filter(|job| matches!(job.kind, JobKind::Pdf { .. }))
            .map(|mut job| {
                job.path = name.clone();
                self.settle(job)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Settled {
            done,
            glyph_texts: Vec::new(),
        })
    }

    /// Decides whether `job`'s file is already right; makes and stages it when not.
    fn settle(&self, job: Job) -> Result<Done, BuildError> {
        let target = self.opts.out_dir.join(&job.path);
        let is_pdf = matches!(job.kind, JobKind::Pdf { .. });
        let kept = (!self.opts.force)
            .then(|| self.previous.outputs.get(&job.path))
            .flatten()
            .filter(|r| r.key == job.key && output::is_intact(&target, &r.sha256));
        if let Some(recorded) = kept {
            if is_pdf && let Some(bar) = self.bar {
                bar.inc(1);
            }
            return Ok(Done {
                path: job.path,
                key: job.key,
                sha256: recorded.sha256.clone(),
                staged: None,
                remade: false,
            });
        }
        let bytes = match job.kind {
            JobKind::Bytes(bytes) => bytes,
            JobKind::Pdf {
                source,
                files,
                date,
                ident,
            } => {
                let typesetter = self
                    .typesetter
                    .get_or_init(|| {
                        Typesetter::new(&self.opts.font_dirs, self.opts.system_fonts)
                            .map_err(|e| e.to_string())
                    })
                    .as_ref()
                    .map_err(|e| BuildError::Fonts(e.clone()))?;
                let pdf = compile_pdf(
                    typesetter,
                    &job.path,
                    job.template,
                    &source,
                    &files,
                    date,
                    &ident,
                )?;
                if let Some(bar) = self.bar {
                    bar.inc(1);
                }
                pdf
            }
        };
        let sha256 = output::sha256(&bytes);
        let staged = if output::is_intact(&target, &sha256) {
            None
        } else {
            Some(Staged::write(&target, &bytes).map_err(|e| BuildError::Io(target, e))?)
        };
        Ok(Done {
            path: job.path,
            key: job.key,
            sha256,
            staged,
            remade: true,
        })
    }
}

/// The jobs of one procedure (its document, diagrams, forms and travellers); returns the
/// texts it prints, to test for missing glyphs.
fn procedure_jobs(
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

/// Two outputs of one build must never share a file name (compared as a case-insensitive
/// file system would): one would silently replace the other.
fn name_collision(done: &[Done]) -> Result<(), BuildError> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for d in done {
        if let Some(first) = seen.insert(d.path.to_lowercase(), &d.path) {
            return Err(BuildError::Collision(first.to_string(), d.path.clone()));
        }
    }
    Ok(())
}

/// Warnings for the texts no loaded font can print. Characters are tested once each, then
/// only the texts holding a missing one are named.
fn missing_glyph_warnings(typesetter: &Typesetter, mut texts: Vec<String>) -> Vec<String> {
    texts.sort();
    texts.dedup();
    let mut chars: Vec<char> = texts.iter().flat_map(|t| t.chars()).collect();
    chars.sort_unstable();
    chars.dedup();
    let all: String = chars.into_iter().collect();
    let missing = typesetter.missing_glyphs(&all);
    if missing.is_empty() {
        return Vec::new();
    }
    texts
        .iter()
        .filter_map(|text| {
            let here: Vec<char> = missing
                .iter()
                .copied()
                .filter(|c| text.contains(*c))
                .collect();
            (!here.is_empty()).then(|| {
                format!(
                    "no bundled font has a glyph for {} in “{}”",
                    here.iter()
                        .map(|c| format!("'{c}' (U+{:04X})", *c as u32))
                        .collect::<Vec<_>>()
                        .join(", "),
                    text
                )
            })
        })
        .collect()
}

/// Removes what earlier builds or releases left in `dir` that this build no longer makes:
/// outputs of the last build (a renamed form, a new revision's document) and the
/// controlled copy of a superseded revision. A file goes only when its bytes are the ones
/// procdoc recorded; one changed since is left and named in a warning.
fn remove_stale(
    qms: &Qms,
    dir: &Path,
    previous: &Manifest,
    now: &Manifest,
    report: &mut BuildReport,
) {
    let register = qms.register.as_ref();
    // The controlled copies in force stay, whoever wrote them.
    let in_force: Vec<String> = register
        .map(|r| {
            qms.procedures
                .iter()
                .filter_map(|p| r.latest(&p.doc.id))
                .map(|latest| document_file(&latest.content))
                .collect()
        })
        .unwrap_or_default();
    let mut candidates: BTreeMap<String, String> = previous
        .outputs
        .iter()
        .map(|(path, r)| (path.clone(), r.sha256.clone()))
        .collect();
    for release in register.iter().flat_map(|r| superseded(r)) {
        candidates
            .entry(document_file(&release.content))
            .or_insert_with(|| release.pdf_sha256.clone());
    }
    for (path, sha) in candidates {
        if now.outputs.contains_key(&path) || in_force.contains(&path) {
            continue;
        }
        let file = dir.join(&path);
        if std::fs::symlink_metadata(&file).is_err() {
            continue;
        }
        if !output::is_intact(&file, &sha) {
            report.warnings.push(format!(
                "left {}: procdoc no longer makes it, but its bytes are not the ones procdoc recorded for it",
                file.display()
            ));
            continue;
        }
        match std::fs::remove_file(&file) {
            Ok(()) => report.removed.push(file),
            Err(e) => report
                .warnings
                .push(format!("cannot remove {}: {e}", file.display())),
        }
    }
}

/// What identifies the fonts of `--font-path` folders: every file's path, size and
/// modification time, so replacing a font rebuilds what it prints.
fn font_dirs_key(dirs: &[PathBuf]) -> String {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                if depth < 8 {
                    walk(&path, depth + 1, out);
                }
            } else {
                let modified = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_nanos())
                    .unwrap_or_default();
                out.push(format!("{}|{}|{modified}", path.display(), meta.len()));
            }
        }
    }
    let mut files = Vec::new();
    for dir in dirs {
        files.push(format!("dir {}", dir.display()));
        walk(dir, 0, &mut files);
    }
    let joined = files.join("\n");
    hash(&[joined.as_bytes()])
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

/// The key of everything a build reads: every source file, the templates, the logo, the
/// options and procdoc's own version (which pins the bundled fonts).
fn inputs_key(
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

/// Remembers the key and checksum of every output, to skip unchanged ones next time.
pub use super::output::MANIFEST;

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
