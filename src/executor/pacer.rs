//! `Pacer`: when a busy worker looks outside its own queues, on a time budget.
//!
//! A worker with a full local queue (tasks that yield or wake themselves go back into it)
//! would never reach the injector, where work from outside waits, nor let the driver fire
//! timers. So every so many ticks it *checks*: it takes a task from the injector first and
//! lets the driver do what is due. A fixed tick count is the wrong unit: 61 ticks of 100 ns
//! polls is 6 µs, 61 ticks of 50 µs polls is 3 ms. The pacer counts ticks down to the next
//! check and, at each check, reads the clock once and re-tunes the interval so that checks
//! come every [`TARGET`] of work: an exponentially weighted moving average of the time per
//! tick over the last windows, and `TARGET / average` ticks until the next check (at least
//! 1, at most [`MAX_INTERVAL`]). One clock read per window: with short polls the window is
//! long and the read is noise; with long polls the window is a single tick and the read is
//! small next to the poll. (tokio tunes its global-queue interval the same way, aiming at
//! 200 µs; corun aims lower, since a check is cheap.)
//!
//! Parking breaks the measurement (a parked stretch is not work): the worker restarts the
//! window when it wakes. The pacer also keeps when the worker last woke, so that the
//! worker can add up its busy time at each park (`metrics.rs`).

use std::time::{Duration, Instant};

/// The work between two checks the pacer aims at.
#[cfg_attr(corun_loom, allow(dead_code))]
pub(super) const TARGET: Duration = Duration::from_micros(50);

/// The most ticks between two checks, however short the polls: what a fixed interval used
/// to be, so short polls behave as before.
const MAX_INTERVAL: u32 = 61;

/// Under loom the pacer reads no clock (a model must not depend on time): it checks every
/// other tick, so that small models reach a check.
#[cfg(corun_loom)]
const LOOM_INTERVAL: u32 = 2;

/// Weight of the newest window in the moving average, as `1 / 2^EWMA_SHIFT`.
#[cfg_attr(corun_loom, allow(dead_code))]
const EWMA_SHIFT: u32 = 2;

#[derive(Debug)]
pub(super) struct Pacer {
    /// Ticks left until the next check.
    countdown: u32,
    /// Ticks in the current window.
    interval: u32,
    /// When the current window began.
    window_start: Instant,
    /// When the worker last woke from a park (or started).
    awake_since: Instant,
    /// The moving average of the time per tick, in nanoseconds.
    #[cfg_attr(corun_loom, allow(dead_code))]
    tick_nanos: u64,
}

impl Pacer {
    pub(super) fn new() -> Pacer {
        let now = Instant::now();
        Pacer {
            countdown: MAX_INTERVAL,
            interval: MAX_INTERVAL,
            window_start: now,
            awake_since: now,
            tick_nanos: 0,
        }
    }

    /// Counts one tick; true when this tick is a check. The check's clock reading, if the
    /// caller needs "now", is [`Pacer::last_check`].
    #[inline]
    pub(super) fn tick(&mut self) -> bool {
        self.countdown -= 1;
        if self.countdown > 0 {
            return false;
        }
        self.retune();
        true
    }

    /// When the last check (or wake-up) happened.
    pub(super) fn last_check(&self) -> Instant {
        self.window_start
    }

    /// The worker woke from a park: what came before was not work.
    pub(super) fn restart(&mut self) {
        if cfg!(not(corun_loom)) {
            self.window_start = Instant::now();
            self.awake_since = self.window_start;
        }
        self.countdown = self.interval;
    }

    /// The worker is about to park: how long it has been awake since it last woke, for
    /// its busy time. One clock read, on the way to a sleep (none under loom: zero).
    pub(super) fn awake(&self) -> Duration {
        if cfg!(corun_loom) {
            return Duration::ZERO;
        }
        self.awake_since.elapsed()
    }

    #[cfg(corun_loom)]
    fn retune(&mut self) {
        self.interval = LOOM_INTERVAL;
        self.countdown = LOOM_INTERVAL;
    }

    #[cfg(not(corun_loom))]
    #[cold]
    fn retune(&mut self) {
        let now = Instant::now();
        let window = now.saturating_duration_since(self.window_start);
        let per_tick =
            u64::try_from(window.as_nanos() / u128::from(self.interval)).unwrap_or(u64::MAX);
        self.tick_nanos = if self.tick_nanos == 0 {
            per_tick
        } else {
            self.tick_nanos - (self.tick_nanos >> EWMA_SHIFT) + (per_tick >> EWMA_SHIFT)
        };
        let target = TARGET.as_nanos() as u64;
        self.interval = (target / self.tick_nanos.max(1)).clamp(1, u64::from(MAX_INTERVAL)) as u32;
        self.countdown = self.interval;
        self.window_start = now;
    }
}

#[cfg(all(test, not(corun_loom)))]
mod tests {
    use super::*;

    fn window(pacer: &mut Pacer, tick: Duration) -> u32 {
        let mut ticks = 0;
        loop {
            // Simulated work: move the window's start back instead of sleeping.
            pacer.window_start -= tick;
            ticks += 1;
            if pacer.tick() {
                return ticks;
            }
        }
    }

    #[test]
    fn long_polls_check_every_tick_and_short_ones_at_the_cap() {
        let mut pacer = Pacer::new();
        for _ in 0..8 {
            window(&mut pacer, Duration::from_micros(200));
        }
        assert_eq!(window(&mut pacer, Duration::from_micros(200)), 1);
        // The average forgets the long polls a quarter per window.
        for _ in 0..64 {
            window(&mut pacer, Duration::from_nanos(100));
        }
        assert_eq!(window(&mut pacer, Duration::from_nanos(100)), MAX_INTERVAL);
    }

    #[test]
    fn medium_polls_check_about_every_target() {
        let mut pacer = Pacer::new();
        for _ in 0..16 {
            window(&mut pacer, Duration::from_micros(10));
        }
        let ticks = window(&mut pacer, Duration::from_micros(10));
        assert!(
            (4..=6).contains(&ticks),
            "{ticks} ticks of 10 us between checks"
        );
    }
}
