//! `Builder::on_slow_poll`: a poll that held its worker past the threshold is reported,
//! once, naming its task; faster ones are not; a panicking callback leaves the worker
//! running. Durations are checked only from below.

#![allow(clippy::disallowed_types)]

use corun::task::Id;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a callback saw: id, name, spawn file and line, duration.
type Seen = Arc<Mutex<Vec<(Id, Option<String>, String, u32, Duration)>>>;

fn recording(threshold: Duration, workers: usize) -> (corun::Runtime, Seen) {
    let seen: Seen = Arc::default();
    let rt = corun::Runtime::builder()
        .worker_threads(workers)
        .on_slow_poll(threshold, {
            let seen = seen.clone();
            move |poll| {
                seen.lock().unwrap().push((
                    poll.id(),
                    poll.name().map(str::to_owned),
                    poll.location().unwrap().file().to_owned(),
                    poll.location().unwrap().line(),
                    poll.duration(),
                ));
            }
        })
        .build()
        .unwrap();
    (rt, seen)
}

#[test]
fn a_slow_poll_is_reported_once_with_its_task() {
    let (rt, seen) = recording(Duration::from_millis(25), 2);
    let sleeper = async { std::thread::sleep(Duration::from_millis(50)) };
    let builder = corun::task::Builder::new().name("sleeper");
    let (task, line) = (builder.spawn_on(sleeper, rt.handle()), line!());
    let id = task.id();
    rt.block_on(task).unwrap();
    // Joins the workers: every callback has returned.
    drop(rt);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let (seen_id, name, file, seen_line, duration) = &seen[0];
    assert_eq!(*seen_id, id);
    assert_eq!(name.as_deref(), Some("sleeper"));
    assert!(file.ends_with("slow_poll.rs"), "{file}");
    assert_eq!(*seen_line, line);
    assert!(*duration >= Duration::from_millis(50), "{duration:?}");
}

#[test]
fn a_poll_under_the_threshold_is_not_reported() {
    let (rt, seen) = recording(Duration::from_secs(1), 1);
    rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(50)) }))
        .unwrap();
    drop(rt);
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn a_panicking_callback_does_not_kill_the_worker() {
    let calls = Arc::new(Mutex::new(0));
    let rt = corun::Runtime::builder()
        .worker_threads(1)
        .on_slow_poll(Duration::from_millis(10), {
            let calls = calls.clone();
            move |_| {
                *calls.lock().unwrap() += 1;
                panic!("the slow-poll callback panics");
            }
        })
        .build()
        .unwrap();
    for _ in 0..2 {
        rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(20)) }))
            .unwrap();
    }
    // The one worker reported both polls, and still runs tasks.
    let sum = rt.block_on(async {
        let tasks: Vec<_> = (1..=10u32)
            .map(|i| corun::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for task in tasks {
            sum += task.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 55);
    drop(rt);
    assert_eq!(*calls.lock().unwrap(), 2);
}

#[test]
fn without_metadata_a_slow_poll_names_its_task_by_id() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let rt = corun::Runtime::builder()
        .worker_threads(1)
        .task_metadata(false)
        .on_slow_poll(Duration::from_millis(25), {
            let seen = seen.clone();
            move |poll| {
                let name = poll.name().map(str::to_owned);
                seen.lock()
                    .unwrap()
                    .push((poll.id(), name, poll.location()));
            }
        })
        .build()
        .unwrap();
    let task = rt.spawn(async { std::thread::sleep(Duration::from_millis(50)) });
    let id = task.id();
    rt.block_on(task).unwrap();
    drop(rt);
    assert_eq!(*seen.lock().unwrap(), [(id, None, None)]);
}
