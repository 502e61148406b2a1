//! Moving a company's whole store to another one, from SQLite to PostgreSQL or back
//! (`procdoc db copy`): every run with its snapshot, open steps and events (same ids, same
//! hashes, same places in the store chain), the store head, users with their departments,
//! API tokens, attached files, training records and the overdue digests sent.
//!
//! Sign-in sessions and counts of failed sign-ins are not copied: a move is a maintenance
//! window, after which people sign in again.
//!
//! The target must be empty; the copy is one writing transaction on it, verified as
//! `procdoc run verify` verifies (every run's chain, replay and files, and the store
//! chain) before it is committed, so a failure or a finding leaves the target as empty as
//! it was. Running the copy again after it succeeded is refused for that reason, and
//! writes nothing.

use std::collections::BTreeSet;
use std::path::Path;

use super::verify::{Verification, verify_within};
use super::{Refusal, RefusalKind};
use crate::run::engine::RunError;
use crate::run::store::{AnyStore, Filter, Location, SCHEMA_VERSION, Store, StoreError};
use crate::run::transfer::Transfer;

/// What a copy moved, and the target's verification inside the copy's transaction.
#[derive(Debug, Clone)]
pub struct Copied {
    pub runs: usize,
    /// Events of all runs, which is the length of the store chain.
    pub events: usize,
    /// Distinct procedure snapshots the runs are pinned to.
    pub snapshots: usize,
    pub users: usize,
    pub tokens: usize,
    /// Attached files, each kept once, and their bytes together.
    pub files: usize,
    pub file_bytes: u64,
    pub training: usize,
    /// Overdue digests recorded as sent.
    pub digests: usize,
    /// The target as `procdoc run verify` finds it; always intact in a `Copied`.
    pub verification: Verification,
}

/// Copies the store `from` names (a path, `sqlite:PATH` or a `postgres://` URL) into the
/// empty store `to` names, creating `to`'s tables (and an SQLite file) when needed.
///
/// Refusals: `from` and `to` naming one store, or a source that does not exist or cannot
/// be read (about input `from`), a target that cannot be opened or is not empty (about
/// `to`), a copy that does not verify ([`RefusalKind::Broken`]: the source itself fails
/// `procdoc run verify`). Nothing is written to the target unless the whole copy succeeds.
pub fn copy_database(from: &Path, to: &Path) -> Result<Copied, Refusal> {
    let (source_at, target_at) = (Location::of(from), Location::of(to));
    if source_at == target_at {
        return Err(Refusal::invalid(
            "to",
            format!("--from and --to both name {}", source_at.shown()),
        ));
    }
    let mut source = AnyStore::open(from, false).map_err(|e| about("from", e))?;
    let schema = source.provenance().map_err(|e| about("from", e))?.schema;
    if schema < 2 {
        return Err(Refusal::invalid(
            "from",
            format!(
                "{} has schema version {schema}, from before the store chain; open it once with a writing command of this procdoc (e.g. `procdoc user add`) to upgrade it to {SCHEMA_VERSION}",
                source_at.shown()
            ),
        ));
    }
    let mut target = AnyStore::create(to).map_err(|e| about("to", e))?;
    copy_store(&mut source, &mut target, &target_at.shown())
}

/// [`copy_database`] between two opened stores; `target_name` names the target in the
/// refusal when it is not empty. The source is read in one reading transaction.
pub fn copy_store(
    source: &mut dyn Transfer,
    target: &mut dyn Transfer,
    target_name: &str,
) -> Result<Copied, Refusal> {
    source.begin(false)?;
    let copied = match target.begin(true) {
        Ok(()) => match fill(source, target, target_name) {
            Ok(copied) => target.commit().map(|()| copied).map_err(Refusal::from),
            Err(refusal) => {
                let _ = target.rollback();
                Err(refusal)
            }
        },
        Err(e) => Err(about("to", e)),
    };
    let _ = source.rollback();
    copied
}

/// The refusal of a store error, about input `field`.
fn about(field: &str, error: StoreError) -> Refusal {
    let refusal = Refusal::from(error);
    Refusal::new(refusal.kind, Some(field), refusal.message)
}

/// `n word(s)`.
fn count(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Why the target cannot be filled: what it holds already.
fn occupied(target: &dyn Transfer, name: &str) -> Result<Option<Refusal>, RunError> {
    let held = [
        (target.list(&Filter::default())?.len(), "run"),
        (target.users()?.len(), "user"),
        (target.files()?.len(), "attached file"),
        (target.training(None)?.len(), "training record"),
    ];
    let mut parts: Vec<String> = held
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, word)| count(*n, word))
        .collect();
    let events = target.head()?.map_or(0, |h| h.count);
    if parts.is_empty() && events > 0 {
        parts.push(format!("a store chain of {events} events"));
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Ok(Some(Refusal::new(
        RefusalKind::Refused,
        Some("to"),
        format!(
            "the target {name} is not empty: it holds {}. `procdoc db copy` fills only an empty store (a copy that succeeded before is not repeated); nothing was written",
            parts.join(", ")
        ),
    )))
}

fn fill(
    source: &dyn Transfer,
    target: &mut dyn Transfer,
    target_name: &str,
) -> Result<Copied, Refusal> {
    if let Some(refusal) = occupied(target, target_name)? {
        return Err(refusal);
    }
    let users = source.users()?;
    for user in &users {
        target.restore_user(user)?;
    }
    // By id: a parent run is always older than its children.
    let mut rows = source.list(&Filter::default())?;
    rows.sort_by_key(|r| r.id);
    let (mut events, mut snapshots) = (0, BTreeSet::new());
    for row in &rows {
        let Some(stored) = source.load(row.id)? else {
            continue;
        };
        events += stored.events.len();
        snapshots.insert(stored.row.snapshot_hash.clone());
        target.restore_run(&stored)?;
    }
    let head = source
        .head()?
        .unwrap_or_else(crate::run::audit::StoreHead::empty);
    target.restore_head(&head, &source.provenance()?)?;
    let tokens = source.tokens()?;
    for t in &tokens {
        target.add_token(&t.digest, t.user, t.created_at)?;
    }
    let (files, mut file_bytes) = (source.files()?, 0);
    for sha256 in &files {
        if let Some(bytes) = source.file(sha256)? {
            file_bytes += u64::try_from(bytes.len()).unwrap_or(u64::MAX);
            target.keep_file(sha256, &bytes)?;
        }
    }
    let training = source.training(None)?;
    for record in &training {
        target.add_training(record)?;
    }
    let digests = source.digests()?;
    for d in &digests {
        target.record_digest(d.user, &d.day, d.sent_at, d.steps)?;
    }
    let verification = verify_within(&*target)?;
    let complete = verification.runs == rows.len()
        && verification.events == events
        && verification.head == head;
    if !verification.intact() || !complete {
        let mut findings = verification.findings.clone();
        if !complete {
            findings.push(format!(
                "the target holds {} and {} up to head {}, the source {} and {} up to head {}",
                count(verification.runs, "run"),
                count(verification.events, "event"),
                verification.head.text(),
                count(rows.len(), "run"),
                count(events, "event"),
                head.text()
            ));
        }
        return Err(Refusal::new(
            RefusalKind::Broken,
            None,
            format!(
                "the copy does not verify, so nothing was written (`procdoc run verify` on the source shows the same): {}",
                findings.join("; ")
            ),
        ));
    }
    Ok(Copied {
        runs: rows.len(),
        events,
        snapshots: snapshots.len(),
        users: users.len(),
        tokens: tokens.len(),
        files: files.len(),
        file_bytes,
        training: training.len(),
        digests: digests.len(),
        verification,
    })
}
