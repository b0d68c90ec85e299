//! Shutdown: dropping a `Runtime` (or `shutdown_timeout`) drops every unfinished task's
//! future exactly once and cancels its handle, cancels what is spawned afterwards, keeps
//! the outputs of finished tasks for their handles, waits for running blocking closures
//! (or, with a timeout, stops waiting), and copes with being dropped from the runtime's
//! own threads.
#![allow(clippy::disallowed_types)]

mod common;

use common::{occupy_only_worker, runtime, watchdog, DropCounter, Drops, Latch, LIMIT};
use corun::{Handle, JoinHandle, Runtime};
use futures::channel::oneshot;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

fn assert_all_cancelled<T: std::fmt::Debug>(handles: Vec<JoinHandle<T>>) {
    for handle in handles {
        let err = futures::executor::block_on(handle).unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
    }
}

/// Spawns `n` tasks that each own a drop counter and wait forever, and waits until every
/// one of them has been polled (so each is parked, not queued).
fn spawn_parked(rt: &Runtime, drops: &Drops, n: usize) -> Vec<JoinHandle<()>> {
    let polled = Latch::new(n);
    let handles = (0..n)
        .map(|_| {
            let counter = drops.counter();
            let polled = polled.clone();
            rt.spawn(async move {
                let _counter = counter;
                polled.count_down();
                futures::future::pending::<()>().await;
            })
        })
        .collect();
    polled.wait();
    handles
}

#[test]
fn drop_drops_every_pending_task_once() {
    let _watchdog = watchdog(LIMIT, "drop_drops_every_pending_task_once");
    const N: usize = 10_000;
    let rt = runtime(2);
    let drops = Drops::new();
    let handles = spawn_parked(&rt, &drops, N);
    assert_eq!(drops.dropped(), 0);
    drop(rt);
    assert_eq!(drops.dropped(), N, "dropped by the time drop returns");
    assert!(handles.iter().all(JoinHandle::is_finished));
    assert_all_cancelled(handles);
    drops.assert_all_dropped_once();
}

#[test]
fn shutdown_timeout_drops_every_pending_task_once() {
    let _watchdog = watchdog(LIMIT, "shutdown_timeout_drops_every_pending_task_once");
    const N: usize = 10_000;
    let rt = runtime(2);
    let drops = Drops::new();
    let handles = spawn_parked(&rt, &drops, N);
    rt.shutdown_timeout(Duration::from_millis(1));
    assert_eq!(drops.dropped(), N, "dropped by the time shutdown returns");
    assert_all_cancelled(handles);
    drops.assert_all_dropped_once();
}

/// Tasks still waiting in the queues (never polled) when shutdown begins.
#[test]
fn drop_drops_queued_tasks_once() {
    let _watchdog = watchdog(LIMIT, "drop_drops_queued_tasks_once");
    const N: usize = 10_000;
    let rt = runtime(1);
    let drops = Drops::new();
    // The only worker is busy until released, so everything spawned now stays queued.
    let (blocker, release_tx) = occupy_only_worker(&rt);
    let handles: Vec<_> = (0..N)
        .map(|_| {
            let counter = drops.counter();
            rt.spawn(async move {
                let _counter = counter;
                futures::future::pending::<()>().await;
            })
        })
        .collect();
    // Some may get polled between the release and shutdown; all are dropped just once.
    release_tx.send(()).unwrap();
    drop(rt);
    assert_eq!(drops.dropped(), N);
    futures::executor::block_on(blocker).unwrap();
    assert_all_cancelled(handles);
    drops.assert_all_dropped_once();
}

#[test]
fn handles_kept_past_shutdown_still_resolve_when_awaited_before() {
    let _watchdog = watchdog(
        LIMIT,
        "handles_kept_past_shutdown_still_resolve_when_awaited_before",
    );
    // A JoinHandle registered its waker (it was being awaited) on another thread when
    // shutdown cancelled the task: the waiter must be woken.
    let rt = runtime(2);
    let drops = Drops::new();
    let mut handles = spawn_parked(&rt, &drops, 100);
    let (polled_tx, polled_rx) = mpsc::channel();
    let last = handles.pop().unwrap();
    let waiter = thread::spawn(move || {
        let mut last = last;
        futures::executor::block_on(futures::future::poll_fn(|cx| {
            let poll = std::pin::Pin::new(&mut last).poll(cx);
            let _ = polled_tx.send(());
            poll
        }))
    });
    // The waiter polled once (and registered its waker) before the shutdown.
    polled_rx.recv().unwrap();
    drop(rt);
    assert!(waiter.join().unwrap().unwrap_err().is_cancelled());
    assert_all_cancelled(handles);
    drops.assert_all_dropped_once();
}

#[test]
fn spawn_after_shutdown_is_cancelled() {
    let _watchdog = watchdog(LIMIT, "spawn_after_shutdown_is_cancelled");
    let rt = runtime(2);
    let handle = rt.handle().clone();
    drop(rt);
    let drops = Drops::new();
    let polled = Arc::new(AtomicBool::new(false));
    let ran = Arc::new(AtomicBool::new(false));
    let (task, blocking) = thread::spawn({
        let drops = drops.clone();
        let polled = polled.clone();
        let ran = ran.clone();
        move || {
            let counter = drops.counter();
            let task = handle.spawn(async move {
                let _counter = counter;
                polled.store(true, SeqCst);
            });
            let counter = drops.counter();
            let blocking = handle.spawn_blocking(move || {
                let _counter = counter;
                ran.store(true, SeqCst);
            });
            (task, blocking)
        }
    })
    .join()
    .unwrap();
    assert!(futures::executor::block_on(task)
        .unwrap_err()
        .is_cancelled());
    assert!(futures::executor::block_on(blocking)
        .unwrap_err()
        .is_cancelled());
    assert!(!polled.load(SeqCst), "spawned after shutdown, yet polled");
    assert!(!ran.load(SeqCst), "spawned after shutdown, yet ran");
    assert_eq!(drops.dropped(), 2);
    drops.assert_all_dropped_once();
}

/// A thread keeps spawning through a cloned handle while the runtime is dropped: every task
/// is either dropped by shutdown or cancelled at spawn, exactly once.
#[test]
fn spawning_during_shutdown_never_leaks() {
    let _watchdog = watchdog(LIMIT, "spawning_during_shutdown_never_leaks");
    let rt = runtime(2);
    let handle = rt.handle().clone();
    let drops = Drops::new();
    let stop = Arc::new(AtomicBool::new(false));
    let (warm_tx, warm_rx) = mpsc::channel();
    let spawner = thread::spawn({
        let drops = drops.clone();
        let stop = stop.clone();
        move || {
            let mut handles = Vec::new();
            let mut after_stop = 0;
            while after_stop < 100 {
                if stop.load(SeqCst) {
                    after_stop += 1;
                }
                let counter = drops.counter();
                handles.push(handle.spawn(async move {
                    let _counter = counter;
                    futures::future::pending::<()>().await;
                }));
                if handles.len() == 100 {
                    warm_tx.send(()).unwrap();
                }
            }
            handles
        }
    });
    warm_rx.recv().unwrap();
    drop(rt);
    stop.store(true, SeqCst);
    let handles = spawner.join().unwrap();
    assert!(handles.len() >= 200);
    assert_all_cancelled(handles);
    drops.assert_all_dropped_once();
}

/// A future whose drop spawns another task: shutdown runs that drop, and the spawn must
/// neither deadlock nor leak.
#[test]
fn future_that_spawns_from_its_drop_during_shutdown() {
    let _watchdog = watchdog(LIMIT, "future_that_spawns_from_its_drop_during_shutdown");
    struct SpawnOnDrop {
        counter: Option<DropCounter>,
        spawned: mpsc::Sender<JoinHandle<()>>,
    }
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let counter = self.counter.take();
            let handle = Handle::current().spawn(async move {
                let _counter = counter;
                futures::future::pending::<()>().await;
            });
            self.spawned.send(handle).unwrap();
        }
    }

    const N: usize = 100;
    let rt = runtime(2);
    let drops = Drops::new();
    let polled = Latch::new(N);
    let (spawned_tx, spawned_rx) = mpsc::channel();
    let handles: Vec<_> = (0..N)
        .map(|_| {
            let guard = SpawnOnDrop {
                counter: Some(drops.counter()),
                spawned: spawned_tx.clone(),
            };
            let polled = polled.clone();
            rt.spawn(async move {
                let _guard = guard;
                polled.count_down();
                futures::future::pending::<()>().await;
            })
        })
        .collect();
    drop(spawned_tx);
    polled.wait();
    drop(rt);
    assert_all_cancelled(handles);
    let spawned: Vec<_> = spawned_rx.iter().collect();
    assert_eq!(spawned.len(), N);
    assert_all_cancelled(spawned);
    assert_eq!(drops.dropped(), N);
    drops.assert_all_dropped_once();
}

/// Outputs of finished tasks: those whose handle was dropped are dropped by the runtime;
/// those whose handle is kept stay readable after shutdown, and are dropped by whoever
/// ends up owning them; every one exactly once.
#[test]
fn outputs_of_finished_tasks_are_dropped_once() {
    let _watchdog = watchdog(LIMIT, "outputs_of_finished_tasks_are_dropped_once");
    const N: usize = 1_000;
    let rt = runtime(2);
    let drops = Drops::new();
    // Detached: nobody will read the output.
    for _ in 0..N {
        let counter = drops.counter();
        drop(rt.spawn(async move { counter }));
    }
    drops.wait_dropped(N);
    // Kept: finished, never joined before the runtime goes away.
    let kept: Vec<_> = (0..N)
        .map(|_| {
            let counter = drops.counter();
            rt.spawn(async move { counter })
        })
        .collect();
    rt.block_on(async {
        for handle in &kept {
            while !handle.is_finished() {
                corun::yield_now().await;
            }
        }
    });
    drop(rt);
    assert_eq!(
        drops.dropped(),
        N,
        "a finished task's output belongs to its handle"
    );
    let mut kept = kept.into_iter();
    // Half are read after shutdown; the other half dropped unread.
    for handle in kept.by_ref().take(N / 2) {
        let output = futures::executor::block_on(handle).expect("finished before shutdown");
        drop(output);
    }
    assert_eq!(drops.dropped(), N + N / 2);
    drop(kept);
    drops.assert_all_dropped_once();
}

#[test]
fn drop_waits_for_a_running_blocking_closure() {
    let _watchdog = watchdog(LIMIT, "drop_waits_for_a_running_blocking_closure");
    let rt = runtime(1);
    let finished = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = mpsc::channel();
    let task = rt.spawn_blocking({
        let finished = finished.clone();
        move || {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(50));
            finished.store(true, SeqCst);
        }
    });
    started_rx.recv().unwrap();
    drop(rt);
    assert!(
        finished.load(SeqCst),
        "drop returned before the closure did"
    );
    futures::executor::block_on(task).unwrap();
}

#[test]
fn shutdown_timeout_does_not_wait_for_a_blocked_closure() {
    let _watchdog = watchdog(
        LIMIT,
        "shutdown_timeout_does_not_wait_for_a_blocked_closure",
    );
    let rt = runtime(1);
    let finished = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let task = rt.spawn_blocking({
        let finished = finished.clone();
        move || {
            started_tx.send(()).unwrap();
            // Released only after `shutdown_timeout` returned: if it waited for this
            // closure, the test would hang (and the watchdog would say so).
            release_rx.recv().unwrap();
            finished.store(true, SeqCst);
            "done"
        }
    });
    started_rx.recv().unwrap();
    rt.shutdown_timeout(Duration::from_millis(10));
    assert!(!finished.load(SeqCst));
    release_tx.send(()).unwrap();
    // The detached closure still runs to the end and delivers its output.
    assert_eq!(futures::executor::block_on(task).unwrap(), "done");
    assert!(finished.load(SeqCst));
}

#[test]
fn shutdown_cancels_queued_blocking_closures() {
    let _watchdog = watchdog(LIMIT, "shutdown_cancels_queued_blocking_closures");
    let rt = Runtime::builder()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let drops = Drops::new();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let first = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    started_rx.recv().unwrap();
    // The only blocking thread is busy: these wait in the pool's queue.
    let ran = Arc::new(AtomicBool::new(false));
    let queued: Vec<_> = (0..10)
        .map(|_| {
            let counter = drops.counter();
            let ran = ran.clone();
            rt.spawn_blocking(move || {
                let _counter = counter;
                ran.store(true, SeqCst);
            })
        })
        .collect();
    rt.shutdown_timeout(Duration::from_millis(1));
    assert_eq!(
        drops.dropped(),
        10,
        "queued closures are dropped at shutdown"
    );
    release_tx.send(()).unwrap();
    futures::executor::block_on(first).unwrap();
    assert_all_cancelled(queued);
    assert!(!ran.load(SeqCst));
    drops.assert_all_dropped_once();
}

/// The last owner of the runtime drops it inside one of its own tasks: the worker cannot
/// join itself, but shutdown must still complete and drop the other tasks.
#[test]
fn drop_runtime_inside_its_own_task() {
    let _watchdog = watchdog(LIMIT, "drop_runtime_inside_its_own_task");
    let rt = runtime(2);
    let drops = Drops::new();
    let others = spawn_parked(&rt, &drops, 100);
    let (rt_tx, rt_rx) = oneshot::channel::<Runtime>();
    let (done_tx, done_rx) = mpsc::channel();
    let dropper = rt.spawn(async move {
        let rt = rt_rx.await.unwrap();
        drop(rt);
        done_tx.send(()).unwrap();
    });
    rt_tx.send(rt).unwrap();
    done_rx.recv().unwrap();
    assert_eq!(drops.dropped(), 100);
    assert_all_cancelled(others);
    // The dropping task itself either completed or was cancelled; either way it resolves.
    let _ = futures::executor::block_on(dropper);
    drops.assert_all_dropped_once();
}

/// The same from one of the runtime's blocking threads: the pool must not wait for the
/// thread that is shutting it down.
#[test]
fn drop_runtime_inside_its_own_blocking_closure() {
    let _watchdog = watchdog(LIMIT, "drop_runtime_inside_its_own_blocking_closure");
    let rt = runtime(2);
    let drops = Drops::new();
    let others = spawn_parked(&rt, &drops, 100);
    let (rt_tx, rt_rx) = mpsc::channel::<Runtime>();
    let (done_tx, done_rx) = mpsc::channel();
    let dropper = rt.spawn_blocking(move || {
        drop(rt_rx.recv().unwrap());
        done_tx.send(()).unwrap();
    });
    rt_tx.send(rt).unwrap();
    done_rx.recv().unwrap();
    assert_eq!(drops.dropped(), 100);
    assert_all_cancelled(others);
    futures::executor::block_on(dropper).unwrap();
    drops.assert_all_dropped_once();
}
