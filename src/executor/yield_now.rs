//! `yield_now`: give the worker to the other tasks once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields to the scheduler: the task goes to the back of its worker's queue, behind
/// everything that is ready, and resumes after them. asyncio's `await asyncio.sleep(0)`.
///
/// ```
/// corun::run(async {
///     for _ in 0..3 {
///         corun::yield_now().await;
///     }
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
///
/// ```
/// corun::run(async {
///     let yielding: corun::YieldNow = corun::yield_now();
///     yielding.await;
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // A wake during the task's own poll sends it to the back of the local queue.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
