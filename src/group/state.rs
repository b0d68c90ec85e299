//! The group's bookkeeping and its failure protocol, generic over how a child is aborted
//! (a task's `AbortHandle` in the runtime, a mock in the loom models).
//!
//! Everything lives behind one mutex (`Synced`); each operation is one short critical
//! section, and aborting children and waking the group's future happen after it is
//! released. The protocol:
//!
//! - **spawn** is two steps: `reserve` a member slot (refused unless the group is `Open`),
//!   spawn the task, then `register` its abort handle. If the group stopped being `Open`
//!   between the two, `register` aborts the new child itself: a failure that raced with
//!   the spawn could not see its handle, so the spawner cancels it.
//! - **child_done** runs when a child's future is dropped (finished, failed or cancelled).
//!   A failure records its error and, unless the group is a supervisor, moves the group to
//!   `Failed` and takes every registered abort handle to abort. The member leaves; the
//!   last one out wakes the group.
//! - **poll_joined** registers the group's waker and checks for members under the same
//!   lock, so the last child's wakeup cannot fall between the check and the registration.

use crate::sync::Mutex;
use crate::unwind;
use slab::Slab;
use std::any::Any;
use std::mem;
use std::task::{Context, Poll, Waker};

/// How a child is cancelled.
pub(crate) trait Abort {
    fn abort(&self);
}

/// A panic payload.
pub(crate) type Payload = Box<dyn Any + Send>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Accepting children.
    Open,
    /// A child (or the body) failed: children are being cancelled.
    Failed,
    /// `cancel()` was called: children are being cancelled, without an error.
    Cancelled,
    /// The group's future finished or was dropped.
    Closed,
}

/// How a child ended, as its guard reports it.
pub(crate) enum Ending<E> {
    Completed,
    Failed(E),
    Panicked(Payload),
    /// Dropped before it finished: aborted, or cancelled with its group.
    Dropped,
}

/// A reserved member slot. `id` tells a slot apart from a later one reusing its key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket {
    key: usize,
    id: u64,
}

pub(crate) struct GroupState<E, H> {
    synced: Mutex<Synced<E, H>>,
    supervisor: bool,
}

struct Synced<E, H> {
    phase: Phase,
    members: Slab<Member<H>>,
    next_id: u64,
    errors: Vec<E>,
    /// The first child panic, resumed by the group once every child is done.
    panic: Option<Payload>,
    cancelled: usize,
    /// The group future's waker.
    waker: Option<Waker>,
}

struct Member<H> {
    id: u64,
    /// `None` between `reserve` and `register`.
    abort: Option<H>,
}

/// What the group ended with.
pub(crate) struct Outcome<E> {
    pub(crate) phase: Phase,
    pub(crate) errors: Vec<E>,
    pub(crate) panic: Option<Payload>,
    pub(crate) cancelled: usize,
}

impl<E, H: Abort> GroupState<E, H> {
    pub(crate) fn new(supervisor: bool) -> GroupState<E, H> {
        GroupState {
            synced: Mutex::new(Synced {
                phase: Phase::Open,
                members: Slab::new(),
                next_id: 0,
                errors: Vec::new(),
                panic: None,
                cancelled: 0,
                waker: None,
            }),
            supervisor,
        }
    }

    /// Reserves a slot for a new child, or `None` (counted as cancelled) if the group no
    /// longer accepts children.
    pub(crate) fn reserve(&self) -> Option<Ticket> {
        let mut synced = self.synced.lock();
        if synced.phase != Phase::Open {
            synced.cancelled += 1;
            return None;
        }
        let id = synced.next_id;
        synced.next_id += 1;
        let key = synced.members.insert(Member { id, abort: None });
        Some(Ticket { key, id })
    }

    /// True until the child's future is dropped (it finished, failed or was cancelled).
    pub(crate) fn is_member(&self, ticket: Ticket) -> bool {
        let synced = self.synced.lock();
        synced
            .members
            .get(ticket.key)
            .is_some_and(|member| member.id == ticket.id)
    }

    /// Hands over the spawned child's abort handle.
    pub(crate) fn register(&self, ticket: Ticket, abort: H) {
        let mut synced = self.synced.lock();
        let open = synced.phase == Phase::Open;
        match synced.members.get_mut(ticket.key) {
            // Still a member, and the group still runs: keep the handle for a failure.
            Some(member) if member.id == ticket.id && open => member.abort = Some(abort),
            // Still a member, but the group failed or closed since `reserve`.
            Some(member) if member.id == ticket.id => {
                drop(synced);
                abort.abort();
            }
            // Already finished: nothing to cancel.
            _ => {}
        }
    }

    /// A child's future was dropped, having ended as `ending`.
    pub(crate) fn child_done(&self, ticket: Ticket, ending: Ending<E>) {
        let mut synced = self.synced.lock();
        if synced
            .members
            .get(ticket.key)
            .is_some_and(|member| member.id == ticket.id)
        {
            synced.members.remove(ticket.key);
        }
        let mut discarded_panic = None;
        let failed = match ending {
            Ending::Completed => false,
            Ending::Dropped => {
                synced.cancelled += 1;
                false
            }
            Ending::Failed(error) => {
                synced.errors.push(error);
                true
            }
            Ending::Panicked(payload) => {
                if synced.panic.is_none() {
                    synced.panic = Some(payload);
                } else {
                    discarded_panic = Some(payload);
                }
                true
            }
        };
        let to_abort = if failed && !self.supervisor {
            self.fail_locked(&mut synced)
        } else {
            Vec::new()
        };
        let waker = if failed || synced.members.is_empty() {
            synced.waker.take()
        } else {
            None
        };
        drop(synced);
        abort_all(to_abort);
        if let Some(payload) = discarded_panic {
            unwind::discard(payload);
        }
        wake(waker);
    }

    /// The body returned `Err`: recorded like a child's, and it always cancels the rest.
    pub(crate) fn body_failed(&self, error: E) {
        let mut synced = self.synced.lock();
        synced.errors.push(error);
        let to_abort = self.fail_locked(&mut synced);
        drop(synced);
        abort_all(to_abort);
    }

    /// `cancel()`: stop accepting children and cancel the running ones, without an error.
    pub(crate) fn cancel(&self) {
        self.stop(Phase::Cancelled);
    }

    /// The group's future is going away: cancel what still runs and accept no more.
    pub(crate) fn close(&self) {
        self.stop(Phase::Closed);
    }

    fn stop(&self, phase: Phase) {
        let mut synced = self.synced.lock();
        let to_abort = if synced.phase == Phase::Open {
            synced.phase = phase;
            take_aborts(&mut synced.members)
        } else {
            if phase == Phase::Closed {
                synced.phase = Phase::Closed;
            }
            Vec::new()
        };
        let waker = synced.waker.take();
        drop(synced);
        abort_all(to_abort);
        wake(waker);
    }

    /// True while the group accepts children and its body should keep running. If not,
    /// registers `cx`'s waker so a failure or cancellation wakes the group's future.
    pub(crate) fn poll_open(&self, cx: &mut Context<'_>) -> bool {
        let mut synced = self.synced.lock();
        if synced.phase != Phase::Open {
            return false;
        }
        let replaced = register_waker(&mut synced.waker, cx.waker());
        drop(synced);
        crate::task::drop_any_waker(replaced);
        true
    }

    /// Ready once every child is done.
    pub(crate) fn poll_joined(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut synced = self.synced.lock();
        if synced.members.is_empty() {
            return Poll::Ready(());
        }
        let replaced = register_waker(&mut synced.waker, cx.waker());
        drop(synced);
        crate::task::drop_any_waker(replaced);
        Poll::Pending
    }

    /// Closes the group and takes what it ended with. Call once every child is done.
    pub(crate) fn finish(&self) -> Outcome<E> {
        let mut synced = self.synced.lock();
        debug_assert!(synced.members.is_empty());
        let phase = mem::replace(&mut synced.phase, Phase::Closed);
        Outcome {
            phase,
            errors: mem::take(&mut synced.errors),
            panic: synced.panic.take(),
            cancelled: synced.cancelled,
        }
    }

    fn fail_locked(&self, synced: &mut Synced<E, H>) -> Vec<H> {
        if synced.phase != Phase::Open {
            return Vec::new();
        }
        synced.phase = Phase::Failed;
        take_aborts(&mut synced.members)
    }
}

fn take_aborts<H>(members: &mut Slab<Member<H>>) -> Vec<H> {
    members
        .iter_mut()
        .filter_map(|(_, member)| member.abort.take())
        .collect()
}

fn abort_all<H: Abort>(handles: Vec<H>) {
    for handle in handles {
        handle.abort();
    }
}

/// Stores `waker` unless it is the one already there; returns the waker it replaced, to
/// be dropped once the lock is released (a waker's drop is user code, and may re-enter
/// the group).
fn register_waker(slot: &mut Option<Waker>, waker: &Waker) -> Option<Waker> {
    match slot {
        Some(current) if current.will_wake(waker) => None,
        _ => slot.replace(waker.clone()),
    }
}

/// Wakes the group's future, after the lock is released.
fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        crate::task::wake_any(waker);
    }
}
