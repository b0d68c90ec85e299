//! Timer benches: corun's timer side by side with tokio's, and with async-executor running
//! async-io's timers, one criterion group per workload, with ids `<workload>/corun`,
//! `<workload>/tokio`, `<workload>/async-executor`.
//!
//! Each workload is written once, generic over [`Executor`], like the scheduler benches in
//! `spawn.rs`: the runtimes differ only in how they spawn, yield and keep timers. Every
//! runtime has `BENCH_WORKERS` workers (default: one per core) and is started once per
//! group, outside the timing loop. corun fires timers from its workers, tokio from its time
//! driver (parked on by its workers); async-io fires them from its own reactor thread, one
//! thread more than the others have.
//!
//! - `timers_fire`: one task spawns 100 000 tasks, each sleeping a pseudo-random 1 to 10 ms,
//!   and the iteration ends when the last one wakes. An iteration takes at least 10 ms; what
//!   it takes beyond that is the cost of registering, keeping and firing the timers (and of
//!   the spawns, the same as `spawn_many_local` in `spawn.rs`).
//! - `timers_cancel`: one task per worker creates its share of 100 000 sleeps of 10 s, polls
//!   each once (so that it registers with the timer) and drops it. Measures registering and
//!   cancelling a timer entry that never fires, from every worker at once.
//! - `timeout_ready`: one task per worker runs its share of 100 000 `timeout(1 s, ready)`.
//!   The inner future is ready on the first poll, so no timer entry should be made: measures
//!   the fast path, creating and dropping a `Timeout`.
//! - `timeout_churn`: one task per worker runs 20 000 `timeout(5 s, yield_now())`: the inner
//!   future is pending once (the timeout registers its entry) and ready on the next poll (the
//!   entry is cancelled). Measures arming and cancelling timeouts as fast as every worker can,
//!   with the runtime's own yield in between.
//! - `sleep_latency`: on an otherwise idle runtime, one task sleeps 1 ms ten times in a row.
//!   A sleep never ends early, so an iteration takes at least 10 ms; the rest is how late
//!   the timer fires (rounding to its resolution, and waking a parked worker).
//!
//! ```text
//! cargo bench -p corun-benches --bench timer                 # measure (about 2 minutes)
//! BENCH_WORKERS=4 cargo bench -p corun-benches --bench timer -- timeout_churn
//! cargo bench -p corun-benches --bench timer -- --test       # run each workload once
//! ```

use corun_benches::{compare, wait, worker_count, Countdown, Executor};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::pin::pin;
use std::time::Duration;

const NUM_FIRE: usize = 100_000;
const NUM_CANCEL: usize = 100_000;
const NUM_READY: usize = 100_000;
const CHURN_PER_WORKER: usize = 20_000;
const LATENCY_SLEEPS: usize = 10;

/// Longer than any iteration: these timers are cancelled, never fired.
const NEVER: Duration = Duration::from_secs(10);

/// tokio's cooperative budget (128 polls of its resources per task poll) makes a `Sleep`
/// polled past it return `Pending` without registering. A task that polls many sleeps in a
/// row yields every `BUDGET_SLICE` of them, on every runtime alike, so that each poll
/// registers.
const BUDGET_SLICE: usize = 64;

fn timers_fire<E: Executor>(exec: &E) {
    let (countdown, finished) = Countdown::new(NUM_FIRE);
    let spawner = exec.clone();
    exec.spawn(async move {
        for index in 0..NUM_FIRE {
            let countdown = countdown.clone();
            spawner.spawn(async move {
                E::sleep(Duration::from_millis(fire_after_ms(index))).await;
                countdown.tick();
            });
        }
    });
    wait(exec, finished);
}

fn timers_cancel<E: Executor>(exec: &E) {
    let workers = worker_count();
    let (countdown, finished) = Countdown::new(workers);
    for worker in 0..workers {
        let countdown = countdown.clone();
        exec.spawn(async move {
            for index in 0..share(NUM_CANCEL, workers, worker) {
                if index % BUDGET_SLICE == BUDGET_SLICE - 1 {
                    E::yield_now().await;
                }
                let mut sleep = pin!(E::sleep(NEVER));
                let polled = futures::poll!(sleep.as_mut());
                assert!(polled.is_pending(), "a 10 s sleep completed at once");
                // Dropping the sleep here cancels its timer entry.
            }
            countdown.tick();
        });
    }
    drop(countdown);
    wait(exec, finished);
}

fn timeout_ready<E: Executor>(exec: &E) {
    let workers = worker_count();
    let (countdown, finished) = Countdown::new(workers);
    for worker in 0..workers {
        let countdown = countdown.clone();
        exec.spawn(async move {
            for index in 0..share(NUM_READY, workers, worker) {
                let output = E::timeout(Duration::from_secs(1), async { black_box(index) }).await;
                assert_eq!(output, Some(index), "a ready future timed out");
            }
            countdown.tick();
        });
    }
    drop(countdown);
    wait(exec, finished);
}

fn timeout_churn<E: Executor>(exec: &E) {
    let workers = worker_count();
    let (countdown, finished) = Countdown::new(workers);
    for _ in 0..workers {
        let countdown = countdown.clone();
        exec.spawn(async move {
            for _ in 0..CHURN_PER_WORKER {
                let output = E::timeout(Duration::from_secs(5), E::yield_now()).await;
                assert!(output.is_some(), "a single yield took 5 s");
            }
            countdown.tick();
        });
    }
    drop(countdown);
    wait(exec, finished);
}

/// The sleep of task `index` in `timers_fire`: 1 to 10 ms, pseudo-random (xorshift64) but the
/// same on every run and every runtime.
fn fire_after_ms(index: usize) -> u64 {
    // Any odd offset keeps the state non-zero, which xorshift needs.
    let mut x = index as u64 ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    1 + x % 10
}

/// How many of `total` items part `index` of `parts` takes: the parts differ by at most one
/// and add up to `total`.
fn share(total: usize, parts: usize, index: usize) -> usize {
    total / parts + usize::from(index < total % parts)
}

fn sleep_latency<E: Executor>(exec: &E) {
    let (countdown, finished) = Countdown::new(1);
    exec.spawn(async move {
        for _ in 0..LATENCY_SLEEPS {
            E::sleep(Duration::from_millis(1)).await;
        }
        countdown.tick();
    });
    wait(exec, finished);
}

fn bench_sleep_latency(c: &mut Criterion) {
    compare(
        c,
        "sleep_latency",
        LATENCY_SLEEPS,
        sleep_latency,
        sleep_latency,
        sleep_latency,
    );
}

fn bench_timers_fire(c: &mut Criterion) {
    compare(
        c,
        "timers_fire",
        NUM_FIRE,
        timers_fire,
        timers_fire,
        timers_fire,
    );
}

fn bench_timers_cancel(c: &mut Criterion) {
    compare(
        c,
        "timers_cancel",
        NUM_CANCEL,
        timers_cancel,
        timers_cancel,
        timers_cancel,
    );
}

fn bench_timeout_ready(c: &mut Criterion) {
    compare(
        c,
        "timeout_ready",
        NUM_READY,
        timeout_ready,
        timeout_ready,
        timeout_ready,
    );
}

fn bench_timeout_churn(c: &mut Criterion) {
    compare(
        c,
        "timeout_churn",
        worker_count() * CHURN_PER_WORKER,
        timeout_churn,
        timeout_churn,
        timeout_churn,
    );
}

criterion_group! {
    name = benches;
    // 12 benches of about 4 s each (timers_fire, whose iterations take 10 ms and more, may
    // stretch to 55 iterations): the whole run takes about 2 minutes on 2 cores.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_timers_fire, bench_timers_cancel, bench_timeout_ready, bench_timeout_churn,
        bench_sleep_latency
}
criterion_main!(benches);
