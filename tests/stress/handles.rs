//! Scenario 3: `JoinHandle`s aborted, dropped or awaited while their tasks complete.

use crate::common::{runtime, watchdog_with, Drops};
use crate::{yields, Rng, Scale, SeedReport};
use corun::JoinHandle;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

/// What the controller does with one handle.
#[derive(Clone, Copy, Debug)]
enum Action {
    Await,
    Drop,
    AbortThenAwait,
    AbortThenDrop,
    /// Through an `AbortHandle`, then await.
    AbortHandleThenAwait,
}

/// What happened, tallied.
#[derive(Default, Debug, PartialEq, Eq)]
struct Tally {
    values: usize,
    cancelled: usize,
    detached: usize,
}

/// Spawns tasks in batches from a controller task (so `abort` runs on a worker); each task
/// yields a few times and returns its index with an output counter. Meanwhile the
/// controller picks an action per handle, with random yields between, so aborts and drops
/// land before, during and after the task's last poll on the other worker.
pub fn abort_drop_await(scale: Scale, name: &'static str) {
    const BATCH: usize = 64;
    let tasks = scale.pick(4_000, 4_000_000);
    let seed = crate::seed(name);
    let _seed = SeedReport { name, seed };
    let (futures_drops, outputs_drops) = (Drops::new(), Drops::new());
    let handled = Arc::new(AtomicUsize::new(0));
    let diagnosis = (
        futures_drops.clone(),
        outputs_drops.clone(),
        handled.clone(),
    );
    let _watchdog = watchdog_with(scale.limit(), name, move || {
        let (futures, outputs, handled) = diagnosis;
        format!(
            "seed {seed}: {} of {tasks} handles dealt with; futures dropped {} of {}, \
             outputs dropped {} of {}",
            handled.load(SeqCst),
            futures.dropped(),
            futures.created(),
            outputs.dropped(),
            outputs.created()
        )
    });
    let rt = runtime(2);
    let controller = {
        let (futures_drops, outputs_drops) = (futures_drops.clone(), outputs_drops.clone());
        rt.spawn(async move {
            let mut rng = Rng::new(seed);
            let mut tally = Tally::default();
            for first in (0..tasks).step_by(BATCH) {
                let handles: Vec<_> = (first..tasks.min(first + BATCH))
                    .map(|i| {
                        let (counter, outputs) = (futures_drops.counter(), outputs_drops.clone());
                        let steps = rng.below(4);
                        corun::spawn(async move {
                            let _counter = counter;
                            yields(steps).await;
                            (i, outputs.counter())
                        })
                    })
                    .collect();
                yields(rng.below(3)).await;
                for (i, handle) in (first..).zip(handles) {
                    let action = match rng.below(5) {
                        0 => Action::Await,
                        1 => Action::Drop,
                        2 => Action::AbortThenAwait,
                        3 => Action::AbortThenDrop,
                        _ => Action::AbortHandleThenAwait,
                    };
                    act(action, i, handle, &mut tally).await;
                    handled.fetch_add(1, SeqCst);
                    if rng.one_in(4) {
                        corun::yield_now().await;
                    }
                }
            }
            tally
        })
    };
    let tally = rt.block_on(controller).expect("the controller runs");
    assert_eq!(
        tally.values + tally.cancelled + tally.detached,
        tasks,
        "{tally:?}"
    );
    // Detached tasks may still be finishing; once every future is gone, no more outputs
    // are made, and the detached ones' outputs are dropped by their tasks.
    futures_drops.wait_dropped(tasks);
    outputs_drops.wait_dropped(outputs_drops.created());
    drop(rt);
    assert_eq!(futures_drops.created(), tasks);
    futures_drops.assert_all_dropped_once();
    outputs_drops.assert_all_dropped_once();
    assert!(
        outputs_drops.created() >= tally.values,
        "an output per value seen"
    );
}

async fn act(
    action: Action,
    i: usize,
    handle: JoinHandle<(usize, crate::common::DropCounter)>,
    tally: &mut Tally,
) {
    let aborted = match action {
        Action::Await => false,
        Action::Drop => {
            drop(handle);
            tally.detached += 1;
            return;
        }
        Action::AbortThenDrop => {
            handle.abort();
            drop(handle);
            tally.detached += 1;
            return;
        }
        Action::AbortThenAwait => {
            handle.abort();
            true
        }
        Action::AbortHandleThenAwait => {
            handle.abort_handle().abort();
            true
        }
    };
    match handle.await {
        Ok((value, _output)) => {
            assert_eq!(value, i, "handle {i} yields its own task's value");
            tally.values += 1;
        }
        Err(error) => {
            assert!(aborted, "task {i} was never aborted, yet: {error:?}");
            assert!(error.is_cancelled(), "task {i}: {error:?}");
            tally.cancelled += 1;
        }
    }
}
