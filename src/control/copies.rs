//! The copies in the output folder checked against the register. The register is the only
//! record of what was released, so a hand edit that removes its last entries leaves it
//! consistent with itself; the copies `release` wrote are the evidence that remains: an
//! OBSOLETE copy no release accounts for, or a CONTROLLED COPY of a revision the register
//! does not hold, means releases were removed from `register.yaml` (or copies were planted).

use std::path::Path;

use super::register::{Integrity, Register};

/// The marker the controlled documents carry in their PDF keywords, followed by their
/// status (`controlled`, `draft`, `obsolete`): how a copy says what it claims to be
/// without the register.
pub const STATUS_KEYWORD: &str = "procdoc-status:";

/// A PDF this large is not one procdoc wrote; it is not read.
const LARGEST_COPY: u64 = 256 * 1024 * 1024;

/// Every copy under `out_dir` (the folder `release` writes to) that the register cannot
/// account for: PDFs in `obsolete/` whose SHA-256 no release recorded as the copy it made
/// obsolete, and PDFs at the top that claim to be a CONTROLLED COPY but match no release.
/// Registers written before procdoc kept the OBSOLETE copies' checksums (a later release
/// without `obsoleted`) are not judged on their obsolete folder. A missing folder is no
/// finding; unreadable entries are skipped (the build and `verify` name them).
pub fn unaccounted(register: &Register, out_dir: &Path) -> Vec<Integrity> {
    let mut out = Vec::new();
    let legacy = register.releases.iter().enumerate().any(|(i, r)| {
        r.obsoleted.is_none() && register.releases[..i].iter().any(|o| o.doc == r.doc)
    });
    if !legacy {
        for (name, bytes) in pdfs(&out_dir.join("obsolete")) {
            let hash = super::command::sha256(&bytes);
            if register.by_obsolete_pdf(&hash).is_none() {
                out.push(Integrity {
                    path: "releases".to_string(),
                    message: format!(
                        "{} holds the OBSOLETE copy {name}, which no release in the register made obsolete (sha256 {hash}): the release that replaced it is missing",
                        out_dir.join("obsolete").display()
                    ),
                });
            }
        }
    }
    for (name, bytes) in pdfs(out_dir) {
        let hash = super::command::sha256(&bytes);
        if register.by_pdf(&hash).is_none() && claims(&bytes, "controlled") {
            out.push(Integrity {
                path: "releases".to_string(),
                message: format!(
                    "{} is a CONTROLLED COPY that matches no release in the register (sha256 {hash}): its release is missing",
                    out_dir.join(&name).display()
                ),
            });
        }
    }
    out
}

/// Whether a PDF's keywords give it this status.
fn claims(pdf: &[u8], status: &str) -> bool {
    let marker = format!("{STATUS_KEYWORD}{status}");
    pdf.windows(marker.len()).any(|w| w == marker.as_bytes())
}

/// The regular `*.pdf` files directly in `dir`, by name in name order, with their bytes.
/// Links are not followed: what a link points at is not a copy in this folder.
fn pdfs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(String, Vec<u8>)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| e.metadata().is_ok_and(|m| m.len() <= LARGEST_COPY))
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            if !name.to_ascii_lowercase().ends_with(".pdf") {
                return None;
            }
            Some((name, std::fs::read(e.path()).ok()?))
        })
        .collect();
    found.sort();
    found
}
