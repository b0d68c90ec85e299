//! `Parker`: puts one thread to sleep until another unparks it, without lost wakeups.
//!
//! The classic three-state parker (as in std's generic `thread::park` and tokio's
//! `park/thread.rs`): `EMPTY`, `PARKED` and `NOTIFIED` in one atomic, with a mutex and a
//! condition variable for the slow path. An `unpark` that comes before the `park` leaves a
//! token (`NOTIFIED`) that the next `park` consumes, so the order of the two calls does not
//! matter. Each worker has one; `block_on` uses one per call.
//!
//! A worker's parker also knows the runtime's [`Poller`] (the I/O driver's), if it has
//! one: the *driving* worker sleeps in the poller's wait instead of the condition variable
//! ([`Parker::park_polling`], a fourth state, `POLLING`), so that readiness events wake it
//! as well as unparks do, and an unpark of a polling thread goes through the poller's
//! wake-up (tokio's `park/thread.rs` and its I/O driver work this way too).

use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::{wait_timeout, Arc, Condvar, Mutex};
use std::fmt;
use std::task::Waker;
use std::time::{Duration, Instant};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;
/// Parked in the poller's wait: an unpark must go through [`Poller::wake`].
const POLLING: usize = 3;

/// A wait that events from outside end, such as `epoll_wait`: where the driving worker
/// sleeps when the runtime has one (the I/O driver implements it).
pub(crate) trait Poller: Send + Sync + 'static {
    /// Waits until an event, a [`wake`](Poller::wake) or `timeout` (`None`: no limit).
    /// Adds the wakers of the tasks the events concern to `woken`, for the caller to wake
    /// once it has left the wait (and the parked list: see `Shared::park_worker`); the
    /// caller keeps the vector from park to park, so a wait allocates nothing. May return
    /// early.
    fn poll(&self, timeout: Option<Duration>, woken: &mut Vec<Waker>);

    /// Makes the `poll` under way, or else the next one, return soon.
    fn wake(&self);
}

pub(crate) struct Parker {
    state: AtomicUsize,
    lock: Mutex<()>,
    condvar: Condvar,
    /// Where `park_polling` sleeps; without one it parks on the condition variable.
    poller: Option<Arc<dyn Poller>>,
}

impl fmt::Debug for Parker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parker")
            .field("state", &self.state)
            .field("poller", &self.poller.is_some())
            .finish()
    }
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker::with_poller(None)
    }

    /// A parker whose [`park_polling`](Parker::park_polling) sleeps in `poller`.
    pub(crate) fn with_poller(poller: Option<Arc<dyn Poller>>) -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            lock: Mutex::new(()),
            condvar: Condvar::new(),
            poller,
        }
    }

    /// Parks in the poller, at most `timeout` (`None`: until unparked or an event); on
    /// the condition variable if this parker has no poller. Returns on any event, so the
    /// caller re-checks its condition, with the wakers the poller's events call for added
    /// to `woken`: the caller wakes them (waking them here, still `POLLING`, would have
    /// this thread unpark itself through the poller, a wasted system call and a spurious
    /// next wait).
    pub(crate) fn park_polling(&self, timeout: Option<Duration>, woken: &mut Vec<Waker>) {
        let Some(poller) = &self.poller else {
            match timeout {
                Some(timeout) => self.park_timeout(timeout),
                None => self.park(),
            }
            return;
        };
        if self.take_token() {
            return;
        }
        match self.state.compare_exchange(EMPTY, POLLING, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // A swap, as in `set_parked`: it reads the latest unpark.
                self.state.swap(EMPTY, SeqCst);
                return;
            }
            Err(actual) => unreachable!("park state {actual}: only one thread parks a Parker"),
        }
        // An unpark from here on finds POLLING and wakes the poller; a wake that comes
        // before the wait begins makes the wait return at once (the poller keeps it).
        poller.poll(timeout, woken);
        // Leave POLLING, consuming the token of an unpark that raced with the return.
        self.state.swap(EMPTY, SeqCst);
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
            POLLING => {
                if let Some(poller) = &self.poller {
                    poller.wake();
                }
                return;
            }
            actual => unreachable!("park state {actual}"),
        }
        // The parked thread holds the lock from its PARKED store until it waits; taking
        // the lock here makes sure it is waiting before we notify, so the notify is not lost.
        drop(self.lock.lock());
        self.condvar.notify_one();
    }
}
