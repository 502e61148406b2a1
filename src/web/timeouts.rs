//! The server's schedule for step timeouts: every [`TIMEOUT_EVERY`], the one server of the
//! database that holds the job's lease records the timeouts that fell due
//! ([`crate::app::timeouts::tick`]), each at the moment it fell due, so a run nobody touches
//! still moves on.

use std::sync::Arc;
use std::time::Duration;

use super::AppState;
use super::notify::runs_job;
use crate::run::clock;

/// How often the server looks for timeouts that fell due. The moment recorded is the due
/// moment either way; this only bounds how late the inbox shows the next step.
pub const TIMEOUT_EVERY: Duration = Duration::from_secs(60);

/// The name of the timeout job's lease ([`crate::run::leases::Leases::try_lease`]).
pub const TIMEOUT_JOB: &str = "timeout";

/// Takes the timeouts that fell due every [`TIMEOUT_EVERY`] until the server stops.
pub async fn timeout_job(state: Arc<AppState>) {
    let mut ticks = tokio::time::interval(TIMEOUT_EVERY);
    loop {
        ticks.tick().await;
        if !runs_job(&state, TIMEOUT_JOB).await {
            continue;
        }
        let now = clock::system_now();
        let ticked = state
            .with_store(move |store| crate::app::timeouts::tick(store, now))
            .await;
        match ticked {
            Ok(t) => {
                for note in &t.notes {
                    println!("{note}");
                }
            }
            Err(refusal) => eprintln!("warning: timeouts not taken this turn: {refusal}"),
        }
    }
}
