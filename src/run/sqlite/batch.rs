//! Group commit: several commands' transactions written with one commit, so that a server
//! signing for many people at once pays the disk's flush (synchronous=FULL) once for all of
//! them instead of once each.
//!
//! Between [`SqliteStore::begin_batch`] and [`SqliteStore::end_batch`] the store holds one
//! writing transaction, and each command's own transaction ([`Store::begin`] ...
//! [`Store::commit`] or [`Store::rollback`]) is a savepoint inside it: a refused command
//! leaves nothing behind, the commands after it see what those before it wrote, and nothing
//! of any of them is durable, or may be reported as done, until the batch commits.

use super::SqliteStore;
use crate::run::store::{Store, StoreError};

impl SqliteStore {
    /// Opens a batch: one writing transaction that the commands' transactions nest in.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        self.begin(true)?;
        self.batch = true;
        Ok(())
    }

    /// Whether the batch's transaction is still open. SQLite rolls a whole transaction back
    /// on some failures (a full disk, an I/O error); everything of the batch is lost then.
    pub fn batch_open(&self) -> bool {
        self.batch && !self.conn.is_autocommit()
    }

    /// Ends the batch: commits it (`commit`) or rolls all of it back. When the commit fails,
    /// nothing of the batch is written.
    pub fn end_batch(&mut self, commit: bool) -> Result<(), StoreError> {
        self.batch = false;
        if self.conn.is_autocommit() {
            return if commit {
                Err(StoreError::Sql(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                    Some("the group commit's transaction was rolled back".to_string()),
                )))
            } else {
                Ok(())
            };
        }
        if commit {
            let done = self.commit();
            if done.is_err() {
                let _ = self.rollback();
            }
            done
        } else {
            self.rollback()
        }
    }
}
