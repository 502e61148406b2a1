//! Files attached to steps as evidence: kept in the transaction of the completion that
//! attaches them, and handed back, as downloads only, to those who may see the run.

use super::viewing::read_visible;
use super::{Refusal, RefusalKind, RunRef};
use crate::run::accounts::User;
use crate::run::attachments::{Attachment, Attachments, Upload, is_sha256, of_events, sha256_hex};
use crate::run::engine::RunError;

/// Keeps each upload's bytes under its SHA-256. Called inside the writing transaction that
/// records the completion, so that a refused completion keeps nothing.
pub(super) fn keep(store: &mut dyn Attachments, uploads: &[Upload]) -> Result<(), RunError> {
    for upload in uploads {
        store.keep_file(&upload.attachment.sha256, &upload.bytes)?;
    }
    Ok(())
}

/// A file to hand back: its description as the first event attaching it records it (the
/// file name offered), and its bytes, checked against the SHA-256.
#[derive(Debug, Clone)]
pub struct Download {
    pub attachment: Attachment,
    pub bytes: Vec<u8>,
}

/// The file with SHA-256 `sha256` that an event of run `run` attaches, for `user`.
///
/// Refused:
/// - `user` may not see the run (as its page): [`RefusalKind::Forbidden`];
/// - no such run, a malformed digest, or no event of this run attaches it (a file of another
///   run is not found through this one): [`RefusalKind::NotFound`] about `sha256`;
/// - the store lacks the bytes or they no longer match the digest: [`RefusalKind::Broken`]
///   (`procdoc run verify` reports it too).
pub fn download(
    store: &mut dyn Attachments,
    user: &User,
    run: &RunRef,
    sha256: &str,
) -> Result<Download, Refusal> {
    let not_found = || {
        Refusal::new(
            RefusalKind::NotFound,
            Some("sha256"),
            format!(
                "run {} has no attached file with SHA-256 `{sha256}`",
                run.reference
            ),
        )
    };
    if !is_sha256(sha256) {
        return Err(not_found());
    }
    let found = read_visible(store, user, run, |_, live| {
        Ok(of_events(&live.events)
            .into_iter()
            .map(|(_, a)| a)
            .find(|a| a.sha256 == sha256))
    })?;
    let attachment = found.ok_or_else(not_found)?;
    let broken = |why: &str| {
        Refusal::new(
            RefusalKind::Broken,
            None,
            format!(
                "the file `{}` attached to run {} (SHA-256 {sha256}) {why}: see `procdoc run verify`",
                attachment.name, run.reference
            ),
        )
    };
    let bytes = store
        .file(sha256)
        .map_err(Refusal::from)?
        .ok_or_else(|| broken("is not in the store"))?;
    if sha256_hex(&bytes) != sha256 {
        return Err(broken("no longer has the bytes that were attached"));
    }
    Ok(Download { attachment, bytes })
}
