//! `Clock`: converts between `Instant`s and the wheel's nanoseconds since the runtime's
//! start.
//!
//! An `Instant` is nanosecond-grained, so the conversion is exact: a deadline is the
//! nanoseconds from the start to it, "now" the nanoseconds from the start to now, and an
//! entry due when `deadline <= now` is never early. A deadline before the start is 0 (due
//! at once); a deadline beyond `u64::MAX` nanoseconds (584 years) saturates.

use std::time::{Duration, Instant};

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

    /// `instant` on the wheel's time line.
    pub(crate) fn nanos(&self, instant: Instant) -> u64 {
        let since = instant.saturating_duration_since(self.start);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    }

    /// Now, on the wheel's time line.
    pub(crate) fn now(&self) -> u64 {
        self.nanos(Instant::now())
    }

    /// How long from `now` until `nanos` (zero if it has passed).
    pub(crate) fn until(&self, nanos: u64, now: Instant) -> Duration {
        let at = self.start.checked_add(Duration::from_nanos(nanos));
        at.map_or(Duration::MAX, |at| at.saturating_duration_since(now))
    }
}

#[cfg(all(test, not(corun_loom)))]
mod tests {
    use super::*;

    #[test]
    fn conversions_are_exact_and_saturate() {
        let clock = Clock::new();
        let deadline = clock.start + Duration::from_micros(2_300);
        assert_eq!(clock.nanos(deadline), 2_300_000);
        assert_eq!(
            clock.until(2_300_000, clock.start),
            Duration::from_micros(2_300)
        );
        assert_eq!(clock.nanos(clock.start), 0);
        assert!(clock.until(u64::MAX, clock.start) > Duration::from_secs(1 << 30));
    }
}
