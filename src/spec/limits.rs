//! Limits on what one spec may hold, so that checking, building and running stay within
//! bounded time and memory whatever the input (each one a located `input-limit` error).

use std::fs;
use std::io::Read;
use std::path::Path;

use serde::Serialize;

use super::model::Procedure;
use super::source::{FileId, Location, SourceFile};
use crate::check::codes;
use crate::check::diagnostic::Diagnostic;

/// Steps in one flow. Real flows have a few dozen; a flowchart of more could not be read, and
/// checking, laying out and running one grows faster than its size.
pub const MAX_FLOW_STEPS: usize = 300;
/// Steps in all flows of one procedure together.
pub const MAX_PROCEDURE_STEPS: usize = 1000;
/// Characters in one word: a run with no space or other place to break a line. A longer one
/// cannot be printed on a line, and PDF strings end at 32,767 characters.
pub const MAX_WORD_CHARS: usize = 2000;

/// An `input-limit` error at the first step beyond [`MAX_FLOW_STEPS`] or
/// [`MAX_PROCEDURE_STEPS`], if the procedure has one.
pub(crate) fn beyond_limits(
    doc: &Procedure,
    source: &SourceFile,
    file: FileId,
) -> Option<Diagnostic> {
    let mut total = 0;
    for (f, flow) in doc.flows.iter().enumerate() {
        if flow.steps.len() > MAX_FLOW_STEPS {
            return Some(
                Diagnostic::new(
                    &codes::INPUT_LIMIT,
                    Location {
                        file,
                        span: source.value_span(&format!("flows[{f}].steps[{MAX_FLOW_STEPS}]")),
                    },
                    format!(
                        "flow `{}` has {} steps, more than the {MAX_FLOW_STEPS} a flow may have; the procedure was not read further",
                        flow.id,
                        flow.steps.len()
                    ),
                )
                .hint("split the flow into smaller flows that call each other (`calls`)"),
            );
        }
        if total + flow.steps.len() > MAX_PROCEDURE_STEPS {
            let s = MAX_PROCEDURE_STEPS - total;
            return Some(
                Diagnostic::new(
                    &codes::INPUT_LIMIT,
                    Location {
                        file,
                        span: source.value_span(&format!("flows[{f}].steps[{s}]")),
                    },
                    format!(
                        "the procedure has more than {MAX_PROCEDURE_STEPS} steps in its flows; the procedure was not read further"
                    ),
                )
                .hint("split it into several procedures that refer to each other"),
            );
        }
        total += flow.steps.len();
    }
    None
}

/// An `input-limit` error at the first text holding a word longer than [`MAX_WORD_CHARS`].
pub(crate) fn long_word<T: Serialize>(
    value: &T,
    source: &SourceFile,
    file: FileId,
) -> Option<Diagnostic> {
    // Only a file with a long run of characters, or with escapes that could join lines into
    // one, can hold such a word; every other file skips the walk over its values.
    if !may_hold_long_word(source.text.as_bytes()) {
        return None;
    }
    let json = serde_json::to_value(value).ok()?;
    let (path, length) = find_long_word(&json, &mut String::new())?;
    Some(
        Diagnostic::new(
            &codes::INPUT_LIMIT,
            Location {
                file,
                span: source.value_span(&path),
            },
            format!(
                "this text holds a word of {length} characters with no space; at most {MAX_WORD_CHARS} can be printed"
            ),
        )
        .hint("break it with spaces, or put the long data in a document of its own and refer to it"),
    )
}

/// Whether a file may hold a word beyond [`MAX_WORD_CHARS`]: a run of that many bytes with
/// no ASCII space, or an escape that could join lines into one. Counting bytes overcounts
/// non-ASCII text (a Chinese paragraph has no spaces), which only costs the exact walk.
fn may_hold_long_word(bytes: &[u8]) -> bool {
    let mut run = 0;
    for &b in bytes {
        match b {
            b'\\' => return true,
            b' ' | b'\n' | b'\r' | b'\t' => run = 0,
            _ => {
                run += 1;
                if run > MAX_WORD_CHARS {
                    return true;
                }
            }
        }
    }
    false
}

/// The path and length of the first string under `json` with a word beyond the limit.
fn find_long_word(json: &serde_json::Value, path: &mut String) -> Option<(String, usize)> {
    let len = path.len();
    let found = match json {
        serde_json::Value::String(s) => {
            let longest = longest_word(s).0;
            (longest > MAX_WORD_CHARS).then(|| (path.clone(), longest))
        }
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            path.push_str(&format!("[{i}]"));
            let found = find_long_word(item, path);
            path.truncate(len);
            found
        }),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            let found = find_long_word(item, path);
            path.truncate(len);
            found
        }),
        _ => None,
    };
    path.truncate(len);
    found
}

/// The length in characters of the longest run in `text` with nowhere to break a line, and
/// where it starts. Spaces break; so does every wide (CJK) character, which lines may break
/// before and after.
pub fn longest_word(text: &str) -> (usize, usize) {
    let (mut best, mut best_at) = (0, 0);
    let (mut run, mut run_at) = (0, 0);
    for (i, c) in text.char_indices() {
        if c.is_whitespace() || unicode_width::UnicodeWidthChar::width(c) == Some(2) {
            run = 0;
            continue;
        }
        if run == 0 {
            run_at = i;
        }
        run += 1;
        if run > best {
            (best, best_at) = (run, run_at);
        }
    }
    (best, best_at)
}

/// Read a whole file named on the command line (a PDF to verify), refusing what is not a
/// regular file (a device such as `/dev/zero`, a pipe that would block) and anything larger
/// than `limit` bytes, so a wrong argument cannot make procdoc read without end.
pub fn read_file_at_most(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let meta = fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!(
            "{} is not a regular file (a folder, device or pipe)",
            path.display()
        ));
    }
    let file = fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "{} is larger than {} MiB; no document procdoc writes is that big",
            path.display(),
            limit / (1024 * 1024)
        ));
    }
    Ok(bytes)
}
