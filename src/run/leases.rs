//! Background jobs of `procdoc serve` (the overdue digests) that must run on one server at a
//! time when several serve one store. Each tick, a server asks for the job's lease and does
//! the work only when it holds it; the others skip the tick. A lease is held until its
//! holder's store is dropped or its process ends (a killed server included), then the next
//! server to ask takes it over. The implementations are in `sqlite/leases.rs` and
//! `postgres/leases.rs`.

use super::store::StoreError;

/// The lease of one background job, shared by every store on one database.
pub trait Leases {
    /// Whether this store holds the lease of `job` (a short ASCII name, `digest`) now: it
    /// is taken when nobody holds it, kept by the store that holds it (asking again is
    /// cheap and changes nothing), and refused (`Ok(false)`) while another store, in this
    /// process or another, holds it.
    ///
    /// - PostgreSQL: a session-level advisory lock on the store's connection, keyed apart
    ///   from the writers' lock; the server releases it when the connection ends, so a
    ///   killed server's lease is free as soon as PostgreSQL notices. A lost connection
    ///   loses the lease: the store asks again on a new one.
    /// - SQLite: an exclusive lock on the file `DB.JOB.lease` beside the database, which
    ///   the operating system releases when the process ends.
    ///
    /// Errors: [`StoreError::Database`] or [`StoreError::Connect`] when the database cannot
    /// be asked (the caller skips the tick), [`StoreError::Lease`] when the lease file
    /// cannot be opened or locked.
    fn try_lease(&mut self, job: &str) -> Result<bool, StoreError>;
}
