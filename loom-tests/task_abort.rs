//! `abort()` racing with the task's own life: with a poll that returns `Pending`, and with a
//! wake that wants to queue the task. The future is dropped exactly once, by the thread that
//! runs the task (never by the aborting thread, which may be outside the runtime or hold a
//! lock the drop needs), the task is queued at most once at a time, and the handle reports
//! the cancellation.

use super::loom_support::{Gate, TestScheduler, WaitGate};
use crate::sync::atomic::Ordering::SeqCst;
use crate::sync::Arc;
use crate::task;

/// Records which thread dropped it.
struct DropsOn {
    inner: WaitGate,
    dropped_on: Arc<crate::sync::Mutex<Option<loom::thread::ThreadId>>>,
}

impl std::future::Future for DropsOn {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let this = self.get_mut();
        std::pin::Pin::new(&mut this.inner).poll(cx).map(drop)
    }
}

impl Drop for DropsOn {
    fn drop(&mut self) {
        *self.dropped_on.lock() = Some(loom::thread::current().id());
    }
}

#[test]
fn abort_while_the_poll_returns_pending() {
    loom::model(|| {
        let scheduler = TestScheduler::new();
        let gate = Gate::new(false);
        let dropped_on = Arc::new(crate::sync::Mutex::new(None));
        let future = DropsOn {
            inner: WaitGate(gate.clone()),
            dropped_on: dropped_on.clone(),
        };
        let (owner, notified, join) = task::new(future, scheduler.clone(), task::Spawn::here());
        drop(owner);
        let abort = join.abort_handle();

        let aborter = loom::thread::spawn(move || {
            abort.abort();
            loom::thread::current().id()
        });
        // The first poll, racing with the abort: it returns Pending (the gate is shut).
        notified.run();
        let aborter = aborter.join().unwrap();
        // Whatever the abort queued (if the task was idle by then) runs here.
        scheduler.run_queued();

        assert_eq!(gate.future_drops.load(SeqCst), 1, "dropped exactly once");
        assert_ne!(
            *dropped_on.lock(),
            Some(aborter),
            "the aborting thread dropped the future"
        );
        let result = futures::executor::block_on(join);
        assert!(result.unwrap_err().is_cancelled());
        gate.drop_waker();
        assert_eq!(Arc::strong_count(&scheduler), 1, "the task was leaked");
    });
}

#[test]
fn abort_racing_with_a_wake_queues_the_task_once() {
    loom::model(|| {
        let scheduler = TestScheduler::new();
        let gate = Gate::new(false);
        let (owner, notified, join) = task::new(
            WaitGate(gate.clone()),
            scheduler.clone(),
            task::Spawn::here(),
        );
        drop(owner);
        // Polled once: idle, unqueued, its waker stored in the gate.
        notified.run();
        let abort = join.abort_handle();

        let waker = {
            let gate = gate.clone();
            loom::thread::spawn(move || gate.wake_registered())
        };
        // `TestScheduler::push` fails the model if the wake and the abort both queue it.
        abort.abort();
        waker.join().unwrap();
        scheduler.run_queued();

        assert_eq!(gate.future_drops.load(SeqCst), 1);
        assert!(join.is_finished());
        let result = futures::executor::block_on(join);
        assert!(result.is_err_and(|error| error.is_cancelled()));
        drop(abort);
        gate.drop_waker();
        assert_eq!(Arc::strong_count(&scheduler), 1, "the task was leaked");
    });
}
