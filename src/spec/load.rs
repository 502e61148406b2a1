//! Reading a QMS folder: the only place that reads YAML.
//!
//! Every file that parses becomes part of the model; every file that does not becomes a
//! located diagnostic, and loading goes on so the user sees all problems at once.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::model::{Procedure, Settings};
use super::source::{FileId, Location, SourceFile, Sources};
use super::{limits, text, written};
use crate::check::codes;
use crate::check::diagnostic::Diagnostic;

/// The settings file every QMS folder has.
pub const SETTINGS_FILE: &str = "procdoc.yaml";
/// Files in a QMS folder that are not procedures (the release register of document control).
const RESERVED_FILES: &[&str] = &[SETTINGS_FILE, "register.yaml"];

/// A procedure file is read whole; beyond this it is refused, not parsed.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// More procedure files than any real QMS has; beyond it the folder is refused.
pub const MAX_FILES: usize = 2000;
/// Sub-folder depth searched for procedure files.
pub const MAX_DEPTH: usize = 12;
#[derive(Debug)]
pub struct LoadedProcedure {
    pub file: FileId,
    pub doc: Procedure,
}

/// A loaded QMS folder: settings, procedures and the sources they came from.
#[derive(Debug)]
pub struct Qms {
    pub root: PathBuf,
    /// The settings, or `None` when `procdoc.yaml` could not be read (a diagnostic says why).
    pub settings: Option<Settings>,
    pub settings_file: FileId,
    pub procedures: Vec<LoadedProcedure>,
    pub sources: Sources,
    /// The register of releases and reviews (`register.yaml`), when the folder has one that
    /// could be read (a diagnostic says why otherwise).
    pub register: Option<crate::control::register::Register>,
    /// The register's file, when the folder has one.
    pub register_file: Option<FileId>,
    /// The item registers `procdoc.yaml` lists (`registers:`), in its order, as read.
    pub item_tables: Vec<super::items::ItemTable>,
}

impl Qms {
    /// The item register with id `id`, as read.
    pub fn item_table(&self, id: &str) -> Option<&super::items::ItemTable> {
        self.item_tables.iter().find(|t| t.id == id)
    }
}

impl Qms {
    pub fn procedure(&self, id: &str) -> Option<&LoadedProcedure> {
        self.procedures.iter().find(|p| p.doc.id == id)
    }

    /// The folder's name, used to name its output folder.
    pub fn name(&self) -> String {
        let absolute = fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        absolute
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "qms".to_string())
    }
}

/// Problems that stop loading before any spec is read: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0} is not a QMS folder: it has no {SETTINGS_FILE}")]
    NotAQms(PathBuf),
    #[error("cannot read {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// Load the QMS in `root`, collecting diagnostics for every file that cannot be read.
pub fn load(root: &Path) -> Result<(Qms, Vec<Diagnostic>), LoadError> {
    let settings_path = root.join(SETTINGS_FILE);
    if !settings_path.is_file() {
        if !root.is_dir() {
            return Err(LoadError::Io(
                root.to_path_buf(),
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder"),
            ));
        }
        return Err(LoadError::NotAQms(root.to_path_buf()));
    }
    let mut diagnostics = Vec::new();
    let mut sources = Sources::default();

    let (settings_file, settings) =
        read_spec::<Settings>(&mut sources, root, &settings_path, &mut diagnostics);

    let mut walk = Walk::new(root);
    walk.dir(root, 0, false)
        .map_err(|e| LoadError::Io(root.to_path_buf(), e))?;
    let overflow = walk.overflow;
    let too_deep = walk.too_deep.take();
    for (link, why) in std::mem::take(&mut walk.skipped_links) {
        diagnostics.push(
            Diagnostic::new(
                &codes::PATH_OUTSIDE,
                Location {
                    file: settings_file,
                    span: 0..0,
                },
                format!(
                    "{} is a symbolic link that was not read: {why}",
                    display_name(root, &link)
                ),
            )
            .hint("procdoc reads only files inside the QMS folder: copy the procedure into it, or link to a file inside it"),
        );
    }
    let paths = walk.paths();
    if overflow {
        diagnostics.push(Diagnostic::new(
            &codes::INPUT_LIMIT,
            Location { file: settings_file, span: 0..0 },
            format!(
                "the QMS folder holds more than {MAX_FILES} YAML files; only the first {MAX_FILES} were read"
            ),
        ).hint("keep one QMS per folder; move archives and other YAML out of it"));
    }
    if let Some(dir) = too_deep {
        diagnostics.push(
            Diagnostic::new(
                &codes::INPUT_LIMIT,
                Location {
                    file: settings_file,
                    span: 0..0,
                },
                format!(
                    "{} is nested more than {MAX_DEPTH} folders deep; the files below it were not read",
                    display_name(root, &dir)
                ),
            )
            .hint("keep procedure files at most a few folders below procdoc.yaml"),
        );
    }
    let mut procedures = Vec::new();
    // Parsing is most of the time of a check; files are independent, so parse them in
    // parallel and number them in path order afterwards, keeping output deterministic.
    let parsed: Vec<(SourceFile, Option<Procedure>, Vec<Diagnostic>)> = {
        use rayon::prelude::*;
        paths
            .par_iter()
            .map(|path| parse_spec(root, path))
            .collect()
    };
    for (source, doc, found) in parsed {
        let file = sources.add(source);
        diagnostics.extend(found.into_iter().map(|d| placed(d, file)));
        if let Some(doc) = doc {
            // A procedure beyond the limits is left out, as one that does not parse: every
            // later stage then stays within bounded time and memory.
            match limits::beyond_limits(&doc, sources.get(file), file) {
                Some(d) => diagnostics.push(d),
                None => procedures.push(LoadedProcedure { file, doc }),
            }
        }
    }
    if paths.is_empty() {
        diagnostics.push(
            Diagnostic::new(
                &codes::NO_PROCEDURES,
                Location {
                    file: settings_file,
                    span: 0..0,
                },
                "the QMS folder has no procedure files",
            )
            .hint("add one YAML file per procedure next to procdoc.yaml"),
        );
    }
    let (register_file, register) = read_register(&mut sources, root, &mut diagnostics);
    let item_tables = settings
        .as_ref()
        .map(|s| read_item_tables(&mut sources, root, s))
        .unwrap_or_default();
    if let Some(settings) = &settings {
        super::items::copy_into(
            &mut procedures,
            &settings.registers,
            &item_tables,
            &sources,
            &mut diagnostics,
        );
    }
    let qms = Qms {
        root: root.to_path_buf(),
        settings,
        settings_file,
        procedures,
        sources,
        register,
        register_file,
        item_tables,
    };
    Ok((qms, diagnostics))
}

/// Read the CSV file of every item register; a problem stays with its table for the
/// checker to report at its place.
fn read_item_tables(
    sources: &mut Sources,
    root: &Path,
    settings: &super::model::Settings,
) -> Vec<super::items::ItemTable> {
    use super::items::{ItemTable, TableProblem, file_inside, parse_csv};
    let mut out = Vec::new();
    for (index, register) in settings.registers.iter().enumerate() {
        let mut table = ItemTable {
            id: register.id.clone(),
            index,
            ..ItemTable::default()
        };
        let read = file_inside(root, &register.file).and_then(|path| {
            let bytes = read_bounded(&path).map_err(|p| {
                TableProblem::Malformed(
                    format!("register `{}`: {}", register.file, p.message),
                    None,
                )
            })?;
            Ok((path, bytes))
        });
        match read {
            Err(problem) => table.problem = Some(problem),
            Ok((path, bytes)) => match String::from_utf8(bytes) {
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    table.problem = Some(TableProblem::Malformed(
                        format!("the register file `{}` is not UTF-8 text", register.file),
                        Some(at..at),
                    ));
                }
                Ok(text) => {
                    let parsed = parse_csv(&text);
                    table.file = Some(sources.add(SourceFile::new(
                        display_name(root, &root.join(&register.file)),
                        path,
                        text,
                    )));
                    match parsed {
                        Ok((header, rows)) => {
                            table.header = header;
                            table.rows = rows;
                        }
                        Err((why, span)) => {
                            table.problem = Some(TableProblem::Malformed(why, Some(span)));
                        }
                    }
                }
            },
        }
        out.push(table);
    }
    out
}

/// Read `register.yaml` when there is one; every problem in it is a `register-invalid`.
fn read_register(
    sources: &mut Sources,
    root: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Option<FileId>, Option<crate::control::register::Register>) {
    use crate::control::register::{FILE, Register};
    let path = root.join(FILE);
    if !path.is_file() {
        return (None, None);
    }
    // A register with nothing in it yet (only its header) is an empty register.
    if let Ok(text) = fs::read_to_string(&path)
        && text.len() as u64 <= MAX_FILE_BYTES
        && text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        let file = sources.add(SourceFile::new(display_name(root, &path), path, text));
        return (Some(file), Some(Register::default()));
    }
    let mut found = Vec::new();
    let (file, register) = read_spec::<Register>(sources, root, &path, &mut found);
    for mut d in found {
        d.code = &codes::REGISTER_INVALID;
        d.message = format!("{FILE}: {}", d.message);
        if d.hint.is_none() {
            d.hint = Some(format!(
                "{FILE} is written by `procdoc release` and `procdoc review`; restore it from version control"
            ));
        }
        diagnostics.push(d);
    }
    (Some(file), register)
}

/// The procedure files of a QMS folder, found by [`Walk::dir`].
struct Walk {
    /// The folder, canonical, to tell links that stay inside it from those that leave it.
    root: PathBuf,
    /// Files found: path as seen in the folder, canonical path, reached through a link.
    found: Vec<(PathBuf, PathBuf, bool)>,
    overflow: bool,
    too_deep: Option<PathBuf>,
    /// Links not followed, and why.
    skipped_links: Vec<(PathBuf, String)>,
    /// Canonical folders already walked, so a link back up cannot loop.
    walked: std::collections::HashSet<PathBuf>,
}

impl Walk {
    fn new(root: &Path) -> Walk {
        Walk {
            root: fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
            found: Vec::new(),
            overflow: false,
            too_deep: None,
            skipped_links: Vec::new(),
            walked: std::collections::HashSet::new(),
        }
    }

    /// Collect `*.yaml`/`*.yml` files below `dir`, skipping hidden entries and the reserved
    /// files, with bounded depth and count so a hostile folder cannot hang us. Symbolic
    /// links are followed when they lead to a file or folder inside the QMS folder;
    /// others are recorded in `skipped_links`.
    fn dir(&mut self, dir: &Path, depth: usize, via_link: bool) -> std::io::Result<()> {
        if depth > MAX_DEPTH {
            self.too_deep.get_or_insert_with(|| dir.to_path_buf());
            return Ok(());
        }
        if let Ok(canonical) = fs::canonicalize(dir)
            && !self.walked.insert(canonical)
        {
            return Ok(());
        }
        let mut entries: Vec<_> = fs::read_dir(dir)?.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            let is_yaml = (name.ends_with(".yaml") || name.ends_with(".yml"))
                && !(depth == 0 && RESERVED_FILES.contains(&name.as_ref()));
            let (is_dir, is_file, linked) = if kind.is_symlink() {
                let target = match fs::canonicalize(&path) {
                    Ok(t) => t,
                    Err(_) => {
                        if is_yaml {
                            self.skipped_links
                                .push((path, "it leads to nothing (a broken link)".into()));
                        }
                        continue;
                    }
                };
                if !target.starts_with(&self.root) {
                    if is_yaml || target.is_dir() {
                        self.skipped_links.push((
                            path,
                            format!("it leads to {}, outside the QMS folder", target.display()),
                        ));
                    }
                    continue;
                }
                (target.is_dir(), target.is_file(), true)
            } else {
                (kind.is_dir(), kind.is_file(), via_link)
            };
            if is_dir {
                self.dir(&path, depth + 1, linked)?;
            } else if is_file && is_yaml {
                if self.found.len() >= MAX_FILES {
                    self.overflow = true;
                    return Ok(());
                }
                let canonical = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                self.found.push((path, canonical, linked));
            }
        }
        Ok(())
    }

    /// The files to read, sorted: a file reached both directly and through a link (or
    /// through two links) is read once, under its own name.
    fn paths(mut self) -> Vec<PathBuf> {
        let direct: std::collections::HashSet<PathBuf> = self
            .found
            .iter()
            .filter(|(_, _, linked)| !linked)
            .map(|(_, canonical, _)| canonical.clone())
            .collect();
        self.found.sort();
        let mut taken = std::collections::HashSet::new();
        self.found
            .into_iter()
            .filter(|(_, canonical, linked)| {
                !(*linked && direct.contains(canonical)) && taken.insert(canonical.clone())
            })
            .map(|(path, _, _)| path)
            .collect()
    }
}

/// Read one spec file into the sources and parse it; on failure push a located diagnostic.
fn read_spec<T: Serialize + DeserializeOwned>(
    sources: &mut Sources,
    root: &Path,
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> (FileId, Option<T>) {
    let (file, value, found) = parse_spec(root, path);
    let id = sources.add(file);
    diagnostics.extend(found.into_iter().map(|d| placed(d, id)));
    (id, value)
}

/// The file id of diagnostics made before their file has one (parsing runs in parallel).
const PENDING: FileId = usize::MAX;

/// Give diagnostics made by [`parse_spec`] their file.
fn placed(mut d: Diagnostic, id: FileId) -> Diagnostic {
    if let Some(location) = &mut d.location {
        location.file = id;
    }
    for (location, _) in &mut d.labels {
        location.file = id;
    }
    d
}

/// Read and parse one spec file on its own, so that files can be parsed in parallel.
fn parse_spec<T: Serialize + DeserializeOwned>(
    root: &Path,
    path: &Path,
) -> (SourceFile, Option<T>, Vec<Diagnostic>) {
    let name = display_name(root, path);
    let at = |span| Location {
        file: PENDING,
        span,
    };
    let bytes = match read_bounded(path) {
        Ok(bytes) => bytes,
        Err(problem) => {
            let code = if problem.too_large {
                &codes::INPUT_LIMIT
            } else {
                &codes::UNREADABLE_FILE
            };
            let file = SourceFile::new(name, path.to_path_buf(), String::new());
            return (
                file,
                None,
                vec![Diagnostic::new(code, at(0..0), problem.message)],
            );
        }
    };
    let (text, invalid_at) = match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(at))
        }
    };
    // Editors on Windows start UTF-8 files with a byte-order mark; it is not content.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    let file = SourceFile::new(name, path.to_path_buf(), text);
    if let Some(invalid) = invalid_at {
        let d = Diagnostic::new(
            &codes::UNREADABLE_FILE,
            at(invalid..invalid + 1),
            "the file is not UTF-8 text",
        )
        .hint("save the file as UTF-8 (most editors offer it under \"Save as\" / encoding)");
        return (file, None, vec![d]);
    }
    if file
        .text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        let d = Diagnostic::new(&codes::UNREADABLE_FILE, at(0..0), "the file is empty")
            .hint("write the procedure (id, title, revision, ...) or delete the file");
        return (file, None, vec![d]);
    }
    text::take_resolved_scalar();
    match serde_yaml::from_str::<T>(&file.text) {
        Ok(value) => {
            let value = if text::take_resolved_scalar() {
                written::keep_written_scalars(&file, value)
            } else {
                value
            };
            let found = limits::long_word(&value, &file, PENDING)
                .into_iter()
                .collect();
            (file, Some(value), found)
        }
        Err(error) => {
            let d = yaml_error(&file, PENDING, &error);
            (file, None, vec![d])
        }
    }
}

struct ReadProblem {
    message: String,
    too_large: bool,
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, ReadProblem> {
    let io = |e: std::io::Error| ReadProblem {
        message: format!("cannot read the file: {e}"),
        too_large: false,
    };
    let file = fs::File::open(path).map_err(io)?;
    // Sized from the metadata when it is right, so a QMS's texts are kept without the
    // slack of a growing buffer; the read below does not trust it.
    let expected = file
        .metadata()
        .map_or(0, |m| m.len().min(MAX_FILE_BYTES + 1));
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0) + 1);
    // Read one byte past the limit to tell "exactly at the limit" from "beyond it" without
    // trusting metadata, which special files report wrongly.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadProblem {
            message: format!(
                "the file is larger than {} MiB; a procedure spec is never that big",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            too_large: true,
        });
    }
    Ok(bytes)
}

fn display_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    root.join(relative).to_string_lossy().replace('\\', "/")
}

/// Turn a serde_yaml error into a located, classified diagnostic with a hint.
fn yaml_error(file: &SourceFile, id: FileId, error: &serde_yaml::Error) -> Diagnostic {
    let raw = error.to_string();
    // "while scanning a quoted scalar at line 37 column 16" says where the broken construct
    // starts, which is where the user must look (the end of the file tells nothing).
    let started_at = raw
        .find("while scanning")
        .filter(|_| raw.contains("unexpected end of stream"))
        .and_then(|i| position_in(&raw[i..]));
    let full = strip_positions(&raw);
    // serde_yaml prefixes the model path ("flows[0].steps[1]: ..."); keep it as context.
    let (path, body) = match full.split_once(": ") {
        Some((p, b)) if !p.contains(' ') && !p.is_empty() => (Some(p.to_string()), b.to_string()),
        _ => (None, full.clone()),
    };
    let position = body
        .rsplit_once(" at position ")
        .and_then(|(_, n)| n.trim().parse::<usize>().ok());
    let location = match started_at {
        Some((line, column)) => Some((line, column)),
        None => error.location().map(|l| (l.line(), l.column())),
    };
    let span = match location.filter(|_| position.is_none()) {
        Some((line, column)) => {
            let start = file.offset_of(line, column);
            let line_end = file.text[start..]
                .find('\n')
                .map(|i| start + i)
                .unwrap_or(file.text.len());
            let token_end = file.text[start..line_end]
                .find([':', ',', ']', '}'])
                .map(|i| start + i)
                .unwrap_or(line_end);
            start..token_end.max(start + usize::from(start < file.text.len()))
        }
        // Some scanner errors carry only a character position in their message.
        None => match position {
            Some(chars) => {
                let start = file
                    .text
                    .char_indices()
                    .nth(chars)
                    .map(|(i, _)| i)
                    .unwrap_or(file.text.len());
                start..(start + 1).min(file.text.len())
            }
            None => 0..0,
        },
    };
    let body = match body.rsplit_once(" at position ") {
        Some((message, _)) => message.to_string(),
        None => body,
    };
    if body.starts_with("duplicate field") || body.starts_with("duplicate entry") {
        let span = file.duplicate_key().unwrap_or(span);
        let key = file.text.get(span.clone()).unwrap_or("").to_string();
        return Diagnostic::new(
            &codes::YAML_SYNTAX,
            Location { file: id, span },
            format!("the key `{key}` is given twice in the same mapping"),
        )
        .hint("each key may appear once per mapping; remove or merge the repeated key");
    }
    let location = Location {
        file: id,
        span: span.clone(),
    };
    let at = path.map(|p| format!(" (at `{p}`)")).unwrap_or_default();

    if body.starts_with(super::trigger::RECURRENCE_AMONG_TRIGGERS) {
        return Diagnostic::new(&codes::RECURRENCE_AMONG_TRIGGERS, location, format!("{body}{at}"))
            .hint("a recurring or per-item flow has one trigger: write it as `trigger: { for_each: ..., every: ... }` alone. An unscheduled run for one item (a gauge was dropped) is started the same way, with `procdoc run start --item KEY`; work that begins at another step needs a flow of its own");
    }
    if let Some(rest) = body.strip_prefix("unknown field ") {
        let field = between_backticks(rest).unwrap_or_default();
        let mut expected = expected_list(rest);
        // Filled by the loader, never written: not offered.
        expected.retain(|e| e != "register_files");
        let hint = match closest(&field, &expected) {
            Some(best) => format!(
                "did you mean `{best}`? allowed here: {}",
                quote_list(&expected)
            ),
            None if expected.is_empty() => "remove it".to_string(),
            None => format!("allowed here: {}", quote_list(&expected)),
        };
        return Diagnostic::new(
            &codes::UNKNOWN_FIELD,
            location,
            format!("unknown field `{field}`{at}"),
        )
        .hint(hint);
    }
    if let Some(rest) = body.strip_prefix("missing field ") {
        let field = between_backticks(rest).unwrap_or_default();
        return Diagnostic::new(
            &codes::MISSING_FIELD,
            location,
            format!("missing field `{field}`{at}"),
        )
        .hint(format!(
            "add `{field}:` here; see the spec format in the README"
        ));
    }
    if let Some(rest) = body.strip_prefix("unknown variant ") {
        let value = between_backticks(rest).unwrap_or_default();
        let expected = expected_list(rest);
        let hint = match closest(&value, &expected) {
            Some(best) => format!("did you mean `{best}`? allowed: {}", quote_list(&expected)),
            None => format!("allowed: {}", quote_list(&expected)),
        };
        return Diagnostic::new(
            &codes::INVALID_VALUE,
            location,
            format!("`{value}` is not allowed here{at}"),
        )
        .hint(hint);
    }
    let syntax_markers = [
        "while parsing",
        "while scanning",
        "did not find expected",
        "found character that cannot start any token",
        "recursion limit exceeded",
        "repetition limit exceeded",
        "more than one document",
        "mapping values are not allowed",
        "invalid trailing",
        "control characters are not allowed",
        "unknown anchor",
    ];
    if syntax_markers.iter().any(|m| body.contains(m)) {
        let line = file.line_index(span.start);
        let line_text = file.text.lines().nth(line).unwrap_or("");
        let hint = if line_text.contains('\t')
            || body.contains("cannot start any token") && line_text.starts_with('\t')
        {
            Some("YAML is indented with spaces; replace the tab characters".to_string())
        } else if body.contains("recursion limit") {
            Some("the nesting is far deeper than any spec needs".to_string())
        } else if body.contains("repetition limit") {
            Some(
                "aliases expand to too much data; write the values out instead of nesting aliases"
                    .to_string(),
            )
        } else if body.contains("quoted scalar") {
            Some("close the quote that starts here".to_string())
        } else if body.contains("mapping values are not allowed") {
            Some("a value containing `: ` must be quoted".to_string())
        } else {
            None
        };
        return Diagnostic::new(
            &codes::YAML_SYNTAX,
            location,
            format!("invalid YAML: {body}"),
        )
        .maybe_hint(hint);
    }
    // Where YAML read a value as another type than the one written means, say so.
    let hint = if body.contains("invalid type: unit value") {
        Some(
            "YAML reads an empty value, `~` and `null` as no value at all; write the value, in quotes if it is literally `~` or `null`",
        )
    } else if body.contains("expected a boolean") {
        Some("write `true` or `false`")
    } else if body.contains("expected u32") || body.contains("expected u64") {
        Some("write a whole number without quotes, e.g. `5`")
    } else {
        None
    };
    let hint = hint.unwrap_or_else(|| value_hint(&body));
    Diagnostic::new(&codes::INVALID_VALUE, location, format!("{body}{at}")).hint(hint)
}

/// A hint for a value of the wrong form, by what the message says was expected; every
/// finding gets one, so a user never has only the message to go on.
fn value_hint(body: &str) -> &'static str {
    if body.contains("is not a duration")
        || body.contains("is not a unit of time")
        || body.contains("cannot recur")
    {
        "a duration is a whole number above 0 and a unit, e.g. `3 months`, `1 year` or `2 working days`"
    } else if body.contains("gives no interval") {
        "give an interval for each value of the column, e.g. `every: { by: risk, High: 3 months, Low: 1 year }`"
    } else if body.contains("needs `by:") {
        "name the register column whose value picks the interval, e.g. `every: { by: risk, High: 3 months, Low: 1 year }`"
    } else if body.contains("per-item trigger needs `every`") {
        "add `every:` next to `for_each:`: one interval (`every: 1 year`) or one per class (`every: { by: risk, High: 3 months, Low: 1 year }`)"
    } else if body.contains("is not a date") {
        "write a day that exists in the calendar as YYYY-MM-DD, e.g. `2026-02-28`"
    } else if body.contains("invalid type") {
        "write the value in the form the spec format gives for this key; quote a text that YAML would read as a number, date or list"
    } else {
        "see the spec format for the values allowed at this key"
    }
}

/// The first "at line L column C" in a message.
fn position_in(message: &str) -> Option<(usize, usize)> {
    let rest = &message[message.find(" at line ")? + " at line ".len()..];
    let (line, rest) = rest.split_once(" column ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

/// A message without any "at line L column C" (positions are shown separately).
fn strip_positions(message: &str) -> String {
    let mut out = message.to_string();
    while let Some(i) = out.find(" at line ") {
        let rest = &out[i + " at line ".len()..];
        let Some((line, tail)) = rest.split_once(" column ") else {
            break;
        };
        if !line.chars().all(|c| c.is_ascii_digit()) {
            break;
        }
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        let end = out.len() - tail.len() + digits;
        out.replace_range(i..end, "");
    }
    out
}

fn between_backticks(s: &str) -> Option<String> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some(s[start..start + len].to_string())
}

/// The names in serde's "expected one of `a`, `b`" (or "expected `a`") tail.
fn expected_list(s: &str) -> Vec<String> {
    let Some(i) = s.find("expected") else {
        return Vec::new();
    };
    s[i..]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo: at most
/// one edit per three characters (`bye` → `by`, `GMM` → `GM`, but not `QP-10` → `QP-08`).
pub fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    let word = word.to_lowercase();
    let allowed = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&word, &c.to_lowercase()), c))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c.as_str())
}
