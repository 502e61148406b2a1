//! The build's worker threads: one per core, each taking the next piece of work from one
//! shared queue, so that a thread holds one output at a time.
//!
//! Why not rayon's parallel iterators for the outputs themselves: typst's PDF export
//! (krilla) waits for its background work with `rayon::yield_now`, which runs *any* job
//! pending in the pool. With the outputs in rayon's queues, a thread waiting in the export
//! of one document started the next procedure, and that one's export started another: a
//! thread stacked up dozens of half-exported documents, each with its whole layout. On a
//! QMS of 200 procedures memory grew to 2 GB that way, and the malloc work on that heap made
//! every document slower the longer the build ran. Here the outputs are handed out through
//! a queue of our own that rayon does not see; the pool's threads still run typst's own
//! parallel work (page runs, image and font encoding), which is short and bounded.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Runs every task on every thread of `pool`: `expand` turns a task into its jobs (and a
/// value kept with them), `settle` does one job, `after_task` runs once the last job of a
/// task is done. Jobs already known are taken before the next task is expanded, so the jobs
/// waiting at any time are those of one or two tasks; tasks are expanded in their order.
///
/// Returns, for every task that was expanded, its value and the results of its jobs in
/// their order, in task order; and the first error. After an error no more work is handed
/// out (what is under way finishes), so the results returned are those completed.
pub(super) fn run_tasks<T, J, D, X, E>(
    pool: &rayon::ThreadPool,
    tasks: &[T],
    expand: impl Fn(&T) -> Result<(Vec<J>, X), E> + Sync,
    settle: impl Fn(J) -> Result<D, E> + Sync,
    after_task: impl Fn() + Sync,
) -> (Vec<(X, Vec<D>)>, Option<E>)
where
    T: Sync,
    J: Send,
    D: Send,
    X: Send,
    E: Send,
{
    let queue = Queue {
        state: Mutex::new(State {
            next_task: 0,
            jobs: VecDeque::new(),
            expanding: 0,
            failed: false,
        }),
        wake: Condvar::new(),
        slots: (0..tasks.len()).map(|_| Mutex::new(None)).collect(),
        failure: Mutex::new(None),
    };
    pool.broadcast(|_| {
        while let Some(work) = queue.next(tasks.len()) {
            match work {
                Work::Expand(t) => match expand(&tasks[t]) {
                    Ok((jobs, value)) => {
                        let count = jobs.len();
                        *lock(&queue.slots[t]) = Some(Slot {
                            value,
                            done: (0..count).map(|_| None).collect(),
                            remaining: count,
                        });
                        if count == 0 {
                            after_task();
                        }
                        let mut state = lock(&queue.state);
                        state
                            .jobs
                            .extend(jobs.into_iter().enumerate().map(|(i, j)| (t, i, j)));
                        state.expanding -= 1;
                        drop(state);
                        queue.wake.notify_all();
                    }
                    Err(e) => queue.fail(e, true),
                },
                Work::Settle(t, i, job) => match settle(job) {
                    Ok(d) => {
                        let last = lock(&queue.slots[t]).as_mut().is_some_and(|slot| {
                            slot.done[i] = Some(d);
                            slot.remaining -= 1;
                            slot.remaining == 0
                        });
                        if last {
                            after_task();
                        }
                    }
                    Err(e) => queue.fail(e, false),
                },
            }
        }
    });
    let results = queue
        .slots
        .into_iter()
        .filter_map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner))
        .map(|slot| (slot.value, slot.done.into_iter().flatten().collect()))
        .collect();
    let failure = queue
        .failure
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    (results, failure)
}

struct Queue<J, D, X, E> {
    state: Mutex<State<J>>,
    /// Signalled when jobs are queued, a task's expansion ends, or the build fails.
    wake: Condvar,
    /// One per task, filled when it is expanded.
    slots: Vec<Mutex<Option<Slot<D, X>>>>,
    failure: Mutex<Option<E>>,
}

struct State<J> {
    next_task: usize,
    /// (task, index of the job in its task, job).
    jobs: VecDeque<(usize, usize, J)>,
    /// Tasks being expanded: their jobs may still come.
    expanding: usize,
    failed: bool,
}

struct Slot<D, X> {
    value: X,
    done: Vec<Option<D>>,
    remaining: usize,
}

enum Work<J> {
    Expand(usize),
    Settle(usize, usize, J),
}

impl<J, D, X, E> Queue<J, D, X, E> {
    /// The next piece of work; `None` once there is none left (or the build failed).
    /// Waits while the only work that may still come is another thread's expansion.
    fn next(&self, tasks: usize) -> Option<Work<J>> {
        let mut state = lock(&self.state);
        loop {
            if state.failed {
                return None;
            }
            if let Some((t, i, job)) = state.jobs.pop_front() {
                return Some(Work::Settle(t, i, job));
            }
            if state.next_task < tasks {
                let t = state.next_task;
                state.next_task += 1;
                state.expanding += 1;
                return Some(Work::Expand(t));
            }
            if state.expanding == 0 {
                return None;
            }
            state = self
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Keeps the first error and stops handing out work.
    fn fail(&self, error: E, expanding: bool) {
        lock(&self.failure).get_or_insert(error);
        let mut state = lock(&self.state);
        state.failed = true;
        state.jobs.clear();
        if expanding {
            state.expanding -= 1;
        }
        drop(state);
        self.wake.notify_all();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::run_tasks;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
    }

    #[test]
    fn every_job_is_settled_once_and_results_keep_their_order() {
        for threads in [1, 2, 4] {
            let tasks: Vec<usize> = (0..20).collect();
            let finished = AtomicUsize::new(0);
            let (results, failure) = run_tasks(
                &pool(threads),
                &tasks,
                |&t| Ok::<_, String>(((0..t % 4).map(|i| (t, i)).collect(), t)),
                |(t, i)| Ok(t * 10 + i),
                || {
                    finished.fetch_add(1, Ordering::SeqCst);
                },
            );
            assert!(failure.is_none());
            assert_eq!(finished.load(Ordering::SeqCst), 20);
            let expected: Vec<(usize, Vec<usize>)> = (0..20)
                .map(|t| (t, (0..t % 4).map(|i| t * 10 + i).collect()))
                .collect();
            assert_eq!(results, expected);
        }
    }

    #[test]
    fn an_error_stops_the_work_and_is_returned() {
        let tasks: Vec<usize> = (0..50).collect();
        let settled = AtomicUsize::new(0);
        let (results, failure) = run_tasks(
            &pool(2),
            &tasks,
            |&t| {
                if t == 3 {
                    Err(format!("task {t}"))
                } else {
                    Ok((vec![t], ()))
                }
            },
            |t| {
                settled.fetch_add(1, Ordering::SeqCst);
                Ok(t)
            },
            || {},
        );
        assert_eq!(failure.as_deref(), Some("task 3"));
        assert!(results.len() < 50);
        assert!(settled.load(Ordering::SeqCst) < 50);
    }

    #[test]
    fn a_failed_job_is_reported() {
        let tasks = vec![0, 1, 2];
        let (_, failure) = run_tasks(
            &pool(2),
            &tasks,
            |&t| Ok::<_, String>((vec![t, t + 1], ())),
            |j| {
                if j == 2 {
                    Err("job 2".to_string())
                } else {
                    Ok(j)
                }
            },
            || {},
        );
        assert_eq!(failure.as_deref(), Some("job 2"));
    }
}
