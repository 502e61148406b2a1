//! Releases written into a test QMS's `register.yaml` the way `procdoc release` records them
//! (content, fingerprint, PDF name), without building the PDF: the read-and-confirm tests
//! need only the register, and a stand-in PDF in the output folder to link to.
#![allow(dead_code)]

use std::path::Path;

use procdoc::control::fingerprint;
use procdoc::control::register::{Register, Release};

/// Records the working revision of `doc` in `qms/register.yaml` as released at
/// `released_at` (RFC 3339), and writes a stand-in PDF of it into `out` when given.
/// Returns the revision released.
pub fn release(qms: &Path, doc: &str, released_at: &str, out: Option<&Path>) -> String {
    let (loaded, _) = procdoc::spec::load::load(qms).unwrap();
    let primary = loaded
        .settings
        .as_ref()
        .map_or("en", |s| s.primary_language())
        .to_string();
    let procedure = loaded
        .procedure(doc)
        .expect("the document is in the QMS")
        .doc
        .clone();
    let revision = procedure.revision.clone();
    let pdf = format!("{doc}-rev{revision}.pdf");
    let mut register = loaded.register.clone().unwrap_or_default();
    register.releases.push(Release {
        doc: doc.to_string(),
        revision: revision.clone(),
        effective: procedure.effective,
        released_at: released_at.to_string(),
        approval: procedure.approval.clone(),
        fingerprint: fingerprint::meaning(&procedure, &primary),
        pdf: pdf.clone(),
        pdf_sha256: "0".repeat(64),
        content: procedure,
        printed: None,
        obsoleted: None,
    });
    std::fs::write(Register::path(qms), register.to_text()).unwrap();
    if let Some(out) = out {
        std::fs::create_dir_all(out).unwrap();
        std::fs::write(out.join(&pdf), b"%PDF-1.7 stand-in").unwrap();
    }
    revision
}

/// Sets the working revision of the procedure file `file` to `revision`.
pub fn revise(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    let edited = text.replacen(
        &format!("revision: {from}\n"),
        &format!("revision: {to}\n"),
        1,
    );
    assert_ne!(edited, text, "{} had revision {from}", file.display());
    std::fs::write(file, edited).unwrap();
}
