//! [`Attachments`] for the SQLite store: schema 4's table of files, one row per SHA-256.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::run::attachments::Attachments;
use crate::run::store::StoreError;

/// Schema 4: attached files by the SHA-256 of their bytes. The size is kept beside the
/// bytes so that listing sizes never reads the files.
pub(super) const SCHEMA_4: &str = "
    CREATE TABLE files (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        bytes BLOB NOT NULL
    );
";

/// The first schema with files in it.
pub(super) const FILES: i64 = 4;

impl Attachments for SqliteStore {
    fn keep_file(&mut self, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        self.conn
            .prepare_cached(
                "INSERT INTO files (sha256, size, bytes) VALUES (?1, ?2, ?3) ON CONFLICT (sha256) DO NOTHING",
            )?
            .execute(params![sha256, size, bytes])?;
        Ok(())
    }

    fn file(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if self.schema < FILES {
            return Ok(None);
        }
        Ok(self
            .conn
            .prepare_cached("SELECT bytes FROM files WHERE sha256 = ?1")?
            .query_row([sha256], |r| r.get(0))
            .optional()?)
    }
}
