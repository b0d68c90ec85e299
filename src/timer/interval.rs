//! `Interval`: ticks at a fixed period, with a policy for ticks it falls behind on.

use super::sleep::{after, sleep, sleep_until, Sleep};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How late a tick may be before it counts as missed (as tokio).
const MISSED_TOLERANCE: Duration = Duration::from_millis(5);

/// Ticks every `period`, the first tick at once (now on the runtime's clock, see
/// [`corun::time::now`](crate::time::now)).
///
/// # Panics
/// If `period` is zero, or outside a corun runtime.
///
/// ```
/// use std::time::Duration;
///
/// corun::run(async {
///     let mut ticks = corun::interval(Duration::from_millis(2));
///     let first = ticks.tick().await; // at once
///     let second = ticks.tick().await;
///     assert_eq!(second - first, Duration::from_millis(2));
/// });
/// ```
pub fn interval(period: Duration) -> Interval {
    check_period(period);
    Interval::new(sleep(Duration::ZERO), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
/// If `period` is zero, or outside a corun runtime.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// corun::run(async {
///     let start = Instant::now() + Duration::from_millis(3);
///     let mut ticks = corun::interval_at(start, Duration::from_millis(2));
///     assert_eq!(ticks.tick().await, start);
/// });
/// ```
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    check_period(period);
    Interval::new(sleep_until(start), period)
}

fn check_period(period: Duration) {
    assert!(
        !period.is_zero(),
        "interval period must be non-zero: a zero period would tick in a busy loop"
    );
}

/// What an [`Interval`] does about ticks it missed because the task was late.
///
/// ```
/// use corun::MissedTickBehavior;
/// assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Burst);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks back to back until caught up with the schedule.
    #[default]
    Burst,
    /// Start a new schedule: the next tick is a full period after the late one.
    Delay,
    /// Skip the missed ticks: the next tick is the next one on the original schedule.
    Skip,
}

impl MissedTickBehavior {
    /// The tick after `scheduled`, a tick that completed late, at `now`.
    fn next_tick(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => after(scheduled, period),
            MissedTickBehavior::Delay => after(now, period),
            MissedTickBehavior::Skip => {
                let behind = (now - scheduled).as_nanos() % period.as_nanos();
                // `behind < period`, a `Duration`, so it fits in u64 nanoseconds unless the
                // period is over 584 years; then the next tick is "never" anyway.
                let behind = Duration::from_nanos(u64::try_from(behind).unwrap_or(0));
                after(now, period - behind)
            }
        }
    }
}

/// A stream of ticks at a fixed period; see [`interval`].
///
/// [`tick`](Interval::tick) returns the instant each tick was *scheduled* for, so the
/// schedule stays exact however late the task runs.
///
/// ```
/// use std::time::Duration;
///
/// corun::run(async {
///     let mut ticks: corun::Interval = corun::interval(Duration::from_millis(1));
///     let first = ticks.tick().await;
///     assert!(ticks.tick().await > first);
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    // Boxed so `Interval` is `Unpin` and `tick` can take `&mut self`.
    delay: Pin<Box<Sleep>>,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// An interval whose first tick is `first`'s deadline.
    fn new(first: Sleep, period: Duration) -> Interval {
        Interval {
            delay: Box::pin(first),
            period,
            missed_tick_behavior: MissedTickBehavior::default(),
        }
    }

    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corun::run(async {
    ///     let mut ticks = corun::interval(Duration::from_millis(1));
    ///     let a = ticks.tick().await;
    ///     let b = ticks.tick().await;
    ///     assert!(b > a);
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; for manual `Future`/`Stream` implementations.
    ///
    /// ```
    /// use std::future::{poll_fn, Future};
    /// use std::time::Duration;
    ///
    /// corun::run(async {
    ///     let mut ticks = corun::interval(Duration::from_millis(1));
    ///     let first = poll_fn(|cx| ticks.poll_tick(cx)).await;
    ///     assert!(first <= std::time::Instant::now());
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.delay.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.delay.deadline();
        let now = self.delay.clock_now();
        let next = if now > scheduled + MISSED_TOLERANCE {
            self.missed_tick_behavior
                .next_tick(scheduled, now, self.period)
        } else {
            after(scheduled, self.period)
        };
        self.delay.as_mut().reset(next);
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// corun::run(async {
    ///     let mut ticks = corun::interval(Duration::from_millis(2));
    ///     ticks.tick().await;
    ///     ticks.reset();
    ///     let before = Instant::now();
    ///     assert!(ticks.tick().await >= before);
    /// });
    /// ```
    pub fn reset(&mut self) {
        let now = self.delay.clock_now();
        self.delay.as_mut().reset(after(now, self.period));
    }

    /// The period between ticks.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corun::run(async {
    ///     assert_eq!(corun::interval(Duration::from_secs(1)).period(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The policy for missed ticks.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corun::run(async {
    ///     let ticks = corun::interval(Duration::from_secs(1));
    ///     assert_eq!(ticks.missed_tick_behavior(), corun::MissedTickBehavior::Burst);
    /// });
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets the policy for missed ticks.
    ///
    /// ```
    /// use corun::MissedTickBehavior;
    /// use std::time::Duration;
    ///
    /// corun::run(async {
    ///     let mut ticks = corun::interval(Duration::from_secs(1));
    ///     ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    ///     assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Skip);
    /// });
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}
