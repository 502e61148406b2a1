//! [`Leases`] for PostgreSQL: a session-level advisory lock per job on the store's
//! connection.

use super::{PgStore, schema_key};
use crate::run::leases::Leases;
use crate::run::store::StoreError;

/// The first half of a lease's advisory lock: "leas" in ASCII, apart from the writers'
/// lock so that a held lease never keeps a writer waiting.
const LEASE_CLASS: i32 = 0x6c65_6173;

impl Leases for PgStore {
    fn try_lease(&mut self, job: &str) -> Result<bool, StoreError> {
        // The job's name and the schema's together: stores in different schemas of one
        // database are different deployments, each with its own digest job.
        let key = schema_key(job) ^ self.lock.1;
        let asked = self.take_lease(key);
        let got = match asked {
            Err(_) if self.connection_lost() => self.take_lease(key)?,
            other => other?,
        };
        let mut held = self.leases.borrow_mut();
        if got && !held.insert(key) {
            // Asked again by its holder: the lock counts each grant, and one is enough for
            // the connection's end to free it.
            drop(held);
            let st = self.statement("SELECT pg_advisory_unlock($1, $2)")?;
            self.client()?.query_one(&st, &[&LEASE_CLASS, &key])?;
        }
        Ok(got)
    }
}

impl PgStore {
    fn take_lease(&self, key: i32) -> Result<bool, StoreError> {
        let st = self.statement("SELECT pg_try_advisory_lock($1, $2)")?;
        Ok(self
            .client()?
            .query_one(&st, &[&LEASE_CLASS, &key])?
            .try_get(0)?)
    }
}
