//! The typed half of the task: polling, completing, cancelling and joining a `Cell<F, S>`.
//!
//! Each method starts with a state transition and then touches only the cells that the
//! transition gave it (the field rules are in `raw.rs`). User code runs behind a boundary
//! that keeps the state word and the reference count whole whatever it does: the poll under
//! `catch_unwind` (a panic becomes the task's `JoinError`), and every drop of a future,
//! output or waker, and every call of the join waker, through `crate::unwind` (see its
//! policy).

use super::current;
use super::error::JoinError;
use super::meta::Stamp;
use super::raw::{Cell, Header, RawTask};
use super::state::{Abort, EndPoll, ShutdownClaim, StartPoll, State};
use super::waker::waker_ref;
use super::{Notified, Schedule, Task};
use crate::unwind::{self, UserCode};
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

pub(super) struct Harness<F: Future, S: 'static> {
    cell: NonNull<Cell<F, S>>,
}

impl<F: Future, S: Schedule> Harness<F, S> {
    /// # Safety
    /// `ptr` must point to a live `Cell<F, S>` on which the caller holds a reference.
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> Self {
        Harness { cell: ptr.cast() }
    }

    fn cell(&self) -> &Cell<F, S> {
        // SAFETY: `from_raw`'s contract: the cell is live while the caller's reference is.
        unsafe { self.cell.as_ref() }
    }

    fn header(&self) -> &Header {
        &self.cell().header
    }

    fn state(&self) -> &State {
        &self.header().state
    }

    fn raw(&self) -> RawTask {
        // SAFETY: the cell is live (see `cell`), and its header is its first field.
        unsafe { RawTask::from_raw(self.cell.cast()) }
    }

    /// Runs the task for a `Notified` reference; the poll, if it happens, starts at `stamp`.
    pub(super) fn poll(self, stamp: Stamp) {
        match self.state().start_poll() {
            StartPoll::Poll => {
                if let Some(meta) = self.raw().meta() {
                    meta.record_poll(stamp);
                }
                self.poll_running()
            }
            StartPoll::Cancel => self.cancel_and_complete(),
            StartPoll::Skip => {}
            StartPoll::Free => self.dealloc(),
        }
    }

    fn poll_running(self) {
        let waker = waker_ref(self.header());
        let mut cx = Context::from_waker(&waker);
        if self.poll_future(&mut cx).is_ready() {
            return self.complete();
        }
        match self.state().end_poll() {
            EndPoll::Idle => {}
            EndPoll::Requeue => {
                // Woken during its own poll: back of the queue, so it cannot starve others.
                let task = Notified(Task::from_raw(self.raw()));
                self.cell().scheduler.yield_now(task);
            }
            EndPoll::Free => self.dealloc(),
            EndPoll::Cancel => self.cancel_and_complete(),
        }
    }

    /// Polls the future once; when it is ready (or panics), drops it and stores the result.
    /// The caller holds `RUNNING`.
    fn poll_future(&self, cx: &mut Context<'_>) -> Poll<()> {
        let polled = self.cell().stage.with_mut(|stage| {
            // A fresh cooperative budget for the poll (see `coop.rs`), and this task as
            // the thread's current one (for shields).
            super::coop::budgeted(|| {
                current::running(self.raw(), || {
                    // SAFETY: `RUNNING` gives us the stage (field rules in `raw.rs`), and
                    // the task is not complete, so it holds the future.
                    let stage = unsafe { &mut *stage };
                    // SAFETY: as just said.
                    panic::catch_unwind(AssertUnwindSafe(|| unsafe { stage.poll_future(cx) }))
                })
            })
        });
        let result = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(JoinError::panic(payload)),
        };
        let result = self.drop_future_then(result);
        self.store_result(result);
        Poll::Ready(())
    }

    /// Drops the future in place (the caller holds `RUNNING`) and returns `result`, or,
    /// if the drop panicked, that panic as the result (dropping `result` quietly).
    fn drop_future_then(
        &self,
        result: Result<F::Output, JoinError>,
    ) -> Result<F::Output, JoinError> {
        let dropped = panic::catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the caller holds `RUNNING` (so owns the stage) on a task that is not
            // complete, whose stage holds the future.
            self.cell()
                .stage
                .with_mut(|stage| unsafe { (*stage).drop_future() })
        }));
        match dropped {
            Ok(()) => result,
            Err(payload) => {
                unwind::drop_quietly(UserCode::OutputDrop, result);
                Err(JoinError::panic(payload))
            }
        }
    }

    /// Drops the future (the caller holds `RUNNING`), stores the cancellation, completes.
    /// The task is current during the drop, so the drop code can see it was cancelled.
    fn cancel_and_complete(self) {
        let result = current::running(self.raw(), || {
            self.drop_future_then(Err(JoinError::cancelled()))
        });
        self.store_result(result);
        self.complete();
    }

    /// Stores the task's result in the stage its future was just dropped from (the
    /// caller holds `RUNNING`).
    fn store_result(&self, result: Result<F::Output, JoinError>) {
        self.cell().stage.with_mut(|stage| {
            // SAFETY: the caller owns the stage (field rules in `raw.rs`), and it holds
            // nothing: `drop_future_then` dropped the future.
            unsafe { (*stage).store(result) }
        });
    }

    /// Whether a complete task's stage still holds its output. The caller owns the stage
    /// (field rules in `raw.rs`).
    fn holds_output(&self) -> bool {
        // SAFETY: the caller owns the stage, and the task is complete, so it holds the
        // result.
        self.cell()
            .stage
            .with(|stage| unsafe { (*stage).holds_output() })
    }

    /// Moves the output out of a complete task's stage (`Pending` if it is gone). The
    /// caller owns the stage (field rules in `raw.rs`).
    fn take_output(&self) -> Poll<Result<F::Output, JoinError>> {
        // SAFETY: the caller owns the stage, and the task is complete, so it holds the
        // result.
        self.cell()
            .stage
            .with_mut(|stage| unsafe { (*stage).take() })
    }

    /// Drops the stored output, if the handle has not taken it. The caller owns the stage.
    fn drop_output(&self) {
        // Looked at in place first: a handle that read the output leaves nothing here.
        if self.holds_output() {
            unwind::drop_quietly(UserCode::OutputDrop, self.take_output());
        }
    }

    /// Publishes the output, wakes the `JoinHandle`, leaves the owner list and releases the
    /// poller's reference. The caller holds `RUNNING` and has stored the output.
    fn complete(self) {
        let after = self.state().complete();
        if !after.is_join_interested() {
            // Nobody will read the output: it is ours to drop.
            self.drop_output();
        } else if after.is_join_waker_set() {
            self.wake_join_handle();
        }
        // Leaving the owner list hands us its reference (if it still held the task):
        // release it together with the poller's, in one step.
        let task = ManuallyDrop::new(Task::<S>::from_raw(self.raw()));
        let held_by_list = self.cell().scheduler.release(&task);
        if self.state().release_refs(1 + usize::from(held_by_list)) {
            self.dealloc();
        }
    }

    fn wake_join_handle(&self) {
        self.header().join_waker.with(|waker| {
            // SAFETY: `JOIN_WAKER` is set at completion, so the completer may read the slot.
            let waker = unsafe { &*waker }.as_ref();
            let waker = waker.expect("JOIN_WAKER is set only once a waker is stored");
            super::wake_any_by_ref(waker);
        });
        if !self.state().release_join_waker().is_join_interested() {
            // SAFETY: the handle went away before we released `JOIN_WAKER`, so it left the
            // waker to us (see `State::drop_join_handle`).
            let waker = self
                .header()
                .join_waker
                .with_mut(|slot| unsafe { (*slot).take() });
            super::drop_any_waker(waker);
        }
    }

    /// Submits the caller's `Notified` reference.
    pub(super) fn schedule(self) {
        let task = Notified(Task::from_raw(self.raw()));
        self.cell().scheduler.schedule(task);
    }

    /// `abort()`: the task is cancelled by whoever owns the future next, on the task's own
    /// runtime; an idle task is queued for that.
    pub(super) fn abort(self) {
        match self.state().request_abort() {
            Abort::Submit => self.schedule(),
            Abort::Nothing => {}
        }
    }

    /// Cancels an idle task on this thread: runtime shutdown, or a spawn refused by it.
    pub(super) fn shutdown(self) {
        match self.state().claim_for_shutdown() {
            ShutdownClaim::Cancel => self.cancel_and_complete(),
            ShutdownClaim::Nothing => {}
        }
    }

    /// `JoinHandle::poll`.
    pub(super) fn try_read_output(
        self,
        dst: &mut Poll<Result<F::Output, JoinError>>,
        waker: &Waker,
    ) {
        if !self.can_read_output(waker) {
            return;
        }
        match self.take_output() {
            Poll::Ready(output) => *dst = Poll::Ready(output),
            Poll::Pending => panic!("JoinHandle polled after it returned Poll::Ready"),
        }
    }

    /// True if the task is complete; otherwise makes sure `waker` is registered.
    fn can_read_output(&self, waker: &Waker) -> bool {
        let snapshot = self.state().load();
        if snapshot.is_complete() {
            return true;
        }
        if snapshot.is_join_waker_set() {
            let same = self.header().join_waker.with(|slot| {
                // SAFETY: `JOIN_WAKER` set and not complete: the handle may read the slot.
                unsafe { &*slot }
                    .as_ref()
                    .is_some_and(|current| current.will_wake(waker))
            });
            if same {
                return false;
            }
            if self.state().withdraw_join_waker().is_err() {
                return true;
            }
        }
        self.store_join_waker(waker.clone())
    }

    /// Stores and publishes `waker` in the slot the handle owns (`JOIN_WAKER` is clear).
    /// Returns true if the task completed first, so the handle should read the output.
    fn store_join_waker(&self, waker: Waker) -> bool {
        // SAFETY: `JOIN_WAKER` is clear and the task not complete: the handle owns the slot.
        let old = self
            .header()
            .join_waker
            .with_mut(|slot| unsafe { (*slot).replace(waker) });
        super::drop_any_waker(old);
        match self.state().publish_join_waker() {
            Ok(()) => false,
            Err(snapshot) => {
                debug_assert!(snapshot.is_complete());
                // SAFETY: the task completed before we published the waker, so the
                // completer never looked at the slot: it is still ours.
                let unpublished = self
                    .header()
                    .join_waker
                    .with_mut(|slot| unsafe { (*slot).take() });
                super::drop_any_waker(unpublished);
                true
            }
        }
    }

    /// `JoinHandle::drop`.
    pub(super) fn drop_join_handle(self) {
        let dropped = self.state().drop_join_handle();
        if dropped.drop_output {
            // Complete, and the handle had interest: the output is the handle's alone.
            self.drop_output();
        }
        if dropped.drop_waker {
            // SAFETY: the transition gave the slot to the handle (see `state.rs`).
            let waker = self
                .header()
                .join_waker
                .with_mut(|slot| unsafe { (*slot).take() });
            super::drop_any_waker(waker);
        }
        self.raw().drop_reference();
    }

    /// Frees the allocation. The reference count is zero.
    pub(super) fn dealloc(self) {
        // The freeing thread must have seen every other thread's last access to the cells
        // (what the `AcqRel` release of the last reference is for). Under loom, touch them
        // here, so that the model checker verifies it.
        #[cfg(corun_loom)]
        {
            self.cell().stage.with_mut(|_| ());
            self.header().join_waker.with_mut(|_| ());
        }
        // Only a task that was never run to its end still holds its future (a test's task
        // with no owner list) or a join waker: user code, dropped behind the boundary. A
        // complete task's output was dropped or taken by then (`complete`,
        // `drop_join_handle`).
        if self.state().load().is_complete() {
            debug_assert!(
                !self.holds_output(),
                "a task is freed with its output still in it"
            );
        } else {
            unwind::call(UserCode::FutureDrop, || {
                // SAFETY: no reference remains, so nobody else reaches the stage, and the
                // task is not complete, so it holds the future.
                self.cell()
                    .stage
                    .with_mut(|stage| unsafe { (*stage).drop_future() })
            });
        }
        // SAFETY: no reference remains, so nothing else reaches the slot.
        let waker = self
            .header()
            .join_waker
            .with_mut(|slot| unsafe { (*slot).take() });
        super::drop_any_waker(waker);
        // SAFETY: no reference remains, and the task is a `Cell<F, S>` (`from_raw`).
        unsafe { self.raw().free::<F, S>() };
    }
}
