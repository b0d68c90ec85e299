//! `task_group` and `supervisor_group`: the group's future, which runs the body, waits for
//! every child and turns what happened into the result.

use super::error::GroupError;
use super::handle::{Shared, TaskGroup};
use super::state::Phase;
use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

/// Structured concurrency: `async with asyncio.TaskGroup() as tg`.
///
/// Calls `body` with a [`TaskGroup`] to spawn children on, runs the body's future inside
/// this one (not as a separate task), and resolves only once every child has finished.
///
/// - The first child `Err` or panic cancels every other child and the body at their next
///   await point; so does the body's own `Err`.
/// - On success: `Ok(body's value)`. Otherwise `Err(GroupError)` with every error, first
///   one first, and how many children were cancelled. A child panic is resumed here, with
///   its payload, after the others have been cancelled and joined.
/// - Dropping the group's future (say, under [`timeout`](crate::timeout)) cancels every
///   child.
///
/// # Panics
/// Spawning children outside a corun runtime panics, as [`spawn`](crate::spawn).
///
/// ```
/// use std::time::Duration;
///
/// corun::run(async {
///     let result = corun::task_group(|tg| async move {
///         tg.spawn(async {
///             corun::sleep(Duration::from_secs(60)).await; // cancelled by the failure
///             Ok(())
///         });
///         tg.spawn(async { Err::<(), _>("the second child fails") });
///         Ok(())
///     })
///     .await;
///     let error = result.unwrap_err();
///     assert_eq!(error.first(), Some(&"the second child fails"));
///     assert_eq!(error.cancelled(), 1);
/// });
/// ```
pub fn task_group<F, Fut, T, E>(body: F) -> Scope<Fut, T, E>
where
    F: FnOnce(TaskGroup<E>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Send + 'static,
{
    Scope::new(body, false)
}

/// A group whose children's failures do not cancel their siblings (Kotlin's
/// `supervisorScope`): it still waits for every child and returns every error. The body's
/// own `Err`, a panic's resumption and [`TaskGroup::cancel`] work as in [`task_group`].
///
/// ```
/// corun::run(async {
///     let result = corun::supervisor_group(|tg| async move {
///         let ok = tg.spawn(async { Ok(1) });
///         tg.spawn(async { Err::<i32, _>("one child fails") });
///         Ok(ok.await.unwrap())
///     })
///     .await;
///     let error = result.unwrap_err();
///     assert_eq!(error.errors(), ["one child fails"]);
///     assert_eq!(error.cancelled(), 0);
/// });
/// ```
pub fn supervisor_group<F, Fut, T, E>(body: F) -> Scope<Fut, T, E>
where
    F: FnOnce(TaskGroup<E>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Send + 'static,
{
    Scope::new(body, true)
}

/// The future returned by [`task_group`] and [`supervisor_group`].
///
/// ```
/// corun::run(async {
///     let scope: corun::group::Scope<_, _, ()> = corun::task_group(|_tg| async { Ok(5) });
///     assert_eq!(scope.await.unwrap(), 5);
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them; dropping it cancels the children"]
pub struct Scope<Fut, T, E: Send + 'static> {
    shared: Arc<Shared<E>>,
    /// The body, until it finishes or is cancelled. Boxed so the scope is `Unpin`.
    body: Option<Pin<Box<Fut>>>,
    value: Option<T>,
    finished: bool,
}

impl<Fut, T, E> Scope<Fut, T, E>
where
    Fut: Future<Output = Result<T, E>>,
    E: Send + 'static,
{
    fn new<F: FnOnce(TaskGroup<E>) -> Fut>(body: F, supervisor: bool) -> Scope<Fut, T, E> {
        let shared = Arc::new(Shared::new(supervisor));
        let body = body(TaskGroup::new(shared.clone()));
        Scope {
            shared,
            body: Some(Box::pin(body)),
            value: None,
            finished: false,
        }
    }
}

impl<Fut, T, E> Future for Scope<Fut, T, E>
where
    Fut: Future<Output = Result<T, E>>,
    E: Send + 'static,
{
    type Output = Result<T, GroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.finished, "task group polled after it returned");
        if let Some(body) = &mut this.body {
            // The waker is registered before the body runs, so a failure during its poll
            // (or right after) wakes the scope to cancel it.
            if this.shared.poll_open(cx) {
                match body.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(value)) => this.value = Some(value),
                    Poll::Ready(Err(error)) => this.shared.body_failed(error),
                }
            }
            // Finished, or cancelled by a failure or `cancel()`: dropped at this await point.
            this.body = None;
        }
        ready!(this.shared.poll_joined(cx));
        this.finished = true;
        let outcome = this.shared.finish();
        if let Some(payload) = outcome.panic {
            resume_unwind(payload);
        }
        Poll::Ready(match (outcome.phase, this.value.take()) {
            (Phase::Open | Phase::Cancelled, Some(value)) if outcome.errors.is_empty() => Ok(value),
            _ => Err(GroupError::new(outcome.errors, outcome.cancelled)),
        })
    }
}

impl<Fut, T, E: Send + 'static> Drop for Scope<Fut, T, E> {
    fn drop(&mut self) {
        // Dropped early (or its body panicked): cancel the children, accept no more.
        self.shared.close();
    }
}

// The body is boxed and the value never pinned.
impl<Fut, T, E: Send + 'static> Unpin for Scope<Fut, T, E> {}

impl<Fut, T, E: Send + 'static> fmt::Debug for Scope<Fut, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("body_running", &self.body.is_some())
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}
