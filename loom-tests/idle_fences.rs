//! A worker spawning into its own local queue while another worker parks: the spawn is
//! never left behind a parked worker. This is the race the `SeqCst` fence at the top of
//! `Idle::worker_to_notify` exists for. crossbeam's `Worker::push` publishes with a
//! *relaxed* store of `back` (after a release fence), so without the producer's fence its
//! load of the idle counters may be ordered before its push: the producer sees the
//! parking worker still searching and wakes no one, while the parking worker's re-check
//! (`Shared::has_work`) sees the queue empty. `idle_lost_wakeup` covers the injector path,
//! whose pushes are `SeqCst` RMWs; this model needs the deque mock's weak `push`.
//!
//! Two threads: the main thread is worker 0 running a task that spawns (the `Spawn` branch
//! of `worker::schedule_local`: push to the local queue, then `Shared::notify_parked`;
//! the worker context that routes a spawn there is private to `worker.rs`); worker 1
//! looks for work, parks, and steals the task once woken. A lost wakeup leaves worker 1
//! parked forever, which loom reports as a deadlock.
//!
//! Run with `LOOM_MAX_PREEMPTIONS=3` (the suite's setting): 24 iterations, well under a
//! second in release.
//!
//! Mutation log (with the crossbeam-faithful deque mock; the old `Mutex<VecDeque>` mock
//! passed both mutations in both models):
//! - fence in `Idle::worker_to_notify` deleted: this model fails, `deadlock; threads =
//!   [(Id(0), Blocked(Location(None))), (Id(1), Blocked(Location(None)))]`, a real lost
//!   wakeup. `idle_lost_wakeup` fails too, but only because loom weakens the injector's
//!   `SeqCst` accesses to `AcqRel`; under C++20 they alone would exclude it.
//! - fence in `Shared::has_work` deleted: `idle_lost_wakeup` fails with the same deadlock
//!   (again through loom's `SeqCst` weakening: with crossbeam 0.8.8's current internals the
//!   fence is redundant, but crossbeam does not promise them). This model passes, rightly:
//!   `Stealer::is_empty` issues its own `SeqCst` fence.

use super::loom_support::test_runtime;
use crate::sync::deque::Steal;
use crate::task;

#[test]
fn local_spawn_racing_with_another_workers_park_is_not_lost() {
    loom::model(|| {
        let (shared, queues) = test_runtime(2);
        let mut queues = queues.into_iter();
        let (queue0, queue1) = (queues.next().unwrap(), queues.next().unwrap());
        let parking = {
            let shared = shared.clone();
            loom::thread::spawn(move || {
                // Worker 1's loop, reduced to: steal from worker 0, else search, then park.
                let mut searching = false;
                loop {
                    loop {
                        match shared.remotes[0].stealer.steal_batch_and_pop(&queue1) {
                            Steal::Success(task) => {
                                task.run();
                                return;
                            }
                            Steal::Empty => break,
                            Steal::Retry => {}
                        }
                    }
                    if !searching {
                        searching = shared.idle.transition_worker_to_searching();
                    }
                    searching = shared.park_worker(1, searching, false, None, &mut Vec::new());
                }
            })
        };
        let (owner, notified, join) = task::new(async { 7 }, shared.clone(), task::Spawn::here());
        drop(owner);
        // Worker 0 spawns from inside a task: `schedule_local`'s `Spawn` branch.
        queue0.push(notified);
        shared.notify_parked();
        parking.join().unwrap();
        assert!(join.is_finished(), "worker 1 ran the spawned task");
    });
}
