//! Characters that no bundled font can print. Typst would silently print an empty box for
//! them, so a controlled copy could lose words without anyone noticing; `check` points at
//! each one and `release` refuses the document.

use std::collections::{BTreeMap, BTreeSet};

use super::codes;
use super::diagnostic::Diagnostic;
use crate::render::typeset::bundled_font_covers;
use crate::spec::load::Qms;
use crate::spec::source::{FileId, Location};

/// One warning per character and file, at its first place outside a YAML comment. Files
/// are read in parallel and each distinct character is looked up in the fonts once for the
/// whole QMS: a coverage lookup costs far more than reading a character, and a QMS repeats
/// few distinct characters many times.
pub fn check(qms: &Qms, out: &mut Vec<Diagnostic>) {
    use rayon::prelude::*;
    let files: Vec<FileId> = std::iter::once(qms.settings_file)
        .chain(qms.procedures.iter().map(|p| p.file))
        .collect();
    let written: Vec<(FileId, BTreeMap<char, usize>)> = files
        .par_iter()
        .map(|&file| (file, written_chars(qms, file)))
        .collect();
    let distinct: BTreeSet<char> = written
        .iter()
        .flat_map(|(_, first)| first.keys().copied())
        .collect();
    let uncovered: BTreeSet<char> = distinct
        .into_par_iter()
        .filter(|&c| !bundled_font_covers(c))
        .collect();
    for (file, first) in written {
        for (c, location) in placed(file, first, &uncovered) {
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
    let first = written_chars(qms, file);
    let uncovered = first
        .keys()
        .copied()
        .filter(|&c| !bundled_font_covers(c))
        .collect();
    placed(file, first, &uncovered)
}

/// Every character of a source file's written values (outside YAML comments), with the
/// byte offset of its first place; empty for a file id the QMS does not have.
fn written_chars(qms: &Qms, file: FileId) -> BTreeMap<char, usize> {
    if file >= qms.sources.len() {
        return BTreeMap::new();
    }
    let text = &qms.sources.get(file).text;
    // Most of a spec is ASCII: a table keeps it. The rest (a Chinese spec writes thousands
    // of characters, few distinct) is sorted once instead of kept in a map as it comes.
    let mut ascii: [Option<usize>; 128] = [None; 128];
    let mut other: Vec<(char, usize)> = Vec::new();
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
            match ascii.get_mut(c as usize) {
                Some(slot) => {
                    slot.get_or_insert(line_start + i);
                }
                None => other.push((c, line_start + i)),
            }
        }
    }
    // By character, each first place first: the dedup keeps the first place.
    other.sort_unstable();
    other.dedup_by_key(|(c, _)| *c);
    let ascii = ascii
        .iter()
        .enumerate()
        .filter_map(|(code, at)| Some((char::from(u8::try_from(code).ok()?), (*at)?)));
    ascii.chain(other).collect()
}

/// The characters of `first` that are `uncovered`, located in `file`, in file order.
fn placed(
    file: FileId,
    first: BTreeMap<char, usize>,
    uncovered: &BTreeSet<char>,
) -> Vec<(char, Location)> {
    let mut found: Vec<(char, Location)> = first
        .into_iter()
        .filter(|(c, _)| uncovered.contains(c))
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
