//! The typed half of the task: polling, completing, cancelling and joining a `Cell<F, S>`.
//!
//! Each method starts with a state transition and then touches only the cells that the
//! transition gave it (the field rules are in `raw.rs`). User code (poll, the future's and
//! output's drop, the join waker) runs under `catch_unwind`, so a panic can never leave the
//! state word half-updated: it is turned into a `JoinError` or, for a waker, ignored.

use super::error::JoinError;
use super::raw::{Cell, Header, RawTask, Stage};
use super::state::{State, TransitionToCancelled, TransitionToIdle, TransitionToRunning};
use super::waker::waker_ref;
use super::{Notified, Schedule, Task};
use std::future::Future;
use std::mem::{self, ManuallyDrop};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
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

    /// Runs the task for a `Notified` reference.
    pub(super) fn poll(self) {
        match self.state().transition_to_running() {
            TransitionToRunning::Success => self.poll_running(),
            TransitionToRunning::Cancelled => self.cancel_and_complete(),
            TransitionToRunning::Failed => {}
            TransitionToRunning::Dealloc => self.dealloc(),
        }
    }

    fn poll_running(self) {
        let waker = waker_ref(self.header());
        let mut cx = Context::from_waker(&waker);
        if self.poll_future(&mut cx).is_ready() {
            return self.complete();
        }
        match self.state().transition_to_idle() {
            TransitionToIdle::Ok => {}
            TransitionToIdle::OkScheduled => {
                // Woken during its own poll: back of the queue, so it cannot starve others.
                let task = Notified(Task::from_raw(self.raw()));
                self.cell().scheduler.yield_now(task);
            }
            TransitionToIdle::OkDealloc => self.dealloc(),
            TransitionToIdle::Cancelled => self.cancel_and_complete(),
        }
    }

    /// Polls the future once; when it is ready (or panics), drops it and stores the result.
    /// The caller holds `RUNNING`.
    fn poll_future(&self, cx: &mut Context<'_>) -> Poll<()> {
        let polled = self.cell().stage.with_mut(|stage| {
            panic::catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: `RUNNING` gives us the stage (field rules in `raw.rs`).
                match unsafe { &mut *stage } {
                    // SAFETY: the future lives in a heap cell that never moves, and it is
                    // only ever dropped in place (`set_stage`), so it stays pinned.
                    Stage::Running(future) => unsafe { Pin::new_unchecked(future) }.poll(cx),
                    _ => unreachable!("a task is polled only while its future is present"),
                }
            }))
        });
        let output = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(JoinError::panic(payload)),
        };
        let output = match self.drop_stage() {
            Ok(()) => output,
            Err(payload) => Err(JoinError::panic(payload)),
        };
        self.set_stage(Stage::Finished(output));
        Poll::Ready(())
    }

    /// Drops the future (the caller holds `RUNNING`) and stores the cancellation.
    fn cancel_and_complete(self) {
        let error = match self.drop_stage() {
            Ok(()) => JoinError::cancelled(),
            Err(payload) => JoinError::panic(payload),
        };
        self.set_stage(Stage::Finished(Err(error)));
        self.complete();
    }

    /// Replaces the stage, dropping what was there in place, and reports a panic from that
    /// drop. The caller owns the stage.
    fn drop_stage(&self) -> std::thread::Result<()> {
        panic::catch_unwind(AssertUnwindSafe(|| self.set_stage(Stage::Consumed)))
    }

    fn set_stage(&self, stage: Stage<F>) {
        // SAFETY: every caller owns the stage by the field rules in `raw.rs` (it holds
        // `RUNNING`, or the task is complete and the caller is the output's owner).
        self.cell().stage.with_mut(|slot| unsafe { *slot = stage });
    }

    /// Publishes the output, wakes the `JoinHandle`, leaves the owner list and releases the
    /// poller's reference. The caller holds `RUNNING` and has stored the output.
    fn complete(self) {
        let snapshot = self.state().transition_to_complete();
        if !snapshot.is_join_interested() {
            // Nobody will read the output: it is ours to drop. A panic in its drop has
            // nowhere to go.
            let _ = self.drop_stage();
        } else if snapshot.is_join_waker_set() {
            self.wake_join_handle();
        }
        let task = ManuallyDrop::new(Task::<S>::from_raw(self.raw()));
        let released = self.cell().scheduler.release(&task);
        let count = 1 + usize::from(released.is_some());
        mem::forget(released);
        if self.state().transition_to_terminal(count) {
            self.dealloc();
        }
    }

    fn wake_join_handle(&self) {
        self.header().join_waker.with(|waker| {
            // SAFETY: `JOIN_WAKER` is set at completion, so the completer may read the slot.
            let waker = unsafe { &*waker }.as_ref();
            let waker = waker.expect("JOIN_WAKER is set only once a waker is stored");
            let _ = panic::catch_unwind(AssertUnwindSafe(|| waker.wake_by_ref()));
        });
        let snapshot = self.state().unset_join_waker_after_complete();
        if !snapshot.is_join_interested() {
            // SAFETY: the handle dropped before we cleared `JOIN_WAKER`, so it left the
            // waker to us (see `transition_to_join_handle_dropped`).
            self.header()
                .join_waker
                .with_mut(|waker| unsafe { *waker = None });
        }
    }

    /// Submits the caller's `Notified` reference.
    pub(super) fn schedule(self) {
        let task = Notified(Task::from_raw(self.raw()));
        self.cell().scheduler.schedule(task);
    }

    /// Requests cancellation on behalf of a caller holding any reference.
    pub(super) fn cancel(self) {
        match self.state().transition_to_cancelled() {
            TransitionToCancelled::CancelNow => self.cancel_and_complete(),
            TransitionToCancelled::DoNothing => {}
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
        let stage = self.cell().stage.with_mut(|slot| {
            // SAFETY: `COMPLETE` with `JOIN_INTEREST`: the handle owns the stage.
            mem::replace(unsafe { &mut *slot }, Stage::Consumed)
        });
        match stage {
            Stage::Finished(output) => *dst = Poll::Ready(output),
            _ => panic!("JoinHandle polled after it returned Poll::Ready"),
        }
    }

    /// True if the task is complete; otherwise makes sure `waker` is registered.
    fn can_read_output(&self, waker: &Waker) -> bool {
        let snapshot = self.state().load();
        if snapshot.is_complete() {
            return true;
        }
        let registered = if snapshot.is_join_waker_set() {
            let same = self.header().join_waker.with(|slot| {
                // SAFETY: `JOIN_WAKER` set and not complete: the handle may read the slot.
                unsafe { &*slot }
                    .as_ref()
                    .is_some_and(|current| current.will_wake(waker))
            });
            if same {
                return false;
            }
            self.state()
                .unset_join_waker()
                .and_then(|_| self.set_join_waker(waker.clone()))
        } else {
            self.set_join_waker(waker.clone())
        };
        match registered {
            Ok(_) => false,
            Err(snapshot) => {
                debug_assert!(snapshot.is_complete());
                true
            }
        }
    }

    fn set_join_waker(
        &self,
        waker: Waker,
    ) -> Result<super::state::Snapshot, super::state::Snapshot> {
        // SAFETY: `JOIN_WAKER` is clear and the task not complete: the handle owns the slot.
        self.header()
            .join_waker
            .with_mut(|slot| unsafe { *slot = Some(waker) });
        let result = self.state().set_join_waker();
        if result.is_err() {
            // SAFETY: the task completed before we published the waker, so the completer
            // never looks at the slot: it is still ours.
            self.header()
                .join_waker
                .with_mut(|slot| unsafe { *slot = None });
        }
        result
    }

    /// `JoinHandle::drop` when the fast path did not apply.
    pub(super) fn drop_join_handle_slow(self) {
        let dropped = self.state().transition_to_join_handle_dropped();
        if dropped.drop_output {
            // The output is ours; a panic in its drop must not skip the bookkeeping.
            let _ = self.drop_stage();
        }
        if dropped.drop_waker {
            // SAFETY: the transition gave the slot to the handle (see `state.rs`).
            self.header()
                .join_waker
                .with_mut(|slot| unsafe { *slot = None });
        }
        self.raw().drop_reference();
    }

    /// Frees the allocation. The reference count is zero.
    pub(super) fn dealloc(self) {
        // SAFETY: the cell came from `Box::leak` in `RawTask::new` and no reference remains.
        drop(unsafe { Box::from_raw(self.cell.as_ptr()) });
    }
}
