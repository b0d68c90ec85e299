//! `ChildSet`: the tasks one combinator spawned, polled in completion order and cancelled
//! together.
//!
//! Every combinator is built on it. Like any Rust future, a combinator does nothing until
//! first polled: then each child is spawned as a task whose `JoinHandle` sits in a
//! `FuturesUnordered`, tagged with its argument index, so a wakeup polls only the child
//! that finished (no O(n) scan per completion). Dropping the set aborts every child still
//! running (and drops the ones never started): a combinator's future owns its children.

use crate::task::{JoinError, JoinHandle};
use futures_core::Stream;
use futures_util::stream::FuturesUnordered;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// A finished child: its argument index and what its task returned.
pub(crate) type Finished<T> = (usize, Result<T, JoinError>);

pub(crate) struct ChildSet<F: Future> {
    /// The children, until the first poll spawns them.
    unstarted: Vec<F>,
    running: FuturesUnordered<Child<F::Output>>,
    /// Set once `cancel_all` ran: what is still running is being cancelled.
    cancelled: bool,
}

/// One child: its argument index and its handle. Dropping it aborts the task (a no-op
/// once the task finished).
struct Child<T> {
    index: usize,
    handle: JoinHandle<T>,
}

impl<T> Future for Child<T> {
    type Output = Finished<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let output = ready!(Pin::new(&mut self.handle).poll(cx));
        Poll::Ready((self.index, output))
    }
}

impl<T> Drop for Child<T> {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl<F: Future> ChildSet<F> {
    pub(crate) fn new(futures: impl IntoIterator<Item = F>) -> ChildSet<F> {
        ChildSet {
            unstarted: futures.into_iter().collect(),
            running: FuturesUnordered::new(),
            cancelled: false,
        }
    }

    /// Children not yet returned by `poll_next`.
    pub(crate) fn len(&self) -> usize {
        self.unstarted.len() + self.running.len()
    }
}

impl<F> ChildSet<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    /// The next child to finish, with its argument index; `None` once all have. The first
    /// call spawns every child on the current runtime.
    ///
    /// # Panics
    /// Outside a runtime, as [`crate::spawn`].
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Finished<F::Output>>> {
        if !self.unstarted.is_empty() && !self.cancelled {
            for (index, future) in self.unstarted.drain(..).enumerate() {
                self.running.push(Child {
                    index,
                    handle: crate::spawn(future),
                });
            }
        }
        Pin::new(&mut self.running).poll_next(cx)
    }

    /// Aborts every child still running, then waits until each has finished, so that
    /// none outlives the combinator that returns next. Outputs still arriving are dropped.
    pub(crate) fn poll_cancelled(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.cancelled {
            self.cancelled = true;
            self.unstarted.clear();
            for child in self.running.iter() {
                child.handle.abort();
            }
        }
        while ready!(self.poll_next(cx)).is_some() {}
        Poll::Ready(())
    }
}

/// Re-raises a child's failure in the awaiting task: a panic with its original payload;
/// a cancellation (only the runtime's shutdown cancels a combinator's child) as a panic
/// that says so.
pub(crate) fn resume(error: JoinError) -> ! {
    match error.try_into_panic() {
        Ok(payload) => resume_unwind(payload),
        Err(error) => panic!(
            "a child task was cancelled before it finished ({error}): its runtime is shutting down"
        ),
    }
}
