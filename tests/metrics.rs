//! `Handle::metrics`: counters that count exactly what was done, and gauges that read what
//! the runtime holds. No timing assertions beyond lower bounds.
#![allow(clippy::disallowed_types)]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::task::Poll;
use std::time::{Duration, Instant};

fn runtime(workers: usize) -> corun::Runtime {
    corun::Runtime::builder()
        .worker_threads(workers)
        .build()
        .unwrap()
}

/// Waits (at most 10 s) for `done`: for gauges that settle just after a task's awaiter
/// wakes (a finished task leaves the task list after waking its `JoinHandle`).
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn spawned_counts_every_spawn_from_workers_and_from_outside() {
    let rt = runtime(2);
    let before = rt.handle().metrics().spawned_tasks();
    rt.block_on(async {
        // 10 from outside the workers (this `block_on`), each spawning 5 from a worker.
        let parents: Vec<_> = (0..10)
            .map(|_| {
                corun::spawn(async {
                    let children: Vec<_> = (0..5).map(|_| corun::spawn(async {})).collect();
                    for child in children {
                        child.await.unwrap();
                    }
                })
            })
            .collect();
        for parent in parents {
            parent.await.unwrap();
        }
    });
    assert_eq!(rt.handle().metrics().spawned_tasks(), before + 60);
}

#[test]
fn live_tasks_return_to_the_baseline() {
    let rt = runtime(2);
    let handle = rt.handle().clone();
    let baseline = handle.metrics().live_tasks();
    let (release, wait) = futures::channel::oneshot::channel::<()>();
    let wait = futures::future::FutureExt::shared(wait);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let wait = wait.clone();
            rt.spawn(async move {
                let _ = wait.await;
            })
        })
        .collect();
    assert_eq!(handle.metrics().live_tasks(), baseline + 20);
    release.send(()).unwrap();
    rt.block_on(async {
        for task in tasks {
            task.await.unwrap();
        }
    });
    eventually("every finished task left the list", || {
        handle.metrics().live_tasks() == baseline
    });
}

/// Tasks stolen so far, by every worker.
fn total_steals(rt: &corun::Runtime) -> u64 {
    rt.handle()
        .metrics()
        .workers()
        .iter()
        .map(|worker| worker.steals())
        .sum()
}

/// Worker A runs a task that spawns 64 tasks into A's own queue, then blocks A (a
/// `std::thread::sleep` loop) until all of them have run. Only worker B can run them, and
/// only by stealing them from A's queue, so B's steals count at least all 64.
#[test]
fn an_idle_worker_steals_from_a_blocked_one() {
    const CHILDREN: usize = 64;
    let rt = runtime(2);
    let before = total_steals(&rt);
    let ran = Arc::new(AtomicUsize::new(0));
    let spawner = rt.spawn({
        let ran = ran.clone();
        async move {
            for _ in 0..CHILDREN {
                let ran = ran.clone();
                drop(corun::spawn(async move {
                    ran.fetch_add(1, SeqCst);
                }));
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while ran.load(SeqCst) < CHILDREN && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    });
    rt.block_on(spawner).unwrap();
    assert_eq!(ran.load(SeqCst), CHILDREN, "the other worker never stole");
    let after = total_steals(&rt);
    assert!(
        after - before >= CHILDREN as u64,
        "{} steals",
        after - before
    );
}

#[test]
fn workers_count_their_polls_and_parks() {
    let rt = runtime(2);
    // Idle workers park.
    eventually("both workers parked", || {
        rt.handle()
            .metrics()
            .workers()
            .iter()
            .all(|worker| worker.parks() > 0)
    });
    let polls = |rt: &corun::Runtime| -> u64 {
        rt.handle()
            .metrics()
            .workers()
            .iter()
            .map(|w| w.polls())
            .sum()
    };
    let before = polls(&rt);
    rt.block_on(async {
        let tasks: Vec<_> = (0..100).map(|_| corun::spawn(async {})).collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert!(polls(&rt) - before >= 100);
    let metrics = rt.handle().metrics();
    assert_eq!(metrics.num_workers(), 2);
    assert_eq!(metrics.injector_depth(), 0);
    for worker in metrics.workers() {
        assert_eq!(worker.local_queue_depth(), 0);
    }
}

#[test]
fn busy_time_covers_a_long_poll() {
    let rt = runtime(1);
    rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(30)) }))
        .unwrap();
    // Added up when the worker parks again.
    eventually("the worker's busy time covers the poll", || {
        rt.handle().metrics().workers()[0].busy_time() >= Duration::from_millis(30)
    });
}

#[test]
fn pending_timers_are_the_armed_sleeps() {
    const SLEEPS: usize = 7;
    let rt = runtime(2);
    let handle = rt.handle().clone();
    assert_eq!(handle.metrics().pending_timers(), 0);
    let (armed, armed_rx) = mpsc::channel();
    let sleepers: Vec<_> = (0..SLEEPS)
        .map(|_| {
            let armed = armed.clone();
            rt.spawn(async move {
                let mut sleep = pin!(corun::sleep(Duration::from_secs(3_600)));
                // The first poll arms the timer.
                std::future::poll_fn(|cx| {
                    assert!(sleep.as_mut().poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
                armed.send(()).unwrap();
                sleep.await;
            })
        })
        .collect();
    for _ in 0..SLEEPS {
        armed_rx.recv().unwrap();
    }
    assert_eq!(handle.metrics().pending_timers(), SLEEPS);
    for sleeper in &sleepers {
        sleeper.abort();
    }
    rt.block_on(async {
        for sleeper in sleepers {
            assert!(sleeper.await.unwrap_err().is_cancelled());
        }
    });
    // A cancelled sleep deregisters as its task's future drops.
    eventually("the cancelled sleeps deregistered", || {
        handle.metrics().pending_timers() == 0
    });
}

#[test]
fn blocking_threads_and_queue_with_one_thread() {
    let rt = corun::Runtime::builder()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let handle = rt.handle().clone();
    let (started, started_rx) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let release_rx = Arc::new(std::sync::Mutex::new(release_rx));
    let jobs: Vec<_> = (0..2)
        .map(|_| {
            let started = started.clone();
            let release_rx = release_rx.clone();
            rt.spawn_blocking(move || {
                started.send(()).unwrap();
                release_rx.lock().unwrap().recv().unwrap();
            })
        })
        .collect();
    // One thread runs the first closure; the second waits in the queue.
    started_rx.recv().unwrap();
    let metrics = handle.metrics();
    assert_eq!(metrics.blocking_threads_busy(), 1);
    assert_eq!(metrics.blocking_threads_idle(), 0);
    assert_eq!(metrics.blocking_queue_depth(), 1);
    release.send(()).unwrap();
    started_rx.recv().unwrap();
    let metrics = handle.metrics();
    assert_eq!(metrics.blocking_threads_busy(), 1);
    assert_eq!(metrics.blocking_queue_depth(), 0);
    release.send(()).unwrap();
    rt.block_on(async {
        for job in jobs {
            job.await.unwrap();
        }
    });
    eventually("the thread waits for more work", || {
        let metrics = handle.metrics();
        metrics.blocking_threads_idle() == 1 && metrics.blocking_threads_busy() == 0
    });
}

#[test]
fn metrics_print_a_line_per_worker() {
    let rt = runtime(3);
    let printed = rt.handle().metrics().to_string();
    assert!(printed.starts_with("3 workers, "), "{printed}");
    assert_eq!(printed.lines().count(), 4, "{printed}");
    assert!(printed.contains("worker 2: "), "{printed}");
}
