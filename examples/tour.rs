//! A tour of corun, following `asyncio-coroutines.md` section by section.
//!
//! Run it with `cargo run --release --example tour`. This first version covers what the core
//! runtime offers: `run` (asyncio.run), `spawn` with a `JoinHandle` (create_task), errors
//! that stay with their task, `abort` (Task.cancel) and `spawn_blocking`.

use corun::JoinError;
use futures::channel::oneshot;
use std::time::{Duration, Instant};

/// The seed's `task1`: a long-running task.
async fn task1() -> String {
    println!("Task 1: Start");
    corun::sleep(Duration::from_secs(3)).await; // asyncio.sleep(3)
    println!("Task 1: End");
    "Task 1 result".to_owned()
}

/// The seed's `task2`: a shorter one.
async fn task2() -> String {
    println!("Task 2: Start");
    corun::sleep(Duration::from_secs(1)).await;
    println!("Task 2: End");
    "Task 2 result".to_owned()
}

/// A coroutine that fails.
async fn faulty_task() -> Result<String, String> {
    Err("something went wrong in faulty_task".to_owned())
}

async fn create_task_section() {
    println!("\n== create_task: handles you can await, inspect and abort ==");
    let started = Instant::now();
    let t1 = corun::spawn(task1());
    let t2 = corun::spawn(task2());
    // Both run at once: task 2 ends first, and the pair takes 3 s, not 4.
    let result1 = t1.await.expect("task1 does not panic");
    let result2 = t2.await.expect("task2 does not panic");
    println!("{result1} {result2} (took {:.1?})", started.elapsed());

    // A task's error is its own: awaiting its handle hands it back, nothing else fails.
    match corun::spawn(faulty_task()).await {
        Ok(Ok(value)) => println!("faulty_task -> {value}"),
        Ok(Err(error)) => println!("faulty_task failed on its own: {error}"),
        Err(join_error) => println!("faulty_task did not finish: {join_error}"),
    }

    // A panic is caught and becomes a JoinError; the worker thread lives on.
    let panicked = corun::spawn(async { panic!("a bug in a task") }).await;
    let error: JoinError = panicked.expect_err("the task panicked");
    println!("a panicking task -> JoinError: {error}");
}

async fn abort_section() {
    println!("\n== cancel: abort a task that waits forever ==");
    let (_never_sent, never) = oneshot::channel::<()>();
    let waiting = corun::spawn(async move {
        let _ = never.await;
        "unreachable"
    });
    waiting.abort();
    match waiting.await {
        Err(error) if error.is_cancelled() => println!("aborted task -> {error}"),
        other => println!("unexpected: {other:?}"),
    }

    // Aborting a finished task changes nothing: its value is still there.
    let done = corun::spawn(async { 42 });
    let value = loop {
        if done.is_finished() {
            done.abort();
            break done.await;
        }
        corun::yield_now().await;
    };
    println!("abort after completion -> {value:?}");
}

async fn blocking_section() {
    println!("\n== spawn_blocking: synchronous work off the workers ==");
    let started = Instant::now();
    let digest = corun::spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(100));
        "file contents".len()
    })
    .await
    .expect("the closure does not panic");
    println!(
        "blocking closure -> {digest} after {:?} (the workers stayed free)",
        started.elapsed()
    );
}

async fn main_coroutine() {
    println!("Main: Start");
    let started = Instant::now();
    create_task_section().await;
    abort_section().await;
    blocking_section().await;
    println!("\nMain: End (took {:?})", started.elapsed());
}

fn main() {
    // asyncio.run(main()): one worker per core, driven from this thread.
    corun::run(main_coroutine());
}
