//! Characters that no bundled font can print. Typst would silently print an empty box for
//! them, so a controlled copy could lose words without anyone noticing; `check` points at
//! each one and `release` refuses the document.

use std::collections::{BTreeMap, HashMap};

use super::codes;
use super::diagnostic::Diagnostic;
use crate::render::typeset::bundled_font_covers;
use crate::spec::load::Qms;
use crate::spec::source::{FileId, Location};

/// One warning per character and file, at its first place outside a YAML comment.
pub fn check(qms: &Qms, out: &mut Vec<Diagnostic>) {
    let files = std::iter::once(qms.settings_file).chain(qms.procedures.iter().map(|p| p.file));
    for file in files {
        for (c, location) in missing(qms, file) {
            out.push(
                Diagnostic::new(
                    &codes::MISSING_GLYPH,
                    location,
                    format!(
                        "no bundled font can print '{c}' (U+{:04X}): it would print as an empty box",
                        u32::from(c)
                    ),
                )
                .hint("use another character; `procdoc release` refuses a document that cannot be printed whole"),
            );
        }
    }
}

/// The characters of a source file no bundled font covers, each with its first place in
/// the file's written values (comments are never printed, so they do not count).
pub fn missing(qms: &Qms, file: FileId) -> Vec<(char, Location)> {
    if file >= qms.sources.len() {
        return Vec::new();
    }
    let text = &qms.sources.get(file).text;
    let mut first: BTreeMap<char, usize> = BTreeMap::new();
    // Looking a character up in every font's coverage table costs far more than this map;
    // a spec repeats few distinct characters many times.
    let mut covered: HashMap<char, bool> = HashMap::new();
    for (line_start, line) in line_spans(text) {
        let mut in_quotes = None;
        let mut previous = ' ';
        for (i, c) in line.char_indices() {
            match (c, in_quotes) {
                ('#', None) if previous.is_whitespace() => break,
                ('"' | '\'', None) if previous.is_whitespace() || ":-[{,".contains(previous) => {
                    in_quotes = Some(c)
                }
                (q, Some(open)) if q == open => in_quotes = None,
                _ => {}
            }
            previous = c;
            if !*covered.entry(c).or_insert_with(|| bundled_font_covers(c)) {
                first.entry(c).or_insert(line_start + i);
            }
        }
    }
    let mut found: Vec<(char, Location)> = first
        .into_iter()
        .map(|(c, at)| {
            (
                c,
                Location {
                    file,
                    span: at..at + c.len_utf8(),
                },
            )
        })
        .collect();
    found.sort_by_key(|(_, l)| l.span.start);
    found
}

/// Each line of `text` with the byte offset it starts at.
fn line_spans(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    text.split('\n').map(move |line| {
        let at = start;
        start += line.len() + 1;
        (at, line)
    })
}
