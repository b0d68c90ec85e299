//! The blocking pool: `spawn_blocking` returns the closure's value, runs it off the worker
//! threads with the runtime current, honours `max_blocking_threads`, reuses its threads,
//! turns panics into `JoinError`s, and can abort a closure that has not started.
#![allow(clippy::disallowed_types)]

mod common;

use common::{panic_message, watchdog, Drops, LIMIT};
use corun::{Handle, Runtime};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

fn runtime(workers: usize, max_blocking: usize) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .max_blocking_threads(max_blocking)
        .thread_name("w")
        .build()
        .unwrap()
}

#[test]
fn spawn_blocking_returns_the_value() {
    let _watchdog = watchdog(LIMIT, "spawn_blocking_returns_the_value");
    let rt = runtime(2, 4);
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 6 * 7)).unwrap(), 42);
    let from_task = rt.block_on(async {
        corun::spawn(async { corun::spawn_blocking(|| String::from("in a task")).await })
            .await
            .unwrap()
    });
    assert_eq!(from_task.unwrap(), "in a task");
    let handle = rt.handle().clone();
    let from_thread = thread::spawn(move || handle.spawn_blocking(|| vec![1, 2, 3]))
        .join()
        .unwrap();
    assert_eq!(rt.block_on(from_thread).unwrap(), vec![1, 2, 3]);
}

#[test]
fn many_blocking_closures_all_complete() {
    let _watchdog = watchdog(LIMIT, "many_blocking_closures_all_complete");
    const N: u64 = 1_000;
    let rt = runtime(2, 8);
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..N).map(|i| corun::spawn_blocking(move || i)).collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, N * (N - 1) / 2);
}

#[test]
fn runs_off_the_workers_with_the_runtime_current() {
    let _watchdog = watchdog(LIMIT, "runs_off_the_workers_with_the_runtime_current");
    let rt = runtime(2, 4);
    let (name, worker_name, spawned, blocked_on) = rt.block_on(async {
        let worker_name = corun::spawn(async { thread::current().name().map(str::to_owned) })
            .await
            .unwrap()
            .unwrap();
        let (name, spawned, blocked_on) = corun::spawn_blocking(|| {
            let name = thread::current().name().map(str::to_owned);
            // The runtime is current here: spawning works, and so does block_on, since a
            // blocking thread does not drive tasks.
            let spawned = corun::spawn(async { 5 });
            let blocked_on = Handle::current().block_on(async { spawned.await.unwrap() * 2 });
            (name, true, blocked_on)
        })
        .await
        .unwrap();
        (name.unwrap(), worker_name, spawned, blocked_on)
    });
    assert!(worker_name.starts_with("w-"), "{worker_name}");
    assert_ne!(name, worker_name);
    assert_eq!(name, "w-blocking");
    assert!(spawned);
    assert_eq!(blocked_on, 10);
}

/// A blocking closure may block for as long as it likes without stalling the workers.
#[test]
fn blocked_closure_does_not_stall_the_workers() {
    let _watchdog = watchdog(LIMIT, "blocked_closure_does_not_stall_the_workers");
    let rt = runtime(1, 4);
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let blocked = rt.spawn_blocking(move || release_rx.recv().unwrap());
    // The only worker still runs tasks while the closure waits.
    assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    release_tx.send(()).unwrap();
    rt.block_on(blocked).unwrap();
}

#[test]
fn max_blocking_threads_one_runs_closures_one_at_a_time() {
    let _watchdog = watchdog(
        LIMIT,
        "max_blocking_threads_one_runs_closures_one_at_a_time",
    );
    const N: usize = 50;
    let rt = runtime(2, 1);
    let running = Arc::new(AtomicUsize::new(0));
    let max_running = Arc::new(AtomicUsize::new(0));
    let completed = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..N)
        .map(|_| {
            let running = running.clone();
            let max_running = max_running.clone();
            let completed = completed.clone();
            rt.spawn_blocking(move || {
                let now = running.fetch_add(1, SeqCst) + 1;
                max_running.fetch_max(now, SeqCst);
                // Stay inside long enough that overlap, if allowed, would show.
                thread::sleep(Duration::from_millis(1));
                running.fetch_sub(1, SeqCst);
                completed.fetch_add(1, SeqCst);
                thread::current().id()
            })
        })
        .collect();
    let ids: Vec<_> = rt.block_on(async {
        let mut ids = Vec::new();
        for handle in handles {
            ids.push(handle.await.unwrap());
        }
        ids
    });
    assert_eq!(completed.load(SeqCst), N);
    assert_eq!(max_running.load(SeqCst), 1);
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one thread ran them all"
    );
}

#[test]
fn blocking_threads_are_reused() {
    let _watchdog = watchdog(LIMIT, "blocking_threads_are_reused");
    let rt = runtime(1, 1);
    let ids: Vec<_> = rt.block_on(async {
        let mut ids = Vec::new();
        for _ in 0..20 {
            // Each one awaited before the next is spawned.
            ids.push(
                corun::spawn_blocking(|| thread::current().id())
                    .await
                    .unwrap(),
            );
        }
        ids
    });
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
}

/// With a keep-alive of a microsecond, the pool's thread is about to exit (or has) each
/// time a new closure arrives: the hand-off must never lose a closure.
#[test]
fn short_keep_alive_never_loses_a_closure() {
    let _watchdog = watchdog(LIMIT, "short_keep_alive_never_loses_a_closure");
    let rt = Runtime::builder()
        .worker_threads(1)
        .max_blocking_threads(2)
        .thread_keep_alive(Duration::from_micros(1))
        .build()
        .unwrap();
    let sum = rt.block_on(async {
        let mut sum = 0;
        for i in 0..500u64 {
            sum += corun::spawn_blocking(move || i).await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 500 * 499 / 2);
}

#[test]
fn panic_in_a_blocking_closure_is_a_join_error() {
    let _watchdog = watchdog(LIMIT, "panic_in_a_blocking_closure_is_a_join_error");
    let rt = runtime(1, 1);
    let before = rt
        .block_on(rt.spawn_blocking(|| thread::current().id()))
        .unwrap();
    let err = rt
        .block_on(rt.spawn_blocking(|| -> u32 { panic!("blocking boom") }))
        .unwrap_err();
    assert!(err.is_panic());
    assert!(err.to_string().contains("blocking boom"), "{err}");
    assert_eq!(panic_message(&*err.into_panic()), "blocking boom");
    // The pool's only thread survived the panic.
    let after = rt
        .block_on(rt.spawn_blocking(|| thread::current().id()))
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn abort_a_blocking_closure_before_it_starts() {
    let _watchdog = watchdog(LIMIT, "abort_a_blocking_closure_before_it_starts");
    let rt = runtime(1, 1);
    let drops = Drops::new();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let first = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    started_rx.recv().unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let counter = drops.counter();
    let queued = rt.spawn_blocking({
        let ran = ran.clone();
        move || {
            let _counter = counter;
            ran.store(true, SeqCst);
        }
    });
    queued.abort();
    release_tx.send(()).unwrap();
    rt.block_on(first).unwrap();
    assert!(rt.block_on(queued).unwrap_err().is_cancelled());
    // The pool ran something after the aborted closure, so it has been dequeued.
    rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    assert!(!ran.load(SeqCst), "an aborted closure must not run");
    drops.assert_all_dropped_once();
}
