//! `shield`: a section of a task that cancellation waits for, and `cancel_requested`.
//!
//! A shield counts itself in its task's state word on its first poll and uncounts itself
//! when its future completes or is dropped. While the count is not zero, a requested
//! cancellation (the `CANCELLED` flag) is held back: the task keeps being polled, and the
//! first poll that returns `Pending` with no shield active cancels it (`state.rs`,
//! `must_cancel`). Only runtime shutdown (`SHUTDOWN`) goes through shields.

use super::current;
use super::raw::RawTask;
use super::state::{ExitShield, MAX_SHIELDS};
use pin_project_lite::pin_project;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Runs `future` to its end even if its task is cancelled meanwhile: the cancellation
/// waits, and takes effect at the first `.await` after the shield where the task gives its
/// worker up (returns `Pending`). asyncio's `shield`, Trio's shielded cancel scope,
/// Kotlin's `NonCancellable`.
///
/// For work that must not be cut in half: a write that must reach the disk, a rollback,
/// telling a peer goodbye. Cancellation is held back wherever it comes from:
/// [`JoinHandle::abort`](crate::JoinHandle::abort), an
/// [`AbortHandle`](crate::AbortHandle), the task's group failing or being cancelled, or a
/// combinator ([`race`](crate::race), [`try_gather`](fn@crate::try_gather)) cancelling the
/// task as a loser. A task that finishes inside or right after a shield, without another
/// `Pending`, finishes normally, with its output.
///
/// What a shield does not do:
/// - It cannot stop its own task's code from dropping it: a [`timeout`](crate::timeout)
///   or `select` around a shield that gives up drops the shielded future where it waits,
///   like any other future. Put the shield outside such a deadline, not inside it.
/// - It does not survive its runtime: shutdown drops every task's future, shielded or
///   not, since after it no worker is left to poll them.
/// - It protects the task that first polls it. Outside a corun task (inside
///   `corun::run`'s own future, or on another executor) nothing can cancel the code, and a
///   shield changes nothing.
///
/// Shields nest, and sibling shields (two in one `join`) each count: the cancellation
/// waits for the last one. Inside, [`cancel_requested`] tells cleanup code that it is
/// running on borrowed time.
///
/// # Panics
/// If more than 65 535 shields are active in one task at once (15 on 32-bit targets).
///
/// ```
/// use futures::channel::oneshot;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// corun::run(async {
///     let (inside_tx, inside) = oneshot::channel();
///     let (finish, finish_rx) = oneshot::channel::<()>();
///     let saw_cancel = Arc::new(AtomicBool::new(false));
///     let task = corun::spawn({
///         let saw_cancel = saw_cancel.clone();
///         async move {
///             corun::shield(async move {
///                 inside_tx.send(()).unwrap();
///                 finish_rx.await.unwrap(); // the write that must not be cut in half
///                 saw_cancel.store(corun::task::cancel_requested(), Ordering::SeqCst);
///             })
///             .await;
///             corun::yield_now().await; // the cancellation takes effect here
///             unreachable!("the task was cancelled");
///         }
///     });
///     inside.await.unwrap();
///     task.abort(); // waits for the shielded section
///     finish.send(()).unwrap();
///     assert!(task.await.unwrap_err().is_cancelled());
///     assert!(saw_cancel.load(Ordering::SeqCst), "the section ran to its end");
/// });
/// ```
pub fn shield<F: Future>(future: F) -> Shield<F> {
    Shield {
        future,
        held: Held::Unpolled,
    }
}

/// True if cancellation of the current task was requested: it was aborted, its group or a
/// combinator cancelled it, or its runtime is shutting down.
///
/// Useful inside a [`shield`], where the task keeps running after the request, and in a
/// `Drop` implementation that runs as a cancelled task's future is dropped, to tell
/// cancellation apart from completion. False outside a corun task.
///
/// ```
/// corun::run(async {
///     assert!(!corun::task::cancel_requested());
///     let task = corun::spawn(async {
///         corun::shield(corun::yield_now()).await;
///         corun::task::cancel_requested()
///     });
///     assert!(!task.await.unwrap(), "nobody cancelled it");
/// });
/// ```
pub fn cancel_requested() -> bool {
    current::task().is_some_and(|task| task.state().load().is_cancelled())
}

pin_project! {
    /// The future returned by [`shield`].
    ///
    /// ```
    /// corun::run(async {
    ///     let shielded: corun::task::Shield<_> = corun::shield(async { 3 });
    ///     assert_eq!(shielded.await, 3);
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Shield<F> {
        #[pin]
        future: F,
        held: Held,
    }
}

/// Where the shield stands.
enum Held {
    /// Not polled yet: nothing is held back.
    Unpolled,
    /// Active on a task, until this is dropped.
    Active { _held: Active },
    /// Finished, or polled outside a task.
    Off,
}

/// One unit of a task's shield count, and a reference that keeps the task alive for it
/// (a shield's future may be moved to another task and end there).
struct Active(RawTask);

impl Active {
    /// Shields the task running on this thread, if any.
    fn enter() -> Option<Active> {
        let task = current::task()?;
        if task.state().enter_shield().is_err() {
            panic!(
                "more than {MAX_SHIELDS} shields are active in one task: shield the \
                 whole batch with one `corun::shield` instead of each item"
            );
        }
        task.ref_inc();
        Some(Active(task))
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        match self.0.state().exit_shield() {
            ExitShield::Submit => self.0.schedule(),
            ExitShield::Nothing => {}
        }
        self.0.drop_reference();
    }
}

impl<F: Future> Future for Shield<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if let Held::Unpolled = this.held {
            *this.held = Active::enter().map_or(Held::Off, |held| Held::Active { _held: held });
        }
        let output = ready!(this.future.poll(cx));
        // The section is over: a cancellation it held back may go ahead.
        *this.held = Held::Off;
        Poll::Ready(output)
    }
}

impl<F> fmt::Debug for Shield<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield")
            .field("active", &matches!(self.held, Held::Active { .. }))
            .finish_non_exhaustive()
    }
}
