//! `build`: every output of a checked QMS. Each output is a job whose key is the hash of
//! everything it is made from (typst source, images, options, fonts); a job whose key is
//! unchanged and whose file still has the bytes it was written with is skipped, so a no-op
//! rebuild never loads a font or starts typst. How files get into the folder (lock,
//! temporary names, manifest) is [`super::output`]; what each job is made from is
//! [`super::jobs`], its fonts [`super::fonts`], and typesetting one PDF [`super::pdf`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::context::Printing;
pub(crate) use super::fonts::bundled_fonts;
pub use super::fonts::{BUNDLED_FAMILIES, font_order};
use super::fonts::{font_dirs_key, missing_glyph_warnings};
use super::jobs::{
    DocumentParts, Job, JobKind, Logo, bytes_job, common_files, document_job, inputs_key,
    master_list_jobs, printed_languages, procedure_jobs,
};
use super::output::{self, FolderLock, Manifest, Recorded, Staged};
use super::pdf::compile_pdf;
pub use super::pdf::{document_pdf, run_record_pdf};
use super::templates::Templates;
use super::typeset::Typesetter;
use crate::control::register::{Register, Release};
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
    /// Outputs made again (their inputs changed, or no earlier build recorded them) that
    /// came out byte for byte as on disk: left as they were, not counted as `unchanged`.
    pub remade_same: usize,
    /// Outputs skipped: inputs and file as the last build recorded them.
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

/// Build everything for a QMS without errors into `opts.out_dir`.
///
/// The folder is locked for the whole build (a second build into it waits, then finds
/// the first one's outputs). Outputs are typeset on every core, one output at a time per
/// core ([`super::workers`]), and each is written to a temporary file as soon as it is ready, so memory holds
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
    let lock = FolderLock::acquire(out_dir, || {
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
    // Once per task (a procedure): often enough to keep a long build's memory flat, rarely
    // enough to cost nothing measurable.
    let (expanded, mut failure) = super::workers::run_tasks(
        &pool,
        &tasks,
        |task| run.expand(task),
        |job| run.settle(job),
        super::typeset::end_batch_task,
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut done: Vec<Done> = Vec::new();
    let mut glyph_texts = Vec::new();
    for (settled, made) in expanded {
        done.extend(settled.done);
        done.extend(made);
        glyph_texts.extend(settled.glyph_texts);
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
                stat: None,
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
            None if d.remade => {}
            None => report.unchanged += 1,
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    remove_stale(qms, out_dir, &previous, &manifest, &mut report);
    manifest.record_stats(out_dir, &lock, &previous);
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

/// What one task settled without a job (an obsolete copy kept as certified: unchanged),
/// and the texts of its outputs to test for missing glyphs.
#[derive(Default)]
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
    /// The jobs of `task`, and what it settled already (an obsolete copy kept as certified)
    /// with the texts to test for missing glyphs.
    fn expand(&self, task: &Task) -> Result<(Vec<Job>, Settled), BuildError> {
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
        let settled = Settled {
            done: Vec::new(),
            glyph_texts,
        };
        Ok((jobs, settled))
    }

    /// The copy of a superseded revision stamped OBSOLETE, under `obsolete/`. The copy
    /// `release` certified in the register is kept as it is, even when a build today
    /// would print it differently.
    fn obsolete(&self, release: &Release) -> Result<(Vec<Job>, Settled), BuildError> {
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
            let kept = Done {
                path: name,
                key: format!("certified:{sha}"),
                sha256: sha,
                staged: None,
                remade: false,
            };
            return Ok((
                Vec::new(),
                Settled {
                    done: vec![kept],
                    glyph_texts: Vec::new(),
                },
            ));
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
        let jobs = jobs
            .into_iter()
            .filter(|job| matches!(job.kind, JobKind::Pdf { .. }))
            .map(|mut job| {
                job.path = name.clone();
                job
            })
            .collect();
        Ok((jobs, Settled::default()))
    }

    /// Decides whether `job`'s file is already right; makes and stages it when not.
    fn settle(&self, job: Job) -> Result<Done, BuildError> {
        let target = self.opts.out_dir.join(&job.path);
        let is_pdf = matches!(job.kind, JobKind::Pdf { .. });
        let kept = (!self.opts.force)
            .then(|| self.previous.outputs.get(&job.path))
            .flatten()
            .filter(|r| r.key == job.key && r.is_intact(&target));
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
                            .map(Typesetter::for_batch)
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
        let on_disk = match self.previous.outputs.get(&job.path) {
            Some(r) if r.sha256 == sha256 => r.is_intact(&target),
            _ => output::is_intact(&target, &sha256),
        };
        let staged = if on_disk {
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

/// Stack of each build thread; see where the pool is made.
const COMPILE_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Remembers the key and checksum of every output, to skip unchanged ones next time.
pub use super::output::MANIFEST;

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
