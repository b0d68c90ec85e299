//! `ChildSet`: the tasks one combinator spawned, polled as they finish and cancelled
//! together.
//!
//! Every combinator is built on it. Like any Rust future, a combinator does nothing until
//! first polled: then each child is spawned as a task whose future carries a [`Listing`],
//! which reports to the set's shared [`Done`] when the child's future is dropped (it
//! finished, panicked or was cancelled). Nothing is allocated per child besides its task
//! (a `FuturesUnordered` costs a node and a waker per child), and each completion costs
//! O(1):
//!
//! - An *urgent* child appends its index to the shared list, under its lock, and wakes
//!   the combinator, which polls the handles of listed children only. Every child is
//!   urgent for a combinator that wants completion order ([`EachChild`]: `race`, `wait`,
//!   `as_completed`).
//! - The gather family needs every child, so only a failure is urgent ([`AllOrPanic`],
//!   [`AllOrErr`]); the others just count themselves (one atomic add) and
//!   the last one wakes the combinator, which then *sweeps* the handles in argument
//!   order, with no lock. So it is woken once, not once per child (on a runtime whose
//!   woken task runs next, it would otherwise be polled once per child).
//!
//! An urgent child counts itself under the list's lock, after listing itself: a count of
//! every child, read under the lock, means every urgent one is listed, so the sweep never
//! misses one.
//!
//! A child reports when its future is dropped, a moment *before* its task stores the
//! output and completes, so its handle may still be pending when polled. The handle then
//! holds the combinator's waker and wakes it at completion; meanwhile the child is the
//! set's `settling` one, polled first next time. (The handle is also pending when the
//! task's cooperative budget is spent; the budget woke the task already.) Dropping the set
//! aborts every child still running and drops the ones never started: a combinator's
//! future owns its children.

use super::done::{Done, Next};
use crate::sync::Arc;
use crate::task::{JoinError, JoinHandle, Spawn};
use pin_project_lite::pin_project;
use std::future::Future;
use std::marker::PhantomData;
use std::mem;
use std::panic::resume_unwind;
use std::panic::Location;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// A finished child: its argument index and what its task returned.
pub(crate) type Finished<T> = (usize, Result<T, JoinError>);

/// When a finishing child wakes its combinator: a policy type, so that a child's task
/// carries none of it (a policy value was 8 bytes in every child's task).
pub(crate) trait WakeOn<T>: 'static {
    /// Every child is urgent: the combinator takes them in completion order.
    const EACH_CHILD: bool;

    /// Whether a child that returned `output` wakes the combinator at once. One that
    /// panicked or was cancelled always does.
    fn urgent(output: &T) -> bool;
}

/// Every time a child finishes (`race`, `wait`, `as_completed`).
pub(crate) struct EachChild;

/// Once every child has finished, or as soon as one panics or is cancelled (`gather`,
/// `gather_settled`: no output is a failure).
pub(crate) struct AllOrPanic;

/// As [`AllOrPanic`], and at the first `Err` (`try_gather`).
pub(crate) struct AllOrErr;

impl<T> WakeOn<T> for EachChild {
    const EACH_CHILD: bool = true;

    fn urgent(_: &T) -> bool {
        true
    }
}

impl<T> WakeOn<T> for AllOrPanic {
    const EACH_CHILD: bool = false;

    fn urgent(_: &T) -> bool {
        false
    }
}

impl<T, E> WakeOn<Result<T, E>> for AllOrErr {
    const EACH_CHILD: bool = false;

    fn urgent(output: &Result<T, E>) -> bool {
        output.is_err()
    }
}

pub(crate) struct ChildSet<F: Future, W> {
    /// The children, until the first poll spawns them.
    unstarted: Vec<F>,
    /// Each child's handle, by argument index, until the child is returned.
    handles: Vec<Option<JoinHandle<F::Output>>>,
    /// Children spawned and not yet returned.
    running: usize,
    /// Where the children report.
    done: Arc<Done>,
    /// How many listed children were taken.
    taken: usize,
    /// Every child has finished and every listed one was taken: the rest are returned in
    /// argument order from `sweep`, with no lock.
    sweeping: bool,
    sweep: usize,
    /// A listed child whose handle was still pending: it is polled first.
    settling: Option<usize>,
    /// Set once `poll_cancelled` ran: what is still running is being cancelled.
    cancelled: bool,
    /// Where the combinator was called: its children's spawn location.
    location: &'static Location<'static>,
    wake_on: PhantomData<fn() -> W>,
}

pin_project! {
    /// A child's future and its listing. Fields drop in order: the future first, then
    /// the listing, even when the future's drop panics.
    struct Tracked<F: Future, W> {
        #[pin]
        future: F,
        listing: Listing,
        wake_on: PhantomData<fn() -> W>,
    }
}

/// Reports its child as finished when dropped.
struct Listing {
    done: Arc<Done>,
    /// The child's argument index (`ChildSet::new` checks that it fits).
    index: u32,
    /// Whether the child is listed, and wakes the combinator even if others are still
    /// running: until the future returns an output the combinator waits for, a drop is a
    /// failure.
    urgent: bool,
}

impl<F: Future, W: WakeOn<F::Output>> Future for Tracked<F, W> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let output = ready!(this.future.poll(cx));
        this.listing.urgent = W::urgent(&output);
        Poll::Ready(output)
    }
}

impl Drop for Listing {
    fn drop(&mut self) {
        // Behind the unwind boundary: the waker is the user's business.
        if let Some(waker) = self.done.report(self.index as usize, self.urgent) {
            crate::task::wake_any(waker);
        }
    }
}

impl<F: Future, W> ChildSet<F, W> {
    /// # Panics
    /// With more than `u32::MAX` futures.
    #[track_caller]
    pub(crate) fn new(futures: impl IntoIterator<Item = F>) -> ChildSet<F, W>
    where
        W: WakeOn<F::Output>,
    {
        let unstarted: Vec<F> = futures.into_iter().collect();
        assert!(
            u32::try_from(unstarted.len()).is_ok(),
            "a combinator takes at most u32::MAX futures; split the {} futures into groups",
            unstarted.len()
        );
        // Few fail, and the first failure ends the combinator.
        let urgent = if W::EACH_CHILD { unstarted.len() } else { 0 };
        ChildSet {
            handles: Vec::new(),
            running: 0,
            done: Arc::new(Done::new(unstarted.len(), urgent)),
            unstarted,
            taken: 0,
            sweeping: false,
            sweep: 0,
            settling: None,
            cancelled: false,
            location: Location::caller(),
            wake_on: PhantomData,
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
}

impl<F, W> ChildSet<F, W>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    W: WakeOn<F::Output>,
{
    /// The next child to finish, with its argument index; `None` once all have. The first
    /// call spawns every child on the current runtime.
    ///
    /// # Panics
    /// Outside a runtime, as [`crate::spawn`] does.
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
        if !self.sweeping {
            match self.done.next(&mut self.taken, cx) {
                Next::Child(index) => return self.poll_listed(index, cx),
                Next::Sweep => self.sweeping = true,
                Next::Wait => return Poll::Pending,
            }
        }
        // Every child has finished: the ones not returned yet, in argument order.
        while self.handles[self.sweep].is_none() {
            self.sweep += 1;
        }
        self.poll_listed(self.sweep, cx)
    }

    /// Polls child `index`, which has finished; if its task has not completed yet, the
    /// handle wakes the set when it does, and the child is polled first next time.
    fn poll_listed(
        &mut self,
        index: usize,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Finished<F::Output>>> {
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
        // One look-up of the runtime for all the children.
        let Ok(runtime) = crate::Handle::try_current() else {
            panic!(
                "there is no corun runtime on this thread: a combinator spawns its children \
                 when first polled, so poll it inside `corun::run`, `Runtime::block_on` or a task"
            );
        };
        for (index, future) in futures.into_iter().enumerate() {
            let listing = Listing {
                done: self.done.clone(),
                // `new` checked the count.
                index: index as u32,
                urgent: true,
            };
            let spawn = Spawn::new(None, self.location);
            let tracked = Tracked {
                future,
                listing,
                wake_on: PhantomData::<fn() -> W>,
            };
            self.handles.push(Some(runtime.spawn_as(tracked, spawn)));
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

impl<F: Future, W> Drop for ChildSet<F, W> {
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
