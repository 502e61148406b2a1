//! Source files and the source map: where in which file each model value was written.
//!
//! serde gives typed values but forgets positions, so a second pass over the marked YAML
//! events records the span of every key and value under its model path
//! (`flows[0].steps[2].by[1]`). Later stages ask for a path and get the closest position the
//! user wrote.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// Index of a file in [`Sources`].
pub type FileId = usize;

/// A place in a source file: a byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: FileId,
    pub span: Range<usize>,
}

#[derive(Debug, Default)]
pub struct SourceFile {
    /// Path as shown to the user (relative to the working directory when possible).
    pub name: String,
    /// Absolute or given path on disk.
    pub path: PathBuf,
    pub text: String,
    /// Byte offset of each line's start; 32 bits, as no source is near 4 GiB (the loader
    /// refuses files over [`crate::spec::load::MAX_FILE_BYTES`]), which halves what a large
    /// QMS keeps of them.
    line_starts: Vec<u32>,
    /// Built on first use: a clean QMS never needs a position, so checking it never pays
    /// for the second parse.
    index: std::sync::OnceLock<Index>,
    /// Positions found by reading only as far as needed, before the whole map is built
    /// ([`SourceFile::early_span`]).
    early_reads: std::sync::atomic::AtomicUsize,
}

/// How many positions a file answers by reading only up to them before it builds its
/// whole map: a note on an otherwise clean file (an approval left blank) is placed without
/// reading the rest of the file, and a file with many findings is still read at most a few
/// times over.
const EARLY_READS: usize = 2;

#[derive(Debug, Default)]
struct Index {
    values: HashMap<String, Range<usize>>,
    keys: HashMap<String, Range<usize>>,
    duplicate_key: Option<Range<usize>>,
    /// Plain scalars YAML may read as a number or boolean, as written, by model path.
    resolved: HashMap<String, String>,
}

impl SourceFile {
    pub fn new(name: String, path: PathBuf, text: String) -> Self {
        let lines = text.bytes().filter(|&b| b == b'\n').count();
        let mut line_starts = Vec::with_capacity(lines + 1);
        line_starts.push(0);
        line_starts.extend(
            text.match_indices('\n')
                .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        SourceFile {
            name,
            path,
            text,
            line_starts,
            index: std::sync::OnceLock::new(),
            early_reads: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The span of every key and value, from a pass over the marked YAML events. Only
    /// asked of text serde already parsed (or failed on), so a parse error here just leaves
    /// the map partial.
    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut indexer = Indexer::default();
            self.read_events(&mut indexer, |_| false);
            indexer.into_index()
        })
    }

    /// Feeds the marked YAML events to `indexer` until `enough` says so after an event, or
    /// the file ends; returns whether it ended.
    fn read_events(&self, indexer: &mut Indexer, enough: impl Fn(&Indexer) -> bool) -> bool {
        let mut parser = Parser::new_from_str(&self.text);
        while let Ok((event, mark)) = parser.next_token() {
            if event == Event::StreamEnd {
                return true;
            }
            // Marker indices count characters, not bytes; line (1-based) and column
            // (0-based, in characters) give the byte offset without that ambiguity.
            let start = self.offset_of(mark.line(), mark.col() + 1);
            indexer.event(event, start, &self.text);
            if enough(indexer) {
                return false;
            }
        }
        true
    }

    /// What [`SourceFile::value_span`] (or, with `key`, [`SourceFile::key_span`]) answers,
    /// read only as far as needed while the file's map is not built and it has answered
    /// fewer than [`EARLY_READS`] such questions; `None` otherwise. The read stops once
    /// `path` is written, or once the closest written value around it is closed (nothing
    /// later can be written inside it). A read that reaches the end of the file keeps what
    /// it found as the file's map.
    fn early_span(&self, path: &str, key: bool) -> Option<Range<usize>> {
        use std::sync::atomic::Ordering;
        if self.index.get().is_some()
            || self.early_reads.fetch_add(1, Ordering::Relaxed) >= EARLY_READS
        {
            return None;
        }
        let answer = |ix: &Indexer| match ix.keys.get(path).filter(|_| key) {
            Some(span) => span.clone(),
            None => closest_value(&ix.values, path).1,
        };
        let settled = |ix: &Indexer| {
            if ix.mapping_opened {
                return false;
            }
            if (key && ix.keys.contains_key(path)) || ix.values.contains_key(path) {
                return true;
            }
            match closest_value(&ix.values, path).0 {
                Some(around) => !ix.stack.iter().any(|frame| frame.path() == around),
                None => false,
            }
        };
        let mut indexer = Indexer::default();
        if self.read_events(&mut indexer, settled) {
            let span = answer(&indexer);
            let _ = self.index.set(indexer.into_index());
            return Some(span);
        }
        Some(answer(&indexer))
    }

    /// Every plain scalar that YAML may read as a number or boolean (`1.10`, `007`, `True`),
    /// with the characters written, by model path (aliases of such scalars included).
    pub fn resolved_scalars(&self) -> &HashMap<String, String> {
        &self.index().resolved
    }

    /// The first key written twice in one mapping (serde reports the mapping, not the key).
    pub fn duplicate_key(&self) -> Option<Range<usize>> {
        self.index().duplicate_key.clone()
    }

    /// Byte offset where 0-based line `line` starts; `None` past the last line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line).map(|&start| start as usize)
    }

    /// How many lines the text has (a text without a line break has one).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based line index of a byte offset.
    pub fn line_index(&self, byte: usize) -> usize {
        let byte = u32::try_from(byte).unwrap_or(u32::MAX);
        match self.line_starts.binary_search(&byte) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.text.len());
        let line = self.line_index(byte);
        let start = self.line_start(line).unwrap_or(0);
        let column = self
            .text
            .get(start..byte)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (line + 1, column + 1)
    }

    /// Byte offset of a 1-based line and column (columns in characters).
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let Some(start) = self.line_start(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        let line_text = rest.split('\n').next().unwrap_or("");
        line_text
            .char_indices()
            .nth(column.saturating_sub(1))
            .map(|(i, _)| start + i)
            .unwrap_or(start + line_text.len())
    }

    /// The span of the value at `path`, or of the closest enclosing value that was written.
    pub fn value_span(&self, path: &str) -> Range<usize> {
        match self.early_span(path, false) {
            Some(span) => span,
            None => closest_value(&self.index().values, path).1,
        }
    }

    /// The span of the key that introduces `path` (`by` in `by: CS`), else of its value.
    pub fn key_span(&self, path: &str) -> Range<usize> {
        if let Some(span) = self.early_span(path, true) {
            return span;
        }
        self.index()
            .keys
            .get(path)
            .cloned()
            .unwrap_or_else(|| self.value_span(path))
    }

    /// Whether a value was written at exactly `path`.
    pub fn has(&self, path: &str) -> bool {
        self.index().values.contains_key(path)
    }
}

/// `a.b[2].c` → `a.b[2]` → `a.b` → `a` → ``.
fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

enum Frame {
    Mapping {
        path: String,
        key: Option<String>,
        seen: std::collections::HashSet<String>,
    },
    Sequence {
        path: String,
        index: usize,
    },
}

#[derive(Default)]
struct Indexer {
    stack: Vec<Frame>,
    values: HashMap<String, Range<usize>>,
    keys: HashMap<String, Range<usize>>,
    /// Depth of complex (non-scalar) keys being skipped.
    skipping: usize,
    duplicate_key: Option<Range<usize>>,
    resolved: HashMap<String, String>,
    /// Written text of anchored scalars that may resolve to another type, by anchor id.
    anchored: HashMap<usize, String>,
    /// The last event started a mapping, whose span its first key still moves.
    mapping_opened: bool,
}

/// Whether a plain scalar may be read by YAML as something other than a string. Generous:
/// a string kept by mistake is compared with the parsed value and changes nothing.
fn may_resolve(value: &str) -> bool {
    value.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.'))
        || matches!(
            value,
            "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
        )
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Frame {
    fn path(&self) -> &str {
        match self {
            Frame::Mapping { path, .. } | Frame::Sequence { path, .. } => path,
        }
    }
}

/// The closest value written at `path` or around it (its path and span); `0..0` when none
/// is.
fn closest_value<'p>(
    values: &HashMap<String, Range<usize>>,
    path: &'p str,
) -> (Option<&'p str>, Range<usize>) {
    let mut current = path;
    loop {
        if let Some(span) = values.get(current) {
            return (Some(current), span.clone());
        }
        match parent_path(current) {
            Some(parent) => current = parent,
            None => return (None, 0..0),
        }
    }
}

impl Indexer {
    fn into_index(self) -> Index {
        Index {
            values: self.values,
            keys: self.keys,
            duplicate_key: self.duplicate_key,
            resolved: self.resolved,
        }
    }

    /// The path the next value takes, or None when the next scalar is a mapping key.
    fn next_value_path(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Mapping { path, key, .. }) => key.take().map(|k| child(path, &k)),
            Some(Frame::Sequence { path, index }) => {
                let p = format!("{path}[{index}]");
                *index += 1;
                Some(p)
            }
        }
    }

    fn event(&mut self, event: Event, start: usize, text: &str) {
        self.mapping_opened = matches!(event, Event::MappingStart(..));
        if self.skipping > 0 {
            match event {
                Event::MappingStart(..) | Event::SequenceStart(..) => self.skipping += 1,
                Event::MappingEnd | Event::SequenceEnd => self.skipping -= 1,
                _ => {}
            }
            return;
        }
        match event {
            Event::Scalar(value, style, anchor, _) => {
                let span = start..scalar_end(text, start, &value, style);
                let resolves = style == TScalarStyle::Plain && may_resolve(&value);
                if resolves && anchor > 0 {
                    self.anchored.insert(anchor, value.clone());
                }
                match self.next_value_path() {
                    Some(path) => {
                        if resolves {
                            self.resolved.insert(path.clone(), value);
                        }
                        self.values.insert(path, span);
                    }
                    None => {
                        if let Some(Frame::Mapping { path, key, seen }) = self.stack.last_mut() {
                            // A block mapping's start event is marked after its first key;
                            // the first key is where the user sees the mapping begin.
                            if seen.is_empty()
                                && let Some(own) = self.values.get_mut(path.as_str())
                                && !text[own.start..].starts_with('{')
                                && span.start < own.start
                            {
                                *own = span.start..span.end;
                            }
                            if !seen.insert(value.clone()) && self.duplicate_key.is_none() {
                                self.duplicate_key = Some(span.clone());
                            }
                            self.keys.insert(child(path, &value), span);
                            *key = Some(value);
                        }
                    }
                }
            }
            Event::Alias(anchor) => {
                if let Some(path) = self.next_value_path() {
                    if let Some(value) = self.anchored.get(&anchor) {
                        self.resolved.insert(path.clone(), value.clone());
                    }
                    self.values.insert(path, start..start + 1);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_mapping = matches!(event, Event::MappingStart(..));
                match self.next_value_path() {
                    Some(path) => {
                        self.values.insert(path.clone(), start..start + 1);
                        self.stack.push(if is_mapping {
                            Frame::Mapping {
                                path,
                                key: None,
                                seen: Default::default(),
                            }
                        } else {
                            Frame::Sequence { path, index: 0 }
                        });
                    }
                    // A collection used as a mapping key: nothing in the model is keyed so.
                    None => self.skipping = 1,
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

/// Where a scalar written at `start` ends in the source.
fn scalar_end(text: &str, start: usize, value: &str, style: TScalarStyle) -> usize {
    let rest = text.get(start..).unwrap_or("");
    let line = rest.split('\n').next().unwrap_or("");
    let len = match style {
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
            let quote = if style == TScalarStyle::SingleQuoted {
                '\''
            } else {
                '"'
            };
            // The closing quote on the same line; a multi-line string is underlined to line end.
            line.char_indices()
                .skip(1)
                .find(|&(_, c)| c == quote)
                .map(|(i, c)| i + c.len_utf8())
                .unwrap_or(line.len())
        }
        TScalarStyle::Literal | TScalarStyle::Folded => line.len().min(1),
        _ => value.len().min(line.trim_end().len()),
    };
    start + len.max(usize::from(!line.is_empty()).min(rest.len()))
}

/// All source files of a QMS.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        self.files.len() - 1
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    pub fn get_mut(&mut self, id: FileId) -> &mut SourceFile {
        &mut self.files[id]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Location of the value at `path` in `file`.
    pub fn at(&self, file: FileId, path: &str) -> Location {
        Location {
            file,
            span: self.get(file).value_span(path),
        }
    }

    /// Location of the key that introduces `path` in `file`.
    pub fn key(&self, file: FileId, path: &str) -> Location {
        Location {
            file,
            span: self.get(file).key_span(path),
        }
    }
}

impl<'a> codespan_reporting::files::Files<'a> for Sources {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.files
            .get(id)
            .map(|f| f.name.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.files
            .get(id)
            .map(|f| f.text.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        self.files
            .get(id)
            .map(|f| f.line_index(byte))
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_range(
        &'a self,
        id: FileId,
        line: usize,
    ) -> Result<Range<usize>, codespan_reporting::files::Error> {
        let file = self
            .files
            .get(id)
            .ok_or(codespan_reporting::files::Error::FileMissing)?;
        let start =
            file.line_start(line)
                .ok_or(codespan_reporting::files::Error::LineTooLarge {
                    given: line,
                    max: file.line_count().saturating_sub(1),
                })?;
        let end = file.line_start(line + 1).unwrap_or(file.text.len());
        Ok(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexed(text: &str) -> SourceFile {
        SourceFile::new("t.yaml".into(), "t.yaml".into(), text.into())
    }

    #[test]
    fn maps_nested_paths_to_positions() {
        let f = indexed(
            "id: X\nflows:\n  - id: main\n    steps:\n      - id: a\n        by: [CS, 客服]\n",
        );
        let span = f.value_span("flows[0].steps[0].by[1]");
        assert_eq!(&f.text[span.clone()], "客服");
        assert_eq!(f.line_col(span.start), (6, 18));
        let key = f.key_span("flows[0].steps[0].by");
        assert_eq!(&f.text[key], "by");
        // A path that was not written falls back to the closest written parent.
        let parent = f.value_span("flows[0].steps[0].with");
        assert_eq!(f.line_col(parent.start).0, 5);
    }

    #[test]
    fn quoted_scalars_are_underlined_with_quotes() {
        let f = indexed("title: \"a: b\"\nnext: 'x'\n");
        assert_eq!(&f.text[f.value_span("title")], "\"a: b\"");
        assert_eq!(&f.text[f.value_span("next")], "'x'");
    }

    #[test]
    fn early_answers_are_those_of_the_whole_map() {
        let text = "id: X\napproval:\n  prepared:\n    by: Li\n  approved: {}\nflows:\n  - id: main\n    steps:\n      - id: a\n        by: CS\n";
        let paths = [
            "approval",
            "approval.prepared",
            "approval.prepared.by",
            "approval.approved",
            "approval.approved.by",
            "approval.reviewed.date",
            "flows[0].steps[0].by",
            "flows[0].steps[0].with",
            "nowhere",
        ];
        let whole = indexed(text);
        let _ = whole.duplicate_key();
        for path in paths {
            // A fresh file answers its first questions by reading only up to them.
            let early = indexed(text);
            assert_eq!(early.value_span(path), whole.value_span(path), "{path}");
            let early = indexed(text);
            assert_eq!(early.key_span(path), whole.key_span(path), "{path}");
        }
        // The block mapping's span starts at its first key, as in the whole map.
        let early = indexed(text);
        assert_eq!(&early.text[early.value_span("approval.prepared")], "by");
        // A blank sign-off is placed at its empty mapping, read no further than the
        // mapping around it.
        let early = indexed(text);
        assert_eq!(&early.text[early.value_span("approval.approved.date")], "{");
        assert!(early.index.get().is_none());
    }

    #[test]
    fn parent_paths() {
        assert_eq!(parent_path("a.b[2].c"), Some("a.b[2]"));
        assert_eq!(parent_path("a.b[2]"), Some("a.b"));
        assert_eq!(parent_path("a"), Some(""));
        assert_eq!(parent_path(""), None);
    }
}
