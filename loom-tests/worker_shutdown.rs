//! The worker loop itself (`worker::run`, two workers) racing with shutdown: the main
//! thread spawns a task (into the injector) that spawns a child into its worker's local
//! queue, and at once shuts the runtime down as `Runtime::drop` does
//! (`Shared::begin_shutdown`, join the workers, `Shared::finish_shutdown`). Each task may
//! run, be left in a queue by an exiting worker, or never be reached; whichever, each
//! future is dropped exactly once, each handle resolves (its value, or cancelled), the
//! child exists exactly when the parent ran, and afterwards (`worker_support::shut_down`)
//! nothing is queued, the idle books balance, and nothing keeps the runtime alive. Also
//! checks that every worker leaves: one parked, searching, or woken for work just as
//! shutdown begins.
//!
//! Preemption bound 3 (capped in the model): 169,129 iterations, about 27 s in release on
//! 2 cores.
//!
//! Mutation log:
//! - `worker::run`: the final drain of the local queue deleted: `a task was left in worker
//!   0's queue`.
//! - `Shared::park_worker`: the `is_shutdown()` check after a wakeup deleted: `deadlock;
//!   threads = [(Id(0), Blocked(Location(None))), (Id(1), Terminated), (Id(2),
//!   Blocked(Location(None)))]` (a worker woken by `begin_shutdown` parks again).
//! - the last searcher's hand-off or re-check skipped, the half-searching cap removed, the
//!   LIFO cap's push-back deleted: pass (no task here waits for another; the liveness
//!   models catch them).

use super::loom_support::test_runtime;
use super::loom_worker_support::{model, shut_down, start_workers};
use super::shared::Shared;
use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::{Arc, Mutex};
use crate::task::JoinHandle;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// `future`, counting its drops (whether it completed or was cancelled).
struct CountDrops<F> {
    future: Pin<Box<F>>,
    drops: Arc<AtomicUsize>,
}

impl<F: Future> Future for CountDrops<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.future.as_mut().poll(cx)
    }
}

impl<F> Drop for CountDrops<F> {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

#[test]
fn worker_shutdown_two_workers() {
    model(3, || {
        let (shared, queues) = test_runtime(2);
        let workers = start_workers(&shared, queues);
        let [parent_drops, child_drops] = [(); 2].map(|()| Arc::new(AtomicUsize::new(0)));
        let child_handle: Arc<Mutex<Option<JoinHandle<u32>>>> = Arc::default();

        let parent = {
            let (child_drops, child_handle) = (child_drops.clone(), child_handle.clone());
            let parent = async move {
                // Into this worker's local queue.
                let child = crate::spawn(CountDrops {
                    future: Box::pin(async { 2 }),
                    drops: child_drops,
                });
                *child_handle.lock() = Some(child);
                1
            };
            Shared::spawn(
                &shared,
                CountDrops {
                    future: Box::pin(parent),
                    drops: parent_drops.clone(),
                },
                crate::task::Spawn::here(),
            )
        };
        // Shutdown races with the workers finding, running and stealing the two tasks.
        shut_down(&shared, workers);

        assert!(parent.is_finished());
        let parent_ran = match futures::executor::block_on(parent) {
            Ok(value) => {
                assert_eq!(value, 1);
                true
            }
            Err(error) => {
                assert!(error.is_cancelled());
                false
            }
        };
        assert_eq!(
            parent_drops.load(SeqCst),
            1,
            "the parent dropped exactly once"
        );
        let child = child_handle.lock().take();
        assert_eq!(
            child.is_some(),
            parent_ran,
            "the child exists iff the parent ran"
        );
        if let Some(child) = child {
            assert!(child.is_finished());
            match futures::executor::block_on(child) {
                Ok(value) => assert_eq!(value, 2),
                Err(error) => assert!(error.is_cancelled()),
            }
            assert_eq!(
                child_drops.load(SeqCst),
                1,
                "the child dropped exactly once"
            );
        }
        assert_eq!(
            Arc::strong_count(&shared),
            1,
            "a task kept the runtime alive"
        );
    });
}
