//! No allocation outlives its runtime: runtimes dropped with tasks queued in every kind of
//! queue, sleeps pending, groups alive and blocking closures blocked or queued give every
//! byte back. Its own test binary with a single test, because it counts every allocation
//! of the process.
#![allow(clippy::disallowed_types)]

mod common;
#[path = "common/counting.rs"]
mod counting;

use common::{watchdog, Latch, LIMIT};
use corun::Runtime;
use counting::{live_bytes, Counting};
use std::sync::mpsc;
use std::time::Duration;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const YIELDERS: usize = 200;

/// Builds a 2-worker runtime, fills every place a task or closure can wait, and drops it.
fn fill_and_drop() {
    let rt = Runtime::builder()
        .worker_threads(2)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let started = Latch::new(YIELDERS + 2);
    // Yield loops: at the drop they sit in the workers' local queues and LIFO slots.
    for _ in 0..YIELDERS {
        let started = started.clone();
        drop(rt.spawn(async move {
            started.count_down();
            loop {
                corun::yield_now().await;
            }
        }));
    }
    // Pending sleeps, and a live group whose children sleep.
    {
        let started = started.clone();
        drop(rt.spawn(async move {
            let _sleep = corun::sleep(Duration::from_secs(3_600));
            let group = corun::task_group(|tg| async move {
                for _ in 0..10 {
                    tg.spawn(async {
                        corun::sleep(Duration::from_secs(3_600)).await;
                        Ok::<_, ()>(())
                    });
                }
                started.count_down();
                std::future::pending::<Result<(), ()>>().await
            });
            group.await
        }));
    }
    // A blocking closure blocked until its sender (owned by a pending task) is dropped by
    // the shutdown, and one queued behind it (the pool has one thread).
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (running_tx, running_rx) = mpsc::channel();
    drop(rt.spawn_blocking(move || {
        running_tx.send(()).unwrap();
        let _ = release_rx.recv();
    }));
    running_rx.recv().unwrap();
    drop(rt.spawn_blocking(|| ()));
    {
        let started = started.clone();
        drop(rt.spawn(async move {
            let _release = release_tx;
            started.count_down();
            std::future::pending::<()>().await
        }));
    }
    started.wait();
    // And tasks spawned from outside while the workers are busy: the injector.
    for _ in 0..100 {
        drop(rt.spawn(async {}));
    }
    drop(rt);
}

#[test]
fn dropped_runtimes_give_every_byte_back() {
    let _watchdog = watchdog(LIMIT, "dropped_runtimes_give_every_byte_back");
    // Warm up: lazily made process-wide state (thread-locals of this thread, std's thread
    // bookkeeping) is allocated once and kept.
    for _ in 0..2 {
        fill_and_drop();
    }
    let before = live_bytes();
    const ROUNDS: usize = 20;
    for _ in 0..ROUNDS {
        fill_and_drop();
    }
    let grown = live_bytes() - before;
    // One leaked runtime with its queued tasks is about 30 KB, so twenty leaked runtimes
    // are over half a megabyte. What may still be live without any leak: crossbeam-epoch
    // frees the buffers a deque outgrew only at a later collection, on whichever thread
    // next collects (a few kilobytes, never growing with the number of rounds).
    assert!(
        grown < 64 * 1024,
        "{grown} bytes still live after dropping {ROUNDS} runtimes ({} per runtime)",
        grown / ROUNDS as isize
    );
}
