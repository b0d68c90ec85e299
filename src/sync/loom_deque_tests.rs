//! Models of the deque mock itself: it keeps crossbeam's behaviour (every item taken
//! exactly once, FIFO, nothing leaked, no deadlock between two stealers) and its
//! weakness (a push is not ordered before the pusher's own later loads).

#![allow(clippy::disallowed_types)] // std atomics carry results out of `loom::model`

use super::{Injector, Steal, Worker};
use loom::sync::atomic::{AtomicBool, Ordering::*};
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::{AtomicBool as StdAtomicBool, Ordering::Relaxed as StdRelaxed};

/// Retries a steal until it is not `Retry`.
fn settle<T>(mut steal: impl FnMut() -> Steal<T>) -> Option<T> {
    loop {
        match steal() {
            Steal::Success(task) => return Some(task),
            Steal::Empty => return None,
            Steal::Retry => thread::yield_now(),
        }
    }
}

fn drain<T>(worker: &Worker<T>, into: &mut Vec<T>) {
    while let Some(task) = worker.pop() {
        into.push(task);
    }
}

/// Sequentially, across injector block ends: FIFO order, batches, and a drop that frees
/// what is still queued (items hold a loom `Arc`, so a leak fails the model).
#[test]
fn sequential_order_batches_and_drop() {
    loom::model(|| {
        let injector = Injector::new();
        let token = Arc::new(());
        for i in 0..7 {
            injector.push((i, token.clone()));
        }
        let worker = Worker::new_fifo();
        let mut seen = Vec::new();
        seen.extend(settle(|| injector.steal()));
        seen.extend(settle(|| injector.steal_batch_and_pop(&worker)));
        drain(&worker, &mut seen);
        seen.extend(settle(|| injector.steal_batch_and_pop(&worker)));
        drain(&worker, &mut seen);
        let order: Vec<_> = seen.iter().map(|(i, _)| *i).collect();
        assert_eq!(order, (0..order.len()).collect::<Vec<_>>());
        assert!(order.len() < 7 && !injector.is_empty());

        for i in 0..5 {
            worker.push((10 + i, token.clone()));
        }
        let thief = Worker::new_fifo();
        let stealer = worker.stealer();
        assert_eq!(stealer.steal_batch_and_pop(&thief).success().0, 10);
        assert_eq!(thief.pop().map(|(i, _)| i), Some(11));
        assert_eq!(worker.pop().map(|(i, _)| i), Some(13));
        drop(seen);
        // Still queued: 6 in the injector, 12 in `thief`, 14 in `worker`.
        drop((injector, worker, stealer, thief));
        assert_eq!(Arc::strong_count(&token), 1);
    });
}

/// The owner's pop racing with a batch steal: each item is taken exactly once, and the
/// stealer that loses the race on `front` gets `Steal::Retry`, as from crossbeam.
#[test]
fn pop_racing_with_steal_takes_each_item_once() {
    static SAW_RETRY: StdAtomicBool = StdAtomicBool::new(false);
    loom::model(|| {
        let worker = Worker::new_fifo();
        for i in 0..3 {
            worker.push(i);
        }
        let stealer = worker.stealer();
        let thief = thread::spawn(move || {
            let dest = Worker::new_fifo();
            let mut got: Vec<usize> = settle(|| {
                let steal = stealer.steal_batch_and_pop(&dest);
                if steal == Steal::Retry {
                    SAW_RETRY.store(true, StdRelaxed);
                }
                steal
            })
            .into_iter()
            .collect();
            drain(&dest, &mut got);
            got
        });
        let mut got: Vec<usize> = worker.pop().into_iter().collect();
        got.extend(thief.join().unwrap());
        drain(&worker, &mut got);
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2]);
    });
    assert!(
        SAW_RETRY.load(StdRelaxed),
        "a lost CAS on `front` must give Retry"
    );
}

/// Two workers stealing from each other at once (the old mock's ABBA lock order): no
/// deadlock, nothing lost or duplicated.
#[test]
fn two_workers_steal_from_each_other() {
    loom::model(|| {
        let (a, b) = (Worker::new_fifo(), Worker::new_fifo());
        a.push(0_usize);
        b.push(1);
        let (from_a, from_b) = (a.stealer(), b.stealer());
        let other = thread::spawn(move || {
            let mut got: Vec<usize> = settle(|| from_a.steal_batch_and_pop(&b))
                .into_iter()
                .collect();
            drain(&b, &mut got);
            got
        });
        let mut got: Vec<usize> = settle(|| from_b.steal_batch_and_pop(&a))
            .into_iter()
            .collect();
        drain(&a, &mut got);
        got.extend(other.join().unwrap());
        got.sort_unstable();
        assert_eq!(got, [0, 1]);
    });
}

/// Pushes racing with a stealer across a block end (the push into a block's last slot
/// installs the next block): each item is taken once, in order. The pushes run on the
/// main thread so that loom's DPOR, which remembers only the last access to an atomic,
/// sees the stealer's loads race with them.
#[test]
fn injector_push_racing_with_steals() {
    loom::model(|| {
        let injector = Arc::new(Injector::new());
        injector.push(0_usize);
        let stealer = {
            let injector = injector.clone();
            thread::spawn(move || {
                let dest = Worker::new_fifo();
                let mut got: Vec<usize> = settle(|| injector.steal_batch_and_pop(&dest))
                    .into_iter()
                    .collect();
                drain(&dest, &mut got);
                got.extend(settle(|| injector.steal()));
                got
            })
        };
        injector.push(1);
        injector.push(2);
        let mut got = stealer.join().unwrap();
        while let Some(task) = settle(|| injector.steal()) {
            got.push(task);
        }
        assert_eq!(got, [0, 1, 2]);
    });
}

/// The mock is as weak as crossbeam: `push` then a load of another flag, against a store
/// of that flag then `is_empty`, can miss each other (the store-buffering outcome) when
/// neither side fences. A `Mutex<VecDeque>` mock forbids it; crossbeam does not.
#[test]
fn push_is_not_ordered_before_the_pushers_later_loads() {
    static BOTH_MISSED: StdAtomicBool = StdAtomicBool::new(false);
    loom::model(|| {
        let worker = Worker::new_fifo();
        let stealer = worker.stealer();
        let flag = Arc::new(AtomicBool::new(false));
        let parker = {
            let flag = flag.clone();
            thread::spawn(move || {
                flag.store(true, SeqCst);
                stealer.is_empty()
            })
        };
        worker.push(());
        let saw_flag = flag.load(SeqCst);
        let saw_empty = parker.join().unwrap();
        if !saw_flag && saw_empty {
            BOTH_MISSED.store(true, StdRelaxed);
        }
    });
    assert!(
        BOTH_MISSED.load(StdRelaxed),
        "the mock ordered a push before the pusher's later load: it is stronger than crossbeam"
    );
}

impl<T> Steal<T> {
    fn success(self) -> T {
        match self {
            Steal::Success(task) => task,
            _ => panic!("expected Steal::Success"),
        }
    }
}
