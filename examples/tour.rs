//! A tour of corun that follows `asyncio-coroutines.md` section by section, with the seed's
//! own durations (3 s and 1 s). Run it with `cargo run --release --example tour`; it takes
//! about 8 seconds.
//!
//! 1. Coroutines and `gather`: `task1` and `task2` run concurrently, 3 s in all, not 4.
//! 2. `create_task`: handles awaited one by one, errors handled per task, and `abort`.
//! 3. `gather(..., return_exceptions=True)`: `gather_settled` collects a failure.
//! 4. `TaskGroup`: one child fails, and its sleeping sibling is cancelled at once.

use corun::TaskError;
use std::time::{Duration, Instant};

/// The seed's `task1`: a long-running task.
async fn task1() -> String {
    println!("Task 1: Start");
    corun::sleep(Duration::from_secs(3)).await; // await asyncio.sleep(3)
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

/// A task that fails with an error value.
async fn faulty_task() -> Result<String, String> {
    corun::sleep(Duration::from_millis(100)).await;
    Err("faulty_task: something went wrong".to_owned())
}

/// `results = await asyncio.gather(task1(), task2())`
async fn gather_section() {
    println!("\n== 1. Coroutines and gather ==");
    println!("Main: Start");
    let started = Instant::now();
    let (result1, result2) = corun::gather!(task1(), task2()).await;
    println!("Results: {:?}", [result1, result2]);
    println!(
        "Main: End (took {:.1?}: the tasks ran concurrently)",
        started.elapsed()
    );
}

/// `t1 = asyncio.create_task(task1()); ...; result1 = await t1`
async fn create_task_section() {
    println!("\n== 2. create_task: one handle per task ==");
    let started = Instant::now();
    let t1 = corun::spawn(task1());
    let t2 = corun::spawn(task2());
    let result1 = t1.await.expect("task1 does not panic");
    let result2 = t2.await.expect("task2 does not panic");
    println!("{result1} {result2} (took {:.1?})", started.elapsed());

    // Errors are handled per task: this one's failure touches nothing else.
    match corun::spawn(faulty_task()).await {
        Ok(Ok(value)) => println!("faulty_task -> {value}"),
        Ok(Err(error)) => println!("handled on its own: {error}"),
        Err(join_error) => println!("faulty_task did not finish: {join_error}"),
    }

    // task.cancel(): the task is dropped at its next await point.
    let long = corun::spawn(task1());
    corun::sleep(Duration::from_millis(50)).await;
    long.abort();
    match long.await {
        Err(error) if error.is_cancelled() => println!("aborted task1 -> {error}"),
        other => println!("unexpected: {other:?}"),
    }
}

/// `await asyncio.gather(..., return_exceptions=True)`
async fn gather_settled_section() {
    println!("\n== 3. gather(return_exceptions=True): gather_settled ==");
    let settled = corun::gather_settled([
        Box::pin(async { "Task A result".to_owned() })
            as std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>>,
        Box::pin(async { panic!("Task B raised") }),
        Box::pin(async { "Task C result".to_owned() }),
    ])
    .await;
    for (index, slot) in settled.iter().enumerate() {
        match slot {
            Ok(value) => println!("  slot {index}: {value}"),
            Err(error) => println!("  slot {index}: {error}"),
        }
    }
    let failures = settled.iter().filter(|slot| slot.is_err()).count();
    println!(
        "{failures} of {} failed; the others still ran to the end",
        settled.len()
    );
}

/// `async with asyncio.TaskGroup() as tg: ...`
async fn task_group_section() {
    println!("\n== 4. TaskGroup: the first failure cancels the siblings ==");
    let started = Instant::now();
    let mut sleeper = None;
    let result = corun::task_group(|tg| {
        sleeper = Some(tg.spawn(async {
            println!("sleeper: going to sleep for 3 s");
            corun::sleep(Duration::from_secs(3)).await;
            println!("sleeper: woke up (this line never prints)");
            Ok("slept".to_owned())
        }));
        async move {
            tg.spawn(async {
                corun::sleep(Duration::from_secs(1)).await;
                println!("failing child: returning an error after 1 s");
                Err::<(), _>("the failing child gave up".to_owned())
            });
            Ok(())
        }
    })
    .await;
    match result {
        Ok(()) => println!("group succeeded"),
        Err(error) => println!(
            "group failed after {:.1?}: {error} (errors: {:?})",
            started.elapsed(),
            error.errors()
        ),
    }
    let sleeper: Result<String, TaskError> = sleeper.expect("spawned").await;
    println!("the sleeping sibling -> {}", sleeper.unwrap_err());
}

fn main() {
    // Panics inside tasks are caught and reported as values; print them in one line.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .unwrap_or("(non-string panic)");
        eprintln!("  [a task panicked: {message}]");
    }));

    let started = Instant::now();
    // asyncio.run(main()): one worker per core, driven from this thread.
    corun::run(async {
        gather_section().await;
        create_task_section().await;
        gather_settled_section().await;
        task_group_section().await;
    });
    println!("\nTour finished in {:.1?}", started.elapsed());
}
