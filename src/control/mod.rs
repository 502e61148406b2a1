//! Document control: content fingerprints of procedures, the register of releases and
//! reviews, the checks that use it, what changed between revisions, and the commands
//! `release`, `review`, `status`, `verify`, `diff` and `build --revision`.

pub mod checks;
pub mod command;
pub mod diff;
pub mod fingerprint;
pub mod register;

use crate::spec::load::Qms;
use crate::spec::model::Procedure;

/// The status stamped on a document built from the working files: `controlled` when this
/// revision was released with exactly this content, else `draft`.
pub fn status_of(qms: &Qms, doc: &Procedure) -> &'static str {
    match qms
        .register
        .as_ref()
        .and_then(|r| r.release(&doc.id, &doc.revision))
    {
        Some(release) if release.fingerprint == fingerprint::of(doc) => "controlled",
        _ => "draft",
    }
}
