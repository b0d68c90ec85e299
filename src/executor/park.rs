//! `Parker`: puts one thread to sleep until another unparks it, without lost wakeups.
//!
//! The classic three-state parker (as in std's generic `thread::park` and tokio's
//! `park/thread.rs`): `EMPTY`, `PARKED` and `NOTIFIED` in one atomic, with a mutex and a
//! condition variable for the slow path. An `unpark` that comes before the `park` leaves a
//! token (`NOTIFIED`) that the next `park` consumes, so the order of the two calls does not
//! matter. Each worker has one; `block_on` uses one per call.

use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::{wait_timeout, Condvar, Mutex};
use std::time::{Duration, Instant};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

#[derive(Debug)]
pub(crate) struct Parker {
    state: AtomicUsize,
    lock: Mutex<()>,
    condvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            lock: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    /// Blocks until `unpark` is called (or returns at once if it already was). May also
    /// return spuriously; callers re-check their condition.
    pub(crate) fn park(&self) {
        if self.take_token() {
            return;
        }
        let mut guard = self.lock.lock();
        if !self.set_parked() {
            return;
        }
        loop {
            self.condvar.wait(&mut guard);
            if self.take_token() {
                return;
            }
            // A spurious wakeup: still PARKED.
        }
    }

    /// Like [`park`](Parker::park), but returns after `timeout` at the latest.
    pub(crate) fn park_timeout(&self, timeout: Duration) {
        if self.take_token() {
            return;
        }
        // A deadline too far away to represent is no deadline.
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            return self.park();
        };
        let mut guard = self.lock.lock();
        if !self.set_parked() {
            return;
        }
        loop {
            // Under loom a timed wait ends by timing out after the other threads ran (loom
            // has no clock), and the real clock must not steer a model: a branch on it
            // would make the model's executions differ from one replay to the next.
            let left = if cfg!(corun_loom) {
                timeout
            } else {
                deadline.saturating_duration_since(Instant::now())
            };
            let timed_out = left.is_zero() || wait_timeout(&self.condvar, &mut guard, left);
            // Notified, or timed out: either way leave PARKED (consuming a token that an
            // unpark racing with the timeout left; the caller re-checks its condition). An
            // unpark that comes after this leaves a token for the next park.
            if self.state.swap(EMPTY, SeqCst) == NOTIFIED || timed_out {
                return;
            }
            // A spurious or early wakeup: wait out the rest, unless unparked meanwhile.
            if !self.set_parked() {
                return;
            }
        }
    }

    /// Consumes a pending unpark, if there is one. SeqCst everywhere: the state is also
    /// read against the run queues by the idle protocol (see `idle.rs`).
    fn take_token(&self) -> bool {
        self.state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
    }

    /// With the lock held, moves `EMPTY` to `PARKED`. Returns false, having consumed the
    /// token, if an unpark came first.
    fn set_parked(&self) -> bool {
        match self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            Ok(_) => true,
            Err(NOTIFIED) => {
                // A swap, not a store: a read-modify-write reads the latest unpark, so
                // this thread sees what every unparker wrote before its unpark. A store
                // could erase a second unpark that it never read, and the caller, not
                // seeing that unparker's writes (a shutdown flag, say), would park again
                // with no token left (found by loom, `timer_auto_advance`; loom model
                // `park_unpark::two_unparks_racing_with_a_park`).
                self.state.swap(EMPTY, SeqCst);
                false
            }
            Err(actual) => unreachable!("park state {actual}: only one thread parks a Parker"),
        }
    }

    /// Wakes the parked thread, or makes its next `park` return at once.
    pub(crate) fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => return,
            PARKED => {}
            actual => unreachable!("park state {actual}"),
        }
        // The parked thread holds the lock from its PARKED store until it waits; taking
        // the lock here makes sure it is waiting before we notify, so the notify is not lost.
        drop(self.lock.lock());
        self.condvar.notify_one();
    }
}
