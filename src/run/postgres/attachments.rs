//! [`Attachments`] for PostgreSQL: attached files by the SHA-256 of their bytes (`bytea`).

use super::PgStore;
use crate::run::attachments::Attachments;
use crate::run::store::StoreError;

impl Attachments for PgStore {
    fn keep_file(&mut self, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        self.execute(
            "INSERT INTO files (sha256, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
            &[&sha256, &size, &bytes],
        )?;
        Ok(())
    }

    fn file(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let st = self.statement("SELECT bytes FROM files WHERE sha256 = $1")?;
        self.client()?
            .query_opt(&st, &[&sha256])?
            .map(|r| Ok(r.try_get(0)?))
            .transpose()
    }
}
