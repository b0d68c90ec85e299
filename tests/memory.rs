//! What an idle task and a pending sleep cost in heap memory, and that it comes back: a
//! counting global allocator, 100 000 objects of each. Its own test binary with a single
//! test, because it counts every allocation of the process.
#![allow(clippy::disallowed_types)]

mod common;
#[path = "common/counting.rs"]
mod counting;

use common::{watchdog, Latch, LIMIT};
use counting::{live_bytes, Counting};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const OBJECTS: usize = 100_000;

/// In bytes. An idle task was 80 until it learnt its id, parent, spawn location, name and
/// poll statistics (40 bytes, for dumps), 112 once its stage stopped paying a word for its
/// tag (`task/stage.rs`), and 104 once the name and location shared one (`task/site.rs`);
/// tokio's takes 128 in the same measurement.
const MAX_PER_IDLE_TASK: f64 = 104.0;
/// On a runtime built with `task_metadata(false)`: the task without its 24 bytes of meta.
const MAX_PER_IDLE_TASK_WITHOUT_METADATA: f64 = 80.0;
const MAX_PER_PENDING_SLEEP: f64 = 96.0;

/// Bookkeeping that does not grow with the objects (a queue's current block, a slab's
/// spare capacity) may come and go while they are made.
const FIXED_ALLOWANCE: f64 = 4096.0;

fn per_object(before: isize, after: isize) -> f64 {
    (after - before) as f64 / OBJECTS as f64
}

fn within(per_object: f64, target: f64) -> bool {
    per_object * OBJECTS as f64 <= target * OBJECTS as f64 + FIXED_ALLOWANCE
}

#[test]
fn idle_tasks_and_pending_sleeps_are_small_and_give_their_memory_back() {
    let _watchdog = watchdog(LIMIT, "idle_tasks_and_pending_sleeps_are_small");
    let at_start = live_bytes();
    let rt = corun::Runtime::builder().worker_threads(1).build().unwrap();

    // The runtime's own structures (queues, thread-locals) come into being with its first
    // task; what is measured is what each further task adds.
    rt.block_on(rt.spawn(async {})).unwrap();

    let (per_task, handles) = idle_tasks(&rt);

    // Pending boxed sleeps, registered with the timer.
    let per_sleep = rt.block_on(async {
        let before = live_bytes();
        let mut sleeps: Vec<Pin<Box<corun::Sleep>>> = (0..OBJECTS)
            .map(|i| {
                Box::pin(corun::sleep(
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
        let vec_bytes =
            (sleeps.capacity() * std::mem::size_of::<Pin<Box<corun::Sleep>>>()) as isize;
        let per_sleep = per_object(before, live_bytes() - vec_bytes);
        drop(sleeps);
        // A timer shard that empties keeps room for 1 024 entries and frees the rest.
        let left = live_bytes() - before;
        assert!(left <= 64 * 1024, "cancelled sleeps kept {left} bytes");
        per_sleep
    });
    eprintln!("per idle task: {per_task:.1} bytes; per pending boxed sleep: {per_sleep:.1} bytes");
    assert!(
        within(per_task, MAX_PER_IDLE_TASK),
        "{per_task:.3} bytes per idle task"
    );
    assert!(
        within(per_sleep, MAX_PER_PENDING_SLEEP),
        "{per_sleep:.3} bytes per pending sleep"
    );

    drop(handles);
    drop(rt);

    // Without metadata, each task is 32 bytes smaller.
    let rt = corun::Runtime::builder()
        .worker_threads(1)
        .task_metadata(false)
        .build()
        .unwrap();
    rt.block_on(rt.spawn(async {})).unwrap();
    let (per_lean_task, handles) = idle_tasks(&rt);
    eprintln!("per idle task without metadata: {per_lean_task:.1} bytes");
    assert!(
        within(per_lean_task, MAX_PER_IDLE_TASK_WITHOUT_METADATA),
        "{per_lean_task:.3} bytes per idle task without metadata"
    );
    // A named task keeps its metadata whatever the runtime says; it is freed as what it
    // is (the check below would see a name or a meta left behind).
    let named: Vec<_> = (0..1_000)
        .map(|i| {
            corun::task::Builder::new()
                .name(format!("named-{i}"))
                .spawn_on(std::future::pending::<()>(), rt.handle())
        })
        .collect();
    drop(named);
    drop(handles);
    drop(rt);

    let left = live_bytes() - at_start;
    assert!(
        left as f64 <= FIXED_ALLOWANCE,
        "the dropped runtimes kept {left} bytes"
    );
}

/// Spawns `OBJECTS` tasks that are polled once and then wait for a wake that never
/// comes; returns what the runtime holds per task, and their handles.
fn idle_tasks(rt: &corun::Runtime) -> (f64, Vec<corun::JoinHandle<()>>) {
    let before = live_bytes();
    let polled = Latch::new(OBJECTS);
    let handles: Vec<_> = (0..OBJECTS)
        .map(|_| {
            let polled = polled.clone();
            rt.spawn(async move {
                polled.count_down();
                std::future::pending::<()>().await
            })
        })
        .collect();
    polled.wait();
    let with_handles = live_bytes();
    let handle_bytes = (handles.capacity() * std::mem::size_of::<corun::JoinHandle<()>>()) as isize;
    // What the runtime holds per task (the handle Vec is the test's own).
    (per_object(before, with_handles - handle_bytes), handles)
}
