//! `as_completed`: outputs as a stream, in completion order.

use super::children::{resume, ChildSet, EachChild};
use crate::task::JoinError;
use futures_core::Stream;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Runs every future as its own task (from the first poll) and yields their outputs as
/// they finish:
/// `asyncio.as_completed(aws)`, as a [`Stream`].
///
/// If a child panics, the others are cancelled and, once they have stopped, the panic
/// resumes in the task polling the stream. Dropping the stream cancels every child still
/// running.
///
/// # Panics
/// Outside a corun runtime, as [`spawn`](crate::spawn).
///
/// ```
/// use futures::StreamExt;
/// use std::time::Duration;
///
/// corun::run(async {
///     let delays = [30u64, 10, 20];
///     let mut done = corun::as_completed(delays.map(|ms| async move {
///         corun::sleep(Duration::from_millis(ms)).await;
///         ms
///     }));
///     let mut order = Vec::new();
///     while let Some(ms) = done.next().await {
///         order.push(ms);
///     }
///     assert_eq!(order.len(), 3);
/// });
/// ```
#[track_caller]
pub fn as_completed<I>(futures: I) -> AsCompleted<I::Item>
where
    I: IntoIterator,
    I::Item: Future + Send + 'static,
    <I::Item as Future>::Output: Send + 'static,
{
    AsCompleted {
        children: ChildSet::<_, EachChild>::new(futures),
        failure: None,
    }
}

/// The stream returned by [`as_completed`].
///
/// ```
/// use futures::StreamExt;
///
/// corun::run(async {
///     let stream: corun::combinators::AsCompleted<_> = corun::as_completed([async { 1 }]);
///     assert_eq!(stream.collect::<Vec<_>>().await, [1]);
/// });
/// ```
#[must_use = "streams do nothing unless polled; dropping it cancels the children"]
pub struct AsCompleted<F: Future> {
    children: ChildSet<F, EachChild>,
    failure: Option<JoinError>,
}

impl<F> Stream for AsCompleted<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    type Item = F::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        let this = self.get_mut();
        if this.failure.is_none() {
            match ready!(this.children.poll_next(cx)) {
                Some((_, Ok(value))) => return Poll::Ready(Some(value)),
                Some((_, Err(error))) => this.failure = Some(error),
                None => return Poll::Ready(None),
            }
        }
        ready!(this.children.poll_cancelled(cx));
        resume(this.failure.take().expect("set before cancelling"))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.children.len()))
    }
}

// The children are moved into tasks on the first poll, never pinned in place.
impl<F: Future> Unpin for AsCompleted<F> {}

impl<F: Future> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("running", &self.children.len())
            .finish()
    }
}
