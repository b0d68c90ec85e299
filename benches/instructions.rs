//! Instruction counts per operation, for `valgrind --tool=callgrind` (`benches/instructions.sh`
//! runs it and prints the table): stable where wall-clock benches on a shared machine are not.
//!
//! `instructions <runtime> <workload> <n>` runs `n` operations of one workload on a
//! one-worker runtime and exits; the script runs it with two values of `n` and divides the
//! difference in instructions by the difference in `n`, so start-up, shutdown and the bench
//! thread's own work cancel out. Workloads, each from inside a task on the only worker:
//!
//! - `spawn_join`: spawn an empty task and await its handle;
//! - `gather_child`: one child of a `gather` of 1 000 (the runtime's share: spawning the
//!   child, running it, collecting its output in order);
//! - `yield`: one `yield_now`;
//! - `sleep_ready`: create, poll (arm) and drop a 1-hour sleep.
#![allow(clippy::disallowed_types)]

use corun_benches::{AsyncExecutor, Corun, Executor, Tokio};
use std::time::Duration;

const GATHER: usize = 1_000;

async fn workload<E: Executor>(exec: E, name: &str, n: usize) {
    match name {
        "spawn_join" => {
            for _ in 0..n {
                exec.spawn_joined(async {}).await;
            }
        }
        "gather_child" => {
            for _ in 0..n / GATHER {
                let children = (0..GATHER).map(|i| async move { i });
                let out = gather::<E, _>(&exec, children).await;
                assert_eq!(out.len(), GATHER);
            }
        }
        "yield" => {
            for _ in 0..n {
                E::yield_now().await;
            }
        }
        "sleep_ready" => {
            for _ in 0..n {
                let mut sleep = std::pin::pin!(E::sleep(Duration::from_secs(3_600)));
                let pending = futures::poll!(sleep.as_mut());
                assert!(pending.is_pending());
            }
        }
        other => panic!("unknown workload {other:?}: spawn_join, gather_child, yield, sleep_ready"),
    }
}

/// Each runtime's gather: corun's `gather`; for the others, spawn each child and await the
/// join handles in order (what `gather` does for them by hand).
async fn gather<E: Executor, F>(exec: &E, children: impl Iterator<Item = F>) -> Vec<usize>
where
    F: std::future::Future<Output = usize> + Send + 'static,
{
    if E::NAME == Corun::NAME {
        return corun::gather(children).await;
    }
    let handles: Vec<_> = children.map(|child| exec.spawn_joined(child)).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await);
    }
    out
}

fn run<E: Executor>(name: &str, n: usize) {
    let (runtime, exec) = E::start(1);
    let (tx, rx) = std::sync::mpsc::channel();
    let inner = exec.clone();
    let name = name.to_owned();
    exec.spawn(async move {
        workload(inner, &name, n).await;
        tx.send(()).unwrap();
    });
    rx.recv().expect("the workload finished");
    drop(runtime);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; run nothing then (the script calls the binary).
    let [runtime, name, n] = args.as_slice() else {
        eprintln!("usage: instructions <corun|tokio|async-executor> <workload> <n>");
        return;
    };
    let n: usize = n.parse().expect("n is a number");
    match runtime.as_str() {
        "corun" => run::<Corun>(name, n),
        "tokio" => run::<Tokio>(name, n),
        "async-executor" => run::<AsyncExecutor>(name, n),
        other => panic!("unknown runtime {other:?}"),
    }
}
