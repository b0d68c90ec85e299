//! `Sleep`: a future that completes at a deadline (`asyncio.sleep`).

use super::driver::{EntryRef, Timer};
use crate::executor::Handle;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

/// Waits until `duration` has passed: `asyncio.sleep(seconds)`.
///
/// The sleep holds no thread: the task is parked in the runtime's timer wheel and woken at
/// its exact deadline (never early; as soon after as a worker gets to it). A duration too
/// long to represent (even `Duration::MAX`) sleeps "forever" (about 30 years) instead of
/// overflowing. The deadline is `duration` after the runtime's clock reads now
/// ([`corun::time::now`](crate::time::now)): the real time, or the virtual time while
/// the clock is [paused](crate::time::pause).
///
/// # Panics
/// Outside a corun runtime: create sleeps inside `corun::run`, `Runtime::block_on`, or a
/// task, or after `Runtime::enter`.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// corun::run(async {
///     let start = Instant::now();
///     corun::sleep(Duration::from_millis(20)).await;
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    let handle = current_handle();
    let now = clock_now(&handle);
    Sleep::new(handle, after(now, duration))
}

/// Waits until `deadline`, an instant on the runtime's clock (see
/// [`corun::time::now`](crate::time::now); the same as `Instant::now()`'s unless the
/// clock was paused).
///
/// # Panics
/// Outside a corun runtime, as [`sleep`].
///
/// ```
/// use std::time::{Duration, Instant};
///
/// corun::run(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     corun::sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(current_handle(), deadline)
}

/// The runtime whose clock and wheel a new timer uses.
/// Now on `handle`'s clock: the real time, unless the runtime's clock can be paused
/// (only then is the timer's clock consulted, which costs a look-up).
#[inline]
pub(crate) fn clock_now(handle: &Handle) -> Instant {
    if handle.clock_control() {
        Timer::of(handle).clock().now_instant()
    } else {
        Instant::now()
    }
}

fn current_handle() -> Handle {
    Handle::try_current().unwrap_or_else(|_| panic!("{NO_RUNTIME_FOR_TIMERS}"))
}

const NO_RUNTIME_FOR_TIMERS: &str = "there is no corun runtime on this thread: create \
     timers (sleep, timeout, interval) inside `corun::run`, `Runtime::block_on` or a task \
     spawned on a runtime, or after `Runtime::enter`";

/// `duration` after `now`, or "never" (30 years on) if that does not fit in an `Instant`.
pub(crate) fn after(now: Instant, duration: Duration) -> Instant {
    now.checked_add(duration).unwrap_or_else(|| far_future(now))
}

/// About 30 years from `now`: "never", for durations that do not fit in an `Instant`.
fn far_future(now: Instant) -> Instant {
    const THIRTY_YEARS: Duration = Duration::from_secs(86_400 * 365 * 30);
    now.checked_add(THIRTY_YEARS)
        .expect("Instant can represent 30 years from now")
}

/// The future returned by [`sleep`] and [`sleep_until`].
///
/// It registers with the timer on its first poll (a sleep whose deadline has passed by
/// then completes without registering), and dropping it cancels the registration in O(1).
/// `Sleep` is `Send + Sync + Unpin`.
///
/// ```
/// use std::time::Duration;
///
/// corun::run(async {
///     let sleep: corun::Sleep = corun::sleep(Duration::from_millis(1));
///     sleep.await;
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    handle: Handle,
    state: State,
}

#[derive(Clone, Copy, Debug)]
enum State {
    /// Not armed yet (or re-armed by `reset` after it had elapsed).
    Unregistered,
    Registered(EntryRef),
    Elapsed,
}

impl Sleep {
    /// A sleep on `handle`'s timer until `deadline`, for callers that hold the handle
    /// already (hyper's timer): no look-up of the current runtime.
    pub(crate) fn new(handle: Handle, deadline: Instant) -> Sleep {
        Sleep {
            deadline,
            handle,
            state: State::Unregistered,
        }
    }

    /// Now on the clock of this sleep's runtime (see [`crate::time::now`]).
    pub(crate) fn clock_now(&self) -> Instant {
        clock_now(&self.handle)
    }

    /// The instant this sleep completes at: exactly the one asked for.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// corun::run(async {
    ///     let deadline = Instant::now() + Duration::from_secs(1);
    ///     assert_eq!(corun::sleep_until(deadline).deadline(), deadline);
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the deadline has passed and the sleep has (or would have) completed.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corun::run(async {
    ///     let mut sleep = corun::sleep(Duration::from_millis(1));
    ///     assert!(!corun::sleep(Duration::from_secs(60)).is_elapsed());
    ///     (&mut sleep).await;
    ///     assert!(sleep.is_elapsed());
    /// });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        match self.state {
            State::Elapsed => true,
            State::Registered(entry) => self.timer().is_fired(entry),
            State::Unregistered => self.clock_now() >= self.deadline,
        }
    }

    /// Moves the deadline to `deadline`, earlier or later, even after the sleep completed.
    /// The timer entry is re-filed in place: no new allocation.
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::time::{Duration, Instant};
    ///
    /// corun::run(async {
    ///     let mut sleep = pin!(corun::sleep(Duration::from_secs(3600)));
    ///     let sooner = Instant::now() + Duration::from_millis(5);
    ///     sleep.as_mut().reset(sooner);
    ///     sleep.as_mut().await;
    ///     assert!(Instant::now() >= sooner);
    /// });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.deadline = deadline;
        this.state = match this.state {
            State::Registered(entry) => {
                let timer = Timer::of(&this.handle);
                timer.reset(entry, timer.clock().nanos(deadline));
                State::Registered(entry)
            }
            State::Unregistered | State::Elapsed => State::Unregistered,
        };
    }

    fn timer(&self) -> &Timer {
        Timer::of(&self.handle)
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let timer = Timer::of(&this.handle);
        let elapsed = match this.state {
            State::Elapsed => true,
            State::Unregistered => {
                // A deadline already passed completes without touching the wheel.
                if this.deadline <= clock_now(&this.handle) {
                    true
                } else {
                    let deadline = timer.clock().nanos(this.deadline);
                    match timer.register(this.handle.worker_index(), deadline, cx.waker()) {
                        Some(entry) => {
                            this.state = State::Registered(entry);
                            false
                        }
                        None => true,
                    }
                }
            }
            State::Registered(entry) => {
                let fired = timer.poll_fired(entry, cx.waker());
                if fired {
                    timer.remove(entry);
                }
                fired
            }
        };
        if !elapsed {
            return Poll::Pending;
        }
        this.state = State::Elapsed;
        // An elapsed sleep is always ready: it spends from the task's cooperative budget.
        ready!(crate::task::poll_spend(cx));
        Poll::Ready(())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let State::Registered(entry) = self.state {
            self.timer().remove(entry);
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
