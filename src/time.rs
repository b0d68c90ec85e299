//! The runtime's clock, and pausing it: deterministic time for tests.
//!
//! Every runtime has a clock, which its timers ([`sleep`](crate::sleep),
//! [`timeout`](crate::timeout), [`interval`](crate::interval),
//! [`move_on_after`](crate::move_on_after)) measure their deadlines on. A runtime built
//! with [`Builder::start_paused(true)`](crate::Builder::start_paused) (or a
//! `#[corun::test(start_paused = true)]`) starts with its clock paused, and its clock can
//! be [resumed](resume) and [paused](pause) again; on any other runtime the clock is the
//! real one, always. A paused clock reads *virtual* time, which stands still and moves
//! only:
//!
//! - by [`advance`], which moves it forward and fires the timers that came due;
//! - by itself, when the runtime is *quiescent*: no task is running or queued on any
//!   worker, no blocking closure runs or waits for a thread, and no `block_on` future is
//!   being polled. Time then jumps to the next timer's deadline and fires it (tokio calls
//!   this auto-advance). So a test of a one-hour timeout runs in microseconds, and timers
//!   fire in deadline order, one deadline at a time, every run the same.
//!
//! [`resume`] lets the clock run at the real rate again, from the virtual instant it
//! reached. Virtual instants are ordinary `Instant`s (the runtime's start plus the virtual
//! time elapsed), so `Sleep::deadline`, `sleep_until` and the rest keep their types:
//! compute deadlines from [`now`], not `Instant::now()`, which keeps reading the real
//! clock.
//!
//! Why only runtimes built for it: auto-advance must know that nothing runs outside the
//! workers, so such a runtime counts its blocking closures and `block_on` threads as they
//! start and stop, from its first moment on. Every other runtime skips that bookkeeping.
//!
//! The quiescence check sees the runtime's own threads only: a thread of your own that is
//! about to wake a task (a `std::thread` sending on a channel) is invisible to it, so time
//! may jump ahead first. Keep such work in tasks or in [`spawn_blocking`](crate::spawn_blocking).
//!
//! ```
//! use std::time::Duration;
//!
//! let rt = corun::Runtime::builder().worker_threads(2).start_paused(true).build().unwrap();
//! rt.block_on(async {
//!     let start = corun::time::now();
//!     let slow = corun::sleep(Duration::from_secs(3_600));
//!     let result = corun::timeout(Duration::from_secs(60), slow).await;
//!     assert!(result.is_err()); // after one virtual minute, at once in real time
//!     assert_eq!(corun::time::now() - start, Duration::from_secs(60));
//! });
//! ```

use crate::executor::Handle;
use crate::timer::Timer;
use std::time::{Duration, Instant};

/// The current runtime, or a panic that names `caller`.
fn current(caller: &str) -> Handle {
    Handle::try_current().unwrap_or_else(|_| {
        panic!(
            "corun::time::{caller}: there is no corun runtime on this thread: call it inside \
             `corun::run`, `Runtime::block_on` or a task, or after `Runtime::enter`"
        )
    })
}

/// The current runtime's timer, or a panic that names `caller`.
fn current_timer<R>(caller: &str, f: impl FnOnce(&Timer) -> R) -> R {
    f(Timer::of(&current(caller)))
}

/// Pauses the current runtime's clock again, after [`resume`]: from now on time moves
/// only by [`advance`], or by jumping to the next deadline when the runtime is quiescent
/// (see the [module docs](self)). Pausing a paused clock does nothing.
///
/// # Panics
/// Outside a corun runtime, and on a runtime not built with
/// [`Builder::start_paused(true)`](crate::Builder::start_paused): only such a runtime
/// tracks what auto-advance must wait for.
///
/// ```
/// use std::time::Duration;
///
/// let rt = corun::Runtime::builder().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     corun::time::resume();
///     corun::sleep(Duration::from_millis(1)).await; // real time
///     corun::time::pause();
///     let before = corun::time::now();
///     std::thread::sleep(Duration::from_millis(5));
///     assert_eq!(corun::time::now(), before); // stands still
/// });
/// ```
pub fn pause() {
    let handle = current("pause");
    assert!(
        handle.clock_control(),
        "corun::time::pause: this runtime's clock cannot be paused: build the runtime with \
         Builder::start_paused(true) (or use #[corun::test(start_paused = true)]), and \
         call corun::time::resume() if it should start running"
    );
    Timer::of(&handle).pause();
}

/// Lets the current runtime's clock run at the real rate again, continuing from the
/// virtual instant it reached (it never jumps back). Resuming a running clock does
/// nothing.
///
/// # Panics
/// Outside a corun runtime.
///
/// ```
/// use std::time::Duration;
///
/// let rt = corun::Runtime::builder().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     corun::time::advance(Duration::from_secs(10));
///     let virtual_now = corun::time::now();
///     corun::time::resume();
///     assert!(!corun::time::is_paused());
///     corun::sleep(Duration::from_millis(2)).await; // real time again
///     assert!(corun::time::now() >= virtual_now + Duration::from_millis(2));
/// });
/// ```
pub fn resume() {
    current_timer("resume", |timer| timer.resume());
}

/// Moves the current runtime's paused clock forward by `duration` and fires every timer
/// that is now due, so that their tasks are scheduled when this returns (they run once a
/// worker gets to them). Timers due later stay pending. Saturates instead of overflowing.
///
/// # Panics
/// Outside a corun runtime, or if the clock is not paused: build the runtime with
/// [`Builder::start_paused(true)`](crate::Builder::start_paused), and call [`pause`] after
/// a [`resume`].
///
/// ```
/// use std::future::{poll_fn, Future};
/// use std::pin::pin;
/// use std::task::Poll;
/// use std::time::Duration;
///
/// let rt = corun::Runtime::builder().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let mut soon = pin!(corun::sleep(Duration::from_secs(1)));
///     let mut later = pin!(corun::sleep(Duration::from_secs(3)));
///     // Poll both once, so they are armed.
///     poll_fn(|cx| {
///         let _ = soon.as_mut().poll(cx);
///         let _ = later.as_mut().poll(cx);
///         Poll::Ready(())
///     })
///     .await;
///     corun::time::advance(Duration::from_secs(2));
///     assert!(soon.is_elapsed());
///     assert!(!later.is_elapsed());
/// });
/// ```
pub fn advance(duration: Duration) {
    let advanced = current_timer("advance", |timer| timer.advance(duration));
    assert!(
        advanced,
        "corun::time::advance: the clock is not paused: build the runtime with \
         Builder::start_paused(true), and call corun::time::pause() after a resume()"
    );
}

/// Now, on the current runtime's clock: the real time (`Instant::now()`) on a runtime
/// whose clock cannot be paused, the virtual time on one that can. Timer deadlines are on
/// this clock.
///
/// # Panics
/// Outside a corun runtime.
///
/// ```
/// use std::time::Duration;
///
/// let rt = corun::Runtime::builder().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let start = corun::time::now();
///     let sleep = corun::sleep(Duration::from_secs(5));
///     assert_eq!(sleep.deadline(), start + Duration::from_secs(5));
///     sleep.await;
///     assert_eq!(corun::time::now(), start + Duration::from_secs(5));
/// });
/// ```
pub fn now() -> Instant {
    current_timer("now", |timer| timer.clock().now_instant())
}

/// True while the current runtime's clock is paused.
///
/// # Panics
/// Outside a corun runtime.
///
/// ```
/// corun::run(async { assert!(!corun::time::is_paused()) });
///
/// let rt = corun::Runtime::builder().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     assert!(corun::time::is_paused());
///     corun::time::resume();
///     assert!(!corun::time::is_paused());
/// });
/// ```
pub fn is_paused() -> bool {
    current_timer("is_paused", |timer| timer.clock().is_paused())
}
