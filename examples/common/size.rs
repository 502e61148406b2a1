//! The bytes a run store takes, for the benchmarks that report it.

use std::path::Path;

use procdoc::run::store::Location;

/// Bytes the store takes on disk: the SQLite file with its write-ahead log folded in, or
/// every PostgreSQL table of the schema with its indexes and TOAST.
pub fn size(db: &Path) -> u64 {
    match Location::of(db) {
        Location::Sqlite(path) => {
            if let Ok(conn) = rusqlite::Connection::open(&path) {
                let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            std::fs::metadata(&path).map_or(0, |m| m.len())
        }
        Location::Postgres(url) => {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            let bytes: i64 = client
                .query_one(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = current_schema() AND c.relkind = 'r'",
                    &[],
                )
                .expect("size")
                .get(0);
            u64::try_from(bytes).unwrap_or(0)
        }
    }
}
