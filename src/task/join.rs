//! `JoinHandle`: the owned permission to await a task's output.

use super::abort::AbortHandle;
use super::coop;
use super::error::JoinError;
use super::raw::RawTask;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// An owned handle to a spawned task: await it for the task's output.
///
/// It resolves to `Ok(value)` when the task returns, or to a [`JoinError`] if the task
/// panicked or was cancelled. Dropping the handle *detaches* the task: it keeps running and
/// its output is dropped when it finishes. This is asyncio's `Task`, the value
/// `create_task` returns.
///
/// ```
/// corun::run(async {
///     let handle = corun::spawn(async { 6 * 7 });
///     assert_eq!(handle.await.unwrap(), 42);
/// });
/// ```
#[must_use = "dropping a JoinHandle detaches the task; use `let _ = ...` to say so"]
pub struct JoinHandle<T> {
    raw: RawTask,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves `T` out of the task, so it can be sent (and shared, since
// `&JoinHandle` exposes no `T`) whenever `T: Send`.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: see `Send`.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// Takes over the `JoinHandle` reference of a new task.
    pub(super) fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _output: PhantomData,
        }
    }

    /// Cancels the task: its future is dropped without being polled again, at its next
    /// await point if it is running, and the handle yields a cancelled [`JoinError`]. If
    /// the task has already finished, this does nothing and the handle still yields its
    /// output.
    ///
    /// The future is dropped by a worker of the task's runtime, never by the caller: a
    /// waiting task is queued for that, so its `Drop` can spawn, use timers, or take a lock
    /// the caller holds. `abort` returns at once; await the handle (or watch
    /// [`is_finished`](JoinHandle::is_finished)) to know the drop has happened. Inside a
    /// [`shield`](crate::shield) the cancellation waits for the shielded section to end
    /// (see the [`cancellation`](crate::cancellation) chapter).
    ///
    /// ```
    /// corun::run(async {
    ///     let handle = corun::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        self.raw.abort();
    }

    /// The task's id, as [`corun::task::id`](crate::task::id) reports it inside.
    ///
    /// ```
    /// corun::run(async {
    ///     let handle = corun::spawn(async { corun::task::id() });
    ///     let id = handle.id();
    ///     assert_eq!(handle.await.unwrap(), Some(id));
    /// });
    /// ```
    pub fn id(&self) -> crate::task::Id {
        self.raw.header().id
    }

    /// True once the task has finished (returned, panicked or been cancelled): awaiting
    /// the handle will then not wait.
    ///
    /// ```
    /// corun::run(async {
    ///     let handle = corun::spawn(async { 1 });
    ///     while !handle.is_finished() {
    ///         corun::yield_now().await;
    ///     }
    ///     assert_eq!(handle.await.unwrap(), 1);
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.state().load().is_complete()
    }

    /// A handle that can cancel the task but not await it; it may outlive this one.
    ///
    /// ```
    /// corun::run(async {
    ///     let handle = corun::spawn(std::future::pending::<()>());
    ///     let abort = handle.abort_handle();
    ///     abort.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        self.raw.ref_inc();
        AbortHandle::new(self.raw)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // A finished task's handle is always ready: it spends from the awaiting task's
        // cooperative budget (see `coop.rs`).
        ready!(coop::poll_spend(cx));
        let mut output = Poll::Pending;
        // SAFETY: `output` is a `Poll<Result<T, JoinError>>` and `T` is the task's output
        // type (this handle was created with the task); we are its `JoinHandle`.
        unsafe {
            self.raw
                .try_read_output((&mut output as *mut Poll<Self::Output>).cast(), cx.waker())
        };
        if output.is_pending() {
            coop::refund();
        }
        output
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.raw.drop_join_handle();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish_non_exhaustive()
    }
}
