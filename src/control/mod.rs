//! Document control: content fingerprints of procedures, the register of releases and
//! reviews, the checks that use it, what changed between revisions, and the commands
//! `release`, `review`, `status`, `verify`, `diff` and `build --revision`.

pub mod checks;
pub mod command;
pub mod copies;
pub mod diff;
pub mod files;
pub mod fingerprint;
pub mod integrity;
pub mod names;
pub mod printed;
pub mod register;
pub mod register_diff;
pub mod release;

use crate::spec::load::Qms;
use crate::spec::model::Procedure;

/// The status stamped on a document built from the working files: `controlled` when this
/// revision was released with exactly this content, else `draft`.
pub fn status_of(qms: &Qms, doc: &Procedure) -> &'static str {
    match release_state(qms, doc) {
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
/// [`AWAITING_APPROVAL`] or [`DRAFT`] (what `procdoc status` and the master list show). Released means: the same
/// meaning as the released content (see [`fingerprint::meaning`]), which still matches the
/// fingerprint recorded with it, and the same excerpt of the QMS printed ([`printed`]).
pub fn release_state(qms: &Qms, doc: &Procedure) -> &'static str {
    let Some(release) = qms
        .register
        .as_ref()
        .and_then(|r| r.release(&doc.id, &doc.revision))
    else {
        return if doc.approval.is_complete() {
            DRAFT
        } else {
            AWAITING_APPROVAL
        };
    };
    let Some(settings) = qms.settings.as_ref() else {
        return MODIFIED;
    };
    if unchanged_since(qms, settings, release, doc) {
        RELEASED
    } else {
        MODIFIED
    }
}

/// Whether `doc`, printed with the QMS as it is now, is what `release` released.
pub fn unchanged_since(
    qms: &Qms,
    settings: &crate::spec::model::Settings,
    release: &register::Release,
    doc: &Procedure,
) -> bool {
    let primary = settings.primary_language();
    let recorded = fingerprint::meaning(&release.content, primary);
    let working = fingerprint::meaning(doc, primary);
    let intact =
        release.fingerprint == recorded || release.fingerprint == fingerprint::of(&release.content);
    // When the stored content was altered (E0812), the recorded fingerprint is what was
    // released: the working file is judged against it, not against the altered content.
    let same = if intact {
        recorded == working
    } else {
        release.fingerprint == working || release.fingerprint == fingerprint::of(doc)
    };
    same && printed::unchanged(release.printed.as_ref(), &printed::of(qms, settings, doc))
}
