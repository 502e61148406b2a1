//! What several end-to-end test files need: the example QMS folders, copies of them, a
//! build, and the text of a PDF; `procdoc run` at the command line ([`cli`]), the run
//! record it shows ([`run_record`]), and the application layer's users and requests
//! ([`app`]). Each test file uses only part of it.
#![allow(dead_code)]

pub mod app;
pub mod cli;
pub mod run_record;
pub mod words;

use std::path::Path;

/// The example QMS folders under `specs/`.
pub const EXAMPLES: &[&str] = &[
    "red-maple",
    "zza-feed",
    "comm-service",
    "dyne",
    "relationship-tw",
    "kestrel",
];

/// The folders under `specs/` that are QMS folders (hold a `procdoc.yaml`), sorted.
pub fn example_folders() -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir("specs")
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("procdoc.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    found
}

mod files;
#[allow(unused_imports)]
pub use files::copy_dir;

/// The SHA-256 of `bytes` in lowercase hex, as procdoc names and checks a kept file.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// `procdoc build QMS -o OUT [EXTRA...]`: its exit code and standard error.
pub fn build(qms: impl AsRef<Path>, out: &Path, extra: &[&str]) -> (i32, String) {
    let output = assert_cmd::Command::cargo_bin("procdoc")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("build")
        .arg(qms.as_ref())
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The text of a PDF, as a reader would copy it out.
pub fn pdf_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    pdf_extract::extract_text_from_mem(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Sign every blank approval (`prepared: {}` and the like) of the procedure files in `dir`:
/// the examples leave them blank as their originals do, and `release` refuses an unsigned
/// document. Tests of document control sign a copy first, as a quality manager would.
pub fn sign_approvals(dir: &Path) {
    for entry in std::fs::read_dir(dir).expect("QMS folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sign_approvals(&path);
            continue;
        }
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("spec text");
        let signed = text
            .replace(
                "prepared: {}",
                "prepared: { by: Ann Preparer, date: 2000-01-01 }",
            )
            .replace(
                "reviewed: {}",
                "reviewed: { by: Rob Reviewer, date: 2000-01-01 }",
            )
            .replace(
                "approved: {}",
                "approved: { by: Abe Approver, date: 2000-01-01 }",
            );
        if signed != text {
            std::fs::write(&path, signed).expect("write the signed spec");
        }
    }
}
