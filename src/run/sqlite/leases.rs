//! [`Leases`] for the SQLite store: an exclusive lock on a file beside the database.

use std::fs::{File, OpenOptions, TryLockError};

use super::SqliteStore;
use crate::run::leases::Leases;
use crate::run::store::StoreError;

impl Leases for SqliteStore {
    fn try_lease(&mut self, job: &str) -> Result<bool, StoreError> {
        if self.leases.contains_key(job) {
            return Ok(true);
        }
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{job}.lease"));
        let path = self.path.with_file_name(name);
        let file: File = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::Lease(path.display().to_string(), e))?;
        // The lock belongs to this open file: another store, even in this process, opens
        // its own and is refused until this one is dropped.
        match file.try_lock() {
            Ok(()) => {
                self.leases.insert(job.to_string(), file);
                Ok(true)
            }
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(e)) => Err(StoreError::Lease(path.display().to_string(), e)),
        }
    }
}
