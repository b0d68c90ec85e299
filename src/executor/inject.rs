//! `Inject`: the global queue, for work that does not come from a worker of this runtime.
//!
//! A `crossbeam-deque` `Injector` plus a close protocol, so that shutdown can drain it
//! knowing nothing will be pushed afterwards (a task left in it would keep the runtime's
//! shared state alive through the task's own scheduler reference). One atomic word holds a
//! `CLOSED` bit and the number of pushes in flight: a pusher registers (fetch_add), checks
//! `CLOSED`, pushes, and deregisters; `close` sets `CLOSED` and waits for the in-flight
//! count to reach zero. Both are read-modify-writes of one location, so exactly one of
//! "the pusher saw `CLOSED`" and "`close` saw the pusher registered" holds.

use crate::sync::atomic::{AtomicUsize, Ordering::*};
use crate::sync::deque::{Injector, Steal, Worker};
use crate::sync::thread;

const CLOSED: usize = 1;
const PUSHER_ONE: usize = 2;

#[derive(Debug)]
pub(crate) struct Inject<T> {
    queue: Injector<T>,
    state: AtomicUsize,
}

impl<T> Inject<T> {
    pub(crate) fn new() -> Inject<T> {
        Inject {
            queue: Injector::new(),
            state: AtomicUsize::new(0),
        }
    }

    /// Pushes `value`, or gives it back if the queue is closed.
    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        // AcqRel: ordered against `close`'s fetch_or on the same word.
        let prev = self.state.fetch_add(PUSHER_ONE, AcqRel);
        if prev & CLOSED != 0 {
            self.state.fetch_sub(PUSHER_ONE, Release);
            return Err(value);
        }
        self.queue.push(value);
        // Release: pairs with the Acquire load in `close`, publishing the push to the drain.
        self.state.fetch_sub(PUSHER_ONE, Release);
        Ok(())
    }

    /// Takes one value from the front.
    pub(crate) fn pop(&self) -> Option<T> {
        loop {
            match self.queue.steal() {
                Steal::Success(value) => return Some(value),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    /// Moves a batch into `dest` and returns one value of it.
    pub(crate) fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
        // A worker that runs dry looks here first, and the queue is empty nearly every
        // time: two loads settle that, where the steal's own check fences first.
        if self.queue.is_empty() {
            return Steal::Empty;
        }
        self.queue.steal_batch_and_pop(dest)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Values queued now (a snapshot).
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Refuses further pushes and waits until pushes already under way have landed, so a
    /// following drain (`pop` until `None`) empties the queue for good.
    pub(crate) fn close(&self) {
        self.state.fetch_or(CLOSED, AcqRel);
        // Acquire: pairs with the Release decrement in `push`.
        while self.state.load(Acquire) >= PUSHER_ONE {
            // A pusher is between its two atomic operations: a few instructions.
            thread::yield_now();
        }
    }
}
