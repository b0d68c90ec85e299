//! `ChildSet`: the tasks one combinator spawned, polled in completion order and cancelled
//! together.
//!
//! Every combinator is built on it. Like any Rust future, a combinator does nothing until
//! first polled: then each child is spawned as a task whose future carries a [`Listing`].
//! When the child's future is dropped (it finished, panicked or was cancelled), the
//! listing appends the child's index to the set's shared [`Done`] list and wakes the
//! combinator, which then polls the handles of the listed children only: O(1) work per
//! completion, and nothing allocated per child besides its task (a `FuturesUnordered`
//! costs a node and a waker per child).
//!
//! A combinator that needs every child (the gather family) asks to be woken only once all
//! of them are listed, or one has failed ([`WakeOn::AllOrFailure`]): its children finish
//! without waking it one by one, and on a runtime whose woken task runs next (the LIFO
//! slot) it is not polled once per child.
//!
//! A child is listed when its future is dropped, a moment *before* its task stores the
//! output and completes, so its handle may still be pending when polled. The handle then
//! holds the combinator's waker and wakes it at completion; meanwhile the child is the
//! set's `settling` one, polled first next time. (The handle is also pending when the
//! task's cooperative budget is spent; the budget woke the task already.) Dropping the set
//! aborts every child still running and drops the ones never started: a combinator's
//! future owns its children.

use crate::sync::{Arc, Mutex};
use crate::task::{JoinError, JoinHandle};
use pin_project_lite::pin_project;
use std::future::Future;
use std::mem;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

/// A finished child: its argument index and what its task returned.
pub(crate) type Finished<T> = (usize, Result<T, JoinError>);

/// When a finishing child wakes its combinator.
pub(crate) enum WakeOn<T> {
    /// Every time: the combinator takes children in completion order.
    EachChild,
    /// Once every child has finished, or as soon as one fails: it panicked or was
    /// cancelled, or `failed` says its output is a failure.
    AllOrFailure { failed: fn(&T) -> bool },
}

impl<T> Clone for WakeOn<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for WakeOn<T> {}

pub(crate) struct ChildSet<F: Future> {
    /// The children, until the first poll spawns them.
    unstarted: Vec<F>,
    /// Each child's handle, by argument index, until the child is returned.
    handles: Vec<Option<JoinHandle<F::Output>>>,
    /// Children spawned and not yet returned.
    running: usize,
    /// Where the children list themselves.
    done: Arc<Mutex<Done>>,
    wake_on: WakeOn<F::Output>,
    /// How many listed children were taken.
    taken: usize,
    /// A listed child whose handle was still pending: it is polled first.
    settling: Option<usize>,
    /// Set once `poll_cancelled` ran: what is still running is being cancelled.
    cancelled: bool,
}

/// Shared by a set and its children.
struct Done {
    /// Children whose future is gone, in the order they went; room for all of them is
    /// made when they start, so listing never allocates.
    listed: Vec<usize>,
    /// Children spawned.
    spawned: usize,
    /// The combinator's task, while it waits for a child.
    waker: Option<Waker>,
}

pin_project! {
    /// A child's future and its listing. Fields drop in order: the future first, then
    /// the listing, even when the future's drop panics.
    struct Tracked<F: Future> {
        #[pin]
        future: F,
        wake_on: WakeOn<F::Output>,
        listing: Listing,
    }
}

/// Lists its child as finished when dropped.
struct Listing {
    index: usize,
    done: Arc<Mutex<Done>>,
    /// Whether listing this child wakes the combinator even if others are running: until
    /// the future returns an output the combinator waits for, a drop is a failure.
    urgent: bool,
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let output = ready!(this.future.poll(cx));
        this.listing.urgent = match this.wake_on {
            WakeOn::EachChild => true,
            WakeOn::AllOrFailure { failed } => failed(&output),
        };
        Poll::Ready(output)
    }
}

impl Drop for Listing {
    fn drop(&mut self) {
        let waker = {
            let mut done = self.done.lock();
            done.listed.push(self.index);
            let last = done.listed.len() == done.spawned;
            if self.urgent || last {
                done.waker.take()
            } else {
                None
            }
        };
        // Outside the lock, behind the unwind boundary: the waker is the user's business.
        if let Some(waker) = waker {
            crate::task::wake_any(waker);
        }
    }
}

impl<F: Future> ChildSet<F> {
    pub(crate) fn new(
        futures: impl IntoIterator<Item = F>,
        wake_on: WakeOn<F::Output>,
    ) -> ChildSet<F> {
        ChildSet {
            unstarted: futures.into_iter().collect(),
            handles: Vec::new(),
            running: 0,
            done: Arc::new(Mutex::new(Done {
                listed: Vec::new(),
                spawned: 0,
                waker: None,
            })),
            wake_on,
            taken: 0,
            settling: None,
            cancelled: false,
        }
    }

    /// Children not yet returned by `poll_next`.
    pub(crate) fn len(&self) -> usize {
        self.unstarted.len() + self.running
    }

    /// Aborts every child still running; a no-op for those that finished.
    fn abort_all(&self) {
        for handle in self.handles.iter().flatten() {
            handle.abort();
        }
    }

    /// Polls the handle of listed child `index`.
    fn poll_child(&mut self, index: usize, cx: &mut Context<'_>) -> Poll<Finished<F::Output>> {
        let handle = self.handles[index]
            .as_mut()
            .expect("a child is listed once and returned once");
        let output = ready!(Pin::new(handle).poll(cx));
        self.handles[index] = None;
        self.running -= 1;
        Poll::Ready((index, output))
    }

    /// The next listed child not taken yet; if there is none, leaves `cx`'s waker for
    /// the next child to list itself.
    fn take_listed(&mut self, cx: &mut Context<'_>) -> Option<usize> {
        let replaced = {
            let mut done = self.done.lock();
            if let Some(&index) = done.listed.get(self.taken) {
                self.taken += 1;
                return Some(index);
            }
            match &done.waker {
                Some(waker) if waker.will_wake(cx.waker()) => None,
                _ => done.waker.replace(cx.waker().clone()),
            }
        };
        // Outside the lock: dropping a waker may run user code.
        crate::task::drop_any_waker(replaced);
        None
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
            self.start();
        }
        if let Some(index) = self.settling {
            let finished = ready!(self.poll_child(index, cx));
            self.settling = None;
            return Poll::Ready(Some(finished));
        }
        if self.running == 0 {
            return Poll::Ready(None);
        }
        let Some(index) = self.take_listed(cx) else {
            return Poll::Pending;
        };
        match self.poll_child(index, cx) {
            Poll::Ready(finished) => Poll::Ready(Some(finished)),
            Poll::Pending => {
                self.settling = Some(index);
                Poll::Pending
            }
        }
    }

    fn start(&mut self) {
        let futures = mem::take(&mut self.unstarted);
        self.handles.reserve_exact(futures.len());
        {
            let mut done = self.done.lock();
            done.listed.reserve_exact(futures.len());
            // Counted before any child can finish and compare against it.
            done.spawned = futures.len();
        }
        for (index, future) in futures.into_iter().enumerate() {
            let listing = Listing {
                index,
                done: self.done.clone(),
                urgent: true,
            };
            let wake_on = self.wake_on;
            self.handles.push(Some(crate::spawn(Tracked {
                future,
                wake_on,
                listing,
            })));
            self.running += 1;
        }
    }

    /// Aborts every child still running, then waits until each has finished, so that
    /// none outlives the combinator that returns next. Outputs still arriving are dropped.
    pub(crate) fn poll_cancelled(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.cancelled {
            self.cancelled = true;
            self.unstarted.clear();
            self.abort_all();
        }
        while ready!(self.poll_next(cx)).is_some() {}
        Poll::Ready(())
    }
}

impl<F: Future> Drop for ChildSet<F> {
    fn drop(&mut self) {
        self.abort_all();
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
