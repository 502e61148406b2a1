//! [`Notices`] for the SQLite store: the e-mail schema's column and table.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::SqliteStore;
use crate::run::accounts::UserId;
use crate::run::clock::stamp;
use crate::run::notices::Notices;
use crate::run::store::StoreError;

/// The e-mail schema: an address per user, and the overdue digests sent, one per user and
/// office day (the primary key is what makes a second send of a day impossible to record).
pub(super) const SCHEMA_MAIL: &str = "
    ALTER TABLE users ADD COLUMN email TEXT;
    CREATE TABLE digests_sent (
        user INTEGER NOT NULL REFERENCES users(id),
        day TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        steps INTEGER NOT NULL,
        PRIMARY KEY (user, day)
    );
";

/// The first schema with e-mail addresses.
pub(super) const MAIL: i64 = 5;

impl Notices for SqliteStore {
    fn set_email(&mut self, user: UserId, email: Option<&str>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE users SET email = ?1 WHERE id = ?2",
            params![email, user.0],
        )?;
        Ok(())
    }

    fn digest_sent(&self, user: UserId, day: &str) -> Result<bool, StoreError> {
        if self.schema < MAIL {
            return Ok(false);
        }
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM digests_sent WHERE user = ?1 AND day = ?2)",
            params![user.0, day],
            |r| r.get(0),
        )?)
    }

    fn record_digest(
        &mut self,
        user: UserId,
        day: &str,
        at: DateTime<Utc>,
        steps: usize,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO digests_sent (user, day, sent_at, steps) VALUES (?1, ?2, ?3, ?4)",
            params![
                user.0,
                day,
                stamp(at),
                i64::try_from(steps).unwrap_or(i64::MAX)
            ],
        )?;
        Ok(())
    }
}
