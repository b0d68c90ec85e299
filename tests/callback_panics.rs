//! User code that corun calls outside a task's poll — wakers it wakes or drops, and the
//! drops of futures and outputs — may panic. The policy (see `src/unwind.rs`): the panic is
//! caught where corun made the call, the runtime's own state stays consistent, and the
//! runtime carries on. Each test would kill a worker (and so hang the runtime, which the
//! watchdog turns into a failure) or deadlock if a boundary were missing.
#![allow(clippy::disallowed_types)]

mod common;

use common::{runtime, watchdog, LIMIT};
use futures::channel::oneshot;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A waker whose `wake` counts, then panics.
struct PanicsOnWake(AtomicUsize);

impl Wake for PanicsOnWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
        panic!("this waker panics when woken");
    }
}

/// The runtime still fires timers and runs tasks spawned from outside.
fn assert_runtime_works(rt: &corun::Runtime) {
    let value = rt.block_on(async {
        for _ in 0..3 {
            corun::sleep(ms(2)).await;
        }
        corun::spawn(async { 7 }).await.unwrap()
    });
    assert_eq!(value, 7);
    let outside = rt.spawn(async { corun::sleep(ms(1)).await });
    futures::executor::block_on(outside).unwrap();
}

/// A `Sleep` polled by a foreign executor with a waker that panics: the worker that fires
/// the timer calls that waker. It must survive, and keep driving timers.
fn timer_waker_panics(workers: usize) {
    let rt = runtime(workers);
    let counter = Arc::new(PanicsOnWake(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut sleep = {
        let _guard = rt.enter();
        Box::pin(corun::sleep(ms(1)))
    };
    assert!(sleep
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    // Wait (on the runtime's own timers) until the panicking wake has happened.
    rt.block_on(async {
        while counter.0.load(SeqCst) == 0 {
            corun::sleep(ms(1)).await;
        }
    });
    assert_eq!(counter.0.load(SeqCst), 1, "woken exactly once");
    assert!(sleep.is_elapsed());
    assert_runtime_works(&rt);
}

#[test]
fn a_panicking_timer_waker_on_one_worker() {
    let _watchdog = watchdog(LIMIT, "a_panicking_timer_waker_on_one_worker");
    timer_waker_panics(1);
}

#[test]
fn a_panicking_timer_waker_on_two_workers() {
    let _watchdog = watchdog(LIMIT, "a_panicking_timer_waker_on_two_workers");
    timer_waker_panics(2);
}

/// The join waker of a `JoinHandle` awaited from a foreign executor: its `wake_by_ref`
/// blocks until the handle has been dropped (so the completer, not the handle, ends up
/// owning the waker), and its drop panics.
struct DropPanicsAfterHandoff {
    waking: Mutex<mpsc::Sender<()>>,
    handle_dropped: Mutex<mpsc::Receiver<()>>,
}

impl Wake for DropPanicsAfterHandoff {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.waking.lock().unwrap().send(()).unwrap();
        self.handle_dropped.lock().unwrap().recv().unwrap();
    }
}

impl Drop for DropPanicsAfterHandoff {
    fn drop(&mut self) {
        panic!("this waker panics when dropped");
    }
}

#[test]
fn a_join_waker_whose_drop_panics_in_the_completer() {
    let _watchdog = watchdog(LIMIT, "a_join_waker_whose_drop_panics_in_the_completer");
    let rt = runtime(1);
    let (open_tx, open_rx) = oneshot::channel::<()>();
    let mut handle = rt.spawn(async move { open_rx.await.unwrap() });
    let (waking_tx, waking_rx) = mpsc::channel();
    let (dropped_tx, dropped_rx) = mpsc::channel();
    {
        // The only strong reference ends up in the task's join-waker slot.
        let waker = Waker::from(Arc::new(DropPanicsAfterHandoff {
            waking: Mutex::new(waking_tx),
            handle_dropped: Mutex::new(dropped_rx),
        }));
        assert!(Pin::new(&mut handle)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
    }
    open_tx.send(()).unwrap();
    // The worker completes the task and is inside the join waker's `wake_by_ref`.
    waking_rx.recv().unwrap();
    drop(handle);
    dropped_tx.send(()).unwrap();
    // The worker now drops the waker, which panics there.
    assert_runtime_works(&rt);
}

/// Panics when dropped.
#[derive(Debug)]
struct PanicsOnDrop(&'static str);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// Ready at once with an output whose drop panics; its own drop panics too.
struct ReadyThenPanicsOnDrop {
    _panics_on_drop: PanicsOnDrop,
}

impl Future for ReadyThenPanicsOnDrop {
    type Output = PanicsOnDrop;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<PanicsOnDrop> {
        Poll::Ready(PanicsOnDrop("the output's drop panics"))
    }
}

#[test]
fn a_future_and_its_output_both_panic_on_drop() {
    let _watchdog = watchdog(LIMIT, "a_future_and_its_output_both_panic_on_drop");
    let rt = runtime(1);
    let handle = rt.spawn(ReadyThenPanicsOnDrop {
        _panics_on_drop: PanicsOnDrop("the future's drop panics"),
    });
    let error = rt.block_on(handle).unwrap_err();
    assert!(error.is_panic());
    assert_eq!(
        error.to_string(),
        "task panicked: the future's drop panics",
        "the future's panic wins; the output was dropped quietly"
    );
    assert_runtime_works(&rt);
}

#[test]
fn a_detached_task_whose_output_drop_panics() {
    let _watchdog = watchdog(LIMIT, "a_detached_task_whose_output_drop_panics");
    let rt = runtime(1);
    let (done_tx, done_rx) = oneshot::channel();
    drop(rt.spawn(async move {
        let _ = done_rx.await;
        PanicsOnDrop("a detached output's drop panics")
    }));
    // No handle: the completer drops the output on the worker.
    done_tx.send(()).unwrap();
    assert_runtime_works(&rt);
}

/// A waker whose drop runs `on_drop` (on the thread that drops it).
struct RunsOnDrop(Mutex<Option<Box<dyn FnOnce() + Send>>>);

impl Wake for RunsOnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for RunsOnDrop {
    fn drop(&mut self) {
        if let Some(on_drop) = self.0.lock().unwrap().take() {
            on_drop();
        }
    }
}

fn waker_running_on_drop(on_drop: impl FnOnce() + Send + 'static) -> Waker {
    Waker::from(Arc::new(RunsOnDrop(Mutex::new(Some(Box::new(on_drop))))))
}

/// Re-polling a `Sleep` with a new waker drops the old one. That drop may use the timer
/// (here: it arms another sleep in the same shard); it must not run under the shard lock.
#[test]
fn a_replaced_sleep_waker_whose_drop_arms_a_timer() {
    let _watchdog = watchdog(LIMIT, "a_replaced_sleep_waker_whose_drop_arms_a_timer");
    let rt = runtime(1);
    let _guard = rt.enter();
    let (armed_tx, armed_rx) = mpsc::channel();
    let first = waker_running_on_drop(move || {
        let mut other = Box::pin(corun::sleep(Duration::from_secs(3_600)));
        let pending = other
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending();
        armed_tx.send(pending).unwrap();
    });
    let mut sleep = Box::pin(corun::sleep(Duration::from_secs(3_600)));
    assert!(sleep
        .as_mut()
        .poll(&mut Context::from_waker(&first))
        .is_pending());
    drop(first);
    // A different waker: the timer replaces (and drops) the stored one.
    assert!(sleep
        .as_mut()
        .poll(&mut Context::from_waker(&waker_running_on_drop(|| {})))
        .is_pending());
    assert!(armed_rx.recv().unwrap(), "the drop armed its own sleep");
}

/// Re-polling a task group with a new waker drops the old one; that drop may spawn into
/// the same group, which takes the group's lock.
#[test]
fn a_replaced_group_waker_whose_drop_spawns_into_the_group() {
    let _watchdog = watchdog(
        LIMIT,
        "a_replaced_group_waker_whose_drop_spawns_into_the_group",
    );
    let rt = runtime(1);
    let _guard = rt.enter();
    let (tg_tx, tg_rx) = mpsc::channel();
    let mut group = Box::pin(corun::task_group(move |tg: corun::TaskGroup<()>| {
        tg_tx.send(tg).unwrap();
        std::future::pending::<Result<(), ()>>()
    }));
    let tg = tg_rx.recv().unwrap();
    let (spawned_tx, spawned_rx) = mpsc::channel();
    let first = waker_running_on_drop(move || {
        let child = tg.spawn(async { Ok(()) });
        spawned_tx.send(child).unwrap();
    });
    assert!(group
        .as_mut()
        .poll(&mut Context::from_waker(&first))
        .is_pending());
    drop(first);
    assert!(group
        .as_mut()
        .poll(&mut Context::from_waker(&waker_running_on_drop(|| {})))
        .is_pending());
    let child = spawned_rx.recv().unwrap();
    futures::executor::block_on(child).unwrap();
}
