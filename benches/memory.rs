//! Heap bytes per idle task and per pending boxed sleep, for corun, tokio and
//! async-executor, with a counting global allocator: 100 000 of each on a one-worker
//! runtime, the difference in live bytes divided by the count (the test's own vectors
//! subtracted). The runtime runs one task before the count starts, so its lazily made
//! structures are not charged to the objects. Spare capacity of growing structures (a
//! slab, a vector of timers) is charged: it is what the objects cost.
//!
//! `cargo bench -p corun-benches --bench memory` prints the table in BENCHMARKS.md.
#![allow(clippy::disallowed_types)]

#[path = "../tests/common/counting.rs"]
mod counting;

use corun_benches::{AsyncExecutor, Corun, Executor, Tokio};
use counting::{live_bytes, Counting};
use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const OBJECTS: usize = 100_000;

/// Bytes per task spawned and polled once, then waiting for a wake that never comes.
fn per_idle_task<E: Executor>(exec: &E) -> f64 {
    let polled = Arc::new(AtomicUsize::new(0));
    let before = live_bytes();
    for _ in 0..OBJECTS {
        let polled = polled.clone();
        exec.spawn(async move {
            polled.fetch_add(1, SeqCst);
            std::future::pending::<()>().await
        });
    }
    while polled.load(SeqCst) < OBJECTS {
        std::thread::yield_now();
    }
    (live_bytes() - before) as f64 / OBJECTS as f64
}

/// Bytes per boxed sleep of an hour or more, polled once (so registered with its timer).
fn per_pending_sleep<E: Executor>(exec: &E) -> f64 {
    exec.block_on(exec.spawn_joined(async {
        let before = live_bytes();
        let mut sleeps: Vec<_> = (0..OBJECTS)
            .map(|i| {
                Box::pin(E::sleep(
                    Duration::from_secs(3_600) + Duration::from_millis(i as u64),
                ))
            })
            .collect();
        poll_fn(|cx| {
            for sleep in &mut sleeps {
                assert!(sleep.as_mut().poll(cx).is_pending());
            }
            Poll::Ready(())
        })
        .await;
        // async-io files a timer through a queue its reactor drains; let it run.
        E::sleep(Duration::from_millis(20)).await;
        let vec_bytes = sleeps.capacity() * std::mem::size_of_val(&sleeps[0]);
        let per_sleep = (live_bytes() - before - vec_bytes as isize) as f64 / OBJECTS as f64;
        drop(sleeps);
        per_sleep
    }))
}

fn measure<E: Executor>() -> (f64, f64) {
    let (runtime, exec) = E::start(1);
    measure_on(runtime, exec)
}

/// corun with `Builder::task_metadata(false)`: tasks keep only their id.
fn measure_corun_without_metadata() -> (f64, f64) {
    let runtime = corun::Runtime::builder()
        .worker_threads(1)
        .task_metadata(false)
        .build()
        .expect("cannot start the corun runtime");
    let exec = Corun(runtime.handle().clone());
    measure_on(runtime, exec)
}

fn measure_on<E: Executor>(runtime: E::Guard, exec: E) -> (f64, f64) {
    // The runtime's own structures come into being with its first task.
    exec.block_on(exec.spawn_joined(async { E::sleep(Duration::from_millis(1)).await }));
    let per_task = per_idle_task(&exec);
    let per_sleep = per_pending_sleep(&exec);
    drop(runtime);
    (per_task, per_sleep)
}

fn main() {
    println!("heap bytes per object, {OBJECTS} objects, 1 worker");
    println!("| runtime | idle task | pending boxed sleep |");
    println!("|---|---|---|");
    for (name, (task, sleep)) in [
        (Corun::NAME, measure::<Corun>()),
        (
            "corun, task_metadata(false)",
            measure_corun_without_metadata(),
        ),
        (Tokio::NAME, measure::<Tokio>()),
        (AsyncExecutor::NAME, measure::<AsyncExecutor>()),
    ] {
        println!("| {name} | {task:.1} | {sleep:.1} |");
    }
}
