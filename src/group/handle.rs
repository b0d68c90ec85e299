//! `TaskGroup` (the spawner a group's body and children hold) and `TaskHandle` (one
//! child's result).

use super::error::TaskError;
use super::state::{Abort, Ending, GroupState, Ticket};
use crate::task::{AbortHandle, JoinHandle};
use futures_util::FutureExt;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

impl Abort for AbortHandle {
    fn abort(&self) {
        AbortHandle::abort(self);
    }
}

pub(crate) type Shared<E> = GroupState<E, AbortHandle>;

/// Spawns children into a group: the `tg` of `async with TaskGroup() as tg`.
///
/// It is `Clone + Send`, so children can spawn siblings. See [`task_group`](crate::task_group).
///
/// ```
/// corun::run(async {
///     let total = corun::task_group(|tg: corun::TaskGroup<String>| async move {
///         let spawner = tg.clone();
///         let child = tg.spawn(async move {
///             // Children can spawn siblings through a clone.
///             let sibling = spawner.spawn(async { Ok(1) });
///             Ok(sibling.await.unwrap() + 1)
///         });
///         Ok(child.await.unwrap())
///     })
///     .await;
///     assert_eq!(total.unwrap(), 2);
/// });
/// ```
pub struct TaskGroup<E> {
    shared: Arc<Shared<E>>,
}

impl<E: Send + 'static> TaskGroup<E> {
    pub(crate) fn new(shared: Arc<Shared<E>>) -> TaskGroup<E> {
        TaskGroup { shared }
    }

    /// Spawns `future` as a child task of the group: `tg.create_task(coro)`.
    ///
    /// If the child returns `Err`, the group fails: every other child and the group's body
    /// are cancelled at their next await point (unless the group is a
    /// [`supervisor_group`](crate::supervisor_group)), and the error is returned in the
    /// group's [`GroupError`](crate::GroupError). A panic does the same and is resumed by
    /// the group once every child is done. Spawning into a group that has failed, been
    /// cancelled or finished starts nothing: the handle reports cancellation.
    ///
    /// # Panics
    /// Outside a corun runtime, as [`spawn`](crate::spawn).
    ///
    /// ```
    /// corun::run(async {
    ///     let sum = corun::task_group(|tg| async move {
    ///         let a = tg.spawn(async { Ok::<_, String>(20) });
    ///         let b = tg.spawn(async { Ok(22) });
    ///         Ok(a.await.unwrap() + b.await.unwrap())
    ///     })
    ///     .await;
    ///     assert_eq!(sum.unwrap(), 42);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F, T>(&self, future: F) -> TaskHandle<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.builder().spawn(future)
    }

    /// A spawn with a name: `tg.builder().name("fetch").spawn(fut)`, as
    /// [`corun::task::Builder`](crate::task::Builder) for a child of this group.
    ///
    /// ```
    /// corun::run(async {
    ///     let value = corun::task_group(|tg| async move {
    ///         let child = tg.builder().name("fetch").spawn(async { Ok::<_, ()>(3) });
    ///         Ok(child.await.unwrap())
    ///     })
    ///     .await;
    ///     assert_eq!(value.unwrap(), 3);
    /// });
    /// ```
    pub fn builder(&self) -> ChildBuilder<'_, E> {
        ChildBuilder {
            group: self,
            task: crate::task::Builder::new(),
        }
    }

    #[track_caller]
    fn spawn_as<F, T>(&self, future: F, task: crate::task::Builder) -> TaskHandle<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        let Some(ticket) = self.shared.reserve() else {
            return TaskHandle { child: None };
        };
        let guard = ChildGuard {
            shared: self.shared.clone(),
            ticket,
            ending: Some(Ending::Dropped),
        };
        let handle = task.spawn(async move {
            let mut guard = guard;
            let (ending, output) = match AssertUnwindSafe(future).catch_unwind().await {
                Ok(Ok(value)) => (Ending::Completed, Ok(value)),
                Ok(Err(error)) => (Ending::Failed(error), Err(TaskError::FAILED)),
                Err(payload) => (Ending::Panicked(payload), Err(TaskError::PANICKED)),
            };
            guard.ending = Some(ending);
            output
        });
        self.shared.register(ticket, handle.abort_handle());
        TaskHandle {
            child: Some(Child {
                handle,
                group: self.shared.clone(),
                ticket,
            }),
        }
    }

    /// Cancels the group: every child and the body are cancelled at their next await
    /// point, and the group returns `Ok(body value)` if the body had already finished, or
    /// else a [`GroupError`](crate::GroupError) with no errors whose `is_cancelled()` is
    /// true. Not a failure: nothing is recorded as an error.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corun::run(async {
    ///     let result = corun::task_group(|tg| async move {
    ///         tg.spawn(async { corun::sleep(Duration::from_secs(60)).await; Ok::<_, ()>(()) });
    ///         tg.cancel();
    ///         std::future::pending::<Result<(), ()>>().await
    ///     })
    ///     .await;
    ///     let error = result.unwrap_err();
    ///     assert!(error.is_cancelled());
    ///     assert_eq!(error.cancelled(), 1);
    /// });
    /// ```
    pub fn cancel(&self) {
        self.shared.cancel();
    }
}

/// Spawns a named child into a group: [`TaskGroup::builder`].
///
/// ```
/// corun::run(async {
///     corun::task_group(|tg| async move {
///         let builder: corun::group::ChildBuilder<'_, ()> = tg.builder().name("child");
///         builder.spawn(async { Ok(()) }).await.unwrap();
///         Ok(())
///     })
///     .await
///     .unwrap();
/// });
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `spawn` is called"]
pub struct ChildBuilder<'a, E> {
    group: &'a TaskGroup<E>,
    task: crate::task::Builder,
}

impl<E: Send + 'static> ChildBuilder<'_, E> {
    /// Names the child.
    ///
    /// ```
    /// corun::run(async {
    ///     corun::task_group(|tg| async move {
    ///         tg.builder().name(format!("worker-{}", 1)).spawn(async { Ok::<_, ()>(()) });
    ///         Ok(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// });
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.task = self.task.name(name);
        self
    }

    /// Spawns the child, as [`TaskGroup::spawn`].
    ///
    /// ```
    /// corun::run(async {
    ///     let sum = corun::task_group(|tg| async move {
    ///         let a = tg.builder().name("a").spawn(async { Ok::<_, ()>(1) });
    ///         Ok(a.await.unwrap() + 1)
    ///     })
    ///     .await;
    ///     assert_eq!(sum.unwrap(), 2);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F, T>(self, future: F) -> TaskHandle<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.group.spawn_as(future, self.task)
    }
}

impl<E> Clone for TaskGroup<E> {
    fn clone(&self) -> TaskGroup<E> {
        TaskGroup {
            shared: self.shared.clone(),
        }
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup").finish_non_exhaustive()
    }
}

/// Reports how a child ended when its future is dropped: at its end, or when it is
/// cancelled (started or not), so the group knows when every child is done.
struct ChildGuard<E: Send + 'static> {
    shared: Arc<Shared<E>>,
    ticket: Ticket,
    ending: Option<Ending<E>>,
}

impl<E: Send + 'static> Drop for ChildGuard<E> {
    fn drop(&mut self) {
        let ending = self.ending.take().unwrap_or(Ending::Dropped);
        self.shared.child_done(self.ticket, ending);
    }
}

/// A group child's handle: awaiting it yields the child's value, or a [`TaskError`].
///
/// It can be awaited inside the body or after the group returned. Dropping it does not
/// cancel the child: the group owns its children.
///
/// ```
/// corun::run(async {
///     let handle = corun::task_group(|tg| async move {
///         Ok::<_, ()>(tg.spawn(async { Ok("value") }))
///     })
///     .await
///     .unwrap();
///     // Awaited after the group returned.
///     assert_eq!(handle.await.unwrap(), "value");
/// });
/// ```
pub struct TaskHandle<T> {
    /// `None`: the group had stopped, the child never started.
    child: Option<Child<T>>,
}

struct Child<T> {
    handle: JoinHandle<Result<T, TaskError>>,
    /// The group, type-erased over its error type: the handle only asks whether the child
    /// is still a member.
    group: Arc<dyn Membership>,
    ticket: Ticket,
}

/// The one thing a `TaskHandle` asks its group.
trait Membership: Send + Sync {
    fn is_member(&self, ticket: Ticket) -> bool;
}

impl<E: Send> Membership for Shared<E> {
    fn is_member(&self, ticket: Ticket) -> bool {
        GroupState::is_member(self, ticket)
    }
}

impl<T> TaskHandle<T> {
    /// Cancels this child alone, at its next await point. The group does not fail; the
    /// child counts as cancelled.
    ///
    /// ```
    /// corun::run(async {
    ///     let result = corun::task_group(|tg| async move {
    ///         let child = tg.spawn(std::future::pending::<Result<(), ()>>());
    ///         child.abort();
    ///         Ok(child.await.unwrap_err().is_cancelled())
    ///     })
    ///     .await;
    ///     assert_eq!(result.unwrap(), true);
    /// });
    /// ```
    pub fn abort(&self) {
        if let Some(child) = &self.child {
            child.handle.abort();
        }
    }

    /// True once the child has finished (its future is gone: it completed, failed or was
    /// cancelled), or never started. After its group returned, always true.
    ///
    /// ```
    /// corun::run(async {
    ///     let finished = corun::task_group(|tg| async move {
    ///         Ok::<_, ()>(tg.spawn(async { Ok(1) }))
    ///     })
    ///     .await
    ///     .unwrap();
    ///     assert!(finished.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.child
            .as_ref()
            .is_none_or(|child| child.handle.is_finished() || !child.group.is_member(child.ticket))
    }
}

impl<T> Future for TaskHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(child) = &mut self.child else {
            // Ready at once, like a finished task's handle: it spends from the budget.
            ready!(crate::task::poll_spend(cx));
            return Poll::Ready(Err(TaskError::CANCELLED));
        };
        Poll::Ready(match ready!(Pin::new(&mut child.handle).poll(cx)) {
            Ok(output) => output,
            // The child catches its own panics; this is a cancellation (or a panic while
            // its future was being dropped, which the runtime already reported).
            Err(error) if error.is_panic() => Err(TaskError::PANICKED),
            Err(_) => Err(TaskError::CANCELLED),
        })
    }
}

impl<T> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
