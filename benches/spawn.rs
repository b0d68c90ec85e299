//! Scheduler benches: corun, tokio and async-executor side by side, one criterion group per
//! workload, with ids `<workload>/corun`, `<workload>/tokio`, `<workload>/async-executor`.
//!
//! Modelled on tokio's `benches/rt_multi_threaded.rs`. Each workload is written once,
//! generic over [`Executor`], and uses the same std atomics and `futures::channel` types on
//! every runtime, so the numbers differ only by how each runtime spawns, schedules, wakes and
//! parks. Every runtime has `BENCH_WORKERS` workers (default: one per core) and is started
//! once per group, outside the timing loop.
//!
//! - `spawn_many_local`: one task spawns 10 000 tiny tasks. Measures spawning from a worker
//!   (the local queue, when the runtime has one) and how fast idle workers steal the burst.
//! - `spawn_many_remote`: the bench thread spawns 10 000 tiny tasks. Measures the injection
//!   path from outside the runtime and waking parked workers.
//! - `yield_many`: 200 tasks each yield 1 000 times. Measures re-scheduling a woken task
//!   (the yield path) and queue fairness, with no allocation per step.
//! - `ping_pong`: one task spawns 1 000 tasks, each spawns a partner and bounces a message
//!   off it through two oneshot channels. Measures cross-task wakes mixed with spawns.
//! - `chained_spawn`: 1 000 tasks in a chain, each spawning the next. Measures the latency
//!   of a single spawn-then-run, where only one task is ready at a time and the other
//!   workers keep parking and waking.
//!
//! ```text
//! cargo bench -p corun-benches --bench spawn                 # measure (a few minutes)
//! BENCH_WORKERS=4 cargo bench -p corun-benches --bench spawn -- yield_many
//! cargo bench -p corun-benches --bench spawn -- --test       # run each workload once
//! ```

use corun_benches::{compare, wait, Countdown, Executor};
use criterion::{criterion_group, criterion_main, Criterion};
use futures::channel::oneshot;
use std::sync::Arc;
use std::time::Duration;

const NUM_SPAWN: usize = 10_000;
const YIELD_TASKS: usize = 200;
const NUM_YIELD: usize = 1_000;
const NUM_PINGS: usize = 1_000;
const CHAIN_LEN: usize = 1_000;

fn spawn_many_local<E: Executor>(exec: &E) {
    let (countdown, finished) = Countdown::new(NUM_SPAWN);
    let spawner = exec.clone();
    exec.spawn(async move {
        for _ in 0..NUM_SPAWN {
            let countdown = countdown.clone();
            spawner.spawn(async move { countdown.tick() });
        }
    });
    wait(exec, finished);
}

fn spawn_many_remote<E: Executor>(exec: &E) {
    let (countdown, finished) = Countdown::new(NUM_SPAWN);
    for _ in 0..NUM_SPAWN {
        let countdown = countdown.clone();
        exec.spawn(async move { countdown.tick() });
    }
    drop(countdown);
    wait(exec, finished);
}

fn yield_many<E: Executor>(exec: &E) {
    let (countdown, finished) = Countdown::new(YIELD_TASKS);
    for _ in 0..YIELD_TASKS {
        let countdown = countdown.clone();
        exec.spawn(async move {
            for _ in 0..NUM_YIELD {
                E::yield_now().await;
            }
            countdown.tick();
        });
    }
    drop(countdown);
    wait(exec, finished);
}

fn ping_pong<E: Executor>(exec: &E) {
    let (countdown, finished) = Countdown::new(NUM_PINGS);
    let spawner = exec.clone();
    exec.spawn(async move {
        for _ in 0..NUM_PINGS {
            let countdown = countdown.clone();
            let partner_spawner = spawner.clone();
            spawner.spawn(async move {
                let (ping_tx, ping_rx) = oneshot::channel();
                let (pong_tx, pong_rx) = oneshot::channel();
                partner_spawner.spawn(async move {
                    ping_rx.await.expect("the pinger waits for its pong");
                    pong_tx.send(()).expect("the pinger waits for its pong");
                });
                ping_tx.send(()).expect("the partner waits for its ping");
                pong_rx.await.expect("the partner answers every ping");
                countdown.tick();
            });
        }
    });
    wait(exec, finished);
}

fn chained_spawn<E: Executor>(exec: &E) {
    fn link<E: Executor>(exec: E, done: Arc<Countdown>, remaining: usize) {
        if remaining == 0 {
            done.tick();
        } else {
            let spawner = exec.clone();
            spawner.spawn(async move { link(exec, done, remaining - 1) });
        }
    }
    let (done, finished) = Countdown::new(1);
    link(exec.clone(), done, CHAIN_LEN);
    wait(exec, finished);
}

fn bench_spawn_many_local(c: &mut Criterion) {
    compare(
        c,
        "spawn_many_local",
        NUM_SPAWN,
        spawn_many_local,
        spawn_many_local,
        spawn_many_local,
    );
}

fn bench_spawn_many_remote(c: &mut Criterion) {
    compare(
        c,
        "spawn_many_remote",
        NUM_SPAWN,
        spawn_many_remote,
        spawn_many_remote,
        spawn_many_remote,
    );
}

fn bench_yield_many(c: &mut Criterion) {
    compare(
        c,
        "yield_many",
        YIELD_TASKS * NUM_YIELD,
        yield_many,
        yield_many,
        yield_many,
    );
}

fn bench_ping_pong(c: &mut Criterion) {
    compare(c, "ping_pong", NUM_PINGS, ping_pong, ping_pong, ping_pong);
}

fn bench_chained_spawn(c: &mut Criterion) {
    compare(
        c,
        "chained_spawn",
        CHAIN_LEN,
        chained_spawn,
        chained_spawn,
        chained_spawn,
    );
}

criterion_group! {
    name = benches;
    // 15 benches of about 5 s each: the whole run takes under 3 minutes on 2 cores.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench_spawn_many_local, bench_spawn_many_remote, bench_yield_many,
        bench_ping_pong, bench_chained_spawn
}
criterion_main!(benches);
