//! Structured-concurrency benches: corun's `gather` and `task_group` side by side with what a
//! tokio user writes (`join_all` over `JoinHandle`s, a `JoinSet`) and with async-executor
//! (`join_all` over its `Task`s). Ids are `<workload>/<runtime>`; every runtime has
//! `BENCH_WORKERS` workers (default: one per core), and the workload runs in `block_on` on
//! the bench thread, as a program's main coroutine would.
//!
//! - `gather_tiny`: gather 10 000 futures that return at once, outputs in argument order.
//!   Measures the per-child overhead of spawning, joining and ordering.
//! - `gather_cpu`: gather 64 CPU-bound children (about 100 µs of arithmetic each). Measures
//!   how well the children spread over the workers.
//! - `group_cancel`: a group of 10 000 children waiting forever and one that fails; the
//!   failure cancels the others and the group returns once all are gone. tokio: a
//!   `JoinSet` whose first error triggers `abort_all`, then drained; async-executor: the
//!   first error cancels every `Task` and awaits the cancellations.
//!
//! ```text
//! cargo bench -p corun-benches --bench combinators
//! cargo bench -p corun-benches --bench combinators -- --test   # run each workload once
//! ```

use corun_benches::{compare, AsyncExecutor, Corun, Executor, Tokio};
use criterion::{criterion_group, criterion_main, Criterion};
use futures::future::join_all;
use std::future::pending;
use std::hint::black_box;
use std::time::Duration;

const TINY: usize = 10_000;
const CPU_CHILDREN: usize = 64;
const GROUP_CHILDREN: usize = 10_000;

/// About 100 µs of arithmetic that the optimiser cannot skip.
fn cpu_work(seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..150_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

fn gather_tiny_corun(exec: &Corun) {
    let out = exec.block_on(corun::gather(
        (0..TINY).map(|i| async move { black_box(i) }),
    ));
    assert_eq!(out.len(), TINY);
}

fn gather_tiny_tokio(exec: &Tokio) {
    let handle = exec.0.clone();
    let out = exec.block_on(join_all(
        (0..TINY).map(|i| handle.spawn(async move { black_box(i) })),
    ));
    assert_eq!(out.len(), TINY);
}

fn gather_tiny_async_executor(exec: &AsyncExecutor) {
    let out = exec.block_on(join_all(
        (0..TINY).map(|i| exec.0.spawn(async move { black_box(i) })),
    ));
    assert_eq!(out.len(), TINY);
}

fn gather_cpu_corun(exec: &Corun) {
    let out = exec.block_on(corun::gather(
        (0..CPU_CHILDREN as u64).map(|seed| async move { cpu_work(seed) }),
    ));
    assert_eq!(out.len(), CPU_CHILDREN);
}

fn gather_cpu_tokio(exec: &Tokio) {
    let handle = exec.0.clone();
    let out = exec.block_on(join_all(
        (0..CPU_CHILDREN as u64).map(|seed| handle.spawn(async move { cpu_work(seed) })),
    ));
    assert_eq!(out.len(), CPU_CHILDREN);
}

fn gather_cpu_async_executor(exec: &AsyncExecutor) {
    let out = exec.block_on(join_all(
        (0..CPU_CHILDREN as u64).map(|seed| exec.0.spawn(async move { cpu_work(seed) })),
    ));
    assert_eq!(out.len(), CPU_CHILDREN);
}

/// The child that fails, after the others have started waiting.
async fn failing_child<E: Executor>() -> Result<(), &'static str> {
    E::yield_now().await;
    Err("one child fails")
}

fn group_cancel_corun(exec: &Corun) {
    let result = exec.block_on(corun::task_group(|tg| async move {
        for _ in 0..GROUP_CHILDREN {
            tg.spawn(pending::<Result<(), &str>>());
        }
        tg.spawn(failing_child::<Corun>());
        Ok(())
    }));
    assert_eq!(result.unwrap_err().cancelled(), GROUP_CHILDREN);
}

fn group_cancel_tokio(exec: &Tokio) {
    let cancelled = exec.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..GROUP_CHILDREN {
            set.spawn(pending::<Result<(), &str>>());
        }
        set.spawn(failing_child::<Tokio>());
        let mut cancelled = 0;
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(Err(_)) => set.abort_all(),
                Err(error) if error.is_cancelled() => cancelled += 1,
                other => panic!("unexpected child result {other:?}"),
            }
        }
        cancelled
    });
    assert_eq!(cancelled, GROUP_CHILDREN);
}

fn group_cancel_async_executor(exec: &AsyncExecutor) {
    let cancelled = exec.block_on(async {
        let waiting: Vec<_> = (0..GROUP_CHILDREN)
            .map(|_| exec.0.spawn(pending::<Result<(), &str>>()))
            .collect();
        let failing = exec.0.spawn(failing_child::<AsyncExecutor>());
        assert!(failing.await.is_err());
        join_all(waiting.into_iter().map(|task| task.cancel()))
            .await
            .into_iter()
            .filter(Option::is_none)
            .count()
    });
    assert_eq!(cancelled, GROUP_CHILDREN);
}

fn bench_gather_tiny(c: &mut Criterion) {
    compare(
        c,
        "gather_tiny",
        TINY,
        gather_tiny_corun,
        gather_tiny_tokio,
        gather_tiny_async_executor,
    );
}

fn bench_gather_cpu(c: &mut Criterion) {
    compare(
        c,
        "gather_cpu",
        CPU_CHILDREN,
        gather_cpu_corun,
        gather_cpu_tokio,
        gather_cpu_async_executor,
    );
}

fn bench_group_cancel(c: &mut Criterion) {
    compare(
        c,
        "group_cancel",
        GROUP_CHILDREN,
        group_cancel_corun,
        group_cancel_tokio,
        group_cancel_async_executor,
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench_gather_tiny, bench_gather_cpu, bench_group_cancel
}
criterion_main!(benches);
