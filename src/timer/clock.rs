//! `Clock`: the runtime's time line, in nanoseconds since its start, and the paused
//! (virtual) clock that tests can move by hand.
//!
//! An `Instant` is nanosecond-grained, so the conversion is exact: a deadline is the
//! nanoseconds from the start to it, "now" the nanoseconds from the start to now, and an
//! entry due when `deadline <= now` is never early. A deadline before the start is 0 (due
//! at once); a deadline beyond `u64::MAX` nanoseconds (584 years) saturates.
//!
//! # The virtual line
//! Until the clock is first paused, its time is the real time, and reading it costs one
//! relaxed load of `mode` besides the `Instant::now()` itself. Once paused, the time is
//! *virtual*: frozen while paused (it moves only by `advance`, or when the timer
//! auto-advances a quiescent runtime to its next deadline), and after `resume` the real
//! time since the resume plus where the virtual time stood, so it never jumps back. The
//! virtual state lives behind a mutex (`line`): only paused or once-paused runtimes, test
//! runtimes, take it. A virtual instant is the runtime's start plus its virtual
//! nanoseconds, an ordinary `Instant`, so deadlines keep their type and stay exact.

use crate::sync::atomic::{AtomicUsize, Ordering::*};
use crate::sync::Mutex;
use std::time::{Duration, Instant};

/// `mode`: never paused; the clock's time is the real time.
const REAL: usize = 0;
/// `mode`: paused now; `line` holds the frozen time.
const PAUSED: usize = 1;
/// `mode`: paused once and resumed; `line` holds the offset from the real time.
const RESUMED: usize = 2;

#[derive(Debug)]
pub(crate) struct Clock {
    start: Instant,
    /// `REAL`, `PAUSED` or `RESUMED`: mirrors `line`, written under its lock; never goes
    /// back to `REAL`.
    mode: AtomicUsize,
    line: Mutex<Line>,
}

#[derive(Debug, Clone, Copy)]
enum Line {
    /// Frozen at this time.
    Paused(u64),
    /// The real nanoseconds since the start, plus this (negative after a pause that was
    /// not advanced as far as real time went on).
    Running(i64),
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            start: Instant::now(),
            mode: AtomicUsize::new(REAL),
            line: Mutex::new(Line::Running(0)),
        }
    }

    /// `instant` on the wheel's time line.
    pub(crate) fn nanos(&self, instant: Instant) -> u64 {
        let since = instant.saturating_duration_since(self.start);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    }

    /// The `Instant` of `nanos` on the wheel's time line.
    pub(crate) fn instant(&self, nanos: u64) -> Instant {
        self.start
            .checked_add(Duration::from_nanos(nanos))
            .expect("an Instant reaches 584 years past the runtime's start")
    }

    /// The clock's time when the real time is `real`: `real` itself until the clock is
    /// first paused, the virtual time after.
    #[inline]
    pub(crate) fn at(&self, real: Instant) -> u64 {
        // Relaxed: `mode` leaves `REAL` under the `line` lock, which `virtual_at` takes;
        // a thread that a `pause` happened before sees it (coherence), and one racing
        // with the first `pause` reads the real time, as if it had come just before.
        if self.mode.load(Relaxed) == REAL {
            return self.nanos(real);
        }
        self.virtual_at(real)
    }

    /// Now, on the wheel's time line.
    pub(crate) fn now(&self) -> u64 {
        self.at(Instant::now())
    }

    /// Now, as an `Instant` on the clock's line (the real one until first paused).
    #[inline]
    pub(crate) fn now_instant(&self) -> Instant {
        // Relaxed: as in `at`.
        if self.mode.load(Relaxed) == REAL {
            return Instant::now();
        }
        self.instant(self.virtual_at(Instant::now()))
    }

    #[cold]
    fn virtual_at(&self, real: Instant) -> u64 {
        match *self.line.lock() {
            Line::Paused(at) => at,
            Line::Running(offset) => self.nanos(real).saturating_add_signed(offset),
        }
    }

    /// True while the clock is paused. SeqCst: read after the caller's `SeqCst` update of
    /// the idle word (see `Timer::on_idle`); on x86 it is the same plain load as a relaxed
    /// one.
    pub(crate) fn is_paused(&self) -> bool {
        self.mode.load(SeqCst) == PAUSED
    }

    /// A clock paused at its start: virtual time begins at the runtime's first instant, so
    /// a paused runtime's timeline is the same every run (and every loom execution).
    pub(crate) fn new_paused() -> Clock {
        Clock {
            start: Instant::now(),
            mode: AtomicUsize::new(PAUSED),
            line: Mutex::new(Line::Paused(0)),
        }
    }

    /// Freezes the clock at now. False if it was already paused.
    pub(crate) fn pause(&self) -> bool {
        let mut line = self.line.lock();
        let now = match *line {
            Line::Paused(_) => return false,
            Line::Running(offset) => self.nanos(Instant::now()).saturating_add_signed(offset),
        };
        *line = Line::Paused(now);
        self.mode.store(PAUSED, SeqCst);
        true
    }

    /// Lets the clock run again at the real rate, from where it stands. False if it was
    /// not paused.
    pub(crate) fn resume(&self) -> bool {
        let mut line = self.line.lock();
        let Line::Paused(at) = *line else {
            return false;
        };
        let real = self.nanos(Instant::now());
        let offset = i128::from(at) - i128::from(real);
        let offset = i64::try_from(offset).unwrap_or(if offset < 0 { i64::MIN } else { i64::MAX });
        *line = Line::Running(offset);
        self.mode.store(RESUMED, SeqCst);
        true
    }

    /// Moves a paused clock forward to `to` if that is later (auto-advance), and returns
    /// its time. `None` if the clock is not paused.
    pub(crate) fn advance_to(&self, to: u64) -> Option<u64> {
        let mut line = self.line.lock();
        let Line::Paused(at) = *line else {
            return None;
        };
        let at = at.max(to);
        *line = Line::Paused(at);
        Some(at)
    }

    /// Moves a paused clock forward by `by` (saturating), and returns its time. `None`
    /// if the clock is not paused.
    pub(crate) fn advance_by(&self, by: Duration) -> Option<u64> {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let mut line = self.line.lock();
        let Line::Paused(at) = *line else {
            return None;
        };
        let at = at.saturating_add(by);
        *line = Line::Paused(at);
        Some(at)
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
        assert_eq!(clock.instant(2_300_000), deadline);
        assert_eq!(clock.nanos(clock.start), 0);
        assert_eq!(clock.at(clock.start), 0);
    }

    #[test]
    fn a_paused_clock_moves_only_when_told_and_resumes_from_there() {
        let clock = Clock::new();
        assert_eq!(clock.advance_by(Duration::from_secs(1)), None);
        assert!(clock.pause());
        assert!(!clock.pause());
        let frozen = clock.now();
        assert_eq!(clock.at(Instant::now() + Duration::from_secs(5)), frozen);
        let hour = Duration::from_secs(3_600);
        assert_eq!(clock.advance_by(hour), Some(frozen + 3_600_000_000_000));
        assert_eq!(clock.advance_to(frozen), Some(frozen + 3_600_000_000_000));
        assert!(clock.resume());
        assert!(!clock.resume());
        assert!(clock.now() >= frozen + 3_600_000_000_000);
        assert!(clock.now_instant() >= clock.instant(frozen) + hour);
    }
}
