//! `task_group` and `supervisor_group`: the group's future, which runs the body, waits for
//! every child and turns what happened into the result.

use super::error::GroupError;
use super::handle::{Shared, TaskGroup};
use super::state::Phase;
use crate::Sleep;
use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

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
///   child, but cannot wait for them: [`Scope::cancel_after`] gives a group a deadline
///   that it still joins its children at.
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
    /// When the group cancels itself, until then.
    deadline: Option<Sleep>,
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
            deadline: None,
            finished: false,
        }
    }

    /// Gives the group a deadline `duration` from now: when it passes, the group cancels
    /// itself, as [`TaskGroup::cancel`] does, and then still waits for every child to
    /// finish (a child inside a [`shield`](crate::shield) finishes its section first).
    /// Trio's `move_on_after` around a nursery.
    ///
    /// This is what `timeout(d, task_group(..))` cannot do: a timeout drops the group's
    /// future, and a drop can cancel the children but not wait for them, so they may
    /// still be running when the timeout returns.
    ///
    /// The result is the one `cancel()` gives: `Err(GroupError)` with
    /// [`is_cancelled`](GroupError::is_cancelled) if the deadline cut the body short; if
    /// the body had already returned `Ok`, its value (children still running were
    /// cancelled). A duration too long to represent means no deadline in practice, as for
    /// [`sleep`](crate::sleep).
    ///
    /// # Panics
    /// When first polled outside a corun runtime, as [`sleep`](crate::sleep).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corun::run(async {
    ///     let result = corun::task_group(|tg| async move {
    ///         tg.spawn(async {
    ///             corun::sleep(Duration::from_secs(60)).await;
    ///             Ok::<_, ()>(())
    ///         });
    ///         Ok(())
    ///     })
    ///     .cancel_after(Duration::from_millis(10))
    ///     .await;
    ///     // The body returned at once; the child was cancelled at the deadline.
    ///     assert!(result.is_ok());
    ///
    ///     let result = corun::task_group(|_tg| async {
    ///         std::future::pending::<Result<(), ()>>().await
    ///     })
    ///     .cancel_after(Duration::from_millis(10))
    ///     .await;
    ///     assert!(result.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel_after(self, duration: Duration) -> Scope<Fut, T, E> {
        self.with_deadline(crate::sleep(duration))
    }

    /// Gives the group a deadline at `deadline`; see [`cancel_after`](Scope::cancel_after).
    ///
    /// # Panics
    /// Outside a corun runtime, as [`sleep_until`](crate::sleep_until).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// corun::run(async {
    ///     let deadline = Instant::now() + Duration::from_millis(10);
    ///     let result = corun::task_group(|_tg| async {
    ///         std::future::pending::<Result<(), ()>>().await
    ///     })
    ///     .cancel_at(deadline)
    ///     .await;
    ///     assert!(result.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel_at(self, deadline: Instant) -> Scope<Fut, T, E> {
        self.with_deadline(crate::sleep_until(deadline))
    }

    fn with_deadline(mut self, deadline: Sleep) -> Scope<Fut, T, E> {
        self.deadline = Some(deadline);
        self
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
        if let Some(deadline) = &mut this.deadline {
            if Pin::new(deadline).poll(cx).is_ready() {
                this.deadline = None;
                this.shared.cancel();
            }
        }
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
        this.deadline = None;
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
            .field("deadline", &self.deadline.as_ref().map(Sleep::deadline))
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}
