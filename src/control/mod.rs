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
    match release_state(qms.register.as_ref(), doc) {
        RELEASED => "controlled",
        _ => "draft",
    }
}

/// [`release_state`] of a revision released with exactly this content.
pub const RELEASED: &str = "released";
/// [`release_state`] of a released revision whose content changed since.
pub const MODIFIED: &str = "modified since release";
/// [`release_state`] of a revision never released.
pub const DRAFT: &str = "draft";
/// [`release_state`] of a revision never released whose approval still has blank names or
/// dates (`approved: {}`): it cannot be released until they are signed.
pub const AWAITING_APPROVAL: &str = "awaiting approval";

/// The release state of a document's working revision: [`RELEASED`], [`MODIFIED`],
/// [`AWAITING_APPROVAL`] or [`DRAFT`] (what `procdoc status` and the master list show).
pub fn release_state(register: Option<&register::Register>, doc: &Procedure) -> &'static str {
    match register.and_then(|r| r.release(&doc.id, &doc.revision)) {
        Some(r) if r.fingerprint == fingerprint::of(doc) => RELEASED,
        Some(_) => MODIFIED,
        None if !doc.approval.is_complete() => AWAITING_APPROVAL,
        None => DRAFT,
    }
}
