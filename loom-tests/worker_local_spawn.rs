//! The worker loop itself (`worker::run`, two workers) against work spawned from inside a
//! task: a task from outside spawns a child, which `worker::schedule_local` puts in the
//! spawning worker's local queue (push, then `Shared::notify_parked`), and then holds its
//! worker until the child has run. So the other worker must be woken (or still be
//! searching) and steal the child (`steal_batch_and_pop` from the victim's queue): a lost
//! wakeup leaves one worker in the parent and the other parked, a deadlock for loom. After
//! shutdown (`worker_support::shut_down`): both tasks completed exactly once, nothing is
//! queued, the idle books balance, nothing keeps the runtime alive.
//!
//! Preemption bound 2 (capped in the model): 58,890 iterations, about 10 s in release on
//! 2 cores (1,694,707 iterations and 334 s at bound 3).
//!
//! It found the lost wakeup of `worker_remote_spawn_two_workers` (see there), here with the
//! child in a local queue: the worker refused searching was not yet parked when the
//! parent's worker handed the search off and when the spawn notified, and it parked without
//! a re-check.
//!
//! Mutation log:
//! - `worker::schedule_local`: the `notify_parked()` after pushing to the local queue
//!   deleted: `deadlock; threads = [(Id(0), Blocked(Location(None))), (Id(1),
//!   Blocked(Location(None))), (Id(2), Blocked(Location(None)))]`.
//! - `Shared::park_worker`: the last searcher's re-check skipped: the same deadlock.
//! - `Worker::run_task`: the last searcher skips `notify_parked()`: passes (the spawn's own
//!   notify covers it; `worker_remote_spawn_two_workers` catches it).
//! - no half-searching cap; the LIFO cap's push-back deleted: pass.

use super::loom_support::test_runtime;
use super::loom_worker_support::{assert_each_ran_once, model, shut_down, start_workers, Gate};
use super::shared::Shared;
use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::{Arc, Mutex};
use crate::task::JoinHandle;

#[test]
fn worker_local_spawn_two_workers() {
    model(2, || {
        let (shared, queues) = test_runtime(2);
        let workers = start_workers(&shared, queues);
        let runs = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let child_ran = Gate::new();
        let done = Gate::new();
        let child_handle: Arc<Mutex<Option<JoinHandle<u32>>>> = Arc::default();

        let parent = {
            let (runs, child_ran, done) = (runs.clone(), child_ran.clone(), done.clone());
            let child_handle = child_handle.clone();
            Shared::spawn(
                &shared,
                async move {
                    let child = {
                        let (runs, child_ran) = (runs.clone(), child_ran.clone());
                        // Into this worker's local queue: only the other worker can run it
                        // while this one waits below.
                        crate::spawn(async move {
                            runs[1].fetch_add(1, SeqCst);
                            child_ran.open();
                            2
                        })
                    };
                    *child_handle.lock() = Some(child);
                    child_ran.wait();
                    runs[0].fetch_add(1, SeqCst);
                    done.open();
                    1
                },
                crate::task::Spawn::here(),
            )
        };
        // A lost wakeup leaves one worker in the parent and the other parked: a deadlock.
        done.wait();

        shut_down(&shared, workers);
        let child = child_handle.lock().take().expect("the parent ran");
        for (handle, value) in [(parent, 1), (child, 2)] {
            assert!(handle.is_finished());
            assert_eq!(futures::executor::block_on(handle).unwrap(), value);
        }
        assert_each_ran_once(&shared, &runs[..]);
    });
}
