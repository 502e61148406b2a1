//! Characters that no bundled font can print. Typst would silently print an empty box for
//! them, so a controlled copy could lose words without anyone noticing; `check` points at
//! each one and `release` refuses the document.

use std::collections::BTreeMap;

use super::codes;
use super::diagnostic::Diagnostic;
use crate::render::typeset::bundled_font_covers;
use crate::spec::load::Qms;
use crate::spec::source::{FileId, Location};

/// One warning per character and file, at its first place outside a YAML comment.
pub fn check(qms: &Qms, out: &mut Vec<Diagnostic>) {
    use rayon::prelude::*;
    let files: Vec<FileId> = std::iter::once(qms.settings_file)
        .chain(qms.procedures.iter().map(|p| p.file))
        .collect();
    // Files are scanned in parallel, their findings kept in file order.
    let found: Vec<Vec<(char, Location)>> = files.par_iter().map(|&f| missing(qms, f)).collect();
    for file_found in found {
        for (c, location) in file_found {
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
    // Every printable ASCII character is covered, and most lines are ASCII only; each other
    // character of the Basic Multilingual Plane is looked up once (0: not yet, 1: covered,
    // 2: not covered), the rest every time (rare).
    let mut covered = vec![0u8; 0x1_0000];
    for (line_start, line) in line_spans(text) {
        if line.is_ascii() {
            continue;
        }
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
            let printable = match covered.get_mut(c as usize) {
                Some(known) => {
                    if *known == 0 {
                        *known = if bundled_font_covers(c) { 1 } else { 2 };
                    }
                    *known == 1
                }
                None => bundled_font_covers(c),
            };
            if !printable {
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
