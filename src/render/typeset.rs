//! Embedded typst engine: an in-memory [`World`] per job, bundled Noto fonts,
//! deterministic PDF (optionally PDF/A-2b) and per-page SVG export.
//!
//! Controlled documents must be reproducible: the same job must give the same
//! bytes on any machine, so nothing here reads the clock, the disk (other than
//! font directories the caller names) or the network.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use chrono::Datelike;
use typst::diag::{FileError, FileResult, PackageError, SourceDiagnostic, Warned};
use typst::ecow::eco_format;
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{DiagSpan, FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook, FontFamily, FontList, TextElem};
use typst::utils::LazyHash;
use typst::{Features, Library, LibraryExt, World, WorldExt};
use typst_kit::fonts::FontStore;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};
use typst_svg::SvgOptions;

/// Family name typst reports for the bundled Latin/Greek/Cyrillic font.
pub const FAMILY_LATIN: &str = "Noto Sans";
/// Family name typst reports for the bundled Simplified Chinese font.
pub const FAMILY_HANS: &str = "Noto Sans S Chinese";
/// Family name typst reports for the bundled Traditional Chinese font.
pub const FAMILY_HANT: &str = "Noto Sans T Chinese";
/// Family name typst reports for the bundled Japanese font.
pub const FAMILY_JAPANESE: &str = "Noto Sans Japanese";
/// Family name typst reports for the bundled Korean (Hangul) font.
pub const FAMILY_KOREAN: &str = "Noto Sans Korean";
/// Family name typst reports for the bundled symbol font (ballot boxes ☐ ☑ ☒, check marks ✔).
pub const FAMILY_SYMBOLS: &str = "Noto Sans Symbols2";

/// Default font list for documents that do not set one. Latin comes first so
/// Latin text keeps Noto Sans glyphs even though the CJK fonts cover ASCII.
/// Simplified precedes Traditional because the Hans font also covers almost
/// all traditional characters; Traditional documents should list
/// [`FAMILY_HANT`] before [`FAMILY_HANS`] themselves to get Hant glyph forms.
pub const DEFAULT_FONTS: [&str; 6] = [
    FAMILY_LATIN,
    FAMILY_HANS,
    FAMILY_HANT,
    FAMILY_JAPANESE,
    FAMILY_KOREAN,
    FAMILY_SYMBOLS,
];

/// Compiled into the binary so rendering never depends on what fonts the
/// host happens to have installed.
const BUNDLED_FONTS: [(&str, &[u8]); 13] = [
    (
        "NotoSans-Regular.ttf",
        include_bytes!("../../fonts/NotoSans-Regular.ttf"),
    ),
    (
        "NotoSans-Bold.ttf",
        include_bytes!("../../fonts/NotoSans-Bold.ttf"),
    ),
    (
        "NotoSans-Italic.ttf",
        include_bytes!("../../fonts/NotoSans-Italic.ttf"),
    ),
    (
        "NotoSans-BoldItalic.ttf",
        include_bytes!("../../fonts/NotoSans-BoldItalic.ttf"),
    ),
    (
        "NotoSansHans-Regular.otf",
        include_bytes!("../../fonts/NotoSansHans-Regular.otf"),
    ),
    (
        "NotoSansHans-Bold.otf",
        include_bytes!("../../fonts/NotoSansHans-Bold.otf"),
    ),
    (
        "NotoSansHant-Regular.otf",
        include_bytes!("../../fonts/NotoSansHant-Regular.otf"),
    ),
    (
        "NotoSansHant-Bold.otf",
        include_bytes!("../../fonts/NotoSansHant-Bold.otf"),
    ),
    (
        "NotoSansJP-Regular.otf",
        include_bytes!("../../fonts/NotoSansJP-Regular.otf"),
    ),
    (
        "NotoSansJP-Bold.otf",
        include_bytes!("../../fonts/NotoSansJP-Bold.otf"),
    ),
    (
        "NotoSansKR-Regular.otf",
        include_bytes!("../../fonts/NotoSansKR-Regular.otf"),
    ),
    (
        "NotoSansKR-Bold.otf",
        include_bytes!("../../fonts/NotoSansKR-Bold.otf"),
    ),
    (
        "NotoSansSymbols2-Regular.ttf",
        include_bytes!("../../fonts/NotoSansSymbols2-Regular.ttf"),
    ),
];

/// Whether some bundled font has a glyph for `c` (whitespace, controls and invisible
/// formatting characters need none). The coverage tables are read from the bundled fonts
/// once per process, and only when a character outside ASCII is asked about.
pub fn bundled_font_covers(c: char) -> bool {
    static COVERAGE: std::sync::OnceLock<Vec<typst::text::Coverage>> = std::sync::OnceLock::new();
    if c.is_ascii_graphic() || c.is_whitespace() || c.is_control() {
        return true;
    }
    if typst::text::is_default_ignorable(c) {
        return true;
    }
    COVERAGE
        .get_or_init(|| {
            // The font's description only (its character map): shaping tables and glyphs
            // stay unread, so a check never pages in megabytes of outlines.
            BUNDLED_FONTS
                .iter()
                .flat_map(|(_, data)| typst::text::FontInfo::iter(data))
                .map(|info| info.coverage)
                .collect()
        })
        .iter()
        .any(|coverage| coverage.contains(u32::from(c)))
}

/// Entries of typst's global memoization cache unused for this many
/// compilations are dropped; without eviction a long batch run keeps every
/// intermediate layout result alive.
const CACHE_MAX_AGE: usize = 10;

/// The same for a batch (see [`Typesetter::for_batch`]), counted in tasks: the entries of
/// a procedure's outputs are of no use to the next procedure, while those every document
/// shares (fonts, the common template) are used again at once and stay. Measured at 200
/// procedures: 1 against 0 saves a sixth of the CPU (0 drops the shared entries too);
/// 3 costs a tenth more memory for no gain.
const BATCH_CACHE_MAX_AGE: usize = 1;

/// A batch drops typst's whole memoization cache once a document of at least this many
/// pages is laid out, before exporting it. Such a document is the master list of a big
/// QMS (226 pages at 200 procedures): its layout results would stay in the cache through
/// its export, while the other threads add theirs, and set the build's peak memory; after
/// it the cache is rebuilt by the next document at the cost of one ordinary document.
/// Dropping it there took a 200-procedure build from 0.94–1.0 GB to under 0.9 GB.
const BIG_DOCUMENT_PAGES: usize = 60;

/// Ends one task of a batch (a procedure's outputs, or the master list) typeset by a
/// [`Typesetter::for_batch`]: drops typst's memoized results not used in the last
/// [`BATCH_CACHE_MAX_AGE`] tasks, then gives the heap memory freed back to the system.
///
/// Why per task and not per compilation: each eviction walks the whole cache and clears
/// every one of comemo's accelerator tables, which keep the size of the biggest burst
/// they ever saw. After the master list of a QMS of 200 procedures, evicting after each
/// of the 2,400 compilations took a twentieth of the build's CPU (a two-hundredth without
/// the list, which is why the build grew faster than the QMS); once per procedure, the
/// build took a quarter less CPU (122 s to 92 s, `bench/build.sh`).
///
/// Typst allocates millions of small objects per document, and some of them (memoized
/// results) outlive the document. glibc's allocator only returns memory at the top of its
/// heap, so the free space those survivors pin is kept: measured on a 200-procedure build
/// with glibc's allocator, more than half of the peak resident memory was such free space,
/// growing with every document. `malloc_trim` keeps memory to what is live. The procdoc
/// binary allocates with mimalloc (see `main.rs`), which returns memory on its own; the
/// trim matters to programs using this library with glibc's allocator, such as the tests.
pub fn end_batch_task() {
    typst::comemo::evict(BATCH_CACHE_MAX_AGE);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases free pages of the allocator's own arenas; it
    // touches no memory in use and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Shared, immutable typesetting resources. Build once and share `&Typesetter`
/// across threads; every compile creates its own lightweight world.
pub struct Typesetter {
    library: LazyHash<Library>,
    fonts: FontStore,
    /// Whether each compilation ends by evicting typst's memoization cache; off in a
    /// batch, whose driver calls [`end_batch_task`] between tasks instead.
    evict_per_compile: bool,
}

/// One document to typeset.
pub struct TypstJob<'a> {
    /// Typst source text of the main file.
    pub main: &'a str,
    /// Virtual path of the main file, used in diagnostics (e.g. "document.typ").
    pub main_name: &'a str,
    /// Other virtual files, keyed by absolute virtual path ("/logo.png").
    pub files: &'a BTreeMap<String, Vec<u8>>,
    /// Document creation date (from the spec's effective date), never the clock.
    pub date: chrono::NaiveDate,
    /// Stable PDF document identifier (doc id + revision).
    pub ident: &'a str,
    /// Export PDF/A-2b when true.
    pub pdf_a: bool,
}

/// A successfully exported PDF.
#[derive(Debug)]
pub struct Compiled {
    pub pdf: Vec<u8>,
    pub pages: usize,
    pub warnings: Vec<TypstMessage>,
}

/// A typst diagnostic; `line` and `column` are 1-based positions in the job's
/// main source (column counts characters, not bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypstMessage {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub hints: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TypesetError {
    #[error("typst compilation failed:{}", list_messages(.0))]
    Compile(Vec<TypstMessage>),
    #[error("typst export failed: {0}")]
    Export(String),
    #[error("font setup failed: {0}")]
    Fonts(String),
}

impl TypstMessage {
    fn plain(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            line: None,
            column: None,
            hints: Vec::new(),
        }
    }
}

impl fmt::Display for TypstMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{line}:{column}: {}", self.message)?,
            (Some(line), None) => write!(f, "{line}: {}", self.message)?,
            _ => f.write_str(&self.message)?,
        }
        for hint in &self.hints {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

fn list_messages(messages: &[TypstMessage]) -> String {
    messages.iter().map(|m| format!("\n{m}")).collect()
}

impl Typesetter {
    /// Loads the bundled fonts, then fonts found under `extra_font_dirs`, then
    /// (only when `system_fonts`) the host's fonts. Earlier fonts win ties in
    /// typst's font selection, so bundled fonts keep output stable.
    pub fn new(extra_font_dirs: &[PathBuf], system_fonts: bool) -> Result<Self, TypesetError> {
        let mut fonts = FontStore::new();
        for (name, data) in BUNDLED_FONTS {
            let mut parsed = 0usize;
            for font in Font::iter(Bytes::new(data)) {
                let info = font.info().clone();
                fonts.push((font, info));
                parsed += 1;
            }
            if parsed == 0 {
                return Err(TypesetError::Fonts(format!(
                    "bundled font {name} could not be parsed"
                )));
            }
        }
        for dir in extra_font_dirs {
            // fontdb silently skips unreadable directories; a typo in a
            // configured font path should not silently change the output.
            if !dir.is_dir() {
                return Err(TypesetError::Fonts(format!(
                    "font directory {} does not exist or is not a directory",
                    dir.display()
                )));
            }
            fonts.extend(typst_kit::fonts::scan(dir));
        }
        if system_fonts {
            fonts.extend(typst_kit::fonts::system());
        }

        // Pinned to no in-development features (HTML, bundle, a11y extras) so
        // a typst upgrade cannot silently change what documents may use.
        let mut library = Library::builder().with_features(Features::none()).build();
        // typst's own default (Libertinus Serif) is not bundled; without this
        // every document would fall back to whatever font covers the text.
        library.styles.set(
            TextElem::font,
            FontList(DEFAULT_FONTS.iter().map(|f| FontFamily::new(f)).collect()),
        );

        Ok(Self {
            library: LazyHash::new(library),
            fonts,
            evict_per_compile: true,
        })
    }

    /// This typesetter for a batch of many documents on several threads: its compilations
    /// leave typst's memoization cache to the driver, which calls [`end_batch_task`] after
    /// each task. Without that call the cache grows with every document.
    pub fn for_batch(self) -> Self {
        Self {
            evict_per_compile: false,
            ..self
        }
    }

    /// Typesets `job` and exports it to PDF (PDF/A-2b when `job.pdf_a`).
    pub fn compile_pdf(&self, job: &TypstJob) -> Result<Compiled, TypesetError> {
        let world = JobWorld::new(self, job)?;
        let (document, warnings) = world.compile()?;

        let standards = if job.pdf_a {
            PdfStandards::new(&[PdfStandard::A_2b]).map_err(|err| {
                TypesetError::Export(format!("PDF/A-2b unavailable: {}", err.message()))
            })?
        } else {
            PdfStandards::default()
        };
        let options = PdfOptions {
            ident: if job.ident.is_empty() {
                Smart::Auto
            } else {
                Smart::Custom(job.ident.to_owned())
            },
            // Used only when the document leaves `document(date: auto)`, so a
            // template can still pin its own date.
            timestamp: Some(Timestamp::new_utc(world.today)),
            standards,
            ..PdfOptions::default()
        };

        let pdf = guard("PDF export", || typst_pdf::pdf(&document, &options))
            .map_err(TypesetError::Export)?
            .map_err(|diags| TypesetError::Export(world.describe(&diags)))?;
        Ok(Compiled {
            pdf,
            pages: document.pages().len(),
            warnings,
        })
    }

    /// Typesets `job` and renders each page as a standalone SVG document.
    pub fn compile_svg_pages(&self, job: &TypstJob) -> Result<Vec<String>, TypesetError> {
        let world = JobWorld::new(self, job)?;
        let (document, _warnings) = world.compile()?;
        let options = SvgOptions::default();
        guard("SVG export", || {
            document
                .pages()
                .iter()
                .map(|page| typst_svg::svg(page, &options))
                .collect()
        })
        .map_err(TypesetError::Export)
    }

    /// Characters of `text` that no loaded font covers (each reported once, in
    /// order of first appearance), so callers can warn before typst silently
    /// renders tofu boxes.
    pub fn missing_glyphs(&self, text: &str) -> Vec<char> {
        let book: &FontBook = self.fonts.book();
        let mut seen = BTreeSet::new();
        let mut missing = Vec::new();
        for c in text.chars() {
            if c.is_whitespace()
                || c.is_control()
                || typst::text::is_default_ignorable(c)
                || !seen.insert(c)
            {
                continue;
            }
            let covered = (0..)
                .map_while(|index| book.info(index))
                .any(|info| info.coverage.contains(u32::from(c)));
            if !covered {
                missing.push(c);
            }
        }
        missing
    }

    /// Font family names as typst matches them (case-insensitively), sorted.
    pub fn font_families(&self) -> Vec<String> {
        self.fonts
            .book()
            .families()
            .map(|(family, _)| family.to_owned())
            .collect()
    }
}

/// Runs typst code so that an internal typst panic fails one document instead
/// of taking down a whole parallel batch.
fn guard<T>(stage: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        format!("typst panicked during {stage}: {detail}")
    })
}

/// The per-job view typst compiles against; everything it can read lives in
/// memory.
struct JobWorld<'a> {
    typesetter: &'a Typesetter,
    main: Source,
    /// Keyed by normalized absolute virtual path ("/diagrams/a.svg").
    files: HashMap<String, Bytes>,
    /// Parsed `.typ` files other than main, because typst asks for the same
    /// source repeatedly and re-parsing each time is wasteful.
    sources: Mutex<HashMap<FileId, Source>>,
    today: Datetime,
}

impl<'a> JobWorld<'a> {
    fn new(typesetter: &'a Typesetter, job: &TypstJob) -> Result<Self, TypesetError> {
        let invalid = |message: String| TypesetError::Compile(vec![TypstMessage::plain(message)]);

        let main_path = VirtualPath::new(job.main_name)
            .map_err(|err| invalid(format!("invalid main file name `{}`: {err}", job.main_name)))?;
        // Interned (not unique) ids: typst's id table is global and capped at
        // 2^16 entries, so a long batch must reuse ids for repeated names.
        let main_id = RootedPath::new(VirtualRoot::Project, main_path).intern();
        let main = Source::new(main_id, job.main.to_owned());

        let mut files = HashMap::with_capacity(job.files.len());
        for (name, data) in job.files {
            let path = VirtualPath::new(name)
                .map_err(|err| invalid(format!("invalid virtual file path `{name}`: {err}")))?;
            files.insert(path.get_with_slash().to_owned(), Bytes::new(data.clone()));
        }

        let today = u8::try_from(job.date.month())
            .ok()
            .zip(u8::try_from(job.date.day()).ok())
            .and_then(|(month, day)| Datetime::from_ymd(job.date.year(), month, day))
            .ok_or_else(|| invalid(format!("document date {} is out of range", job.date)))?;

        Ok(Self {
            typesetter,
            main,
            files,
            sources: Mutex::new(HashMap::new()),
            today,
        })
    }

    fn compile(&self) -> Result<(PagedDocument, Vec<TypstMessage>), TypesetError> {
        let Warned { output, warnings } =
            guard("compilation", || typst::compile::<PagedDocument>(self))
                .map_err(|panic| TypesetError::Compile(vec![TypstMessage::plain(panic)]))?;
        if self.typesetter.evict_per_compile {
            typst::comemo::evict(CACHE_MAX_AGE);
        } else if output
            .as_ref()
            .is_ok_and(|document| document.pages().len() >= BIG_DOCUMENT_PAGES)
        {
            // Age 0: every entry, those of documents other threads are typesetting too;
            // they lose a few memoized results, not correctness.
            typst::comemo::evict(0);
        }

        let warnings = self.messages(&warnings);
        match output {
            Ok(document) => Ok((document, warnings)),
            Err(errors) => Err(TypesetError::Compile(self.messages(&errors))),
        }
    }

    fn messages(&self, diags: &[SourceDiagnostic]) -> Vec<TypstMessage> {
        diags.iter().map(|diag| self.message(diag)).collect()
    }

    fn message(&self, diag: &SourceDiagnostic) -> TypstMessage {
        let main_id = self.main.id();
        let mut hints: Vec<String> = diag.hints.iter().map(|h| h.v.to_string()).collect();

        let mut position = None;
        match diag.span.id() {
            Some(id) if id == main_id => position = self.position(diag.span, id),
            Some(id) => {
                // The caller only shows positions in main, so say where in the
                // other file the problem is.
                let path = id.vpath().get_with_slash();
                let note = match self.position(diag.span, id) {
                    Some((line, column)) => {
                        format!("reported in {path} at line {line}, column {column}")
                    }
                    None => format!("reported in {path}"),
                };
                hints.insert(0, note);
            }
            None => {}
        }
        if position.is_none() {
            // The trace runs innermost first, so the first entry in main is
            // the call site nearest to the problem.
            position = diag
                .trace
                .iter()
                .filter(|point| point.span.id() == Some(main_id))
                .find_map(|point| self.position(point.span.into(), main_id));
        }

        TypstMessage {
            message: diag.message.to_string(),
            line: position.map(|(line, _)| line),
            column: position.map(|(_, column)| column),
            hints,
        }
    }

    /// 1-based (line, column) of `span` within file `id`.
    fn position(&self, span: DiagSpan, id: FileId) -> Option<(usize, usize)> {
        let range = self.range(span)?;
        let source = self.source(id).ok()?;
        let (line, column) = source.lines().byte_to_line_column(range.start)?;
        Some((line + 1, column + 1))
    }

    /// One-line rendering of export diagnostics, which the error type carries
    /// as text.
    fn describe(&self, diags: &[SourceDiagnostic]) -> String {
        self.messages(diags)
            .iter()
            .map(|m| m.to_string().replace('\n', " "))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn lookup(&self, id: FileId) -> FileResult<Bytes> {
        match id.root() {
            VirtualRoot::Package(spec) => Err(FileError::Package(PackageError::Other(Some(
                eco_format!("{spec}: packages are disabled, documents must be self-contained"),
            )))),
            VirtualRoot::Project => {
                let path = id.vpath().get_with_slash();
                self.files
                    .get(path)
                    .cloned()
                    .ok_or_else(|| FileError::NotFound(Path::new(path).to_path_buf()))
            }
        }
    }
}

impl World for JobWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.typesetter.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.typesetter.fonts.book()
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            return Ok(self.main.clone());
        }
        // A panic elsewhere cannot leave the cache half-updated, so a
        // poisoned lock is safe to keep using.
        let mut sources = self.sources.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(source) = sources.get(&id) {
            return Ok(source.clone());
        }
        let bytes = self.lookup(id)?;
        let text = std::str::from_utf8(&bytes)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let source = Source::new(id, text.to_owned());
        sources.insert(id, source.clone());
        Ok(source)
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        self.lookup(id)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.typesetter.fonts.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Reproducibility: `datetime.today()` is the document's date, in every
        // time zone.
        Some(self.today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn typesetter() -> &'static Typesetter {
        static TYPESETTER: OnceLock<Typesetter> = OnceLock::new();
        TYPESETTER.get_or_init(|| Typesetter::new(&[], false).expect("bundled fonts load"))
    }

    fn no_files() -> &'static BTreeMap<String, Vec<u8>> {
        static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
        FILES.get_or_init(BTreeMap::new)
    }

    fn job<'a>(main: &'a str, files: &'a BTreeMap<String, Vec<u8>>, pdf_a: bool) -> TypstJob<'a> {
        TypstJob {
            main,
            main_name: "document.typ",
            files,
            date: chrono::NaiveDate::from_ymd_opt(2021, 3, 14).expect("valid date"),
            ident: "QP-001 rev B",
            pdf_a,
        }
    }

    fn compile_err(main: &str) -> Vec<TypstMessage> {
        match typesetter().compile_pdf(&job(main, no_files(), false)) {
            Err(TypesetError::Compile(messages)) => messages,
            other => panic!("expected compile error, got {other:?}"),
        }
    }

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    }

    #[test]
    fn typesetter_is_shareable_across_threads() {
        fn assert_sync_send<T: Sync + Send>() {}
        assert_sync_send::<Typesetter>();
    }

    #[test]
    fn bundled_families_are_visible() {
        let families = typesetter().font_families();
        for family in DEFAULT_FONTS {
            assert!(
                families.iter().any(|f| f == family),
                "{family} missing from {families:?}"
            );
        }
        assert_eq!(families.len(), DEFAULT_FONTS.len(), "{families:?}");
    }

    #[test]
    fn pdf_is_byte_identical_and_dated_by_job() {
        let source = "#set document(title: [Quality manual])\n= Scope\nHello *world* _again_.";
        let first = typesetter()
            .compile_pdf(&job(source, no_files(), true))
            .expect("compiles");
        let second = typesetter()
            .compile_pdf(&job(source, no_files(), true))
            .expect("compiles");
        assert_eq!(first.pdf, second.pdf);
        assert!(first.pdf.starts_with(b"%PDF-"));
        assert_eq!(first.pages, 1);
        assert!(first.warnings.is_empty(), "{:?}", first.warnings);

        assert!(contains(&first.pdf, "D:20210314"));
        let today = chrono::Local::now().date_naive();
        assert!(!contains(&first.pdf, &today.format("D:%Y%m%d").to_string()));
        assert!(!contains(&first.pdf, &today.format("%Y-%m-%d").to_string()));
        assert!(contains(&first.pdf, "pdfaid:part"));
    }

    #[test]
    fn ident_changes_document_id() {
        let source = "Same text.";
        let a = typesetter()
            .compile_pdf(&job(source, no_files(), false))
            .expect("compiles");
        let mut other = job(source, no_files(), false);
        other.ident = "QP-001 rev C";
        let b = typesetter().compile_pdf(&other).expect("compiles");
        assert_ne!(a.pdf, b.pdf);
    }

    #[test]
    fn today_is_the_job_date() {
        let messages = compile_err("#panic(datetime.today().display())");
        assert!(messages[0].message.contains("2021-03-14"), "{messages:?}");
    }

    #[test]
    fn errors_carry_main_positions() {
        let messages = compile_err("= Title\n\nSome text #unknown-fn(1)\n");
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert_eq!(messages[0].line, Some(3));
        assert_eq!(messages[0].column, Some(12));
        assert!(messages[0].message.contains("unknown"), "{messages:?}");

        // Columns count characters, not bytes.
        let messages = compile_err("中文 #nope");
        assert_eq!((messages[0].line, messages[0].column), (Some(1), Some(5)));
    }

    #[test]
    fn syntax_errors_are_reported_not_panicked() {
        let messages = compile_err("#let x = (1, 2\nmore");
        assert!(!messages.is_empty());
        assert!(messages.iter().all(|m| m.line.is_some()), "{messages:?}");
    }

    #[test]
    fn disk_is_unreachable() {
        for source in [
            "#read(\"/etc/passwd\")",
            "#image(\"/etc/hosts\")",
            "#read(\"../../etc/passwd\")",
        ] {
            let messages = compile_err(source);
            assert_eq!(messages[0].line, Some(1), "{source}: {messages:?}");
            assert!(
                !messages[0].message.contains("root:"),
                "{source}: {messages:?}"
            );
        }
    }

    #[test]
    fn packages_fail_cleanly() {
        let messages = compile_err("#import \"@preview/cetz:0.3.4\": canvas");
        assert_eq!(messages[0].line, Some(1), "{messages:?}");
        assert!(
            messages[0].message.contains("packages are disabled"),
            "{messages:?}"
        );
    }

    #[test]
    fn virtual_files_are_readable() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="red"/></svg>"#;
        let files = BTreeMap::from([
            ("/diagrams/contract.svg".to_owned(), svg.to_vec()),
            ("/data.txt".to_owned(), b"from memory".to_vec()),
            (
                "lib.typ".to_owned(),
                b"#let greet(name) = [Hello #name]\n#let bad() = panic(\"boom\")".to_vec(),
            ),
        ]);
        let source = "#import \"lib.typ\": greet\n#image(\"/diagrams/contract.svg\", width: 2cm)\n#read(\"data.txt\")\n#greet[QA]";
        let compiled = typesetter()
            .compile_pdf(&job(source, &files, false))
            .expect("compiles");
        assert_eq!(compiled.pages, 1);

        // An error inside another file is located at the call site in main.
        let source = "#import \"/lib.typ\": bad\n\n#bad()";
        let messages = match typesetter().compile_pdf(&job(source, &files, false)) {
            Err(TypesetError::Compile(messages)) => messages,
            other => panic!("expected compile error, got {other:?}"),
        };
        assert_eq!(messages[0].line, Some(3), "{messages:?}");
        assert!(messages[0].hints[0].contains("/lib.typ"), "{messages:?}");
    }

    #[test]
    fn svg_has_one_string_per_page() {
        let pages = typesetter()
            .compile_svg_pages(&job("One\n#pagebreak()\nTwo", no_files(), false))
            .expect("compiles");
        assert_eq!(pages.len(), 2);
        assert!(pages.iter().all(|page| page.starts_with("<svg")));
    }

    #[test]
    fn missing_glyphs_ignores_whitespace_and_dedupes() {
        let missing =
            typesetter().missing_glyphs("Größe 中文 繁體\t\n\u{200d} \u{13000}\u{13000}x\u{1F600}");
        assert_eq!(missing, vec!['\u{13000}', '\u{1F600}']);
    }

    #[test]
    fn chinese_text_uses_bundled_cjk_fonts() {
        let source = format!(
            "#set text(font: (\"{FAMILY_LATIN}\", \"{FAMILY_HANS}\", \"{FAMILY_HANT}\"), lang: \"zh\")\n\
             = 质量手册\n中文文本，简体。\n\n\
             #text(font: (\"{FAMILY_LATIN}\", \"{FAMILY_HANT}\", \"{FAMILY_HANS}\"), region: \"tw\")[繁體中文文件。]\n"
        );
        let compiled = typesetter()
            .compile_pdf(&job(&source, no_files(), true))
            .expect("compiles");
        assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
        assert!(contains(&compiled.pdf, "NotoSansHans-Bold"));
        assert!(contains(&compiled.pdf, "NotoSansHans-Regular"));
        assert!(contains(&compiled.pdf, "NotoSansHant-Regular"));
    }

    #[test]
    fn parallel_compiles_match_sequential() {
        let sources = ["Alpha document.", "Beta 文件.", "Gamma *bold*."];
        let sequential: Vec<Vec<u8>> = sources
            .iter()
            .map(|s| {
                typesetter()
                    .compile_pdf(&job(s, no_files(), false))
                    .expect("compiles")
                    .pdf
            })
            .collect();
        let parallel: Vec<Vec<u8>> = std::thread::scope(|scope| {
            let handles: Vec<_> = sources
                .iter()
                .map(|s| scope.spawn(move || typesetter().compile_pdf(&job(s, no_files(), false))))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread").expect("compiles").pdf)
                .collect()
        });
        assert_eq!(sequential, parallel);
    }

    #[test]
    fn invalid_main_name_is_an_error() {
        let mut bad = job("x", no_files(), false);
        bad.main_name = "../escape.typ";
        assert!(matches!(
            typesetter().compile_pdf(&bad),
            Err(TypesetError::Compile(_))
        ));
    }

    #[test]
    fn missing_font_dir_is_reported() {
        let result = Typesetter::new(&[PathBuf::from("/nonexistent/procdoc-fonts")], false);
        assert!(matches!(result, Err(TypesetError::Fonts(_))));
    }
}
