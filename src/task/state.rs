//! The task state word: lifecycle flags and the reference count in one `AtomicUsize`.
//!
//! Every transition is a single CAS loop (`fetch_update_action`) or a single fetch op, and
//! returns a `#[must_use]` enum that tells the caller what to do next, so no other file tests
//! bits. The layout (low bits first):
//!
//! ```text
//! | RUNNING | COMPLETE | SCHEDULED | CANCELLED | JOIN_INTEREST | JOIN_WAKER | ref count ... |
//! ```
//!
//! A task is *idle* when neither `RUNNING` nor `COMPLETE` is set; `SCHEDULED` is orthogonal
//! (an idle task may sit in a queue). Whoever sets `RUNNING` owns the future until it clears
//! the bit or sets `COMPLETE`; that ownership is what every `SAFETY:` comment about the
//! stage cell cites.
//!
//! Orderings: transitions that hand the future or the output from one thread to another
//! (`to_running`/`to_idle`/`to_complete`, the join-handle transitions) are `AcqRel`, pairing
//! the release of the thread that last owned the data with the acquire of the next one.
//! Reference increments are `Relaxed` (the caller already holds a reference, as with `Arc`);
//! decrements are `AcqRel` so the final one sees every earlier access before freeing.

use crate::sync::atomic::{AtomicUsize, Ordering::*};
use std::fmt;

/// The task is being polled or cancelled by the thread that set it. Never set together
/// with `COMPLETE`.
const RUNNING: usize = 1 << 0;
/// The future is gone and the output (or the cancellation/panic error) is stored. Once set,
/// never cleared.
const COMPLETE: usize = 1 << 1;
/// A wake is pending: a `Notified` reference sits in a run queue, or, if `RUNNING` is set,
/// the poller must re-schedule the task when it returns `Pending`.
const SCHEDULED: usize = 1 << 2;
/// Cancellation was requested; the owner of `RUNNING` drops the future instead of polling.
const CANCELLED: usize = 1 << 3;
/// The `JoinHandle` is alive and will read the output; when clear, the completer drops it.
const JOIN_INTEREST: usize = 1 << 4;
/// The join waker slot is filled and readable by the completer. While clear and the task
/// is not complete, the `JoinHandle` has exclusive access to the slot.
const JOIN_WAKER: usize = 1 << 5;

const LIFECYCLE_MASK: usize = RUNNING | COMPLETE;
const FLAG_BITS: u32 = 6;

/// The reference count lives above the flags.
const REF_SHIFT: u32 = FLAG_BITS;
const REF_ONE: usize = 1 << REF_SHIFT;
const REF_COUNT_MASK: usize = !(REF_ONE - 1);

/// A new task has three references (the owner list's `Task`, the first `Notified`, the
/// `JoinHandle`), is scheduled, and has a join handle that wants its output.
const INITIAL_STATE: usize = (REF_ONE * 3) | JOIN_INTEREST | SCHEDULED;

/// The atomic cell.
pub(super) struct State(AtomicUsize);

/// A value read out of [`State`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Snapshot(usize);

#[must_use]
pub(super) enum TransitionToRunning {
    /// Poll the future.
    Success,
    /// Cancellation was requested: drop the future and complete.
    Cancelled,
    /// Someone else runs or completed the task; the `Notified` reference was released.
    Failed,
    /// As `Failed`, and that was the last reference: free the task.
    Dealloc,
}

#[must_use]
pub(super) enum TransitionToIdle {
    /// Parked until a waker fires; the poller's reference was released.
    Ok,
    /// Woken while running: submit the poller's reference as a new `Notified`.
    OkScheduled,
    /// The poller held the last reference: free the task.
    OkDealloc,
    /// Cancelled while running: the caller still owns the future and must cancel it.
    Cancelled,
}

#[must_use]
pub(super) enum TransitionToScheduled {
    DoNothing,
    /// The caller now holds a `Notified` reference and must submit it.
    Submit,
    /// The caller released the last reference: free the task.
    Dealloc,
}

#[must_use]
pub(super) enum TransitionToCancelled {
    /// Complete, already cancelled, or the running poller will see `CANCELLED`.
    DoNothing,
    /// The caller took `RUNNING` and a poller reference: it must cancel and complete.
    CancelNow,
}

/// What the dropping `JoinHandle` now owns.
pub(super) struct JoinHandleDropped {
    pub(super) drop_output: bool,
    pub(super) drop_waker: bool,
}

impl State {
    pub(super) fn new() -> State {
        State(AtomicUsize::new(INITIAL_STATE))
    }

    /// Pairs with the `AcqRel` of whichever transition last changed the word.
    pub(super) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Acquire))
    }

    /// The one CAS helper: `f` returns the action and the next state, or `None` to leave
    /// the word as it is.
    fn fetch_update_action<T>(&self, mut f: impl FnMut(Snapshot) -> (T, Option<Snapshot>)) -> T {
        let mut curr = self.load();
        loop {
            let (action, next) = f(curr);
            let Some(next) = next else { return action };
            match self
                .0
                .compare_exchange_weak(curr.0, next.0, AcqRel, Acquire)
            {
                Ok(_) => return action,
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    /// A worker popped a `Notified`; its reference becomes the poller's.
    pub(super) fn transition_to_running(&self) -> TransitionToRunning {
        self.fetch_update_action(|mut next| {
            debug_assert!(
                next.is_scheduled(),
                "a Notified exists only while SCHEDULED"
            );
            if !next.is_idle() {
                next.ref_dec();
                let action = if next.ref_count() == 0 {
                    TransitionToRunning::Dealloc
                } else {
                    TransitionToRunning::Failed
                };
                return (action, Some(next));
            }
            next.0 |= RUNNING;
            next.0 &= !SCHEDULED;
            let action = if next.is_cancelled() {
                TransitionToRunning::Cancelled
            } else {
                TransitionToRunning::Success
            };
            (action, Some(next))
        })
    }

    /// The poll returned `Pending`.
    pub(super) fn transition_to_idle(&self) -> TransitionToIdle {
        self.fetch_update_action(|mut next| {
            debug_assert!(next.is_running());
            if next.is_cancelled() {
                return (TransitionToIdle::Cancelled, None);
            }
            next.0 &= !RUNNING;
            if next.is_scheduled() {
                // The poller's reference becomes the new `Notified`.
                return (TransitionToIdle::OkScheduled, Some(next));
            }
            next.ref_dec();
            let action = if next.ref_count() == 0 {
                TransitionToIdle::OkDealloc
            } else {
                TransitionToIdle::Ok
            };
            (action, Some(next))
        })
    }

    /// The output is stored; the future is gone. Returns the state after the transition.
    pub(super) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.0.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        Snapshot(prev.0 ^ (RUNNING | COMPLETE))
    }

    /// Releases `count` references at once; true if they were the last.
    pub(super) fn transition_to_terminal(&self, count: usize) -> bool {
        let prev = Snapshot(self.0.fetch_sub(count * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= count, "task reference count underflow");
        prev.ref_count() == count
    }

    /// `Waker::wake`: consumes the waker's reference.
    pub(super) fn transition_to_scheduled_by_val(&self) -> TransitionToScheduled {
        self.fetch_update_action(|mut next| {
            if next.is_idle() && !next.is_scheduled() {
                // The waker's reference becomes the `Notified`.
                next.0 |= SCHEDULED;
                return (TransitionToScheduled::Submit, Some(next));
            }
            if next.is_running() {
                // The poller re-schedules when it returns `Pending`.
                next.0 |= SCHEDULED;
            }
            next.ref_dec();
            let action = if next.ref_count() == 0 {
                TransitionToScheduled::Dealloc
            } else {
                TransitionToScheduled::DoNothing
            };
            (action, Some(next))
        })
    }

    /// `Waker::wake_by_ref`: takes a new reference only if a `Notified` must be submitted.
    ///
    /// A wake always writes the word unless the task is complete, even when `SCHEDULED` is
    /// already set: the write (a release) is what makes the waker's prior writes visible to
    /// the poll that the pending `SCHEDULED` promises (that poll starts with an acquire RMW
    /// of this word). A plain load here would let the poll miss them: a lost wakeup.
    pub(super) fn transition_to_scheduled_by_ref(&self) -> TransitionToScheduled {
        self.fetch_update_action(|mut next| {
            if next.is_complete() {
                return (TransitionToScheduled::DoNothing, None);
            }
            if next.is_scheduled() {
                return (TransitionToScheduled::DoNothing, Some(next));
            }
            next.0 |= SCHEDULED;
            if next.is_running() {
                return (TransitionToScheduled::DoNothing, Some(next));
            }
            next.ref_inc();
            (TransitionToScheduled::Submit, Some(next))
        })
    }

    /// `abort()` and runtime shutdown. An idle task is claimed (RUNNING plus a poller
    /// reference) so the caller cancels it at once; a running one is flagged for its poller.
    pub(super) fn transition_to_cancelled(&self) -> TransitionToCancelled {
        self.fetch_update_action(|mut next| {
            if next.is_complete() || next.is_cancelled() {
                return (TransitionToCancelled::DoNothing, None);
            }
            next.0 |= CANCELLED;
            if next.is_running() {
                return (TransitionToCancelled::DoNothing, Some(next));
            }
            next.0 |= RUNNING;
            next.ref_inc();
            (TransitionToCancelled::CancelNow, Some(next))
        })
    }

    /// The `JoinHandle` is dropped. It gives up its interest in the output and, if the task
    /// is not complete, its waker (which it then owns and drops).
    pub(super) fn transition_to_join_handle_dropped(&self) -> JoinHandleDropped {
        self.fetch_update_action(|mut next| {
            debug_assert!(next.is_join_interested());
            next.0 &= !JOIN_INTEREST;
            let drop_output = next.is_complete();
            if !drop_output {
                next.0 &= !JOIN_WAKER;
            }
            // Either we just cleared JOIN_WAKER, or the completer already did: the slot is
            // ours. If the completer has not yet cleared it, it will drop the waker itself.
            let drop_waker = !next.is_join_waker_set();
            (
                JoinHandleDropped {
                    drop_output,
                    drop_waker,
                },
                Some(next),
            )
        })
    }

    /// Publishes the join waker the handle just wrote. Fails if the task completed first,
    /// in which case the handle still owns the slot and must read the output.
    pub(super) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update_action(|mut next| {
            debug_assert!(next.is_join_interested() && !next.is_join_waker_set());
            if next.is_complete() {
                return (Err(next), None);
            }
            next.0 |= JOIN_WAKER;
            (Ok(next), Some(next))
        })
    }

    /// Takes the join waker slot back so the handle can replace the waker. Fails if the task
    /// completed first (the completer may be reading the slot).
    pub(super) fn unset_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update_action(|mut next| {
            debug_assert!(next.is_join_interested() && next.is_join_waker_set());
            if next.is_complete() {
                return (Err(next), None);
            }
            next.0 &= !JOIN_WAKER;
            (Ok(next), Some(next))
        })
    }

    /// The completer is done with the join waker. Returns the state after the change; if
    /// the handle is gone by now, the completer owns (and drops) the waker.
    pub(super) fn unset_join_waker_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.0.fetch_and(!JOIN_WAKER, AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_waker_set());
        Snapshot(prev.0 & !JOIN_WAKER)
    }

    /// Like `Arc::clone`: the caller already holds a reference, so `Relaxed` suffices.
    pub(super) fn ref_inc(&self) {
        let prev = self.0.fetch_add(REF_ONE, Relaxed);
        // Abort rather than wrap, as `Arc` does: a wrapped count would free a live task.
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Releases one reference; true if it was the last, and the task must be freed.
    pub(super) fn ref_dec(&self) -> bool {
        self.transition_to_terminal(1)
    }
}

impl Snapshot {
    pub(super) fn is_idle(self) -> bool {
        self.0 & LIFECYCLE_MASK == 0
    }
    pub(super) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(super) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(super) fn is_scheduled(self) -> bool {
        self.0 & SCHEDULED != 0
    }
    pub(super) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(super) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(super) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(super) fn ref_count(self) -> usize {
        (self.0 & REF_COUNT_MASK) >> REF_SHIFT
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        debug_assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("scheduled", &self.is_scheduled())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("ref_count", &self.ref_count())
            .finish()
    }
}

#[cfg(all(test, not(corun_loom)))]
mod tests {
    use super::*;

    #[test]
    fn initial_state_has_three_references_and_is_scheduled() {
        let state = State::new();
        let s = state.load();
        assert_eq!(s.ref_count(), 3);
        assert!(s.is_scheduled() && s.is_join_interested() && s.is_idle());
    }

    #[test]
    fn wake_while_running_is_remembered_once() {
        let state = State::new();
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Success
        ));
        assert!(matches!(
            state.transition_to_scheduled_by_ref(),
            TransitionToScheduled::DoNothing
        ));
        // A second wake while the first is pending changes nothing.
        assert!(matches!(
            state.transition_to_scheduled_by_ref(),
            TransitionToScheduled::DoNothing
        ));
        assert!(matches!(
            state.transition_to_idle(),
            TransitionToIdle::OkScheduled
        ));
        let s = state.load();
        assert!(s.is_scheduled() && s.is_idle());
        assert_eq!(s.ref_count(), 3);
    }

    #[test]
    fn cancelling_an_idle_task_claims_it() {
        let state = State::new();
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Success
        ));
        assert!(matches!(state.transition_to_idle(), TransitionToIdle::Ok));
        assert!(matches!(
            state.transition_to_cancelled(),
            TransitionToCancelled::CancelNow
        ));
        let s = state.load();
        assert!(s.is_running() && s.is_cancelled());
        // A second request is a no-op.
        assert!(matches!(
            state.transition_to_cancelled(),
            TransitionToCancelled::DoNothing
        ));
    }

    #[test]
    fn flag_bits_leave_room_for_the_reference_count() {
        assert_eq!(JOIN_WAKER << 1, REF_ONE);
        assert_eq!(
            REF_COUNT_MASK & (RUNNING | COMPLETE | SCHEDULED | CANCELLED),
            0
        );
    }
}
