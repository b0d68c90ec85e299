//! `gather`, `try_gather` and `gather_settled`: run futures as concurrent tasks and collect
//! their outputs in argument order (`asyncio.gather`).

use super::children::{resume, AllOrErr, AllOrPanic, ChildSet};
use crate::task::JoinError;
use futures_core::TryFuture;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Runs every future as its own task, on all workers at once, and returns their outputs in
/// argument order: `asyncio.gather(*aws)`.
///
/// The tasks start when the returned future is first polled. If a child panics,
/// the others are cancelled, and once they have stopped the panic resumes in the awaiting
/// task with its original payload. Dropping the returned future cancels every child.
///
/// For futures of different types use [`gather!`](crate::gather!).
///
/// # Panics
/// Outside a corun runtime, as [`spawn`](crate::spawn).
///
/// ```
/// corun::run(async {
///     let squares = corun::gather((1..=4u64).map(|n| async move { n * n })).await;
///     assert_eq!(squares, [1, 4, 9, 16]);
/// });
/// ```
#[track_caller]
pub fn gather<I>(futures: I) -> Gather<I::Item>
where
    I: IntoIterator,
    I::Item: Future + Send + 'static,
    <I::Item as Future>::Output: Send + 'static,
{
    // Woken once all are done, or at a panic (no output is a failure).
    let children = ChildSet::<_, AllOrPanic>::new(futures);
    let results = (0..children.len()).map(|_| None).collect();
    Gather {
        children,
        results,
        failure: None,
    }
}

/// The future returned by [`gather`].
///
/// ```
/// corun::run(async {
///     let gather: corun::combinators::Gather<_> = corun::gather(['a', 'b'].map(|c| async move { c }));
///     assert_eq!(gather.await, ['a', 'b']);
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them; dropping it cancels the children"]
pub struct Gather<F: Future> {
    children: ChildSet<F, AllOrPanic>,
    results: Vec<Option<F::Output>>,
    failure: Option<JoinError>,
}

impl<F> Future for Gather<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        while this.failure.is_none() {
            match ready!(this.children.poll_next(cx)) {
                Some((index, Ok(value))) => this.results[index] = Some(value),
                Some((_, Err(error))) => this.failure = Some(error),
                None => return Poll::Ready(take_all(&mut this.results)),
            }
        }
        ready!(this.children.poll_cancelled(cx));
        resume(this.failure.take().expect("set before cancelling"))
    }
}

fn take_all<T>(results: &mut Vec<Option<T>>) -> Vec<T> {
    std::mem::take(results)
        .into_iter()
        .map(|result| result.expect("every child finished"))
        .collect()
}

/// Like [`gather`], for children that return `Result`: the first `Err` cancels every other
/// child and, once they have stopped, is returned. Unlike Python's `gather`, no orphan
/// keeps running after the failure.
///
/// # Panics
/// Outside a corun runtime; and, after cancelling the other children, with a child's panic.
///
/// ```
/// corun::run(async {
///     let all_ok = corun::try_gather((1..=3).map(|n| async move { Ok::<_, String>(n) })).await;
///     assert_eq!(all_ok, Ok(vec![1, 2, 3]));
///
///     let one_fails = corun::try_gather((1..=3).map(|n| async move {
///         if n == 2 { Err(format!("task {n} failed")) } else { Ok(n) }
///     }));
///     assert_eq!(one_fails.await, Err("task 2 failed".to_owned()));
/// });
/// ```
#[track_caller]
pub fn try_gather<I, T, E>(futures: I) -> TryGather<I::Item>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    // Woken once all are done, or at the first `Err` or panic.
    let children = ChildSet::<_, AllOrErr>::new(futures);
    let results = (0..children.len()).map(|_| None).collect();
    TryGather {
        children,
        results,
        failure: None,
    }
}

/// The future returned by [`try_gather`].
///
/// ```
/// corun::run(async {
///     let all: corun::combinators::TryGather<_> = corun::try_gather([async { Ok::<_, ()>(1) }]);
///     assert_eq!(all.await, Ok(vec![1]));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them; dropping it cancels the children"]
pub struct TryGather<F: TryFuture> {
    children: ChildSet<F, AllOrErr>,
    results: Vec<Option<F::Ok>>,
    failure: Option<Result<F::Error, JoinError>>,
}

impl<F, T, E> Future for TryGather<F>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        while this.failure.is_none() {
            match ready!(this.children.poll_next(cx)) {
                Some((index, Ok(Ok(value)))) => this.results[index] = Some(value),
                Some((_, Ok(Err(error)))) => this.failure = Some(Ok(error)),
                Some((_, Err(error))) => this.failure = Some(Err(error)),
                None => return Poll::Ready(Ok(take_all(&mut this.results))),
            }
        }
        ready!(this.children.poll_cancelled(cx));
        match this.failure.take().expect("set before cancelling") {
            Ok(error) => Poll::Ready(Err(error)),
            Err(join_error) => resume(join_error),
        }
    }
}

/// Runs every future as its own task and waits for all of them, whatever happens to each:
/// `asyncio.gather(*aws, return_exceptions=True)`.
///
/// Each slot holds the child's output, or the [`JoinError`] that says it panicked or was
/// cancelled; a panic does not cancel the siblings. Dropping the future cancels them.
///
/// # Panics
/// Outside a corun runtime, as [`spawn`](crate::spawn).
///
/// ```
/// corun::run(async {
///     let settled = corun::gather_settled((0..3).map(|n| async move {
///         assert_ne!(n, 1, "task {n} fails");
///         n * 10
///     }))
///     .await;
///     assert_eq!(settled[0].as_ref().ok(), Some(&0));
///     assert!(settled[1].as_ref().unwrap_err().is_panic());
///     assert_eq!(settled[2].as_ref().ok(), Some(&20));
/// });
/// ```
#[track_caller]
pub fn gather_settled<I>(futures: I) -> GatherSettled<I::Item>
where
    I: IntoIterator,
    I::Item: Future + Send + 'static,
    <I::Item as Future>::Output: Send + 'static,
{
    // Woken once all are done (or earlier, harmlessly, when one panics).
    let children = ChildSet::<_, AllOrPanic>::new(futures);
    let results = (0..children.len()).map(|_| None).collect();
    GatherSettled { children, results }
}

/// The future returned by [`gather_settled`].
///
/// ```
/// corun::run(async {
///     let settled: corun::combinators::GatherSettled<_> = corun::gather_settled([async { 1 }]);
///     assert_eq!(settled.await[0].as_ref().ok(), Some(&1));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them; dropping it cancels the children"]
pub struct GatherSettled<F: Future> {
    children: ChildSet<F, AllOrPanic>,
    results: Vec<Option<Result<F::Output, JoinError>>>,
}

impl<F> Future for GatherSettled<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    type Output = Vec<Result<F::Output, JoinError>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        while let Some((index, result)) = ready!(this.children.poll_next(cx)) {
            this.results[index] = Some(result);
        }
        Poll::Ready(take_all(&mut this.results))
    }
}

// Neither the children (moved into tasks on the first poll) nor the outputs collected so
// far are ever pinned in place.
impl<F: Future> Unpin for Gather<F> {}
impl<F: TryFuture> Unpin for TryGather<F> {}
impl<F: Future> Unpin for GatherSettled<F> {}

macro_rules! debug_children {
    ($($name:ident: $bound:ident),+) => {$(
        impl<F: $bound> fmt::Debug for $name<F> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("running", &self.children.len())
                    .finish_non_exhaustive()
            }
        }
    )+};
}
debug_children!(Gather: Future, TryGather: TryFuture, GatherSettled: Future);
