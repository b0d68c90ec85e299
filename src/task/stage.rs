//! The slot that holds a task's future and then its result, in the same bytes.
//!
//! A tagged enum of the two would cost a word more in every task whose future has no spare
//! bit pattern to hide the tag in (an `async` block has none), and the state word already
//! says which one is there: until `COMPLETE` the slot holds the future, from `COMPLETE` on
//! the result. So the slot is a `union` (as in `async-task`) and the tag is `COMPLETE`:
//!
//! - from spawn until the future is dropped: the future (`poll_future`, `drop_future`);
//! - then, for the `RUNNING` holder alone, nothing, until it stores the result (`store`),
//!   and then sets `COMPLETE`;
//! - from then on a result: `Ready` with the output until someone moves it out or drops it
//!   (`take`), `Pending` after, which owns nothing, so that whoever looks next, be it the
//!   completer, the `JoinHandle` or the last reference, knows the output is gone.
//!
//! Who may call these methods at all is the field rule for `cell.stage` in `raw.rs`; each
//! method's contract adds which of the two the slot must hold.

use super::error::JoinError;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A task's future or its result; which one is told by the task's state word.
pub(super) union Stage<F: Future> {
    future: ManuallyDrop<F>,
    result: ManuallyDrop<Poll<Result<F::Output, JoinError>>>,
}

impl<F: Future> Stage<F> {
    /// A slot holding `future`.
    pub(super) fn new(future: F) -> Stage<F> {
        Stage {
            future: ManuallyDrop::new(future),
        }
    }

    /// Polls the future.
    ///
    /// # Safety
    /// The slot holds the future.
    #[inline]
    pub(super) unsafe fn poll_future(&mut self, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: the caller's contract says the future is the live field. It lives in a
        // heap cell that never moves and is only dropped in place (`drop_future`), so it
        // stays pinned.
        unsafe { Pin::new_unchecked(&mut *self.future) }.poll(cx)
    }

    /// Drops the future in place. Afterwards the slot holds nothing, even if the drop
    /// panicked (a panicking drop has still ended the future's life).
    ///
    /// # Safety
    /// The slot holds the future.
    pub(super) unsafe fn drop_future(&mut self) {
        // SAFETY: the caller's contract; the field is not used again until `store`.
        unsafe { ManuallyDrop::drop(&mut self.future) }
    }

    /// Stores the task's result, without dropping anything.
    ///
    /// # Safety
    /// The slot holds nothing: the future was dropped and no result was stored since.
    #[inline]
    pub(super) unsafe fn store(&mut self, result: Result<F::Output, JoinError>) {
        // A plain write: the slot owns nothing, so there is no drop glue to run (a
        // measured ~16 instructions per task against assigning an enum).
        self.result = ManuallyDrop::new(Poll::Ready(result));
    }

    /// Moves the output out, leaving `Pending`; `Pending` if it was already moved out.
    ///
    /// # Safety
    /// The slot holds the result (the task is `COMPLETE`).
    #[inline]
    pub(super) unsafe fn take(&mut self) -> Poll<Result<F::Output, JoinError>> {
        // SAFETY: the caller's contract: `result` is the live field, and stays so.
        let result = unsafe { &mut *self.result };
        std::mem::replace(result, Poll::Pending)
    }

    /// Whether the output is still here.
    ///
    /// # Safety
    /// As for `take`.
    #[inline]
    pub(super) unsafe fn holds_output(&self) -> bool {
        // SAFETY: the caller's contract.
        unsafe { self.result.is_ready() }
    }
}

#[cfg(all(test, not(corun_loom)))]
mod tests {
    use super::Stage;
    use std::mem::size_of;

    #[test]
    fn the_slot_is_as_large_as_the_larger_of_future_and_result() {
        let captured = crate::sync::Arc::new(0u8);
        let future = async move {
            let _keep = &captured;
            std::future::pending::<()>().await
        };
        fn sizes<F: std::future::Future>(_: &F) -> (usize, usize) {
            (size_of::<F>(), size_of::<Stage<F>>())
        }
        let (future_size, stage_size) = sizes(&future);
        // An async block has no niche for a tag: an enum would be a word larger.
        assert_eq!(
            stage_size,
            future_size.max(size_of::<std::task::Poll<Result<(), crate::JoinError>>>())
        );
        assert_eq!(stage_size, 16);
    }

    /// Runs nothing: a task given to it is dropped, as by a queue being torn down.
    struct Unqueued;

    impl crate::task::Schedule for Unqueued {
        fn schedule(&self, task: crate::task::Notified<Self>) {
            drop(task);
        }
        fn yield_now(&self, task: crate::task::Notified<Self>) {
            drop(task);
        }
        fn release(&self, _: &crate::task::Task<Self>) -> bool {
            false
        }
    }

    /// Counts its drops.
    struct Counted(crate::sync::Arc<crate::sync::atomic::AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, crate::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn a_task_freed_before_it_ran_drops_its_future_once() {
        let drops = crate::sync::Arc::new(crate::sync::atomic::AtomicUsize::new(0));
        let counted = Counted(drops.clone());
        let future = async move {
            let _keep = &counted;
        };
        let (task, notified, join) = crate::task::new(future, Unqueued, crate::task::Spawn::here());
        drop(join);
        drop(notified);
        assert_eq!(drops.load(crate::sync::atomic::Ordering::SeqCst), 0);
        // The last reference: the task never completed, so the stage still holds the
        // future, and freeing the task drops it.
        drop(task);
        assert_eq!(drops.load(crate::sync::atomic::Ordering::SeqCst), 1);
    }
}
