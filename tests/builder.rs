//! `Builder` and `Runtime::new`: invalid settings are `InvalidInput` errors that name the
//! setting, the chained form works with `?`, and thread names and sizes are applied.
#![allow(clippy::disallowed_types)]

mod common;

use common::{watchdog, LIMIT};
use corun::{Builder, Runtime};
use std::collections::BTreeSet;
use std::io;
use std::sync::{Arc, Barrier};
use std::thread;

#[test]
fn zero_workers_is_invalid_input() {
    let err = Runtime::builder().worker_threads(0).build().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("worker_threads"), "{err}");
}

#[test]
fn too_many_workers_is_invalid_input() {
    let err = Runtime::builder()
        .worker_threads(65_536)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("worker_threads"), "{err}");
}

#[test]
fn zero_blocking_threads_is_invalid_input() {
    let err = Runtime::builder()
        .worker_threads(1)
        .max_blocking_threads(0)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("max_blocking_threads"), "{err}");
}

#[test]
fn chained_build_with_question_mark() -> io::Result<()> {
    let _watchdog = watchdog(LIMIT, "chained_build_with_question_mark");
    let rt = Runtime::builder().worker_threads(2).build()?;
    assert_eq!(
        rt.block_on(async { corun::spawn(async { 2 }).await.unwrap() }),
        2
    );
    let rt = Builder::new()
        .worker_threads(1)
        .thread_name("chained")
        .thread_stack_size(1 << 20)
        .max_blocking_threads(2)
        .thread_keep_alive(std::time::Duration::from_secs(1))
        .build()?;
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 3)).unwrap(), 3);
    Ok(())
}

#[test]
fn runtime_new_and_default_builder_work() {
    let _watchdog = watchdog(LIMIT, "runtime_new_and_default_builder_work");
    let rt = Runtime::new().unwrap();
    assert_eq!(
        rt.block_on(async { corun::spawn(async { 1 }).await.unwrap() }),
        1
    );
    let name = rt
        .block_on(rt.spawn(async { thread::current().name().map(str::to_owned) }))
        .unwrap()
        .unwrap();
    assert!(name.starts_with("corun-worker-"), "{name}");
    let rt = Builder::default().build().unwrap();
    assert_eq!(rt.block_on(async { "ok" }), "ok");
}

#[test]
fn one_builder_builds_several_runtimes() {
    let _watchdog = watchdog(LIMIT, "one_builder_builds_several_runtimes");
    let mut builder = Runtime::builder();
    builder.worker_threads(1).thread_name("again");
    let first = builder.build().unwrap();
    let second = builder.build().unwrap();
    let a = first.block_on(first.spawn(async { 1 })).unwrap();
    let b = second.block_on(second.spawn(async { 2 })).unwrap();
    assert_eq!((a, b), (1, 2));
    assert!(format!("{builder:?}").contains("again"));
}

#[test]
fn thread_name_names_workers_and_blocking_threads() {
    let _watchdog = watchdog(LIMIT, "thread_name_names_workers_and_blocking_threads");
    const WORKERS: usize = 3;
    let rt = Runtime::builder()
        .worker_threads(WORKERS)
        .thread_name("named")
        .build()
        .unwrap();
    // One task per worker, all running at once, so every worker reports its name.
    let barrier = Arc::new(Barrier::new(WORKERS));
    let tasks: Vec<_> = (0..WORKERS)
        .map(|_| {
            let barrier = barrier.clone();
            rt.spawn(async move {
                barrier.wait();
                thread::current().name().unwrap().to_owned()
            })
        })
        .collect();
    let names: BTreeSet<String> = rt.block_on(async {
        let mut names = BTreeSet::new();
        for task in tasks {
            names.insert(task.await.unwrap());
        }
        names
    });
    let expected: BTreeSet<String> = (0..WORKERS).map(|i| format!("named-{i}")).collect();
    assert_eq!(names, expected);
    let blocking = rt
        .block_on(rt.spawn_blocking(|| thread::current().name().map(str::to_owned)))
        .unwrap();
    assert_eq!(blocking.as_deref(), Some("named-blocking"));
}

#[test]
fn large_stack_size_is_usable() {
    let _watchdog = watchdog(LIMIT, "large_stack_size_is_usable");
    let rt = Runtime::builder()
        .worker_threads(1)
        .thread_stack_size(16 << 20)
        .build()
        .unwrap();
    // Four megabytes of stack in use at once: more than a default 2 MiB thread stack.
    fn deep(n: usize) -> usize {
        let buf = std::hint::black_box([n as u8; 1024]);
        if n == 0 {
            buf[0] as usize
        } else {
            deep(n - 1) + buf[1] as usize
        }
    }
    let on_worker = rt.block_on(rt.spawn(async { deep(4 * 1024) })).unwrap();
    let on_blocking = rt.block_on(rt.spawn_blocking(|| deep(4 * 1024))).unwrap();
    assert_eq!(on_worker, on_blocking);
}
