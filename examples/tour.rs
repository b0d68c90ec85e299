//! A tour of corun, following `asyncio-coroutines.md` section by section.
//!
//! Run it with `cargo run --release --example tour`. This first version covers what the core
//! runtime offers: `run` (asyncio.run), `spawn` with a `JoinHandle` (create_task), errors
//! that stay with their task, `abort` (Task.cancel) and `spawn_blocking`.

use corun::JoinError;
use futures::channel::oneshot;
use std::time::Instant;

/// A coroutine that does a little CPU work and returns a value.
async fn fetch_data(task: u32) -> String {
    let checksum: u64 = (0..200_000u64).map(|i| i * u64::from(task)).sum();
    format!("Task {task} result (checksum {checksum})")
}

/// A coroutine that fails.
async fn faulty_task() -> Result<String, String> {
    Err("something went wrong in faulty_task".to_owned())
}

async fn create_task_section() {
    println!("\n== create_task: handles you can await, inspect and abort ==");
    let task1 = corun::spawn(fetch_data(1));
    let task2 = corun::spawn(fetch_data(2));
    // Awaiting in argument order gives results in argument order, whatever ran first.
    println!("task1 -> {}", task1.await.expect("task1 does not panic"));
    println!("task2 -> {}", task2.await.expect("task2 does not panic"));

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
        std::thread::sleep(std::time::Duration::from_millis(100));
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
