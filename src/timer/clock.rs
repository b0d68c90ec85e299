//! `Clock`: converts between `Instant`s and the wheel's 1 ms ticks.
//!
//! Deadlines round *up* to the next tick and "now" rounds *down*, so an entry whose tick
//! has been reached is never due before its deadline: timers never fire early.

use std::time::{Duration, Instant};

const NANOS_PER_TICK: u32 = 1_000_000;
const TICKS_PER_SECOND: u64 = 1_000;

#[derive(Debug)]
pub(crate) struct Clock {
    start: Instant,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            start: Instant::now(),
        }
    }

    /// The first tick at or after `deadline`.
    pub(crate) fn deadline_to_tick(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.start);
        // Whole milliseconds of the seconds, plus the sub-second part rounded up (u64
        // arithmetic: this runs on every timer's registration).
        let subsec = u64::from(since.subsec_nanos().div_ceil(NANOS_PER_TICK));
        since
            .as_secs()
            .saturating_mul(TICKS_PER_SECOND)
            .saturating_add(subsec)
    }

    /// The last tick that has fully begun.
    pub(crate) fn now_tick(&self) -> u64 {
        self.tick_at(Instant::now())
    }

    pub(crate) fn tick_at(&self, now: Instant) -> u64 {
        let since = now.saturating_duration_since(self.start);
        let subsec = u64::from(since.subsec_nanos() / NANOS_PER_TICK);
        since
            .as_secs()
            .saturating_mul(TICKS_PER_SECOND)
            .saturating_add(subsec)
    }

    /// How long from `now` until `tick` begins (zero if it has).
    pub(crate) fn until(&self, tick: u64, now: Instant) -> Duration {
        let at = self.start.checked_add(Duration::from_millis(tick));
        at.map_or(Duration::MAX, |at| at.saturating_duration_since(now))
    }
}

#[cfg(all(test, not(corun_loom)))]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_and_now_rounds_down() {
        let clock = Clock::new();
        let deadline = clock.start + Duration::from_micros(2_300);
        assert_eq!(clock.deadline_to_tick(deadline), 3);
        assert_eq!(clock.tick_at(deadline), 2);
        assert_eq!(
            clock.deadline_to_tick(clock.start + Duration::from_millis(2)),
            2
        );
        assert_eq!(clock.deadline_to_tick(clock.start), 0);
    }

    #[test]
    fn far_deadlines_saturate() {
        let clock = Clock::new();
        let far = clock.start + Duration::from_secs(100 * 365 * 86_400);
        assert!(clock.deadline_to_tick(far) > 1 << 40);
        assert!(clock.until(u64::MAX, clock.start) > Duration::from_secs(1 << 40));
    }
}
