//! `Timer`: the runtime's timer, a wheel per worker, driven by the workers themselves.
//!
//! # Why shards
//! A single wheel behind one mutex serialises every arm and cancel in the runtime on one
//! lock (tokio issue #6504: a timeout per request makes that lock the bottleneck). Here
//! each worker has its own wheel shard, behind its own mutex: a task arms its timer in the
//! shard of the worker it runs on (threads that are not workers spread round-robin), and
//! cancels it in the shard it was armed in. On a busy runtime each lock is taken almost
//! only by its own worker, so it stays uncontended and cache-local; only the worker that
//! fires timers visits the other shards, once per park or per maintenance interval.
//!
//! # Who fires
//! One parking worker at a time is the *driving* worker (the `driving` token). Before it
//! parks it fires every due entry in every shard and parks until the earliest remaining
//! deadline, exactly (the wheel keeps each entry's exact instant); the other idle workers
//! park without a timeout. Whoever arms a timer earlier than the driving worker's wake-up
//! unparks it (`notify_driver`), so it recomputes. Busy workers fire due entries at their
//! checks (`maintain`, on the executor's time budget), and skip the shards altogether
//! while `earliest` says nothing can be due. Wakers are always invoked after the shard
//! locks are released.
//!
//! # The `earliest` hint
//! `earliest` is never later than any pending deadline, so a check that finds `now`
//! before it has nothing to fire and locks nothing. Arming lowers it (`fetch_min`) after
//! inserting; a full pass over the shards raises it: it stores `u64::MAX` before reading
//! the shards and lowers it to what it found after. An arm the pass did not see (it locked
//! that shard first) comes after the pass's `u64::MAX` in the word's order, through the
//! shard's lock, so its `fetch_min` is not overwritten: read-modify-writes never lose one
//! another.
//!
//! # The wake-up protocol
//! The driving worker publishes `u64::MAX` in `driver_deadline` *before* it reads the
//! shards, and its real deadline after. An arming thread inserts under the shard lock and
//! then reads `driver_deadline`. If the driving worker read that shard before the insert,
//! its unlock happened before the arming thread's lock, so the arming thread's read sees
//! `u64::MAX` or the final deadline, and unparks the driver if it arms earlier. If the
//! driver read the shard after the insert, the deadline it computes covers the new entry.
//! The parker keeps an unpark that comes before the park, so none is lost either way.
//!
//! # The paused clock
//! On a runtime built with `Builder::start_paused(true)`, while the clock is paused
//! (`corun::time`), time moves only by `advance` or by *auto-advance*: when the runtime
//! goes idle (every worker parked, no blocking closure or `block_on` poll under way, no
//! task queued), whoever made it so (the last worker to park, or the end of the last
//! blocking job or `block_on` poll) calls `on_idle`, which jumps the clock to the earliest
//! deadline and fires it. The parking worker then runs what fired instead of sleeping;
//! elsewhere the wakes go through the injector. Exactly one caller sees each moment the
//! runtime goes idle (one atomic word, `idle.rs`), and the jump happens under a lock after
//! re-checking, so deadlines fire one at a time, in order, each with the clock at exactly
//! its instant. While paused the driving worker parks without a timeout and nothing hands
//! the driving role over (`has_pending` is false): no timer can come due behind a long
//! task, since time stands still until the runtime is idle. `resume` and `advance` unpark
//! the driver so that it recomputes.

use super::clock::Clock;
use super::wheel::Wheel;
use crate::executor::{BeforePark, Driver, Handle, Parker, Poller};
use crate::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use crate::sync::{Arc, Mutex};
use crossbeam_utils::CachePadded;
use std::any::Any;
use std::task::Waker;
use std::time::{Duration, Instant};

/// `earliest` when nothing is pending.
const NOTHING_PENDING: u64 = u64::MAX;

/// How long after the earliest deadline timers are fired: deadlines that close together
/// are fired in one pass (and the driver does not park for a few microseconds at a time).
/// Linux rounds a sleep's end by as much (its default timer slack). Timers are never
/// early; this is how late they may be, at most, on an idle runtime.
const SLACK_NANOS: u64 = 50_000;

/// `driver_deadline` when no worker is driving: arming never unparks anyone.
const NO_DRIVER: u64 = 0;

pub(crate) const RUNTIME_GONE: &str = "the corun runtime this timer belongs to has shut down: \
     timers (sleep, timeout, interval) only work while their runtime is alive";

pub(crate) struct Timer {
    clock: Clock,
    shards: Box<[CachePadded<Mutex<Shard>>]>,
    /// When the driving worker wakes up by itself: `NO_DRIVER`, or `u64::MAX` while it
    /// computes or has no deadline (then every arm unparks it).
    driver_deadline: CachePadded<AtomicU64>,
    /// No later than any pending deadline (see "The `earliest` hint").
    earliest: CachePadded<AtomicU64>,
    /// The driving worker's parker, while one is parked as the driver.
    driver: Mutex<Option<Arc<Parker>>>,
    /// The driving token: set while a worker is the driving one.
    driving: AtomicBool,
    /// Held while a paused clock auto-advances: one jump at a time.
    advancing: Mutex<()>,
    /// Spreads timers armed outside the workers over the shards.
    next_shard: AtomicUsize,
}

struct Shard {
    wheel: Wheel,
    /// Set at shutdown: entry keys held by timers are no longer valid.
    closed: bool,
}

/// Where an armed timer lives.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EntryRef {
    shard: u32,
    key: u32,
}

impl EntryRef {
    fn shard(self) -> usize {
        self.shard as usize
    }
    fn key(self) -> usize {
        self.key as usize
    }
}

impl Timer {
    /// A timer with `num_shards` wheels; its clock starts paused (at the runtime's start)
    /// if `start_paused`.
    pub(crate) fn new(num_shards: usize, start_paused: bool) -> Timer {
        let shards = (0..num_shards.max(1))
            .map(|_| {
                CachePadded::new(Mutex::new(Shard {
                    wheel: Wheel::new(),
                    closed: false,
                }))
            })
            .collect();
        Timer {
            clock: if start_paused {
                Clock::new_paused()
            } else {
                Clock::new()
            },
            shards,
            driver_deadline: CachePadded::new(AtomicU64::new(NO_DRIVER)),
            earliest: CachePadded::new(AtomicU64::new(NOTHING_PENDING)),
            driver: Mutex::new(None),
            driving: AtomicBool::new(false),
            advancing: Mutex::new(()),
            next_shard: AtomicUsize::new(0),
        }
    }

    /// The timer of `handle`'s runtime.
    pub(crate) fn of(handle: &Handle) -> &Timer {
        crate::drivers::Drivers::of(handle).timer()
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Arms a timer for `deadline` (on the clock's time line), in the shard of `worker`
    /// (the calling worker's index, if it is one). Returns `None` if the shard's time has
    /// already passed `deadline`: the timer is due now.
    pub(crate) fn register(
        &self,
        worker: Option<usize>,
        deadline: u64,
        waker: &Waker,
    ) -> Option<EntryRef> {
        let shard = match worker {
            Some(index) => index % self.shards.len(),
            // Relaxed: only spreads load.
            None => self.next_shard.fetch_add(1, Relaxed) % self.shards.len(),
        };
        let key = self.lock_open(shard).wheel.insert(deadline, waker)?;
        self.armed(deadline);
        Some(EntryRef {
            shard: shard as u32,
            key: key as u32,
        })
    }

    /// An entry was filed for `deadline`: lower the hint and wake the driver if needed.
    fn armed(&self, deadline: u64) {
        // Relaxed load, then an RMW only when it lowers the hint: see "The `earliest`
        // hint"; a stale lower value read here means the hint already covers `deadline`.
        if deadline < self.earliest.load(Relaxed) {
            self.earliest.fetch_min(deadline, AcqRel);
        }
        self.notify_driver(deadline);
    }

    /// True if the entry has fired; otherwise `waker` is the one it will wake.
    pub(crate) fn poll_fired(&self, entry: EntryRef, waker: &Waker) -> bool {
        let polled = self
            .lock_open(entry.shard())
            .wheel
            .poll_fired(entry.key(), waker);
        match polled {
            Ok(()) => true,
            Err(replaced) => {
                // Outside the lock: the old waker's drop may arm or cancel a timer here.
                crate::task::drop_any_waker(replaced);
                false
            }
        }
    }

    /// True if the entry has fired.
    pub(crate) fn is_fired(&self, entry: EntryRef) -> bool {
        self.lock_open(entry.shard()).wheel.is_fired(entry.key())
    }

    /// Re-arms the entry for `deadline`. Returns true if that time has passed (the entry
    /// is then marked fired).
    pub(crate) fn reset(&self, entry: EntryRef, deadline: u64) -> bool {
        let due = self
            .lock_open(entry.shard())
            .wheel
            .reset(entry.key(), deadline);
        if !due {
            self.armed(deadline);
        }
        due
    }

    /// Disarms and frees the entry. After shutdown there is nothing left to free.
    pub(crate) fn remove(&self, entry: EntryRef) {
        let waker = {
            let mut shard = self.shards[entry.shard()].lock();
            if shard.closed {
                return;
            }
            shard.wheel.remove(entry.key())
        };
        // Outside the lock: a waker's drop can free a task, or use this shard.
        crate::task::drop_any_waker(waker);
    }

    fn lock_open(&self, shard: usize) -> crate::sync::MutexGuard<'_, Shard> {
        let shard = self.shards[shard].lock();
        assert!(!shard.closed, "{RUNTIME_GONE}");
        shard
    }

    /// Unparks the driving worker if it would otherwise sleep past `deadline` (and its
    /// slack).
    fn notify_driver(&self, deadline: u64) {
        // SeqCst: see "The wake-up protocol" above; pairs with the stores in `before_park`.
        if deadline.saturating_add(SLACK_NANOS) < self.driver_deadline.load(SeqCst) {
            self.unpark_driver();
        }
    }

    /// Unparks the driving worker, if one is parked as the driver, so it recomputes.
    fn unpark_driver(&self) {
        if let Some(parker) = &*self.driver.lock() {
            parker.unpark();
        }
    }

    /// Pauses the clock (see "The paused clock"), if it is not paused already. Nobody
    /// needs waking: time next moves when the runtime goes idle.
    pub(crate) fn pause(&self) {
        self.clock.pause();
    }

    /// Lets a paused clock run again, from the virtual time it stands at.
    pub(crate) fn resume(&self) {
        if self.clock.resume() {
            // The driver parked without a timeout: it must park until the real deadline.
            self.unpark_driver();
        }
    }

    /// Moves a paused clock forward by `by` and fires every timer now due, so their tasks
    /// are scheduled when this returns. False if the clock is not paused.
    pub(crate) fn advance(&self, by: Duration) -> bool {
        let Some(now) = self.clock.advance_by(by) else {
            return false;
        };
        self.fire_until(now);
        self.unpark_driver();
        true
    }

    /// The runtime went idle with the clock paused: jump to the earliest deadline and fire
    /// it. One at a time, and only if the runtime is `still_idle` once this one holds the
    /// lock (another advance, or a wake from outside, may have got there first).
    fn auto_advance(&self, still_idle: &dyn Fn() -> bool) -> bool {
        let _one_at_a_time = self.advancing.lock();
        if !still_idle() {
            return false;
        }
        let (mut fired, mut next) = self.fire_until(self.clock.now());
        // `next` may be where entries of a higher level cascade, not a deadline: step on
        // until something fires. Never past a pending deadline. Ends early if the clock
        // was resumed meanwhile.
        while let (false, Some(at)) = (fired, next) {
            let Some(now) = self.clock.advance_to(at) else {
                break;
            };
            (fired, next) = self.fire_until(now);
        }
        fired
    }

    /// Fires every entry due by `now` (on the clock's time line), in every shard. Returns
    /// whether anything fired, and the earliest deadline still pending.
    pub(crate) fn fire_until(&self, now: u64) -> (bool, Option<u64>) {
        let mut wakers = Vec::new();
        let mut next: Option<u64> = None;
        // AcqRel: see "The `earliest` hint"; raised here, lowered below and by arms.
        self.earliest.swap(NOTHING_PENDING, AcqRel);
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            if shard.closed {
                continue;
            }
            shard.wheel.advance(now, &mut wakers);
            if let Some(deadline) = shard.wheel.next_expiration() {
                next = Some(next.map_or(deadline, |next| next.min(deadline)));
            }
        }
        if let Some(next) = next {
            self.earliest.fetch_min(next, AcqRel);
        }
        let fired = !wakers.is_empty();
        // Each on its own boundary: a waker that panics must not cost the others their
        // wake, nor this worker its life or the driving token.
        for waker in wakers {
            crate::task::wake_any(waker);
        }
        (fired, next)
    }

    fn release_driving(&self) {
        self.driver_deadline.store(NO_DRIVER, SeqCst);
        *self.driver.lock() = None;
        // Release: pairs with the Acquire swap in `before_park`.
        self.driving.store(false, Release);
    }
}

impl Driver for Timer {
    fn maintain(&self, now: Instant) {
        let now = self.clock.at(now);
        // Acquire: pairs with the lowering RMWs; a stale (later) value only delays the
        // firing to the next check or the driver.
        if now >= self.earliest.load(Acquire).saturating_add(SLACK_NANOS) {
            self.fire_until(now);
        }
    }

    fn before_park(&self, unparker: &Arc<Parker>) -> BeforePark {
        // Acquire: pairs with the Release in `release_driving`. A compare-exchange, not a
        // swap: a worker that finds the token taken must not write it (a swap's write,
        // ordered after the holder's release, would take the token for nobody).
        if self
            .driving
            .compare_exchange(false, true, Acquire, Relaxed)
            .is_err()
        {
            return BeforePark::Follow;
        }
        *self.driver.lock() = Some(unparker.clone());
        // SeqCst: before reading the shards (see "The wake-up protocol").
        self.driver_deadline.store(u64::MAX, SeqCst);
        let now = self.clock.now();
        let (fired, next) = self.fire_until(now);
        if fired {
            self.release_driving();
            return BeforePark::Ran;
        }
        match next {
            None => BeforePark::Drive(None),
            // Paused: time moves when the runtime goes idle (`on_idle`), not by waiting.
            Some(_) if self.clock.is_paused() => BeforePark::Drive(None),
            Some(deadline) => {
                let wake = deadline.saturating_add(SLACK_NANOS);
                self.driver_deadline.store(wake, SeqCst);
                // After a resume the clock runs at the real rate: its nanoseconds are real.
                BeforePark::Drive(Some(Duration::from_nanos(wake.saturating_sub(now))))
            }
        }
    }

    fn after_park(&self) {
        self.release_driving();
        self.fire_until(self.clock.now());
    }

    fn has_pending(&self) -> bool {
        // Relaxed: a hint; an arm racing with this read unparks a driver itself. While
        // paused nothing comes due behind a long task (see "The paused clock").
        self.earliest.load(Relaxed) != NOTHING_PENDING && !self.clock.is_paused()
    }

    fn pending(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().wheel.pending())
            .sum()
    }

    fn on_idle(&self, still_idle: &dyn Fn() -> bool) -> bool {
        // See "The paused clock"; when not paused this is the one load.
        self.clock.is_paused() && self.auto_advance(still_idle)
    }

    fn poller(&self) -> Option<Arc<dyn Poller>> {
        None
    }

    fn shutdown(&self) {
        for shard in self.shards.iter() {
            let wakers = {
                let mut shard = shard.lock();
                shard.closed = true;
                shard.wheel.drain_wakers()
            };
            // Outside the lock: dropping a waker may drop a task, whose timers lock the
            // shard to deregister (and find it closed).
            for waker in wakers {
                crate::task::drop_any_waker(Some(waker));
            }
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
