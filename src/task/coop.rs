//! The cooperative budget: a task that keeps finding corun's own futures ready cannot keep
//! its worker for ever.
//!
//! An `async` loop over futures that are always ready (a finished `JoinHandle`, an elapsed
//! `Sleep`, a ready `gather`) never returns `Pending`, so its task would never give its
//! worker back, and its siblings, the injector and the timers would wait. Each poll of a
//! task therefore starts with a budget of [`BUDGET`] units (tokio's `coop`, after the same
//! idea); every corun future that completes spends one, and one that finds the budget
//! spent wakes its task and returns `Pending` instead, which sends the task to the back of
//! its worker's queue. A future that returns `Pending` spends nothing (it gives back what
//! it took when it looked). Code polled outside
//! a corun task (another executor, a plain `block_on`) has no budget and is never held
//! back. [`unconstrained`] opts a future out.

use crate::sync::thread_local;
use pin_project_lite::pin_project;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Units a task's poll starts with: corun futures that complete within one poll.
pub(crate) const BUDGET: u8 = 128;

thread_local! {
    /// The budget of the poll running on this thread; `None`: unconstrained.
    static LEFT: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `f`, a task's poll, with a fresh budget; afterwards the thread has none again. Not
/// unwind-safe by itself: the harness's `catch_unwind` is inside `f`, so `f` returns.
#[inline]
pub(crate) fn budgeted<R>(f: impl FnOnce() -> R) -> R {
    LEFT.with(|left| left.set(Some(BUDGET)));
    let result = f();
    LEFT.with(|left| left.set(None));
    result
}

/// Runs `f` with `budget`, then puts the caller's back, on unwind too (`block_on` and
/// [`Unconstrained`] poll user code that may panic through them).
#[inline]
fn with_budget<R>(budget: Option<u8>, f: impl FnOnce() -> R) -> R {
    /// Restores the outer budget, on unwind too.
    struct Restore(Option<u8>);
    impl Drop for Restore {
        fn drop(&mut self) {
            // `try_with`: the thread may be tearing down its thread-locals.
            let _ = LEFT.try_with(|left| left.set(self.0));
        }
    }
    let outer = LEFT.with(|left| left.replace(budget));
    let _restore = Restore(outer);
    f()
}

/// `block_on`'s poll of its future: a fresh budget, the caller's restored after.
#[inline]
pub(crate) fn budgeted_block_on<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Some(BUDGET), f)
}

/// Spends one unit for a corun future about to complete, and is `Ready`; or, if the
/// budget is spent, wakes the task (so it is polled again after the others) and returns
/// `Pending`. A future that turns out not to be ready after all gives the unit back with
/// [`refund`].
#[inline]
pub(crate) fn poll_spend(cx: &mut Context<'_>) -> Poll<()> {
    let spent = LEFT.with(|left| match left.get() {
        Some(0) => false,
        Some(units) => {
            left.set(Some(units - 1));
            true
        }
        None => true,
    });
    if spent {
        Poll::Ready(())
    } else {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The future that spent a unit returned `Pending` after all.
#[inline]
pub(crate) fn refund() {
    LEFT.with(|left| {
        if let Some(units) = left.get() {
            left.set(Some(units.saturating_add(1).min(BUDGET)));
        }
    });
}

/// Runs `future` without the cooperative budget: corun's futures inside it never make its
/// task yield, however many of them complete in one poll.
///
/// For a loop that must not be interrupted between ready futures (it is short, or it holds
/// something others wait for). Use sparingly: a task that never yields stalls its worker's
/// other tasks, work from outside and the timers it would otherwise let run.
///
/// ```
/// corun::run(async {
///     let handles: Vec<_> = (0..1_000).map(|i| corun::spawn(async move { i })).collect();
///     let sum = corun::task::unconstrained(async move {
///         let mut sum = 0;
///         for handle in handles {
///             sum += handle.await.unwrap();
///         }
///         sum
///     })
///     .await;
///     assert_eq!(sum, 499_500);
/// });
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

pin_project! {
    /// The future returned by [`unconstrained`].
    ///
    /// ```
    /// corun::run(async {
    ///     let free: corun::task::Unconstrained<_> = corun::task::unconstrained(async { 1 });
    ///     assert_eq!(free.await, 1);
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    #[derive(Debug)]
    pub struct Unconstrained<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let future = self.project().future;
        with_budget(None, || future.poll(cx))
    }
}

#[cfg(all(test, not(corun_loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn the_budget_runs_out_and_is_restored() {
        let mut cx = Context::from_waker(Waker::noop());
        assert!(poll_spend(&mut cx).is_ready(), "no budget outside a task");
        budgeted(|| {
            for _ in 0..BUDGET {
                assert!(poll_spend(&mut cx).is_ready());
            }
            assert!(poll_spend(&mut cx).is_pending());
            refund();
            assert!(
                poll_spend(&mut cx).is_ready(),
                "a refunded unit can be spent"
            );
            // Unconstrained inside, and the spent budget back after.
            with_budget(None, || assert!(poll_spend(&mut cx).is_ready()));
            assert!(poll_spend(&mut cx).is_pending());
        });
        assert!(poll_spend(&mut cx).is_ready());
    }
}
