//! `#[corun::test]` and `#[corun::main]`: the body runs on a fresh runtime with the
//! workers and the clock asked for, return types and other attributes pass through, a
//! re-exported corun is reached through `crate = ...`, and the runtime is shut down when
//! the body returns.
//! What the macros refuse is in `tests/ui/macros/` (run by `tests/compile_fail.rs`).
#![cfg(feature = "macros")]
#![allow(clippy::disallowed_types)]

mod common;

use common::{watchdog, Drops, LIMIT};
use corun::JoinError;
use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

/// The names of the threads that ran `tasks` tasks, each waiting at a barrier until
/// `at_once` of them run together (so `at_once` workers must be running).
async fn worker_names(tasks: usize, at_once: usize) -> BTreeSet<String> {
    let barrier = Arc::new(Barrier::new(at_once));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let barrier = barrier.clone();
            corun::spawn(async move {
                barrier.wait();
                thread::current().name().unwrap().to_owned()
            })
        })
        .collect();
    let mut names = BTreeSet::new();
    for handle in handles {
        names.insert(handle.await.unwrap());
    }
    names
}

fn workers(n: usize) -> BTreeSet<String> {
    (0..n).map(|i| format!("corun-worker-{i}")).collect()
}

#[corun::test]
async fn the_body_runs_on_a_runtime() {
    let _watchdog = watchdog(LIMIT, "the_body_runs_on_a_runtime");
    assert!(corun::Handle::try_current().is_ok());
    let name = corun::spawn(async { thread::current().name().map(str::to_owned) })
        .await
        .unwrap()
        .unwrap();
    assert!(name.starts_with("corun-worker-"), "{name}");
}

#[corun::test(worker_threads = 1)]
async fn one_worker_runs_every_task() {
    let _watchdog = watchdog(LIMIT, "one_worker_runs_every_task");
    assert_eq!(worker_names(8, 1).await, workers(1));
}

#[corun::test(worker_threads = 4)]
async fn four_workers_run_four_tasks_at_once() {
    let _watchdog = watchdog(LIMIT, "four_workers_run_four_tasks_at_once");
    // Four tasks that wait for each other need four workers; the names show no more ran.
    assert_eq!(worker_names(4, 4).await, workers(4));
}

#[corun::test(worker_threads = 2)]
async fn a_test_can_return_a_result() -> Result<(), JoinError> {
    let _watchdog = watchdog(LIMIT, "a_test_can_return_a_result");
    let answer = corun::spawn(async { 6 * 7 }).await?;
    assert_eq!(answer, 42);
    Ok(())
}

#[corun::test]
#[should_panic(expected = "the body's panic reaches the harness")]
async fn other_attributes_pass_through() {
    corun::yield_now().await;
    panic!("the body's panic reaches the harness");
}

#[corun::test(start_paused = true, worker_threads = 2)]
async fn start_paused_runs_timers_in_virtual_time() {
    let _watchdog = watchdog(LIMIT, "start_paused_runs_timers_in_virtual_time");
    let start = corun::time::now();
    // The clock stands still while nothing is due...
    thread::sleep(Duration::from_millis(5));
    assert_eq!(corun::time::now(), start);
    // ...and jumps to a timer's deadline once every thread is idle.
    corun::sleep(Duration::from_secs(3_600)).await;
    assert_eq!(corun::time::now() - start, Duration::from_secs(3_600));
}

#[corun::test(start_paused = false)]
async fn start_paused_false_keeps_the_real_clock() {
    let _watchdog = watchdog(LIMIT, "start_paused_false_keeps_the_real_clock");
    let start = corun::time::now();
    thread::sleep(Duration::from_millis(5));
    assert!(corun::time::now() - start >= Duration::from_millis(5));
}

/// A re-exported corun, as a crate that wraps it would have.
mod wrapper {
    pub use ::corun as runtime;
}

#[corun::test(crate = "wrapper::runtime", worker_threads = 1)]
async fn crate_names_a_re_exported_corun() {
    assert_eq!(wrapper::runtime::spawn(async { 1 }).await.unwrap(), 1);
}

#[corun::test(crate = crate::wrapper::runtime)]
async fn crate_takes_a_bare_path_too() {
    assert_eq!(corun::spawn(async { 2 }).await.unwrap(), 2);
}

/// `#[corun::main]` on a function other than `main`: it returns once the runtime is gone.
#[corun::main(worker_threads = 2)]
async fn leave_a_task_pending() -> Drops {
    let drops = Drops::new();
    let counter = drops.counter();
    let _detached = corun::spawn(async move {
        let _counter = counter;
        std::future::pending::<()>().await;
    });
    drops
}

#[test]
fn the_runtime_shuts_down_when_the_body_returns() {
    let _watchdog = watchdog(LIMIT, "the_runtime_shuts_down_when_the_body_returns");
    let drops = leave_a_task_pending();
    // The task never finished: the runtime's shutdown dropped it before the call returned.
    assert_eq!(drops.created(), 1);
    drops.assert_all_dropped_once();
}
