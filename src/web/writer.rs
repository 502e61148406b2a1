//! Group commit for the requests that sign steps: each waits its turn for the one writing
//! connection, and those that arrive while a batch is being written go together in the next
//! one, with one commit ([`AnyStore::begin_batch`]). Under load the flush to disk that
//! makes a signature durable is paid once per batch, not once per signature; alone, a
//! request is a batch of one. Nobody is told "signed" before the batch is committed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use super::AppState;
use crate::app::{Refusal, RefusalKind};
use crate::run::store::{AnyStore, StoreError};

/// What a command's outcome becomes once its batch is committed (`None`) or not (why not:
/// [`RefusalKind::Storage`], or [`RefusalKind::Unavailable`] when the database went away).
type Delivery = Box<dyn FnOnce(Option<RefusalKind>) + Send>;
/// A command waiting for the writer. Run, it says whether it ran to its end (`false`: it
/// panicked, and whatever it left in the batch must not be committed).
type Job = Box<dyn FnOnce(&mut AnyStore) -> (Delivery, bool) + Send>;

/// The commands waiting for the writer, in the order they came.
#[derive(Default)]
pub struct WriteQueue {
    jobs: Mutex<Vec<Job>>,
}

/// The most commands written in one batch: enough to share a flush among the people
/// signing at one moment, few enough that the first of them does not wait long.
const MOST_IN_BATCH: usize = 64;

fn not_written(message: &str) -> Refusal {
    Refusal::new(RefusalKind::Storage, None, message.to_string())
}

/// Why a batch was not committed, as those waiting for it are told.
fn failure_of(e: &StoreError) -> RefusalKind {
    if e.is_outage() {
        RefusalKind::Unavailable
    } else {
        RefusalKind::Storage
    }
}

impl AppState {
    /// Runs `f` in a writing transaction of the next batch and answers once the batch is
    /// committed: `f`'s result, or a storage refusal when the batch could not be written
    /// (then nothing of `f` was). `f` begins and ends its own transaction as for
    /// [`Self::with_store`]; a refusal rolls back only its own part.
    pub async fn write<T, F>(self: &Arc<Self>, f: F) -> Result<T, Refusal>
    where
        F: FnOnce(&mut AnyStore) -> Result<T, Refusal> + Send + 'static,
        T: Send + 'static,
    {
        let (tell, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |store| {
            let result = catch_unwind(AssertUnwindSafe(|| f(store)));
            let finished = result.is_ok();
            let delivery: Delivery = Box::new(move |failed| {
                let result = match (result, failed) {
                    (Ok(Ok(_)), Some(kind)) => Err(Refusal::new(
                        kind,
                        None,
                        "the change could not be written to the run store",
                    )),
                    (Ok(result), _) => result,
                    (Err(_), _) => Err(not_written("the request failed while writing")),
                };
                // The request may have gone (the client left): nobody to tell then.
                let _ = tell.send(result);
            });
            (delivery, finished)
        });
        self.writes
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(job);
        let state = Arc::clone(self);
        let _ = tokio::task::spawn_blocking(move || state.write_waiting()).await;
        answer
            .await
            .unwrap_or_else(|_| Err(not_written("the request failed while writing")))
    }

    /// Takes the writer and writes the commands waiting, as one batch. Every command queued
    /// is followed by a call of this, so none is left behind; a call whose command an earlier
    /// batch took finds the queue empty.
    fn write_waiting(&self) {
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let jobs: Vec<Job> = {
            let mut queue = self.writes.jobs.lock().unwrap_or_else(|p| p.into_inner());
            let take = queue.len().min(MOST_IN_BATCH);
            queue.drain(..take).collect()
        };
        if !jobs.is_empty() {
            write_batch(&mut store, jobs);
        }
    }
}

/// Writes `jobs` in one transaction, then tells each whether it was committed.
fn write_batch(store: &mut AnyStore, jobs: Vec<Job>) {
    if let Err(e) = store.begin_batch() {
        eprintln!("error: the run store cannot begin a transaction: {e}");
        for job in jobs {
            // Each on its own then: its own transaction reports the failure.
            let (delivery, _) = job(store);
            delivery(None);
        }
        return;
    }
    let mut done: Vec<Delivery> = Vec::new();
    for job in jobs {
        let (delivery, finished) = job(store);
        done.push(delivery);
        if !finished || !store.batch_open() {
            // A command that panicked may have left a half-written change, and on some
            // failures SQLite gives the whole transaction up: nothing of this batch is
            // written, and those waiting for it are told so.
            let why = if store.connection_lost() {
                RefusalKind::Unavailable
            } else {
                RefusalKind::Storage
            };
            let _ = store.end_batch(false);
            for delivery in done.drain(..) {
                delivery(Some(why));
            }
            if store.begin_batch().is_err() {
                let _ = store.end_batch(false);
                return;
            }
        }
    }
    let failed = match store.end_batch(true) {
        Ok(()) => None,
        Err(e) => {
            eprintln!("error: the run store cannot commit: {e}");
            Some(failure_of(&e))
        }
    };
    for delivery in done {
        delivery(failed);
    }
}
