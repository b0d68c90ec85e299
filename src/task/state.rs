//! The task state word: lifecycle flags and the reference count in one `AtomicUsize`.
//!
//! The word answers three questions at once, so that every hand-off between threads is one
//! atomic step: who owns the future (the lifecycle: *idle*, *running* or *complete*), whether
//! a run is owed (`SCHEDULED`), and how many handles keep the allocation alive. Layout, low
//! bits first:
//!
//! ```text
//! | RUNNING | COMPLETE | SCHEDULED | CANCELLED | JOIN_INTEREST | JOIN_WAKER | SHUTDOWN |
//! | shields (SHIELD_BITS) | ref count ... |
//! ```
//!
//! Each transition below is written as a pure step from one [`Snapshot`] to the next plus
//! what the caller must do about it (a `#[must_use]` enum), applied by [`State::apply`]. The
//! transitions are the edges of the machine drawn in ARCHITECTURE.md ("The state word"); no
//! other file tests bits.
//!
//! Orderings: every step that hands the future, the output or the join waker from one
//! thread to another is an `AcqRel` read-modify-write, so the next owner's acquire sees the
//! previous owner's writes. A wake is such a step even when it changes nothing visible (see
//! [`State::wake_by_ref`]). Taking a reference is `Relaxed`, as for `Arc::clone` (the caller
//! already holds one); releasing is `AcqRel`, so the last release sees every access made
//! through the other references before it frees the task.

use super::dump::TaskState;
use crate::sync::atomic::{AtomicUsize, Ordering::*};
use std::fmt;

/// The holder owns the future: it is polling or cancelling it. Never set with `COMPLETE`.
const RUNNING: usize = 1 << 0;
/// The future is gone and the output (or the error) is stored. Never cleared once set.
const COMPLETE: usize = 1 << 1;
/// A run is owed: a `Notified` is queued, or, while `RUNNING`, the poller must queue one
/// when the poll returns `Pending`. At most one `Notified` exists at a time.
const SCHEDULED: usize = 1 << 2;
/// Cancellation was requested: whoever next owns the future drops it instead of polling.
/// Never cleared; has no effect once `COMPLETE`.
const CANCELLED: usize = 1 << 3;
/// The `JoinHandle` is alive and will take the output; once clear, the completer drops it.
const JOIN_INTEREST: usize = 1 << 4;
/// The join waker slot is filled and the completer may read it. While clear (and the task
/// is not complete) the `JoinHandle` alone may touch the slot.
const JOIN_WAKER: usize = 1 << 5;
/// The runtime is shutting down: the cancellation takes effect whatever shields say (a
/// shield cannot keep a future alive past its runtime). Only set with `CANCELLED`.
const SHUTDOWN: usize = 1 << 6;

const FLAG_BITS: u32 = 7;

/// Width of the shield count: plenty on 64-bit targets, and on 32-bit ones room is left
/// for a reference count of four million.
const SHIELD_BITS: u32 = if usize::BITS >= 64 { 16 } else { 4 };
/// One active shield (see `shield.rs`): while the count is not zero, `CANCELLED` waits.
/// Only the task's poller changes it (a shield is entered and left inside a poll), except
/// for a shield that moved to another task and ends there.
const SHIELD_ONE: usize = 1 << FLAG_BITS;
const SHIELD_MASK: usize = ((1 << SHIELD_BITS) - 1) << FLAG_BITS;
/// The most shields one task can have active at once.
pub(super) const MAX_SHIELDS: usize = (1 << SHIELD_BITS) - 1;

/// The reference count occupies every bit above the flags and the shield count.
const REF_SHIFT: u32 = FLAG_BITS + SHIELD_BITS;
/// One reference.
const REF_ONE: usize = 1 << REF_SHIFT;

/// A new task: three references (the owner list's `Task`, the first `Notified`, the
/// `JoinHandle`), owed its first run, with a handle that wants the output.
const INITIAL_STATE: usize = (3 * REF_ONE) | SCHEDULED | JOIN_INTEREST;

/// The atomic cell.
pub(super) struct State(AtomicUsize);

/// A value read out of [`State`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Snapshot(usize);

/// Who owns the future, decoded from `RUNNING` and `COMPLETE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lifecycle {
    /// Nobody: the task waits for a wake (or sits in a queue, if `SCHEDULED`).
    Idle,
    /// The holder of `RUNNING`.
    Running,
    /// The future is gone.
    Complete,
}

/// A worker took a `Notified` off a queue ([`State::start_poll`]).
#[must_use]
#[derive(Debug)]
pub(super) enum StartPoll {
    /// The `Notified` is now the poller's reference: poll the future.
    Poll,
    /// As `Poll`, but cancellation was requested (and no shield holds it back): drop the
    /// future and complete.
    Cancel,
    /// Someone else owns the future or it is gone; the `Notified` was released.
    Skip,
    /// As `Skip`, and it was the last reference: free the task.
    Free,
}

/// The poll returned `Pending` ([`State::end_poll`]).
#[must_use]
#[derive(Debug)]
pub(super) enum EndPoll {
    /// The task waits for a wake; the poller's reference was released.
    Idle,
    /// It was woken during the poll: the poller's reference is now a `Notified` to queue.
    Requeue,
    /// The poller held the last reference: free the task.
    Free,
    /// Cancelled (and no longer shielded): the poller still owns the future and must
    /// cancel it.
    Cancel,
}

/// A waker fired.
#[must_use]
#[derive(Debug)]
pub(super) enum Wake {
    /// The caller now holds a `Notified` and must queue it.
    Submit,
    /// Nothing to queue (the run is already owed, the poller will queue, or it is complete).
    Nothing,
    /// The waker's reference was the last: free the task.
    Free,
}

/// `abort()` was called ([`State::request_abort`]).
#[must_use]
#[derive(Debug)]
pub(super) enum Abort {
    /// The task was idle and unqueued: the caller holds a `Notified` and must queue it, so
    /// that a worker of the task's runtime drops the future.
    Submit,
    /// Already complete or cancelled, queued (its worker will cancel it), running (its
    /// poller will), or shielded (whoever polls it after the last shield ends will).
    Nothing,
}

/// A shield was left ([`State::exit_shield`]).
#[must_use]
#[derive(Debug)]
pub(super) enum ExitShield {
    /// It was the last one of an idle, unqueued task whose cancellation it held back: the
    /// caller holds a `Notified` and must queue it, so that the task is cancelled.
    Submit,
    /// Nothing to do: the task's poller (or its next one) sees the cancellation.
    Nothing,
}

/// Shutdown reached the task in the owner list ([`State::claim_for_shutdown`]).
#[must_use]
#[derive(Debug)]
pub(super) enum ShutdownClaim {
    /// The caller now owns the future and a poller's reference: cancel it here.
    Cancel,
    /// Complete, or being polled by the thread that is shutting the runtime down.
    Nothing,
}

/// What the dropping `JoinHandle` now owns ([`State::drop_join_handle`]).
#[derive(Debug)]
pub(super) struct JoinHandleDropped {
    pub(super) drop_output: bool,
    pub(super) drop_waker: bool,
}

impl Snapshot {
    fn has(self, flag: usize) -> bool {
        self.0 & flag != 0
    }
    fn with(self, flag: usize) -> Snapshot {
        Snapshot(self.0 | flag)
    }
    fn without(self, flag: usize) -> Snapshot {
        Snapshot(self.0 & !flag)
    }
    fn plus_ref(self) -> Snapshot {
        Snapshot(self.0 + REF_ONE)
    }
    fn minus_ref(self) -> Snapshot {
        debug_assert!(self.ref_count() > 0, "task reference count underflow");
        Snapshot(self.0 - REF_ONE)
    }
    fn lifecycle(self) -> Lifecycle {
        match (self.has(RUNNING), self.has(COMPLETE)) {
            (false, false) => Lifecycle::Idle,
            (true, false) => Lifecycle::Running,
            (false, true) => Lifecycle::Complete,
            (true, true) => unreachable!("RUNNING and COMPLETE together: {self:?}"),
        }
    }

    pub(super) fn is_complete(self) -> bool {
        self.has(COMPLETE)
    }
    pub(super) fn is_join_interested(self) -> bool {
        self.has(JOIN_INTEREST)
    }
    pub(super) fn is_join_waker_set(self) -> bool {
        self.has(JOIN_WAKER)
    }
    pub(super) fn is_cancelled(self) -> bool {
        self.has(CANCELLED)
    }
    /// What a dump reports for the task; `None` once it is complete.
    pub(super) fn dump_state(self) -> Option<TaskState> {
        match self.lifecycle() {
            Lifecycle::Complete => None,
            _ if self.has(CANCELLED) => Some(TaskState::Cancelling),
            Lifecycle::Running => Some(TaskState::Running),
            Lifecycle::Idle if self.has(SCHEDULED) => Some(TaskState::Scheduled),
            Lifecycle::Idle => Some(TaskState::Idle),
        }
    }
    fn shields(self) -> usize {
        (self.0 & SHIELD_MASK) >> FLAG_BITS
    }
    /// Cancellation was requested and nothing holds it back: no shield is active, or the
    /// runtime is shutting down.
    fn must_cancel(self) -> bool {
        self.has(CANCELLED) && (self.shields() == 0 || self.has(SHUTDOWN))
    }
    pub(super) fn ref_count(self) -> usize {
        self.0 >> REF_SHIFT
    }
}

/// After releasing a reference, whether it was the last.
fn free_if_last<T>(next: Snapshot, last: T, other: T) -> T {
    if next.ref_count() == 0 {
        last
    } else {
        other
    }
}

impl State {
    pub(super) fn new() -> State {
        State(AtomicUsize::new(INITIAL_STATE))
    }

    /// Pairs with the `AcqRel` of whichever transition last wrote the word.
    pub(super) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Acquire))
    }

    /// Applies `step` to the current word until the write lands. `step` returns the
    /// caller's next action and the word to write, or `None` to leave the word untouched.
    /// It may run several times (on a lost race), so it must be pure.
    fn apply<A>(&self, mut step: impl FnMut(Snapshot) -> (A, Option<Snapshot>)) -> A {
        let mut seen = self.load();
        loop {
            let (action, next) = step(seen);
            let Some(next) = next else {
                return action;
            };
            // AcqRel: the hand-offs described in the module docs; Acquire on failure, so
            // the retried step decides on a word whose writes it has seen.
            match self
                .0
                .compare_exchange_weak(seen.0, next.0, AcqRel, Acquire)
            {
                Ok(_) => return action,
                Err(actual) => seen = Snapshot(actual),
            }
        }
    }

    /// A worker popped a `Notified`: take the future (its reference becomes the poller's),
    /// or give the reference back if the future is not there to take.
    pub(super) fn start_poll(&self) -> StartPoll {
        self.apply(|now| {
            debug_assert!(now.has(SCHEDULED), "a Notified exists only while SCHEDULED");
            match now.lifecycle() {
                Lifecycle::Idle => {
                    let action = if now.must_cancel() {
                        StartPoll::Cancel
                    } else {
                        StartPoll::Poll
                    };
                    (action, Some(now.with(RUNNING).without(SCHEDULED)))
                }
                Lifecycle::Running | Lifecycle::Complete => {
                    let next = now.minus_ref();
                    (
                        free_if_last(next, StartPoll::Free, StartPoll::Skip),
                        Some(next),
                    )
                }
            }
        })
    }

    /// The poll returned `Pending`: give the future back, unless cancellation arrived and
    /// no shield holds it back.
    pub(super) fn end_poll(&self) -> EndPoll {
        self.apply(|now| {
            debug_assert_eq!(now.lifecycle(), Lifecycle::Running);
            if now.must_cancel() {
                return (EndPoll::Cancel, None);
            }
            let released = now.without(RUNNING);
            if released.has(SCHEDULED) {
                return (EndPoll::Requeue, Some(released));
            }
            let next = released.minus_ref();
            (free_if_last(next, EndPoll::Free, EndPoll::Idle), Some(next))
        })
    }

    /// The output is stored and the future gone: `RUNNING` becomes `COMPLETE` in one step.
    /// Returns the word after it, which says whether to drop the output or wake the joiner.
    pub(super) fn complete(&self) -> Snapshot {
        let before = Snapshot(self.0.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert_eq!(before.lifecycle(), Lifecycle::Running);
        Snapshot(before.0 ^ (RUNNING | COMPLETE))
    }

    /// `Waker::wake`: the waker's reference becomes the `Notified`, or is released.
    pub(super) fn wake_by_val(&self) -> Wake {
        self.apply(|now| {
            match now.lifecycle() {
                Lifecycle::Idle if !now.has(SCHEDULED) => {
                    return (Wake::Submit, Some(now.with(SCHEDULED)));
                }
                // The poller queues the task when its poll returns.
                Lifecycle::Running => {
                    let next = now.with(SCHEDULED).minus_ref();
                    return (free_if_last(next, Wake::Free, Wake::Nothing), Some(next));
                }
                Lifecycle::Idle | Lifecycle::Complete => {}
            }
            let next = now.minus_ref();
            (free_if_last(next, Wake::Free, Wake::Nothing), Some(next))
        })
    }

    /// `Waker::wake_by_ref`: takes a reference only for a `Notified` it must submit.
    ///
    /// Unless the task is complete, the wake always writes the word, even when `SCHEDULED`
    /// is already set and the write changes nothing: that write (a release) is what makes
    /// the waker's earlier writes visible to the run that `SCHEDULED` promises, which starts
    /// with an acquire of this word. A plain load instead would let that run miss them and
    /// return `Pending` with no wake left to come: a lost wakeup.
    pub(super) fn wake_by_ref(&self) -> Wake {
        self.apply(|now| match now.lifecycle() {
            Lifecycle::Complete => (Wake::Nothing, None),
            _ if now.has(SCHEDULED) => (Wake::Nothing, Some(now)),
            Lifecycle::Running => (Wake::Nothing, Some(now.with(SCHEDULED))),
            Lifecycle::Idle => (Wake::Submit, Some(now.with(SCHEDULED).plus_ref())),
        })
    }

    /// `abort()`: mark the task cancelled, and if nothing else will get to the future
    /// soon, queue it, so that its own runtime's worker drops it (never the aborting
    /// thread: it may hold a lock the future's drop takes, or be outside the runtime).
    pub(super) fn request_abort(&self) -> Abort {
        self.apply(|now| {
            if now.has(CANCELLED) || now.lifecycle() == Lifecycle::Complete {
                return (Abort::Nothing, None);
            }
            let cancelled = now.with(CANCELLED);
            // A shielded idle task is not queued: nothing would be cancelled yet. The poll
            // that leaves its last shield sees the flag (or `exit_shield` queues it).
            if now.lifecycle() == Lifecycle::Idle && !now.has(SCHEDULED) && now.shields() == 0 {
                return (Abort::Submit, Some(cancelled.with(SCHEDULED).plus_ref()));
            }
            (Abort::Nothing, Some(cancelled))
        })
    }

    /// A shield's first poll, inside a poll of the task (the caller owns the future).
    /// `Err` if `MAX_SHIELDS` are active already.
    pub(super) fn enter_shield(&self) -> Result<(), ()> {
        self.apply(|now| {
            if now.shields() == MAX_SHIELDS {
                return (Err(()), None);
            }
            (Ok(()), Some(Snapshot(now.0 + SHIELD_ONE)))
        })
    }

    /// A shield completed or was dropped. Usually inside the task's own poll (or the drop of
    /// its future), where the poller sees a cancellation it held back; a shield that moved
    /// to another task may end while this one is idle, and then queues it to be cancelled.
    pub(super) fn exit_shield(&self) -> ExitShield {
        self.apply(|now| {
            debug_assert!(now.shields() > 0, "a shield left that was never entered");
            let next = Snapshot(now.0 - SHIELD_ONE);
            let idle = now.lifecycle() == Lifecycle::Idle && !now.has(SCHEDULED);
            if idle && next.must_cancel() {
                return (ExitShield::Submit, Some(next.with(SCHEDULED).plus_ref()));
            }
            (ExitShield::Nothing, Some(next))
        })
    }

    /// Runtime shutdown (or a spawn that found the runtime gone): take an idle future to
    /// cancel it on this thread, whether or not an abort is already owed, and whatever
    /// shields it is inside.
    pub(super) fn claim_for_shutdown(&self) -> ShutdownClaim {
        self.apply(|now| match now.lifecycle() {
            Lifecycle::Idle => (
                ShutdownClaim::Cancel,
                Some(now.with(RUNNING | CANCELLED | SHUTDOWN).plus_ref()),
            ),
            // Only the thread shutting down can be polling (it dropped the runtime from
            // inside a task): that task is cancelled when its poll returns, shielded or not.
            Lifecycle::Running => (ShutdownClaim::Nothing, Some(now.with(CANCELLED | SHUTDOWN))),
            Lifecycle::Complete => (ShutdownClaim::Nothing, None),
        })
    }

    /// The `JoinHandle` goes away. It gives up the output (dropping it if it is already
    /// there) and, unless the completer is reading it, the join waker.
    pub(super) fn drop_join_handle(&self) -> JoinHandleDropped {
        self.apply(|now| {
            debug_assert!(now.has(JOIN_INTEREST));
            let complete = now.lifecycle() == Lifecycle::Complete;
            let mut next = now.without(JOIN_INTEREST);
            if !complete {
                // Not complete: the completer has not looked at the slot, and now never will.
                next = next.without(JOIN_WAKER);
            }
            // The slot is ours if it is not (or no longer) published to the completer; if
            // the completer still holds it, the completer drops the waker when done.
            let dropped = JoinHandleDropped {
                drop_output: complete,
                drop_waker: !next.has(JOIN_WAKER),
            };
            (dropped, Some(next))
        })
    }

    /// Publishes the join waker the handle just stored. `Err` if the task completed first:
    /// the completer never looks at the slot then, and the handle reads the output.
    pub(super) fn publish_join_waker(&self) -> Result<(), Snapshot> {
        self.apply(|now| {
            debug_assert!(now.has(JOIN_INTEREST) && !now.has(JOIN_WAKER));
            match now.lifecycle() {
                Lifecycle::Complete => (Err(now), None),
                _ => (Ok(()), Some(now.with(JOIN_WAKER))),
            }
        })
    }

    /// Takes the published join waker back, to replace it. `Err` if the task completed
    /// first: the completer may be reading the slot.
    pub(super) fn withdraw_join_waker(&self) -> Result<(), Snapshot> {
        self.apply(|now| {
            debug_assert!(now.has(JOIN_INTEREST) && now.has(JOIN_WAKER));
            match now.lifecycle() {
                Lifecycle::Complete => (Err(now), None),
                _ => (Ok(()), Some(now.without(JOIN_WAKER))),
            }
        })
    }

    /// The completer is done with the join waker. Returns the word after it: if the handle
    /// is gone by now, the waker is the completer's to drop.
    pub(super) fn release_join_waker(&self) -> Snapshot {
        let before = Snapshot(self.0.fetch_and(!JOIN_WAKER, AcqRel));
        debug_assert!(before.has(COMPLETE) && before.has(JOIN_WAKER));
        before.without(JOIN_WAKER)
    }

    /// A new handle (waker clone, `AbortHandle`) from one the caller already holds.
    pub(super) fn ref_inc(&self) {
        // Relaxed: the caller's own reference keeps the task alive (as `Arc::clone`).
        let before = self.0.fetch_add(REF_ONE, Relaxed);
        // A count that wrapped would free a live task: abort first, as `Arc` does.
        if before > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Releases `count` references at once; true if they were the last ones, and the
    /// caller must free the task.
    pub(super) fn release_refs(&self, count: usize) -> bool {
        let before = Snapshot(self.0.fetch_sub(count * REF_ONE, AcqRel));
        debug_assert!(
            before.ref_count() >= count,
            "task reference count underflow"
        );
        before.ref_count() == count
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(usize, &str); 7] = [
            (RUNNING, "RUNNING"),
            (COMPLETE, "COMPLETE"),
            (SCHEDULED, "SCHEDULED"),
            (CANCELLED, "CANCELLED"),
            (JOIN_INTEREST, "JOIN_INTEREST"),
            (JOIN_WAKER, "JOIN_WAKER"),
            (SHUTDOWN, "SHUTDOWN"),
        ];
        let mut flags = f.debug_set();
        for (flag, name) in NAMES {
            if self.has(flag) {
                flags.entry(&format_args!("{name}"));
            }
        }
        if self.shields() > 0 {
            flags.entry(&format_args!("shields: {}", self.shields()));
        }
        flags.entry(&format_args!("refs: {}", self.ref_count()));
        flags.finish()
    }
}

#[cfg(all(test, not(corun_loom)))]
mod tests {
    use super::*;

    fn polled_once() -> State {
        let state = State::new();
        assert!(matches!(state.start_poll(), StartPoll::Poll));
        assert!(matches!(state.end_poll(), EndPoll::Idle));
        state
    }

    #[test]
    fn initial_state_has_three_references_and_is_scheduled() {
        let s = State::new().load();
        assert_eq!(s.ref_count(), 3);
        assert!(s.has(SCHEDULED) && s.has(JOIN_INTEREST));
        assert_eq!(s.lifecycle(), Lifecycle::Idle);
    }

    #[test]
    fn wake_while_running_is_remembered_once() {
        let state = State::new();
        assert!(matches!(state.start_poll(), StartPoll::Poll));
        assert!(matches!(state.wake_by_ref(), Wake::Nothing));
        // A second wake while the first is owed changes nothing.
        assert!(matches!(state.wake_by_ref(), Wake::Nothing));
        assert!(matches!(state.end_poll(), EndPoll::Requeue));
        let s = state.load();
        assert!(s.has(SCHEDULED));
        assert_eq!(s.lifecycle(), Lifecycle::Idle);
        assert_eq!(s.ref_count(), 3);
    }

    #[test]
    fn abort_of_an_idle_task_queues_it_once() {
        let state = polled_once();
        assert!(matches!(state.request_abort(), Abort::Submit));
        let s = state.load();
        assert!(s.has(SCHEDULED) && s.has(CANCELLED));
        assert_eq!(s.lifecycle(), Lifecycle::Idle);
        assert_eq!(s.ref_count(), 3, "Task, JoinHandle and the new Notified");
        // A second abort, and a wake, add nothing to the queue.
        assert!(matches!(state.request_abort(), Abort::Nothing));
        assert!(matches!(state.wake_by_ref(), Wake::Nothing));
        assert!(matches!(state.start_poll(), StartPoll::Cancel));
    }

    #[test]
    fn abort_while_running_leaves_the_cancel_to_the_poller() {
        let state = State::new();
        assert!(matches!(state.start_poll(), StartPoll::Poll));
        assert!(matches!(state.request_abort(), Abort::Nothing));
        assert!(matches!(state.end_poll(), EndPoll::Cancel));
        assert!(
            state.load().has(RUNNING),
            "the poller still owns the future"
        );
    }

    #[test]
    fn shutdown_claims_an_idle_task_even_with_an_abort_owed() {
        let state = polled_once();
        assert!(matches!(state.request_abort(), Abort::Submit));
        assert!(matches!(state.claim_for_shutdown(), ShutdownClaim::Cancel));
        let s = state.load();
        assert!(s.has(RUNNING) && s.has(CANCELLED));
        // The queued Notified finds the future taken.
        let done = state.complete();
        assert!(done.is_complete());
        assert!(matches!(state.start_poll(), StartPoll::Skip));
    }

    #[test]
    fn the_last_released_reference_frees() {
        let state = State::new();
        assert!(!state.release_refs(2));
        assert!(state.release_refs(1));
    }

    #[test]
    fn debug_names_the_flags() {
        let text = format!("{:?}", State::new());
        assert_eq!(text, "{SCHEDULED, JOIN_INTEREST, refs: 3}");
    }

    #[test]
    fn flags_shields_and_references_tile_the_word() {
        assert_eq!(SHUTDOWN << 1, SHIELD_ONE);
        assert_eq!(SHIELD_MASK + SHIELD_ONE, REF_ONE);
        assert_eq!(
            REF_ONE - 1,
            RUNNING
                | COMPLETE
                | SCHEDULED
                | CANCELLED
                | JOIN_INTEREST
                | JOIN_WAKER
                | SHUTDOWN
                | SHIELD_MASK
        );
    }

    #[test]
    fn a_shield_defers_an_abort_until_it_is_left() {
        let state = State::new();
        assert!(matches!(state.start_poll(), StartPoll::Poll));
        state.enter_shield().unwrap();
        assert!(matches!(state.request_abort(), Abort::Nothing));
        // Still shielded when the poll returns: the task waits like any other.
        assert!(matches!(state.end_poll(), EndPoll::Idle));
        // A second abort while idle and shielded queues nothing.
        assert!(matches!(state.request_abort(), Abort::Nothing));
        assert!(matches!(state.wake_by_ref(), Wake::Submit));
        assert!(
            matches!(state.start_poll(), StartPoll::Poll),
            "shielded: polled, not cancelled"
        );
        assert!(matches!(state.exit_shield(), ExitShield::Nothing));
        assert!(matches!(state.end_poll(), EndPoll::Cancel));
    }

    #[test]
    fn a_shield_left_off_the_task_queues_its_cancellation() {
        let state = State::new();
        assert!(matches!(state.start_poll(), StartPoll::Poll));
        state.enter_shield().unwrap();
        state.enter_shield().unwrap();
        assert!(matches!(state.end_poll(), EndPoll::Idle));
        assert!(matches!(state.request_abort(), Abort::Nothing));
        assert!(
            matches!(state.exit_shield(), ExitShield::Nothing),
            "one left"
        );
        assert!(matches!(state.exit_shield(), ExitShield::Submit));
        assert!(matches!(state.start_poll(), StartPoll::Cancel));
    }

    #[test]
    fn shutdown_cancels_through_shields() {
        let state = State::new();
        assert!(matches!(state.start_poll(), StartPoll::Poll));
        state.enter_shield().unwrap();
        assert!(matches!(state.claim_for_shutdown(), ShutdownClaim::Nothing));
        assert!(matches!(state.end_poll(), EndPoll::Cancel));
    }

    #[test]
    fn the_shield_count_is_bounded() {
        let state = State::new();
        assert!(matches!(state.start_poll(), StartPoll::Poll));
        for _ in 0..MAX_SHIELDS {
            state.enter_shield().unwrap();
        }
        assert!(state.enter_shield().is_err());
        assert_eq!(state.load().ref_count(), 3, "the count never spilled over");
    }
}
