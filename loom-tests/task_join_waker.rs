//! The `JoinHandle` registering (or dropping) its waker while the task completes: the
//! handle is woken if it saw `Pending`, and the waker is dropped exactly once.

use super::loom_support::{Gate, TestScheduler, WaitGate};
use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::Arc;
use crate::task;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

/// std's `Wake` needs std's `Arc`; the counter inside is loom's.
#[allow(clippy::disallowed_types)]
type StdArc<T> = std::sync::Arc<T>;

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn join_waker_registration_racing_with_completion() {
    loom::model(|| {
        let scheduler = TestScheduler::new();
        let gate = Gate::new(true);
        let (owner, notified, mut join) = task::new(
            WaitGate(gate.clone()),
            scheduler.clone(),
            task::Spawn::here(),
        );
        drop(owner);

        let runner = loom::thread::spawn(move || notified.run());
        let counter = StdArc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let first = Pin::new(&mut join).poll(&mut Context::from_waker(&waker));
        runner.join().unwrap();

        if first.is_pending() {
            assert_eq!(
                counter.0.load(SeqCst),
                1,
                "the JoinHandle's wakeup was lost"
            );
            let second = Pin::new(&mut join).poll(&mut Context::from_waker(&waker));
            assert!(matches!(second, Poll::Ready(Ok(_))));
        }
        drop(join);
        drop(waker);
        assert_eq!(
            StdArc::strong_count(&counter),
            1,
            "the join waker was leaked"
        );
        assert_eq!(Arc::strong_count(&scheduler), 1, "the task was leaked");
    });
}

#[test]
fn join_handle_drop_racing_with_completion_drops_waker_once() {
    loom::model(|| {
        let scheduler = TestScheduler::new();
        let gate = Gate::new(true);
        let (owner, notified, mut join) = task::new(
            WaitGate(gate.clone()),
            scheduler.clone(),
            task::Spawn::here(),
        );
        drop(owner);
        let counter = StdArc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        // Register the waker before the task can complete.
        assert!(Pin::new(&mut join)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        drop(waker);

        let runner = loom::thread::spawn(move || notified.run());
        drop(join);
        runner.join().unwrap();

        assert_eq!(
            StdArc::strong_count(&counter),
            1,
            "the join waker was leaked"
        );
        assert_eq!(gate.output_drops.load(SeqCst), 1);
        assert_eq!(Arc::strong_count(&scheduler), 1, "the task was leaked");
    });
}
