//! `Readiness`: one direction (reading or writing) of a registered socket — whether the
//! operating system last said it is ready, and who waits for it to be.
//!
//! # The protocol
//! Readiness is edge-triggered: the poller reports a socket once when it *becomes*
//! ready, not for as long as it stays so. The driver records the report here
//! ([`Readiness::set_ready`]); a task that wants to read checks the word, tries the read,
//! and on `WouldBlock` clears the word ([`Readiness::clear`]) and waits for the next
//! report. The race to get right: a report that arrives *between* the task's failed read
//! and its clear. Clearing it would lose that report (the poller will not repeat it) and
//! the task would wait forever for data that is already there.
//!
//! So the word carries a *tick* that every report advances. A task takes the tick when
//! it finds the word ready ([`Readiness::poll_ready`]) and clears only if the tick is
//! still the one it took: a report in between changed the tick, the clear does nothing,
//! and the task tries again (loom model `io_readiness`). Learned from tokio's
//! `ScheduledIo`, whose readiness word carries the driver's tick for the same reason.
//! A single try that does not wait (`try_read`) takes the tick the same way, from
//! [`Readiness::ready`], which files no waker; its `WouldBlock` clears with that tick,
//! so a report racing with it is kept for the caller's next wait.
//!
//! Waiting: a task that finds the word not ready files its waker under its own
//! [`Waiter`] slot, then reads the word again. The driver sets the word, then takes the
//! wakers under the same lock: either it sees the waker, or the task's second read,
//! after the lock, sees the new word.
//!
//! A report that the peer closed its end or the socket failed may be the last: no report
//! need follow it, so it sets `CLOSED`, which a clear after a short read leaves (that
//! operation must still find out, at its next try, that the stream ended). Only a
//! `WouldBlock` takes it away: the operating system saying there is nothing to do
//! outranks a report that said there would be. A socket can be both — a UDP socket after
//! an ICMP error (reported as a failure, then usable again), a datagram socket shut for
//! reading (hung up, yet its receives return `WouldBlock`) — and one whose `CLOSED` stayed
//! would make every operation on it try, see `WouldBlock` and try again, forever, inside
//! one poll.
//!
//! ```text
//! bit 0    READY     the last report said ready, and no clear with its tick came since
//! bit 1    CLOSED    a report said closed or failed: ready until a `WouldBlock` clears it
//! bit 2    SHUTDOWN  the runtime shut down: every wait ends with an error; never cleared
//! bits 3.. tick      counts reports (wrapping)
//! ```

use crate::sync::atomic::{AtomicUsize, Ordering::*};
use crate::sync::Mutex;
use slab::Slab;
use std::io;
use std::task::{Context, Poll, Waker};

/// The last report said ready and nobody has seen `WouldBlock` since.
const READY: usize = 1;
/// The peer closed this direction, or the socket failed: no more reports may come, and
/// the next operation returns the end or the error. Cleared only by a `WouldBlock`.
const CLOSED: usize = 1 << 1;
/// The runtime shut down. Never cleared.
const SHUTDOWN: usize = 1 << 2;
const TICK_SHIFT: u32 = 3;
const TICK_ONE: usize = 1 << TICK_SHIFT;

/// A new socket's word: ready, tick 0. The first operation just tries (a new socket is
/// often ready already: a connected stream is writable); a `WouldBlock` clears it.
const INITIAL: usize = READY;

pub(crate) const RUNTIME_GONE: &str = "the corun runtime this socket belongs to has shut \
     down: sockets only work while their runtime is alive";

/// One direction's readiness word and its waiters.
pub(crate) struct Readiness {
    state: AtomicUsize,
    /// Each waiter's slot, by its [`Waiter`] key. A report takes the wakers and leaves
    /// the slots, so keys stay valid until their waiters forget them.
    waiters: Mutex<Slab<Option<Waker>>>,
}

/// The report a ready word was found with: what a `WouldBlock` clears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tick(usize);

/// What an operation learned that lets it clear readiness at its tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Drained {
    /// It returned `WouldBlock`: nothing to do until the next report, whatever the
    /// last one said. Clears `CLOSED` too (see "The protocol").
    WouldBlock,
    /// It moved fewer bytes than it asked for: the socket's buffer is most likely empty,
    /// but the end of the stream may be right behind those bytes, so `CLOSED` stays.
    Short,
}

/// A waiter's slot in one direction's list: held by whatever waits (a future, or a
/// stream's read or write side), and handed back with [`Readiness::forget`].
#[derive(Debug, Default)]
pub(crate) struct Waiter {
    key: Option<usize>,
}

impl Readiness {
    pub(crate) fn new() -> Readiness {
        Readiness {
            state: AtomicUsize::new(INITIAL),
            waiters: Mutex::new(Slab::new()),
        }
    }

    /// `Ready(Ok(tick))` if the direction is ready, an error once the runtime shut down;
    /// otherwise files `cx`'s waker in `waiter`'s slot and returns `Pending`.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        waiter: &mut Waiter,
    ) -> Poll<io::Result<Tick>> {
        // Acquire: pairs with the AcqRel update in `set_ready` (and `shut_down`), so
        // that what the report stands for is visible before the operation tries.
        if let Some(ready) = decode(self.state.load(Acquire)) {
            return Poll::Ready(ready);
        }
        let replaced = self.file(cx.waker(), waiter);
        crate::task::drop_any_waker(replaced);
        // Again, after the lock: a report set before the driver took the lock is seen
        // here (see "The protocol").
        match decode(self.state.load(Acquire)) {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }

    /// The word as an operation sees it, without waiting: `Some(Ok(tick))` if the
    /// direction is ready, an error once the runtime shut down, `None` if not ready.
    /// Files no waker: for a single try (`try_read`) that returns `WouldBlock` instead
    /// of waiting, and clears at this tick as a waiting operation would.
    pub(crate) fn ready(&self) -> Option<io::Result<Tick>> {
        // Acquire: as in `poll_ready`.
        decode(self.state.load(Acquire))
    }

    /// Files `waker` in `waiter`'s slot (taking one if it has none); returns the waker it
    /// replaced, to be dropped outside the lock.
    fn file(&self, waker: &Waker, waiter: &mut Waiter) -> Option<Waker> {
        let mut waiters = self.waiters.lock();
        match waiter.key {
            Some(key) => {
                let slot = &mut waiters[key];
                match slot {
                    Some(filed) if filed.will_wake(waker) => None,
                    _ => slot.replace(waker.clone()),
                }
            }
            None => {
                waiter.key = Some(waiters.insert(Some(waker.clone())));
                None
            }
        }
    }

    /// An operation found the word ready at `tick` and then `drained` the socket: clears
    /// readiness, unless a report came since (the tick moved), which leaves it set for
    /// the operation to try again.
    pub(crate) fn clear(&self, tick: Tick, drained: Drained) {
        let cleared = match drained {
            Drained::WouldBlock => READY | CLOSED,
            Drained::Short => READY,
        };
        let mut current = self.state.load(Relaxed);
        while current & cleared != 0 && current >> TICK_SHIFT == tick.0 {
            // Relaxed: a clear publishes nothing; a report's tick change is what matters,
            // and the compare-exchange sees the latest word.
            match self
                .state
                .compare_exchange_weak(current, current & !cleared, Relaxed, Relaxed)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// The poller reported this direction ready (for good if `closed`: the peer closed it
    /// or the socket failed): sets the word with a new tick and moves every filed waker
    /// into `wakers`, for the caller to wake outside any lock.
    pub(crate) fn set_ready(&self, closed: bool, wakers: &mut Vec<Waker>) {
        let set = if closed { READY | CLOSED } else { READY };
        // AcqRel: the Release half pairs with the Acquire loads in `poll_ready`; the
        // Acquire half orders this after the clear it overrides.
        let mut current = self.state.load(Relaxed);
        loop {
            let next = current.wrapping_add(TICK_ONE) | set;
            match self
                .state
                .compare_exchange_weak(current, next, AcqRel, Relaxed)
            {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        self.take_wakers(wakers);
    }

    /// The runtime shut down: every wait from now on ends with an error, and every
    /// waiter is moved into `wakers` to find that out.
    pub(crate) fn shut_down(&self, wakers: &mut Vec<Waker>) {
        // AcqRel: as in `set_ready`.
        self.state.fetch_or(SHUTDOWN, AcqRel);
        self.take_wakers(wakers);
    }

    fn take_wakers(&self, wakers: &mut Vec<Waker>) {
        let mut waiters = self.waiters.lock();
        wakers.extend(waiters.iter_mut().filter_map(|(_, slot)| slot.take()));
    }

    /// Hands `waiter`'s slot back (it waits no more); a no-op if it never filed one.
    pub(crate) fn forget(&self, waiter: &mut Waiter) {
        if let Some(key) = waiter.key.take() {
            let waker = self.waiters.lock().remove(key);
            crate::task::drop_any_waker(waker);
        }
    }
}

impl Drop for Readiness {
    fn drop(&mut self) {
        // Each foreign waker behind the unwind boundary: a panicking drop must not leak
        // the others.
        for (_, waker) in std::mem::take(&mut *self.waiters.lock()) {
            crate::task::drop_any_waker(waker);
        }
    }
}

/// What a word means to an operation: `None` if it must wait.
fn decode(state: usize) -> Option<io::Result<Tick>> {
    if state & SHUTDOWN != 0 {
        Some(Err(io::Error::other(RUNTIME_GONE)))
    } else if state & (READY | CLOSED) != 0 {
        Some(Ok(Tick(state >> TICK_SHIFT)))
    } else {
        None
    }
}

#[cfg(all(test, not(corun_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_would_block_clears_a_closing_report_and_a_short_transfer_does_not() {
        let readiness = Readiness::new();
        let mut wakers = Vec::new();
        readiness.set_ready(true, &mut wakers);
        let tick = readiness.ready().expect("reported").unwrap();
        readiness.clear(tick, Drained::Short);
        let tick = readiness
            .ready()
            .expect("a short transfer leaves CLOSED")
            .unwrap();
        readiness.clear(tick, Drained::WouldBlock);
        assert!(
            readiness.ready().is_none(),
            "a WouldBlock leaves the word waiting for the next report"
        );
    }
}
