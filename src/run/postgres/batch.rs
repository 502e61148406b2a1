//! Group commit for PostgreSQL, with the SQLite store's semantics (`sqlite/batch.rs`):
//! between [`PgStore::begin_batch`] and [`PgStore::end_batch`] the store holds one writing
//! transaction (with the writers' lock), and each command's own transaction is a savepoint
//! inside it, so a refused command leaves nothing behind and nothing of any command is
//! durable, or may be reported as done, until the batch commits.

use super::PgStore;
use crate::run::store::{Store, StoreError};

impl PgStore {
    /// Opens a batch: one writing transaction that the commands' transactions nest in.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        self.begin(true)?;
        self.batch = true;
        self.batch_lost = false;
        Ok(())
    }

    /// Whether the batch's transaction can still be committed: it cannot once a command's
    /// savepoint could not be undone, or the connection was lost.
    pub fn batch_open(&self) -> bool {
        self.batch
            && self.tx
            && !self.batch_lost
            && self
                .client
                .borrow()
                .as_ref()
                .is_some_and(|c| !c.is_closed())
    }

    /// Ends the batch: commits it (`commit`) or rolls all of it back. When the commit fails,
    /// nothing of the batch is written.
    pub fn end_batch(&mut self, commit: bool) -> Result<(), StoreError> {
        let open = self.batch_open();
        self.batch = false;
        self.batch_lost = false;
        if commit && open {
            let done = self.commit();
            if done.is_err() {
                let _ = self.rollback();
            }
            done
        } else {
            self.rollback()?;
            if commit && self.connection_lost() {
                Err(StoreError::Unavailable(
                    "the connection was lost before the group commit; nothing of it was written"
                        .to_string(),
                ))
            } else if commit {
                Err(StoreError::Database(
                    "the group commit's transaction was rolled back".to_string(),
                ))
            } else {
                Ok(())
            }
        }
    }
}
