//! Scenarios 1 and 2: wakes and spawns that come from plain threads.

use crate::common::{runtime, watchdog_with, Drops};
use crate::{yields, Rng, Scale, SeedReport};
use futures::future::poll_fn;
use futures::task::AtomicWaker;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::task::Poll;
use std::thread;

/// A ping-pong between a plain thread and a task: `turn` is even when it is the thread's
/// move and odd when it is the task's. Each side makes its move, then wakes the other.
#[derive(Default)]
struct Baton {
    turn: AtomicU64,
    task: AtomicWaker,
    thread: AtomicWaker,
}

impl Baton {
    /// Waits until `turn == want`. The waker is registered before the check, so a move that
    /// races with the check still wakes this side.
    async fn wait_for(&self, side: &AtomicWaker, want: u64) {
        poll_fn(|cx| {
            side.register(cx.waker());
            if self.turn.load(SeqCst) == want {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }

    fn pass(&self, side: &AtomicWaker, turn: u64) {
        self.turn.store(turn, SeqCst);
        side.wake();
    }
}

/// Scenario 1: each of `PAIRS` plain threads wakes its task `rounds` times and waits for
/// the task's answer before the next wake, so every wake must arrive: one lost wake (to
/// the task, or back) hangs the pair at its turn.
pub fn cross_thread_wakes(scale: Scale, name: &'static str) {
    const PAIRS: usize = 4;
    let total_wakes = scale.pick(20_000, 10_000_000);
    let rounds = (total_wakes / PAIRS) as u64;
    let batons: Arc<Vec<Baton>> = Arc::new((0..PAIRS).map(|_| Baton::default()).collect());
    let diagnosis = batons.clone();
    let _watchdog = watchdog_with(scale.limit(), name, move || {
        let turns: Vec<String> = diagnosis
            .iter()
            .map(|baton| {
                let turn = baton.turn.load(SeqCst);
                let side = if turn % 2 == 0 { "thread" } else { "task" };
                format!("{} wakes sent to the task, {side}'s move", turn.div_ceil(2))
            })
            .collect();
        format!("{rounds} round trips per pair; pairs: {turns:?}")
    });
    let rt = runtime(2);
    let drops = Drops::new();
    let tasks: Vec<_> = (0..PAIRS)
        .map(|pair| {
            let (batons, counter) = (batons.clone(), drops.counter());
            let output = drops.clone();
            rt.spawn(async move {
                let _counter = counter;
                let baton = &batons[pair];
                for round in 0..rounds {
                    baton.wait_for(&baton.task, 2 * round + 1).await;
                    baton.pass(&baton.thread, 2 * round + 2);
                }
                output.counter()
            })
        })
        .collect();
    let threads: Vec<_> = (0..PAIRS)
        .map(|pair| {
            let batons = batons.clone();
            thread::spawn(move || {
                let baton = &batons[pair];
                futures::executor::block_on(async {
                    for round in 0..rounds {
                        baton.pass(&baton.task, 2 * round + 1);
                        baton.wait_for(&baton.thread, 2 * round + 2).await;
                    }
                });
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("a ping-pong thread panicked");
    }
    for task in tasks {
        drop(rt.block_on(task).expect("a ping-pong task failed"));
    }
    let wakes: u64 = batons.iter().map(|b| b.turn.load(SeqCst) / 2).sum();
    assert_eq!(wakes, total_wakes as u64, "wakes delivered to tasks");
    drop(rt);
    assert_eq!(drops.created(), 2 * PAIRS);
    drops.assert_all_dropped_once();
}

/// Scenario 2: `THREADS` plain threads released at once by a barrier each spawn `per_thread`
/// tasks through `Handle::spawn`; some tasks yield or spawn a child. Each thread awaits
/// its own handles and checks every value.
pub fn spawn_storm(scale: Scale, name: &'static str) {
    const THREADS: usize = 8;
    const CHUNK: usize = 10_000;
    let per_thread = scale.pick(1_000, 1_000_000);
    let seed = crate::seed(name);
    let _seed = SeedReport { name, seed };
    let finished = Arc::new(AtomicUsize::new(0));
    let diagnosis = finished.clone();
    let _watchdog = watchdog_with(scale.limit(), name, move || {
        let done = diagnosis.load(SeqCst);
        format!("{done} of {} tasks finished", THREADS * per_thread)
    });
    let rt = runtime(2);
    let (futures_drops, outputs_drops) = (Drops::new(), Drops::new());
    let start = Arc::new(Barrier::new(THREADS));
    let mut rng = Rng::new(seed);
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (handle, start, mut rng) = (rt.handle().clone(), start.clone(), rng.fork());
            let (futures_drops, outputs_drops) = (futures_drops.clone(), outputs_drops.clone());
            let finished = finished.clone();
            thread::spawn(move || {
                start.wait();
                // In chunks, so a full run does not hold millions of finished tasks.
                for first in (0..per_thread).step_by(CHUNK) {
                    let tasks: Vec<_> = (first..per_thread.min(first + CHUNK))
                        .map(|i| {
                            let (counter, outputs) =
                                (futures_drops.counter(), outputs_drops.clone());
                            let (yields_first, nested) = (rng.below(3), rng.one_in(8));
                            let finished = finished.clone();
                            handle.spawn(async move {
                                let _counter = counter;
                                yields(yields_first).await;
                                let value = if nested {
                                    corun::spawn(async move { t * per_thread + i })
                                        .await
                                        .expect("the nested task returns")
                                } else {
                                    t * per_thread + i
                                };
                                finished.fetch_add(1, SeqCst);
                                (value, outputs.counter())
                            })
                        })
                        .collect();
                    for (i, task) in (first..).zip(tasks) {
                        let (value, _output) =
                            futures::executor::block_on(task).expect("task runs");
                        assert_eq!(value, t * per_thread + i, "thread {t}, task {i}");
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("a spawning thread panicked");
    }
    assert_eq!(finished.load(SeqCst), THREADS * per_thread);
    drop(rt);
    assert_eq!(futures_drops.created(), THREADS * per_thread);
    assert_eq!(outputs_drops.created(), THREADS * per_thread);
    futures_drops.assert_all_dropped_once();
    outputs_drops.assert_all_dropped_once();
}
