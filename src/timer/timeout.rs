//! `Timeout`: a future with a deadline (`asyncio.wait_for`).

use super::sleep::{sleep, sleep_until, Sleep};
use pin_project_lite::pin_project;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Runs `future` for at most `duration`: `asyncio.wait_for(aw, timeout)`.
///
/// The inner future is polled first, so one that is ready never times out. If the deadline
/// passes first, the inner future is dropped (cancelled) and the result is `Err(Elapsed)`.
/// Dropping the `Timeout` cancels its timer entry. The deadline is on the runtime's
/// clock, as [`sleep`](crate::sleep)'s.
///
/// # Panics
/// Outside a corun runtime, as [`sleep`](crate::sleep).
///
/// ```
/// use std::time::Duration;
///
/// corun::run(async {
///     let quick = corun::timeout(Duration::from_secs(1), async { 7 }).await;
///     assert_eq!(quick, Ok(7));
///
///     let slow = corun::sleep(Duration::from_secs(60));
///     let late = corun::timeout(Duration::from_millis(5), slow).await;
///     assert!(late.is_err());
/// });
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        delay: sleep(duration),
    }
}

/// Runs `future` until `deadline` at the latest. See [`timeout`].
///
/// ```
/// use std::time::{Duration, Instant};
///
/// corun::run(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     let result = corun::timeout_at(deadline, std::future::pending::<()>()).await;
///     assert_eq!(result, Err(corun::Elapsed::new()));
/// });
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        delay: sleep_until(deadline),
    }
}

pin_project! {
    /// The future returned by [`timeout`] and [`timeout_at`].
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corun::run(async {
    ///     let timed: corun::Timeout<_> = corun::timeout(Duration::from_secs(1), async { 3 });
    ///     assert_eq!(timed.await, Ok(3));
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        delay: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The wrapped future.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corun::run(async {
    ///     let t = corun::timeout(Duration::from_secs(1), async { 1 });
    ///     let _inner = t.into_inner();
    /// });
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }

    /// The instant at which the timeout elapses.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// corun::run(async {
    ///     let deadline = Instant::now() + Duration::from_secs(1);
    ///     assert_eq!(corun::timeout_at(deadline, async {}).deadline(), deadline);
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.delay.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(value) = this.future.poll(cx) {
            return Poll::Ready(Ok(value));
        }
        Pin::new(this.delay).poll(cx).map(|()| Err(Elapsed(())))
    }
}

/// The error of a [`Timeout`] whose deadline passed first.
///
/// ```
/// let error = corun::Elapsed::new();
/// assert_eq!(error.to_string(), "deadline has elapsed");
/// let _: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Elapsed(());

impl Elapsed {
    /// An `Elapsed` error, for tests and adapters that need one.
    ///
    /// ```
    /// assert_eq!(corun::Elapsed::new(), corun::Elapsed::default());
    /// ```
    pub fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}
