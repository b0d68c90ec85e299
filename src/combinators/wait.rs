//! `wait`: wait for some of the children, keep the rest (`asyncio.wait`).

use super::children::{resume, ChildSet, EachChild};
use crate::task::JoinError;
use futures_core::TryFuture;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// When [`wait`] returns, like `asyncio.wait`'s `return_when`.
///
/// ```
/// use corun::ReturnWhen;
///
/// corun::run(async {
///     let (done, _) = corun::wait([async { Ok::<_, ()>(1) }], ReturnWhen::FirstError).await;
///     assert_eq!(done, [(0, Ok(1))]);
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as any child has finished.
    FirstCompleted,
    /// As soon as any child has returned `Err`, or when all have finished.
    FirstError,
    /// When every child has finished.
    AllCompleted,
}

/// Runs every future as its own task and waits until `when` holds. Returns the finished
/// children, as `(argument index, output)` in completion order, and the [`Pending`] rest.
///
/// Children return `Result`s: `Err` is what [`ReturnWhen::FirstError`] waits for (wrap
/// infallible outputs in `Ok`). A child panic cancels every other child and then resumes in
/// the awaiting task. Dropping the returned future, or the `Pending` set, cancels the
/// children still running in it.
///
/// # Panics
/// Outside a corun runtime, as [`spawn`](crate::spawn).
///
/// ```
/// use corun::ReturnWhen;
/// use std::time::Duration;
///
/// corun::run(async {
///     let delays = [50u64, 1, 60];
///     let tasks = delays.map(|ms| async move {
///         corun::sleep(Duration::from_millis(ms)).await;
///         Ok::<_, ()>(ms)
///     });
///     let (done, pending) = corun::wait(tasks, ReturnWhen::FirstCompleted).await;
///     assert_eq!(done[0], (1, Ok(1)));
///     let (rest, pending) = pending.wait(ReturnWhen::AllCompleted).await;
///     assert_eq!(done.len() + rest.len(), 3);
///     assert!(pending.is_empty());
/// });
/// ```
#[track_caller]
pub fn wait<I, T, E>(futures: I, when: ReturnWhen) -> Wait<I::Item>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    Pending {
        children: ChildSet::<_, EachChild>::new(futures),
    }
    .wait(when)
}

/// Children that [`wait`] left running. Dropping it cancels them.
///
/// ```
/// use corun::ReturnWhen;
///
/// corun::run(async {
///     let (_, pending) = corun::wait([async { Ok::<_, ()>(1) }], ReturnWhen::AllCompleted).await;
///     let pending: corun::combinators::Pending<_> = pending;
///     assert!(pending.is_empty());
/// });
/// ```
pub struct Pending<F: TryFuture> {
    children: ChildSet<F, EachChild>,
}

impl<F: TryFuture> Pending<F> {
    /// How many children are still running (or finished but not yet collected).
    ///
    /// ```
    /// use corun::ReturnWhen;
    ///
    /// corun::run(async {
    ///     let (_, pending) = corun::wait([async { Ok::<_, ()>(1) }], ReturnWhen::AllCompleted).await;
    ///     assert_eq!(pending.len(), 0);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// True if no child is left.
    ///
    /// ```
    /// use corun::ReturnWhen;
    ///
    /// corun::run(async {
    ///     let (_, pending) = corun::wait([async { Ok::<_, ()>(1) }], ReturnWhen::AllCompleted).await;
    ///     assert!(pending.is_empty());
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits again, on the children left.
    ///
    /// ```
    /// use corun::ReturnWhen;
    ///
    /// corun::run(async {
    ///     let (first, pending) =
    ///         corun::wait((0..3).map(|n| async move { Ok::<_, ()>(n) }), ReturnWhen::FirstCompleted).await;
    ///     let (rest, _) = pending.wait(ReturnWhen::AllCompleted).await;
    ///     assert_eq!(first.len() + rest.len(), 3);
    /// });
    /// ```
    #[track_caller]
    pub fn wait(self, when: ReturnWhen) -> Wait<F> {
        Wait {
            pending: Some(self),
            done: Vec::new(),
            when,
            failure: None,
        }
    }
}

/// The future returned by [`wait`] and [`Pending::wait`].
///
/// ```
/// use corun::ReturnWhen;
///
/// corun::run(async {
///     let wait: corun::combinators::Wait<_> = corun::wait([async { Ok::<_, ()>(1) }], ReturnWhen::AllCompleted);
///     assert_eq!(wait.await.0.len(), 1);
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them; dropping it cancels the children"]
pub struct Wait<F: TryFuture> {
    pending: Option<Pending<F>>,
    done: Vec<Done<F>>,
    when: ReturnWhen,
    failure: Option<JoinError>,
}

/// A finished child: its argument index and its output.
type Done<F> = (usize, Result<<F as TryFuture>::Ok, <F as TryFuture>::Error>);

/// The finished children, in completion order, and the ones still running.
type WaitOutput<F> = (Vec<Done<F>>, Pending<F>);

impl<F, T, E> Future for Wait<F>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    type Output = WaitOutput<F>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let children = &mut this
            .pending
            .as_mut()
            .expect("polled after completion")
            .children;
        while this.failure.is_none() {
            match children.poll_next(cx) {
                Poll::Ready(Some((index, Ok(output)))) => {
                    let failed = output.is_err();
                    this.done.push((index, output));
                    let satisfied = match this.when {
                        ReturnWhen::FirstCompleted => true,
                        ReturnWhen::FirstError => failed,
                        ReturnWhen::AllCompleted => false,
                    };
                    // Keep collecting what is already finished, then return.
                    if satisfied {
                        this.when = ReturnWhen::FirstCompleted;
                    }
                }
                Poll::Ready(Some((_, Err(error)))) => this.failure = Some(error),
                Poll::Ready(None) => break,
                Poll::Pending
                    if this.when == ReturnWhen::FirstCompleted && !this.done.is_empty() =>
                {
                    break
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        if let Some(error) = this.failure.take() {
            if children.poll_cancelled(cx).is_pending() {
                this.failure = Some(error);
                return Poll::Pending;
            }
            resume(error);
        }
        let pending = this.pending.take().expect("checked above");
        Poll::Ready((std::mem::take(&mut this.done), pending))
    }
}

// Neither the children (moved into tasks on the first poll) nor the collected outputs are
// ever pinned in place.
impl<F: TryFuture> Unpin for Wait<F> {}
impl<F: TryFuture> Unpin for Pending<F> {}

impl<F: TryFuture> fmt::Debug for Pending<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("running", &self.children.len())
            .finish()
    }
}

impl<F: TryFuture> fmt::Debug for Wait<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("when", &self.when)
            .field("done", &self.done.len())
            .finish_non_exhaustive()
    }
}
