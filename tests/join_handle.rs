//! `JoinHandle`, `AbortHandle` and `JoinError`: aborting pending, unstarted and finished
//! tasks, `is_finished`, detaching, panics captured as errors (and the worker surviving
//! them), and the types' auto traits.
#![allow(clippy::disallowed_types)]

mod common;

use common::{occupy_only_worker, panic_message, runtime, watchdog, Drops, LIMIT};
use corun::{AbortHandle, JoinError, JoinHandle, Runtime};
use futures::channel::oneshot;
use std::error::Error;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::thread;

/// Spawns a task that signals once it is running and then waits for a message that never
/// comes. It owns `counter` and `guard`, so the test sees its future being dropped.
fn spawn_pending(
    rt: &Runtime,
    drops: &Drops,
) -> (
    JoinHandle<()>,
    oneshot::Receiver<()>,
    oneshot::Sender<()>,
    oneshot::Receiver<()>,
) {
    let counter = drops.counter();
    let (started_tx, started_rx) = oneshot::channel();
    let (never_tx, never_rx) = oneshot::channel::<()>();
    // Dropped with the future, so `guard_rx` resolves to `Canceled`.
    let (guard_tx, guard_rx) = oneshot::channel::<()>();
    let handle = rt.spawn(async move {
        // Locals drop in reverse order: `_counter` first, then `_guard`, so a test that
        // sees the guard resolve also sees the counter dropped.
        let _guard = guard_tx;
        let _counter = counter;
        started_tx.send(()).unwrap();
        let _ = never_rx.await;
        unreachable!("the sender is kept alive and never used");
    });
    (handle, started_rx, never_tx, guard_rx)
}

#[test]
fn abort_a_pending_task() {
    let _watchdog = watchdog(LIMIT, "abort_a_pending_task");
    let rt = runtime(2);
    let drops = Drops::new();
    let (handle, started, _never, guard) = spawn_pending(&rt, &drops);
    rt.block_on(async move {
        started.await.unwrap();
        assert!(!handle.is_finished());
        handle.abort();
        let err = handle.await.unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
        assert!(!err.is_panic());
        // The future was dropped: its sender is gone.
        assert!(guard.await.is_err());
    });
    assert_eq!(drops.dropped(), 1);
    drops.assert_all_dropped_once();
}

#[test]
fn abort_before_the_first_poll() {
    let _watchdog = watchdog(LIMIT, "abort_before_the_first_poll");
    let rt = runtime(1);
    let drops = Drops::new();
    // Occupy the only worker, so the next task stays queued.
    let (blocker, release_tx) = occupy_only_worker(&rt);

    let polled = Arc::new(AtomicBool::new(false));
    let counter = drops.counter();
    let task = rt.spawn({
        let polled = polled.clone();
        async move {
            let _counter = counter;
            polled.store(true, SeqCst);
        }
    });
    task.abort();
    // The future is dropped by the worker that takes the task off the queue, never by the
    // aborting thread (which is outside the runtime here).
    assert_eq!(drops.dropped(), 0);
    release_tx.send(()).unwrap();
    rt.block_on(blocker).unwrap();
    let err = rt.block_on(task).unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert!(!polled.load(SeqCst), "an aborted task must never be polled");
    drops.assert_all_dropped_once();
}

#[test]
fn abort_a_finished_task_is_a_no_op() {
    let _watchdog = watchdog(LIMIT, "abort_a_finished_task_is_a_no_op");
    let rt = runtime(2);
    let drops = Drops::new();
    let counter = drops.counter();
    let handle = rt.spawn(async move { (7, counter) });
    let (value, counter) = rt.block_on(async move {
        while !handle.is_finished() {
            corun::yield_now().await;
        }
        handle.abort();
        handle.abort_handle().abort();
        assert!(handle.is_finished());
        handle
            .await
            .expect("abort after completion keeps the output")
    });
    assert_eq!(value, 7);
    assert_eq!(drops.dropped(), 0);
    drop(counter);
    drops.assert_all_dropped_once();
}

#[test]
fn is_finished_tracks_completion() {
    let _watchdog = watchdog(LIMIT, "is_finished_tracks_completion");
    let rt = runtime(2);
    let (tx, rx) = oneshot::channel::<u32>();
    let mut handle = rt.spawn(async move { rx.await.unwrap() + 1 });
    let abort = handle.abort_handle();
    // It cannot finish before the value is sent.
    assert!(!handle.is_finished());
    assert!(!abort.is_finished());
    tx.send(41).unwrap();
    // JoinHandle is Unpin: awaiting `&mut handle` keeps the handle.
    let value = rt.block_on(&mut handle).unwrap();
    assert_eq!(value, 42);
    assert!(handle.is_finished());
    assert!(abort.is_finished());
}

#[test]
fn dropping_the_handle_detaches_the_task() {
    let _watchdog = watchdog(LIMIT, "dropping_the_handle_detaches_the_task");
    let rt = runtime(2);
    let (go_tx, go_rx) = oneshot::channel::<u32>();
    let (out_tx, out_rx) = mpsc::channel();
    let handle = rt.spawn(async move {
        let value = go_rx.await.unwrap();
        out_tx.send(value * 2).unwrap();
    });
    drop(handle);
    // Only now can the task make progress.
    go_tx.send(21).unwrap();
    assert_eq!(out_rx.recv().unwrap(), 42);
}

#[test]
fn abort_handle_aborts() {
    let _watchdog = watchdog(LIMIT, "abort_handle_aborts");
    let rt = runtime(2);
    let drops = Drops::new();
    let (handle, started, _never, guard) = spawn_pending(&rt, &drops);
    let abort = handle.abort_handle();
    let clone = abort.clone();
    rt.block_on(async {
        started.await.unwrap();
        assert!(!abort.is_finished());
        // From another thread, through a clone.
        thread::spawn(move || clone.abort()).join().unwrap();
        assert!(handle.await.unwrap_err().is_cancelled());
        assert!(guard.await.is_err());
    });
    assert!(abort.is_finished());
    drops.assert_all_dropped_once();
}

#[test]
fn abort_handle_outlives_the_join_handle() {
    let _watchdog = watchdog(LIMIT, "abort_handle_outlives_the_join_handle");
    let rt = runtime(2);
    let drops = Drops::new();
    let (handle, started, _never, guard) = spawn_pending(&rt, &drops);
    let abort = handle.abort_handle();
    drop(handle);
    rt.block_on(async {
        started.await.unwrap();
        abort.abort();
        assert!(
            guard.await.is_err(),
            "the detached task's future was dropped"
        );
    });
    drop(abort);
    assert_eq!(drops.dropped(), 1);
    drops.assert_all_dropped_once();
}

#[test]
fn panic_becomes_a_join_error_and_the_worker_survives() {
    let _watchdog = watchdog(LIMIT, "panic_becomes_a_join_error_and_the_worker_survives");
    let rt = runtime(1);
    let before = rt
        .block_on(rt.spawn(async { thread::current().id() }))
        .unwrap();

    let err = rt.block_on(rt.spawn(async { panic!("boom") })).unwrap_err();
    assert!(err.is_panic());
    assert!(!err.is_cancelled());
    let display = err.to_string();
    assert!(
        display.contains("panic") && display.contains("boom"),
        "{display}"
    );
    assert!(format!("{err:?}").contains("boom"));
    let payload = err.into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));

    let err = rt
        .block_on(rt.spawn(async {
            let code = 42;
            panic!("failed with {code}")
        }))
        .unwrap_err();
    assert_eq!(err.to_string(), "task panicked: failed with 42");
    let payload = err.try_into_panic().unwrap();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("failed with 42")
    );

    // A payload that is not a string: no message, but still a panic.
    let err = rt
        .block_on(rt.spawn(async { std::panic::panic_any(17u32) }))
        .unwrap_err();
    assert!(err.to_string().contains("panic"));
    assert_eq!(err.into_panic().downcast_ref::<u32>(), Some(&17));

    // The single worker caught all three panics and is the same thread as before.
    let after = rt
        .block_on(rt.spawn(async { thread::current().id() }))
        .unwrap();
    assert_eq!(before, after);
    assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
}

#[test]
fn panic_drops_the_future_once() {
    let _watchdog = watchdog(LIMIT, "panic_drops_the_future_once");
    let rt = runtime(1);
    let drops = Drops::new();
    let counter = drops.counter();
    let err = rt
        .block_on(rt.spawn(async move {
            let _counter = counter;
            corun::yield_now().await;
            panic!("after a yield");
        }))
        .unwrap_err();
    assert_eq!(panic_message(&*err.into_panic()), "after a yield");
    drops.assert_all_dropped_once();
}

/// Ready on its first poll, and owns a counter until the task drops it.
struct ReadyHolding {
    _counter: common::DropCounter,
}

impl std::future::Future for ReadyHolding {
    type Output = u8;

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<u8> {
        std::task::Poll::Ready(7)
    }
}

#[test]
fn a_finished_future_is_dropped_once_before_its_output_is_read() {
    let _watchdog = watchdog(
        LIMIT,
        "a_finished_future_is_dropped_once_before_its_output_is_read",
    );
    let rt = runtime(1);
    let drops = Drops::new();
    for _ in 0..100 {
        let output = rt
            .block_on(rt.spawn(ReadyHolding {
                _counter: drops.counter(),
            }))
            .unwrap();
        assert_eq!(output, 7);
        // The future's drop comes before the completion that handed the output over.
        drops.assert_all_dropped_once();
    }
    assert_eq!(drops.created(), 100);
}

#[test]
fn cancelled_error_is_not_a_panic() {
    let _watchdog = watchdog(LIMIT, "cancelled_error_is_not_a_panic");
    let rt = runtime(1);
    let handle = rt.spawn(std::future::pending::<()>());
    handle.abort();
    let err = rt.block_on(handle).unwrap_err();
    assert!(err.is_cancelled());
    assert!(err.to_string().contains("cancel"), "{err}");
    let err = err.try_into_panic().unwrap_err();
    assert!(err.is_cancelled());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || err.into_panic()));
    assert!(result.is_err(), "into_panic on a cancellation panics");
}

#[test]
fn join_error_converts_with_question_mark() {
    let _watchdog = watchdog(LIMIT, "join_error_converts_with_question_mark");
    fn assert_error<T: Error + Send + Sync + 'static>() {}
    assert_error::<JoinError>();

    let rt = runtime(1);
    async fn doubled(rt: &Runtime, fail: bool) -> Result<u32, Box<dyn Error + Send + Sync>> {
        let value = rt
            .spawn(async move {
                assert!(!fail, "asked to fail");
                21
            })
            .await?;
        Ok(value * 2)
    }
    assert_eq!(rt.block_on(doubled(&rt, false)).unwrap(), 42);
    let err = rt.block_on(doubled(&rt, true)).unwrap_err();
    let join_error = err.downcast_ref::<JoinError>().expect("a JoinError inside");
    assert!(join_error.is_panic());
    assert!(err.to_string().contains("asked to fail"), "{err}");
}

#[test]
fn handles_are_send_sync_unpin() {
    fn assert_send_unpin<T: Send + Unpin>() {}
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_unpin::<JoinHandle<u32>>();
    assert_send_unpin::<JoinHandle<std::cell::Cell<u32>>>();
    assert_send_sync::<JoinHandle<String>>();
    assert_send_sync::<AbortHandle>();
    assert_send_sync::<JoinError>();
}

/// On a one-worker runtime, returns once every task polled so far has returned from that
/// poll: the worker got to a task spawned after them.
fn wait_until_idle(rt: &Runtime) {
    rt.block_on(rt.spawn(async {})).unwrap();
}

/// A future whose drop needs its runtime: it spawns a task and arms a timer.
struct NeedsRuntimeOnDrop(Option<oneshot::Sender<&'static str>>);

impl Drop for NeedsRuntimeOnDrop {
    fn drop(&mut self) {
        let done = self.0.take().expect("dropped once");
        let _ = corun::Handle::current();
        drop(corun::sleep(std::time::Duration::from_secs(1)));
        drop(corun::spawn(async move {
            done.send("spawned from the drop").unwrap();
        }));
    }
}

/// `abort()` from a plain thread (no runtime there): the future is dropped on one of the
/// runtime's workers, where its drop finds the runtime.
#[test]
fn abort_from_a_plain_thread_drops_the_future_inside_the_runtime() {
    let _watchdog = watchdog(
        LIMIT,
        "abort_from_a_plain_thread_drops_the_future_inside_the_runtime",
    );
    let rt = runtime(1);
    let (done_tx, done_rx) = oneshot::channel();
    let (started_tx, started_rx) = mpsc::channel();
    let handle = rt.spawn(async move {
        let _needs_runtime = NeedsRuntimeOnDrop(Some(done_tx));
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await
    });
    started_rx.recv().unwrap();
    wait_until_idle(&rt);
    let abort = handle.abort_handle();
    thread::spawn(move || abort.abort()).join().unwrap();
    let error = rt.block_on(handle).unwrap_err();
    assert!(error.is_cancelled(), "{error:?}");
    assert_eq!(rt.block_on(done_rx).unwrap(), "spawned from the drop");
}

/// `abort()` called while holding a lock that the future's drop takes: the caller is never
/// the one to drop the future, so it cannot deadlock on its own lock.
#[test]
fn abort_while_holding_a_lock_the_drop_takes() {
    let _watchdog = watchdog(LIMIT, "abort_while_holding_a_lock_the_drop_takes");
    let rt = runtime(1);
    let lock = Arc::new(std::sync::Mutex::new(0));
    struct LocksOnDrop(Arc<std::sync::Mutex<i32>>);
    impl Drop for LocksOnDrop {
        fn drop(&mut self) {
            *self.0.lock().unwrap() += 1;
        }
    }
    let (started_tx, started_rx) = mpsc::channel();
    let handle = rt.spawn({
        let lock = lock.clone();
        async move {
            let _locks = LocksOnDrop(lock);
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await
        }
    });
    started_rx.recv().unwrap();
    wait_until_idle(&rt);
    {
        let guard = lock.lock().unwrap();
        handle.abort();
        assert_eq!(*guard, 0, "not dropped while we hold the lock");
    }
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    assert_eq!(
        *lock.lock().unwrap(),
        1,
        "dropped exactly once, after the abort"
    );
}

/// Dropping the `JoinHandle` of a finished task drops its output then and there, even
/// while an `AbortHandle` keeps the task's allocation alive.
#[test]
fn dropping_the_handle_drops_a_finished_output_at_once() {
    let _watchdog = watchdog(LIMIT, "dropping_the_handle_drops_a_finished_output_at_once");
    let rt = runtime(1);
    let drops = Drops::new();
    let counter = drops.counter();
    let handle = rt.spawn(async move { counter });
    let abort = handle.abort_handle();
    while !handle.is_finished() {
        thread::yield_now();
    }
    assert_eq!(drops.dropped(), 0, "the output waits for its handle");
    drop(handle);
    assert_eq!(
        drops.dropped(),
        1,
        "dropped with the handle, not with the last reference"
    );
    drop(abort);
    drops.assert_all_dropped_once();
}
