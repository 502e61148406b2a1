//! Files attached to a step as evidence (a calibration certificate, a photo of the damage):
//! what a completion event records of each, and the narrow trait, next to [`Store`], that
//! keeps their bytes. The implementations are in `sqlite/attachments.rs` and
//! `postgres/attachments.rs`.
//!
//! Bytes are content-addressed: kept once per SHA-256 (FIPS 180-4), however many steps or
//! runs attach them. The event records each file's name, size, media type as sent and
//! SHA-256, so the audit chain covers which bytes were attached, and `run verify` finds a
//! kept file whose bytes no longer match. procdoc never interprets the bytes: it hashes,
//! keeps and hands them back as downloads.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::audit::Event;
use super::store::{Store, StoreError, StoredRun};

/// The longest file name kept, in characters; longer names are shortened, keeping their
/// extension, so that a name always fits a line of the run record.
pub const MAX_NAME_CHARS: usize = 120;

/// The longest media type kept, in characters; a longer one is recorded as
/// `application/octet-stream`.
const MAX_MEDIA_TYPE_CHARS: usize = 100;

/// What a completion event records of one attached file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The file name as sent, made safe by [`safe_name`].
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// The media type the sender gave (`application/pdf`), never used to interpret the
    /// bytes; `application/octet-stream` when none or a malformed one was given.
    pub media_type: String,
    /// SHA-256 of the bytes, 64 lowercase hexadecimal digits: the key they are kept under.
    pub sha256: String,
}

/// A file as a person sends it: its description, worked out once, and its bytes.
#[derive(Clone)]
pub struct Upload {
    pub attachment: Attachment,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bytes themselves would flood any log they reached.
        f.debug_struct("Upload")
            .field("attachment", &self.attachment)
            .finish_non_exhaustive()
    }
}

impl Upload {
    /// A file named `name` (any path and control characters are dropped, see
    /// [`safe_name`]) of media type `media_type` as sent.
    pub fn new(name: &str, media_type: Option<&str>, bytes: Vec<u8>) -> Upload {
        Upload {
            attachment: Attachment {
                name: safe_name(name),
                size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                media_type: safe_media_type(media_type),
                sha256: sha256_hex(&bytes),
            },
            bytes,
        }
    }
}

/// Where attachments' bytes are kept. Both methods are atomic on their own; a completion
/// keeps its files inside the writing transaction that records its event
/// ([`Store::begin`]), so a refused completion leaves no file behind. A store whose runs
/// database predates schema 4 and was opened read-only answers as a store without files.
pub trait Attachments: Store {
    /// Keeps `bytes` under `sha256` (their digest, lowercase hex); nothing happens when
    /// bytes are already kept under it.
    fn keep_file(&mut self, sha256: &str, bytes: &[u8]) -> Result<(), StoreError>;
    /// The bytes kept under `sha256`, as stored (they are not checked against it here);
    /// `None` when none are.
    fn file(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

/// SHA-256 of `bytes` as 64 lowercase hexadecimal digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `text` has the form of a SHA-256 as procdoc writes it (64 lowercase hex digits).
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A file name fit to show and to offer for download: only the part after the last `/` or
/// `\` (a browser or a client may send a whole path), without control or bidirectional
/// formatting characters, trimmed, without leading dots (no hidden or `..` names), at most
/// [`MAX_NAME_CHARS`] characters with the extension kept; `attachment` when nothing is left.
pub fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !is_format_char(*c))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return "attachment".to_string();
    }
    let count = cleaned.chars().count();
    if count <= MAX_NAME_CHARS {
        return cleaned.to_string();
    }
    let extension = cleaned
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.chars().count() <= 10)
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let keep = MAX_NAME_CHARS - extension.chars().count();
    let stem: String = cleaned.chars().take(keep).collect();
    format!("{}{extension}", stem.trim_end())
}

/// Unicode format characters that reorder or hide text (bidirectional overrides, zero-width
/// characters): a name holding them could show as another name (`invoice` U+202E `fdp.exe` shows as `invoiceexe.pdf`).
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// The media type as sent when it has the form `type/subtype` (RFC 6838 §4.2, parameters
/// dropped), lower-cased; `application/octet-stream` otherwise.
pub fn safe_media_type(given: Option<&str>) -> String {
    let fallback = || "application/octet-stream".to_string();
    let Some(given) = given else {
        return fallback();
    };
    let essence = given.split(';').next().unwrap_or("").trim();
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) && essence.len() <= MAX_MEDIA_TYPE_CHARS => {
            essence.to_ascii_lowercase()
        }
        _ => fallback(),
    }
}

/// A size for people: `512 B`, `12.3 kB`, `4.0 MB` (SI units, as file managers show).
pub fn show_size(bytes: u64) -> String {
    // Exact conversion is not needed: one decimal is shown.
    let b = bytes as f64;
    if bytes < 1000 {
        format!("{bytes} B")
    } else if b < 1e6 {
        format!("{:.1} kB", b / 1e3)
    } else if b < 1e9 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.1} GB", b / 1e9)
    }
}

/// The attachments a run's events record, in event order, with the event number.
pub fn of_events(events: &[Event]) -> Vec<(u64, Attachment)> {
    events
        .iter()
        .filter(|e| e.kind == "completed" || e.kind == "signed")
        .filter_map(|e| {
            let c: super::state::Completion = serde_json::from_str(&e.data).ok()?;
            Some(c.attachments.into_iter().map(move |a| (e.n, a)))
        })
        .flatten()
        .collect()
}

/// What is wrong with the files a run's events attach: one problem each for a file the store
/// does not hold or whose bytes no longer have the SHA-256 (or size) the event records.
/// Unreadable events are reported by the chain check, not here.
pub fn check_run(store: &dyn Attachments, stored: &StoredRun) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    for (n, a) in of_events(&stored.events) {
        let found = if is_sha256(&a.sha256) {
            store.file(&a.sha256)?
        } else {
            None
        };
        match found {
            None => problems.push(format!(
                "event #{n} attaches `{}` (SHA-256 {}), which the store does not hold",
                a.name, a.sha256
            )),
            Some(bytes) => {
                let actual = sha256_hex(&bytes);
                if actual != a.sha256 || bytes.len() as u64 != a.size {
                    problems.push(format!(
                        "event #{n} attaches `{}` with SHA-256 {} ({} bytes), but the stored file has SHA-256 {actual} ({} bytes): it was altered",
                        a.name,
                        a.sha256,
                        a.size,
                        bytes.len()
                    ));
                }
            }
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_controls_and_hiding_characters() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\Users\\qa\\report.pdf"), "report.pdf");
        assert_eq!(safe_name("..\\.."), "attachment");
        assert_eq!(safe_name(".."), "attachment");
        assert_eq!(safe_name(".hidden"), "hidden");
        assert_eq!(safe_name("a\u{0}b\nc\td.txt"), "ab c d.txt");
        assert_eq!(safe_name("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(safe_name("  "), "attachment");
        // Markup stays text: escaping where it is shown is the page's job.
        assert_eq!(safe_name("<script>.html"), "<script>.html");
        let long = format!("{}.pdf", "x".repeat(300));
        let short = safe_name(&long);
        assert_eq!(short.chars().count(), MAX_NAME_CHARS);
        assert!(short.ends_with(".pdf"), "{short}");
    }

    #[test]
    fn media_types_are_kept_only_in_their_form() {
        assert_eq!(safe_media_type(Some("Image/PNG")), "image/png");
        assert_eq!(
            safe_media_type(Some("text/html; charset=utf-8")),
            "text/html"
        );
        assert_eq!(
            safe_media_type(Some("text/html\r\nX: y")),
            "application/octet-stream"
        );
        assert_eq!(
            safe_media_type(Some("nonsense")),
            "application/octet-stream"
        );
        assert_eq!(safe_media_type(None), "application/octet-stream");
    }

    #[test]
    fn an_upload_is_described_by_its_digest_and_size() {
        let u = Upload::new("a.txt", Some("text/plain"), b"abc".to_vec());
        assert_eq!(
            u.attachment.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(u.attachment.size, 3);
        assert!(is_sha256(&u.attachment.sha256));
        assert!(!is_sha256("BA7816BF"));
        assert!(
            !format!("{u:?}").contains("98, 99"),
            "bytes stay out of logs"
        );
        assert_eq!(show_size(999), "999 B");
        assert_eq!(show_size(12_345), "12.3 kB");
        assert_eq!(show_size(20_000_000), "20.0 MB");
    }
}
