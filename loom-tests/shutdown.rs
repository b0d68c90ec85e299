//! Shutdown's sequence (refuse new tasks and cancel the listed ones, close and drain the
//! injector, release the timers) racing with a spawn from outside and a wake from a
//! blocking thread: every future is dropped exactly once, every handle resolves as
//! cancelled, nothing is left queued, and the runtime's shared state is freed.

use super::loom_support::test_runtime;
use super::shared::Shared;
use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::{Arc, Mutex};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Pending until woken once; counts its drops.
struct Parked {
    waker: Arc<Mutex<Option<Waker>>>,
    drops: Arc<AtomicUsize>,
    registered: bool,
}

impl Future for Parked {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.registered {
            return Poll::Pending;
        }
        self.registered = true;
        *self.waker.lock() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

#[test]
fn shutdown_racing_with_a_spawn_and_a_wake() {
    loom::model(|| {
        let (shared, _queues) = test_runtime(1);
        let drops = Arc::new(AtomicUsize::new(0));
        let parked = |waker: &Arc<Mutex<Option<Waker>>>| Parked {
            waker: waker.clone(),
            drops: drops.clone(),
            registered: false,
        };
        // A task that has been polled once and waits: its waker is all that reaches it.
        let slot = Arc::new(Mutex::new(None));
        let waiting = Shared::spawn(&shared, parked(&slot), crate::task::Spawn::here());
        let first = shared.inject.pop().expect("spawned from outside: injected");
        first.run();

        let spawner = {
            let (shared, spawned) = (shared.clone(), parked(&Arc::new(Mutex::new(None))));
            loom::thread::spawn(move || Shared::spawn(&shared, spawned, crate::task::Spawn::here()))
        };
        let waker = slot.lock().take().expect("polled once");
        let blocking = loom::thread::spawn(move || waker.wake());

        shared.begin_shutdown();
        shared.finish_shutdown();
        let spawned = spawner.join().unwrap();
        blocking.join().unwrap();

        assert!(
            shared.inject.pop().is_none(),
            "a task was left in the injector"
        );
        assert_eq!(drops.load(SeqCst), 2, "each future dropped exactly once");
        for handle in [waiting, spawned] {
            assert!(handle.is_finished());
            let error = futures::executor::block_on(handle).unwrap_err();
            assert!(error.is_cancelled());
        }
        assert_eq!(
            Arc::strong_count(&shared),
            1,
            "a task kept the runtime alive"
        );
    });
}
