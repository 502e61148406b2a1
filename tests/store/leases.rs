//! Background jobs' leases: of all the stores on one database, one holds a job's lease at a
//! time, and when its holder is gone (its store dropped, its process killed, its connection
//! cut) the next store to ask takes it over.

use std::time::{Duration, Instant};

use procdoc::run::leases::Leases;
use procdoc::run::store::AnyStore;

use crate::harness::Backend;

/// Asks `store` for `job`'s lease until it gets it; PostgreSQL frees a closed connection's
/// locks once its server process has ended, a moment after the client went.
fn takes_over(store: &mut AnyStore, job: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !store.try_lease(job).expect("ask for the lease") {
        assert!(
            Instant::now() < deadline,
            "the lease of {job} was never freed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn one_store_holds_a_jobs_lease_at_a_time(backend: Backend) {
    let Some(db) = backend.fresh() else { return };
    let mut a = db.create();
    let mut b = db.open(true);
    assert!(a.try_lease("digest").unwrap());
    // Its holder keeps it, however often it asks.
    for _ in 0..3 {
        assert!(a.try_lease("digest").unwrap());
        assert!(!b.try_lease("digest").unwrap());
    }
    // Each job's lease is its own, and a lease never keeps a writer waiting.
    assert!(b.try_lease("cleanup").unwrap());
    assert!(!a.try_lease("cleanup").unwrap());
    use procdoc::run::store::Store;
    b.begin(true).unwrap();
    b.commit().unwrap();

    // The holder goes: the other takes over, and keeps it against a newcomer.
    drop(a);
    takes_over(&mut b, "digest");
    let mut c = db.open(true);
    assert!(!c.try_lease("digest").unwrap());
    assert!(!c.try_lease("cleanup").unwrap());
    drop(b);
    takes_over(&mut c, "digest");
    takes_over(&mut c, "cleanup");
}

/// PostgreSQL only: the holder's connection is cut by the server (a killed process, a
/// restarted database): the lease is free for another store, and the old holder, asking
/// again on a new connection, is refused.
pub fn a_cut_connection_frees_the_lease() {
    let Some(db) = Backend::Postgres.fresh() else {
        return;
    };
    drop(db.create());
    // The holder's connection named, for the server to find it among other tests' ones.
    let name = format!("lease_holder_{}", std::process::id());
    let url = format!("{}&application_name={name}", db.db.display());
    let mut a = AnyStore::open(std::path::Path::new(&url), true).expect("open the holder");
    let mut b = db.open(true);
    assert!(a.try_lease("digest").unwrap());
    assert!(!b.try_lease("digest").unwrap());
    db.sql(
        "",
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'"
        ),
    );
    takes_over(&mut b, "digest");
    assert!(!a.try_lease("digest").unwrap());
}
