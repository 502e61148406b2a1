//! The fonts outputs are printed with: the bundled families in the order that suits the
//! primary language, what identifies the fonts of extra folders, and the texts no loaded
//! font has glyphs for.

use std::path::{Path, PathBuf};

use super::context::DocumentContext;
use super::jobs::hash;
use super::labels::Script;
use super::typeset::Typesetter;

/// Whether `c` is written in a CJK script: Han, kana, Hangul, CJK symbols and punctuation,
/// full-width forms, and the circled numbers CJK documents number with (①). Such text
/// needs the CJK font of the document's language, and breaks between any two characters.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2460..=0x24FF | 0x2E80..=0x2FDF | 0x3000..=0x30FF | 0x3130..=0x318F | 0x31C0..=0x31FF
        | 0x3200..=0x4DBF | 0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF
        | 0xF900..=0xFAFF | 0xFE10..=0xFE1F | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF
        | 0x20000..=0x3FFFF)
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

/// Warnings for the texts no loaded font can print. Characters are tested once each, then
/// only the texts holding a missing one are named.
pub(super) fn missing_glyph_warnings(
    typesetter: &Typesetter,
    mut texts: Vec<String>,
) -> Vec<String> {
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

/// What identifies the fonts of `--font-path` folders: every file's path, size and
/// modification time, so replacing a font rebuilds what it prints.
pub(super) fn font_dirs_key(dirs: &[PathBuf]) -> String {
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

/// Texts to test for missing glyphs: every string the document prints.
pub(super) fn glyph_candidates(ctx: &DocumentContext) -> Vec<String> {
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
