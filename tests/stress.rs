//! Stress tests: each scenario runs a storm of one kind of concurrent event through the
//! public API and checks, at the end, that every count matches exactly and that every
//! future and output was dropped exactly once. What each one proves:
//!
//! 1. `cross_thread_wakes`: no lost wakeup. Plain threads ping-pong with tasks through an
//!    atomic turn and stored wakers; each move is only seen if its wake was delivered,
//!    so a single lost wake hangs the test (the watchdog then prints every turn).
//! 2. `spawn_storm`: `Handle::spawn` from many plain threads at once (through the global
//!    queue, racing the workers), with nested spawns; every result checked.
//! 3. `abort_drop_await`: aborting, dropping or awaiting `JoinHandle`s while their tasks
//!    complete on another worker: an awaited handle yields the value or a cancellation
//!    (only the value if never aborted), and nothing leaks or is dropped twice.
//! 4. `sleep_reset_drop`: `Sleep`s reset earlier and later (armed and not), dropped while
//!    armed, or awaited: an awaited sleep never completes before its latest deadline.
//! 5. `groups_fail`: `task_group`s and `supervisor_group`s whose children succeed, fail
//!    or panic: the result is exactly what the documented failure protocol says.
//! 6. `runtime_dropped_mid_storm`: dropping a runtime while tasks spawn and plain threads
//!    spawn and wake: every future is dropped once, every `JoinHandle` resolves.
//! 7. `combinators_settle`: `gather`, `gather_settled`, `as_completed` and `race` over
//!    children that finish on other workers in any order (the window in which a child is
//!    listed before its task completes): outputs in order, each once, panics in their
//!    slots, every child's future dropped once.
//!
//! Each scenario is one function taking a [`Scale`]: the plain `#[test]` is the short run
//! that CI does (well under 2 s in a debug build); the `_full` one is ignored by default:
//!
//! ```sh
//! cargo test --release --test stress -- --ignored
//! ```
//!
//! (About 3 minutes on two cores; `cross_thread_wakes_full`, ten million round trips, and
//! `runtime_dropped_mid_storm_full`, ten thousand runtimes, take most of it.)
//!
//! Randomness comes from a xorshift generator seeded per test (override with
//! `STRESS_SEED=<u64>`); a failing test prints its seed. No test sleeps to let things
//! settle or asserts on timing.
#![allow(clippy::disallowed_types)]

#[path = "stress/combinators.rs"]
mod combinators;
mod common;
#[path = "stress/groups.rs"]
mod groups;
#[path = "stress/handles.rs"]
mod handles;
#[path = "stress/shutdown.rs"]
mod shutdown;
#[path = "stress/timers.rs"]
mod timers;
#[path = "stress/wakes.rs"]
mod wakes;

use std::time::Duration;

/// How big a run is: the short one for every `cargo test`, the full one on request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Short,
    Full,
}

impl Scale {
    /// `short` or `full`, by the scale.
    pub fn pick<T>(self, short: T, full: T) -> T {
        match self {
            Scale::Short => short,
            Scale::Full => full,
        }
    }

    /// The watchdog's limit: the longest full run takes about 70 s alone in release on two
    /// cores (all six together about 3 minutes); ten minutes means it hangs.
    pub fn limit(self) -> Duration {
        self.pick(common::LIMIT, Duration::from_secs(600))
    }
}

/// A xorshift64* generator: deterministic for a seed, and cheap enough to call per event.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // A xorshift state must not be zero.
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform enough in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    /// A generator of its own, for a task: the tasks' choices do not depend on the order
    /// they run in.
    pub fn fork(&mut self) -> Rng {
        Rng::new(self.next_u64())
    }
}

/// The seed of the test `name`: `STRESS_SEED` if set, else one fixed per test.
pub fn seed(name: &str) -> u64 {
    if let Ok(text) = std::env::var("STRESS_SEED") {
        return text.parse().expect("STRESS_SEED is a u64");
    }
    // FNV-1a of the name.
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Prints the seed if the test panics while this is alive.
pub struct SeedReport {
    pub name: &'static str,
    pub seed: u64,
}

impl Drop for SeedReport {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "stress test `{}` failed with seed {}; rerun it with STRESS_SEED={}",
                self.name, self.seed, self.seed
            );
        }
    }
}

/// Yields to the scheduler `n` times.
pub async fn yields(n: u64) {
    for _ in 0..n {
        corun::yield_now().await;
    }
}

#[test]
fn cross_thread_wakes() {
    wakes::cross_thread_wakes(Scale::Short, "cross_thread_wakes");
}

#[test]
#[ignore = "stress: run with --ignored --release"]
fn cross_thread_wakes_full() {
    wakes::cross_thread_wakes(Scale::Full, "cross_thread_wakes_full");
}

#[test]
fn spawn_storm() {
    wakes::spawn_storm(Scale::Short, "spawn_storm");
}

#[test]
#[ignore = "stress: run with --ignored --release"]
fn spawn_storm_full() {
    wakes::spawn_storm(Scale::Full, "spawn_storm_full");
}

#[test]
fn abort_drop_await() {
    handles::abort_drop_await(Scale::Short, "abort_drop_await");
}

#[test]
#[ignore = "stress: run with --ignored --release"]
fn abort_drop_await_full() {
    handles::abort_drop_await(Scale::Full, "abort_drop_await_full");
}

#[test]
fn sleep_reset_drop() {
    timers::sleep_reset_drop(Scale::Short, "sleep_reset_drop");
}

#[test]
#[ignore = "stress: run with --ignored --release"]
fn sleep_reset_drop_full() {
    timers::sleep_reset_drop(Scale::Full, "sleep_reset_drop_full");
}

#[test]
fn groups_fail() {
    groups::groups_fail(Scale::Short, "groups_fail");
}

#[test]
#[ignore = "stress: run with --ignored --release"]
fn groups_fail_full() {
    groups::groups_fail(Scale::Full, "groups_fail_full");
}

#[test]
fn runtime_dropped_mid_storm() {
    shutdown::runtime_dropped_mid_storm(Scale::Short, "runtime_dropped_mid_storm");
}

#[test]
#[ignore = "stress: run with --ignored --release"]
fn runtime_dropped_mid_storm_full() {
    shutdown::runtime_dropped_mid_storm(Scale::Full, "runtime_dropped_mid_storm_full");
}

#[test]
fn combinators_settle() {
    combinators::combinators_settle(Scale::Short, "combinators_settle");
}

#[test]
#[ignore = "stress: run with --ignored --release"]
fn combinators_settle_full() {
    combinators::combinators_settle(Scale::Full, "combinators_settle_full");
}
