//! `move_on_after` and `move_on_at`: a deadline that ends the work quietly (Trio's cancel
//! scopes of those names).

use super::timeout::{timeout, timeout_at, Timeout};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Runs `future` for at most `duration`: `Some(output)`, or `None` if the time ran out
/// first, and then `future` was dropped (cancelled) where it was waiting.
///
/// The quiet form of [`timeout`](crate::timeout), for work worth doing while there is
/// time, where running out of it is not an error: Trio's `move_on_after`. A duration too
/// long to represent waits "forever", as [`sleep`](crate::sleep) does.
///
/// # Panics
/// Outside a corun runtime, as [`sleep`](crate::sleep).
///
/// ```
/// use std::time::Duration;
///
/// corun::run(async {
///     let quick = corun::move_on_after(Duration::from_secs(1), async { 7 }).await;
///     assert_eq!(quick, Some(7));
///
///     let never = std::future::pending::<u32>();
///     assert_eq!(corun::move_on_after(Duration::from_millis(5), never).await, None);
/// });
/// ```
pub fn move_on_after<F: Future>(duration: Duration, future: F) -> MoveOn<F> {
    MoveOn {
        timed: timeout(duration, future),
    }
}

/// Runs `future` until `deadline` at the latest; see [`move_on_after`].
///
/// ```
/// use std::time::{Duration, Instant};
///
/// corun::run(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     let gave_up = corun::move_on_at(deadline, std::future::pending::<()>()).await;
///     assert_eq!(gave_up, None);
///     assert!(Instant::now() >= deadline);
/// });
/// ```
pub fn move_on_at<F: Future>(deadline: Instant, future: F) -> MoveOn<F> {
    MoveOn {
        timed: timeout_at(deadline, future),
    }
}

pin_project! {
    /// The future returned by [`move_on_after`] and [`move_on_at`].
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corun::run(async {
    ///     let work: corun::MoveOn<_> = corun::move_on_after(Duration::from_secs(1), async { 3 });
    ///     assert!(work.deadline() > std::time::Instant::now());
    ///     assert_eq!(work.await, Some(3));
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    #[derive(Debug)]
    pub struct MoveOn<F> {
        #[pin]
        timed: Timeout<F>,
    }
}

impl<F> MoveOn<F> {
    /// The instant at which the work is given up.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// corun::run(async {
    ///     let deadline = Instant::now() + Duration::from_secs(1);
    ///     assert_eq!(corun::move_on_at(deadline, async {}).deadline(), deadline);
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.timed.deadline()
    }
}

impl<F: Future> Future for MoveOn<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        self.project().timed.poll(cx).map(Result::ok)
    }
}
