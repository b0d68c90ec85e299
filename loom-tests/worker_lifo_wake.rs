//! The worker loop itself (`worker::run`, two workers) with wakes into the LIFO slot and
//! the LIFO cap. A task woken by a task running on a worker goes to that worker's LIFO
//! slot (`worker::schedule_local`), which no other worker can steal from; the worker polls
//! it right after the waker (`Worker::run_task`), at most `MAX_LIFO_POLLS` times in a row
//! (1 under loom), then moves what the slot holds to the back of its local queue and
//! notifies. Here a starter task wakes `woken` into the slot, `woken` (polled from the slot)
//! wakes `capped`, which the cap moves to the queue: the worker's next tick is a check
//! (the pacer checks every 2 ticks under loom), where it may take the blocker, a task from
//! outside that holds its worker until `capped` has run, so the other worker must find
//! `capped` (in the queue, or in the slot, which is stealable too) or both deadlock. After
//! shutdown (`worker_support::shut_down`): each of the four tasks completed exactly once,
//! nothing is queued, the idle books balance, nothing keeps the runtime alive.
//!
//! Preemption bound 2 (capped in the model): 208,365 iterations, about 50 s in release on
//! 2 cores. Passes on the current code, and with the `Shared::park_worker` fix that
//! `worker_remote_spawn_two_workers` needs: the lost wakeup found there does not show up
//! in this scenario at this bound.
//!
//! Mutation log:
//! - `Worker::run_task`: the cap's `if let Some(task) = self.cx.lifo.take() { push;
//!   notify_parked }` deleted, the task stays in the slot: `deadlock; threads = [(Id(0),
//!   Blocked(Location(None))), (Id(1), Blocked(Location(None))), (Id(2),
//!   Blocked(Location(None)))]`.
//! - `Shared::park_worker`: the last searcher's re-check skipped: the same deadlock.
//! - `Worker::run_task`: the last searcher skips `notify_parked()`: passes (caught by
//!   `worker_remote_spawn_two_workers`).
//! - `Idle::transition_worker_to_searching` without the half-searching cap: passes.

use super::loom_support::test_runtime;
use super::loom_worker_support::{assert_each_ran_once, model, shut_down, start_workers, Gate};
use super::shared::Shared;
use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::{Arc, Mutex};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

type WakerSlot = Arc<Mutex<Option<Waker>>>;

/// Pending on its first poll (its waker left in `slot`); on the second it calls `then`
/// and completes.
struct WaitForWake {
    slot: WakerSlot,
    registered: bool,
    then: Option<Box<dyn FnOnce() + Send>>,
}

impl Future for WaitForWake {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !self.registered {
            self.registered = true;
            *self.slot.lock() = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let then = self.then.take().expect("completes once");
        then();
        Poll::Ready(())
    }
}

#[test]
fn worker_lifo_wake_two_workers() {
    model(2, || {
        let (shared, queues) = test_runtime(2);
        // runs: [starter, woken, capped, blocker]
        let runs = Arc::new([
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        ]);
        let capped_ran = Gate::new();
        let done = Gate::new();
        let count = |i: usize| {
            let runs = runs.clone();
            move || {
                runs[i].fetch_add(1, SeqCst);
            }
        };

        // Two tasks waiting for a wake, polled once here, before any worker runs.
        let capped_slot = WakerSlot::default();
        let capped = {
            let (count, capped_ran) = (count(2), capped_ran.clone());
            Shared::spawn(
                &shared,
                WaitForWake {
                    slot: capped_slot.clone(),
                    registered: false,
                    then: Some(Box::new(move || {
                        count();
                        capped_ran.open();
                    })),
                },
                crate::task::Spawn::here(),
            )
        };
        shared.inject.pop().expect("spawned from outside").run();
        let woken_slot = WakerSlot::default();
        let woken = {
            let (count, capped_slot) = (count(1), capped_slot.clone());
            Shared::spawn(
                &shared,
                WaitForWake {
                    slot: woken_slot.clone(),
                    registered: false,
                    then: Some(Box::new(move || {
                        count();
                        // Into the LIFO slot, which the cap then empties into the queue.
                        capped_slot.lock().take().expect("polled once").wake();
                    })),
                },
                crate::task::Spawn::here(),
            )
        };
        shared.inject.pop().expect("spawned from outside").run();

        let starter = {
            let (count, woken_slot) = (count(0), woken_slot.clone());
            Shared::spawn(
                &shared,
                async move {
                    count();
                    // Into the LIFO slot: the worker polls it right after this task.
                    woken_slot.lock().take().expect("polled once").wake();
                },
                crate::task::Spawn::here(),
            )
        };
        let workers = start_workers(&shared, queues);
        let blocker = {
            let (count, capped_ran, done) = (count(3), capped_ran.clone(), done.clone());
            Shared::spawn(
                &shared,
                async move {
                    // Holds its worker until the capped task ran, on the other worker if
                    // this one took the blocker first.
                    capped_ran.wait();
                    count();
                    done.open();
                },
                crate::task::Spawn::here(),
            )
        };
        done.wait();

        shut_down(&shared, workers);
        for handle in [starter, woken, capped, blocker] {
            assert!(handle.is_finished());
            futures::executor::block_on(handle).unwrap();
        }
        assert_each_ran_once(&shared, &runs[..]);
    });
}
