//! The worker loop itself (`worker::run`, two workers) against work from outside: the
//! main thread spawns two tasks into the injector, and the first holds its worker until
//! the second has run. So the second runs only if the idle protocol gets the other worker
//! to it: the producer's `notify_parked`, the last searcher's hand-off when it finds work
//! (`Worker::run_task`), or the last searcher's re-check before it sleeps
//! (`Shared::park_worker`). A lost wakeup leaves one worker in the first task and the
//! other parked with the second task queued: loom reports a deadlock. After shutdown
//! (`worker_support::shut_down`): each task completed exactly once, nothing is queued, the
//! idle books balance, nothing keeps the runtime alive.
//!
//! Preemption bound 2 (capped in the model): 189,299 iterations, about 40 s in release on
//! 2 cores.
//!
//! **It found a lost wakeup** (fixed in `Idle::transition_worker_to_parked`): a worker
//! refused searching (the half-searching cap: the other worker searches) parked without a
//! re-check, so nobody covered work that arrived while the searcher handed off:
//!
//! 1. W0 searches, finds nothing and parks; `first` is injected meanwhile, and a
//!    `notify_parked` (main's, or W0's own re-check as the last searcher) takes W0 off the
//!    parked list, counted searching.
//! 2. W1 is refused searching (W0 counts), and heads for `park_worker(searching: false)`.
//! 3. main injects `second`: `notify_parked` sees a searcher (W0) and wakes no one.
//! 4. W0 wakes, pops `first`, and as the last searcher hands off: `notify_parked` finds
//!    every worker unparked (W1 has not decremented yet) and wakes no one. W0 runs `first`.
//! 5. W1 decrements and parks; it was not searching, so it did not re-check. `second`
//!    stayed in the injector while W0 was busy: with `first` waiting for it, for ever.
//!
//! A worker that parks without searching now re-checks the queues, as the last searcher
//! does.
//!
//! Mutation log:
//! - `Worker::run_task`: the last searcher skips `notify_parked()`: `deadlock; threads =
//!   [(Id(0), Blocked(Location(None))), (Id(1), Blocked(Location(None))), (Id(2),
//!   Blocked(Location(None)))]`.
//! - `Shared::park_worker`: the last searcher's re-check skipped: the same deadlock.
//! - `Idle::transition_worker_to_searching` without the half-searching cap: passes (a
//!   throughput policy, not a correctness rule; it even hides the bug above, since every
//!   idle worker then parks as a searcher).
//! - the LIFO cap's push-back deleted: passes (no LIFO wake here; see
//!   `worker_lifo_wake_two_workers`).

use super::loom_support::test_runtime;
use super::loom_worker_support::{assert_each_ran_once, model, shut_down, start_workers, Gate};
use super::shared::Shared;
use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::Arc;

#[test]
fn worker_remote_spawn_two_workers() {
    model(2, || {
        let (shared, queues) = test_runtime(2);
        let workers = start_workers(&shared, queues);
        let runs = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let second_ran = Gate::new();
        let done = Gate::new();

        let first = {
            let (runs, second_ran, done) = (runs.clone(), second_ran.clone(), done.clone());
            Shared::spawn(
                &shared,
                async move {
                    // Holds its worker until the second task has run on the other one.
                    second_ran.wait();
                    runs[0].fetch_add(1, SeqCst);
                    done.open();
                    1
                },
                crate::task::Spawn::here(),
            )
        };
        let second = {
            let (runs, second_ran) = (runs.clone(), second_ran.clone());
            Shared::spawn(
                &shared,
                async move {
                    runs[1].fetch_add(1, SeqCst);
                    second_ran.open();
                    2
                },
                crate::task::Spawn::here(),
            )
        };
        // A lost wakeup leaves one worker in `first` and the other parked: a deadlock.
        done.wait();

        shut_down(&shared, workers);
        for (handle, value) in [(first, 1), (second, 2)] {
            assert!(handle.is_finished());
            assert_eq!(futures::executor::block_on(handle).unwrap(), value);
        }
        assert_each_ran_once(&shared, &runs[..]);
    });
}
