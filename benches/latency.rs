//! Latency under load: how long a task woken from outside, or a timer, waits for its poll
//! while every worker is busy. corun, tokio and async-executor side by side, in one run.
//!
//! Each runtime gets `BENCH_WORKERS` workers (default: one per core) and, for the loaded
//! scenarios, 4 load tasks per worker. A load task spins ~50 µs and then either yields
//! (`yield_now`) or wakes itself while running (`wake_by_ref` and `Pending`, as a hot
//! channel does), for as long as the scenario runs. The probe:
//!
//! - **wake**: a plain std thread sends `Instant::now()` on a `futures` channel once per
//!   millisecond; the probe task records the time from the send to its poll.
//! - **sleep**: the probe task loops on the runtime's `sleep(1 ms)` and records how late
//!   each one completes (actual minus 1 ms).
//! - **idle wake**: the wake probe with no load at all (unpark latency).
//!
//! Latencies go into an HDR histogram (3 significant digits); the bench prints p50, p90,
//! p99 and p99.9, and, for the loaded scenarios, the load rate: spin rounds completed per
//! second across all load tasks, since a runtime that runs less of the load would get
//! lower latency for free. `BENCH_SECONDS` sets each scenario's length (default 3);
//! `BENCH_ONLY=corun` (or tokio, async-executor) runs one runtime.
//!
//! ```sh
//! cargo bench -p corun-benches --bench latency
//! ```
#![allow(clippy::disallowed_types)]

use corun_benches::{AsyncExecutor, Corun, Executor, Tokio};
use futures::channel::mpsc;
use futures::StreamExt;
use hdrhistogram::Histogram;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

const LOAD_TASKS_PER_WORKER: usize = 4;
const SPIN: Duration = Duration::from_micros(50);
const PROBE_PERIOD: Duration = Duration::from_millis(1);
const SLEEP: Duration = Duration::from_millis(1);

#[derive(Clone, Copy, PartialEq)]
enum Load {
    None,
    Yield,
    SelfWake,
}

#[derive(Clone, Copy)]
enum Probe {
    Wake,
    Sleep,
}

struct Scenario {
    name: &'static str,
    load: Load,
    probe: Probe,
}

const SCENARIOS: [Scenario; 4] = [
    Scenario {
        name: "wake from outside, yield-looping load",
        load: Load::Yield,
        probe: Probe::Wake,
    },
    Scenario {
        name: "wake from outside, self-waking load",
        load: Load::SelfWake,
        probe: Probe::Wake,
    },
    Scenario {
        name: "sleep(1 ms) lateness, yield-looping load",
        load: Load::Yield,
        probe: Probe::Sleep,
    },
    Scenario {
        name: "wake of an idle runtime",
        load: Load::None,
        probe: Probe::Wake,
    },
];

/// Busy-waits for `duration`: the load's CPU work.
fn spin(duration: Duration) {
    let start = Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}

/// Spins, then wakes itself and returns `Pending`, until `stop`: a task that is woken
/// while it runs, every time.
struct SelfWaking {
    stop: Arc<AtomicBool>,
    rounds: Arc<AtomicU64>,
}

impl Future for SelfWaking {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.stop.load(Relaxed) {
            return Poll::Ready(());
        }
        spin(SPIN);
        self.rounds.fetch_add(1, Relaxed);
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn start_load<E: Executor>(
    exec: &E,
    load: Load,
    workers: usize,
    stop: &Arc<AtomicBool>,
) -> Arc<AtomicU64> {
    let rounds = Arc::new(AtomicU64::new(0));
    if load == Load::None {
        return rounds;
    }
    for _ in 0..workers * LOAD_TASKS_PER_WORKER {
        let (stop, rounds) = (stop.clone(), rounds.clone());
        match load {
            Load::Yield => exec.spawn(async move {
                while !stop.load(Relaxed) {
                    spin(SPIN);
                    rounds.fetch_add(1, Relaxed);
                    E::yield_now().await;
                }
            }),
            Load::SelfWake => exec.spawn(SelfWaking { stop, rounds }),
            Load::None => unreachable!(),
        }
    }
    rounds
}

/// One sample per probe event, in microseconds.
fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 10_000_000, 3).expect("valid histogram bounds")
}

/// Runs the probe for `length` and returns its histogram.
fn run_probe<E: Executor>(exec: &E, probe: Probe, length: Duration) -> Histogram<u64> {
    let histogram = Arc::new(Mutex::new(new_histogram()));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    match probe {
        Probe::Wake => {
            let (tx, mut rx) = mpsc::unbounded::<Instant>();
            let recorder = histogram.clone();
            exec.spawn(async move {
                while let Some(sent) = rx.next().await {
                    let waited = sent.elapsed().as_micros() as u64;
                    recorder.lock().unwrap().saturating_record(waited.max(1));
                }
                done_tx.send(()).unwrap();
            });
            let deadline = Instant::now() + length;
            let mut next = Instant::now();
            while next < deadline {
                next += PROBE_PERIOD;
                thread::sleep(next.saturating_duration_since(Instant::now()));
                tx.unbounded_send(Instant::now())
                    .expect("the probe task is alive");
            }
            drop(tx);
        }
        Probe::Sleep => {
            let recorder = histogram.clone();
            exec.spawn(async move {
                let deadline = Instant::now() + length;
                while Instant::now() < deadline {
                    let start = Instant::now();
                    E::sleep(SLEEP).await;
                    let late = start.elapsed().saturating_sub(SLEEP).as_micros() as u64;
                    recorder.lock().unwrap().saturating_record(late.max(1));
                }
                done_tx.send(()).unwrap();
            });
        }
    }
    done_rx.recv().expect("the probe task finished");
    let histogram = histogram.lock().unwrap().clone();
    histogram
}

fn scenario<E: Executor>(workers: usize, scenario: &Scenario, length: Duration) {
    let (runtime, exec) = E::start(workers);
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = start_load(&exec, scenario.load, workers, &stop);
    // Let the load settle on every worker before measuring.
    thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    let before = rounds.load(Relaxed);
    let histogram = run_probe(&exec, scenario.probe, length);
    let rate = (rounds.load(Relaxed) - before) as f64 / started.elapsed().as_secs_f64();
    stop.store(true, Relaxed);
    drop(runtime);
    let load = match scenario.load {
        Load::None => "-".to_owned(),
        _ => format!("{rate:.0}/s"),
    };
    println!(
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        scenario.name,
        E::NAME,
        histogram.value_at_quantile(0.5),
        histogram.value_at_quantile(0.9),
        histogram.value_at_quantile(0.99),
        histogram.value_at_quantile(0.999),
        histogram.len(),
        load,
    );
}

fn main() {
    let workers = corun_benches::worker_count();
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let only = std::env::var("BENCH_ONLY").ok();
    let wanted = |name: &str| only.as_deref().is_none_or(|only| only == name);
    let length = Duration::from_secs(seconds);
    println!(
        "latency in µs, {workers} workers, {LOAD_TASKS_PER_WORKER} load tasks per worker \
         spinning {SPIN:?} per round, {seconds} s per row"
    );
    println!("| scenario | runtime | p50 | p90 | p99 | p99.9 | samples | load rate |");
    println!("|---|---|---|---|---|---|---|---|");
    for case in &SCENARIOS {
        if wanted(Corun::NAME) {
            scenario::<Corun>(workers, case, length);
        }
        if wanted(Tokio::NAME) {
            scenario::<Tokio>(workers, case, length);
        }
        if wanted(AsyncExecutor::NAME) {
            scenario::<AsyncExecutor>(workers, case, length);
        }
    }
}
