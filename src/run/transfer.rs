//! Moving a whole store to another one (`procdoc db copy`): the reads the other traits do
//! not offer (every API token, file and sent digest) and the writes that keep what a store
//! assigned itself (run and user ids, events' places in the store chain, the head). The
//! implementations are in `sqlite/transfer.rs` and `postgres/transfer.rs`; the operation
//! itself is `crate::app::copy_store`.
//!
//! Restoring is only for filling an empty store inside one writing transaction
//! ([`Store::begin`]): nothing here checks a run's chain, since the copy is verified as a
//! whole before it is committed.

use chrono::{DateTime, Utc};

use super::accounts::{User, UserId};
use super::attachments::Attachments;
use super::audit::StoreHead;
use super::notices::Notices;
use super::store::{Provenance, StoreError, StoredRun};

/// An API token as kept: the SHA-256 digest of its secret, whose it is, since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub digest: String,
    pub user: UserId,
    pub created_at: DateTime<Utc>,
}

/// An overdue digest recorded as sent ([`Notices::record_digest`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentDigest {
    pub user: UserId,
    /// The office day, `YYYY-MM-DD`.
    pub day: String,
    pub sent_at: DateTime<Utc>,
    /// How many overdue steps it listed.
    pub steps: usize,
}

/// What copying a store needs beyond [`Notices`] and [`Attachments`]. A store whose
/// database predates a table and was opened read-only answers as a store without its rows.
pub trait Transfer: Notices + Attachments {
    /// Every API token, by digest.
    fn tokens(&self) -> Result<Vec<ApiToken>, StoreError>;
    /// The SHA-256 (lowercase hex) of every kept file, in order.
    fn files(&self) -> Result<Vec<String>, StoreError>;
    /// Every sent digest, by user and day.
    fn digests(&self) -> Result<Vec<SentDigest>, StoreError>;

    /// Adds a run exactly as another store kept it: its id and parent, its summary columns
    /// and open steps, its snapshot (when not kept yet) and its events with their places
    /// and links in the store chain. The head is not moved: see [`Transfer::restore_head`].
    /// A parent must be restored before its children.
    fn restore_run(&mut self, run: &StoredRun) -> Result<(), StoreError>;
    /// Adds a user with their id, departments, password hash, state and e-mail address.
    fn restore_user(&mut self, user: &User) -> Result<(), StoreError>;
    /// Records the store chain's head and how the chain came about, once every run and
    /// user is restored; new runs and users then get ids after the restored ones.
    fn restore_head(&mut self, head: &StoreHead, provenance: &Provenance)
    -> Result<(), StoreError>;
}
