//! `Idle`: which workers are searching for work and which are parked.
//!
//! The protocol follows tokio's `scheduler/multi_thread/idle.rs` (itself after Go's
//! scheduler). One packed atomic counts *searching* workers (looking for work to steal) and
//! *unparked* workers; the list of parked workers sits behind a mutex. Rules:
//!
//! - At most half the workers search at once, so a burst of work does not send every idle
//!   core into a stealing storm.
//! - A producer that made work available (push, then a `SeqCst` fence) wakes a parked
//!   worker only if none is searching: a searcher will find the work.
//! - A worker that stops searching because it found work, and was the last searcher,
//!   wakes another one, so work keeps spreading one worker at a time (no thundering herd).
//! - The last searcher to park re-checks every queue *after* its decrement (and a fence).
//!   Either the producer's load saw the decrement (and wakes someone), or the searcher's
//!   re-check sees the work: a wakeup cannot be lost.
//!
//! On a runtime whose clock can be paused, the same word counts the work under way
//! outside the workers (*busy*: blocking jobs queued or running, `block_on` threads
//! polling). Whoever hands work on (a blocking job that wakes a task, a task that spawns
//! a blocking job or wakes a `block_on`) counts the receiver before it uncounts itself,
//! so the word reaches "every worker parked, nothing busy" only when nothing can run, and
//! exactly one decrement takes it there: that caller moves a paused clock on
//! (`Shared::went_idle`).
//!
//! State layout: bits `0..16` searching, bits `16..32` unparked, bits `32..64` busy.

use crate::sync::atomic::{
    AtomicU64,
    Ordering::{Relaxed, SeqCst},
};
use crate::sync::Mutex;

const UNPARKED_SHIFT: u32 = 16;
const BUSY_SHIFT: u32 = 32;
const SEARCHING_MASK: u64 = (1 << UNPARKED_SHIFT) - 1;
const SEARCHING_ONE: u64 = 1;
const UNPARKED_ONE: u64 = 1 << UNPARKED_SHIFT;
const BUSY_ONE: u64 = 1 << BUSY_SHIFT;

/// The most workers the packed counters can hold.
pub(crate) const MAX_WORKERS: usize = SEARCHING_MASK as usize;

#[derive(Debug)]
pub(crate) struct Idle {
    state: AtomicU64,
    num_workers: usize,
    /// Indices of parked workers; producers take from the end (the driving worker, if
    /// parked, is first: see `transition_worker_to_parked`).
    sleepers: Mutex<Vec<usize>>,
}

#[derive(Clone, Copy)]
struct Counts(u64);

impl Counts {
    fn searching(self) -> usize {
        (self.0 & SEARCHING_MASK) as usize
    }
    fn unparked(self) -> usize {
        ((self.0 >> UNPARKED_SHIFT) & SEARCHING_MASK) as usize
    }
    fn busy(self) -> u64 {
        self.0 >> BUSY_SHIFT
    }
    /// Every worker is parked and nothing runs outside them.
    fn all_idle(self) -> bool {
        self.busy() == 0 && self.unparked() == 0
    }
}

/// What a parking worker must do before it sleeps.
#[must_use]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parked {
    /// Re-check every queue (see `transition_worker_to_parked`).
    pub(crate) must_recheck: bool,
    /// This park left every worker parked and nothing busy: the caller is the one to
    /// tell the driver (`Driver::on_idle`).
    pub(crate) last_out: bool,
}

impl Idle {
    /// All workers start unparked and not searching.
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!(
            (1..=MAX_WORKERS).contains(&num_workers),
            "worker count {num_workers} outside 1..={MAX_WORKERS}"
        );
        Idle {
            state: AtomicU64::new((num_workers as u64) << UNPARKED_SHIFT),
            num_workers,
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
        }
    }

    fn load(&self) -> Counts {
        Counts(self.state.load(SeqCst))
    }

    /// Called by a producer after it published work. Returns the worker to unpark, already
    /// counted as searching and unparked.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        // Pairs with the fence in `transition_worker_to_parked`'s caller: the producer's push
        // comes before this load in the single SeqCst order.
        crate::sync::atomic::fence(SeqCst);
        if !self.should_notify() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        // Re-check under the lock: another producer may have woken a worker meanwhile.
        if !self.should_notify() {
            return None;
        }
        let index = sleepers.pop()?;
        self.state.fetch_add(SEARCHING_ONE | UNPARKED_ONE, SeqCst);
        Some(index)
    }

    /// True if some worker may be parked: a relaxed hint for a caller that only then
    /// takes the full `worker_to_notify` path.
    pub(crate) fn has_parked_hint(&self) -> bool {
        // Relaxed: a hint, as documented.
        Counts(self.state.load(Relaxed)).unparked() < self.num_workers
    }

    fn should_notify(&self) -> bool {
        let counts = self.load();
        counts.searching() == 0 && counts.unparked() < self.num_workers
    }

    /// Returns true if the worker may start searching (fewer than half are).
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let counts = self.load();
        if 2 * counts.searching() >= self.num_workers {
            return false;
        }
        // The check above is a hint; a few extra searchers are harmless.
        self.state.fetch_add(SEARCHING_ONE, SeqCst);
        true
    }

    /// A searching worker found work. Returns true if it was the last searcher, in which
    /// case it must wake another worker to keep the search going.
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = Counts(self.state.fetch_sub(SEARCHING_ONE, SeqCst));
        debug_assert!(prev.searching() > 0);
        prev.searching() == 1
    }

    /// The worker is about to park. Returns true if it must re-check every queue before
    /// sleeping, because a producer may have relied on it:
    ///
    /// - it was the last searcher: producers that saw it searching woke nobody;
    /// - it was not searching (it was refused, the cap being reached): a searcher that
    ///   found work and handed the search on before this decrement saw this worker still
    ///   unparked, and so had nobody to wake (found by loom, `worker_remote_spawn`; tokio
    ///   has the same window, tokio#6847).
    ///
    /// A searcher that was not the last needs no re-check: the last one will look.
    ///
    /// The driving worker (parked until the next timer) goes to the bottom of the parked
    /// list and the others on top, so producers wake a worker that is not driving first:
    /// waking the driver for work would make it give up the driving role while the others
    /// sleep without a timeout.
    ///
    /// The park that leaves every worker parked and nothing busy is told so (`last_out`):
    /// exactly one does, the word being one atomic.
    pub(crate) fn transition_worker_to_parked(
        &self,
        index: usize,
        is_searching: bool,
        is_driving: bool,
    ) -> Parked {
        let mut sleepers = self.sleepers.lock();
        let dec = UNPARKED_ONE + if is_searching { SEARCHING_ONE } else { 0 };
        let prev = Counts(self.state.fetch_sub(dec, SeqCst));
        if is_driving {
            sleepers.insert(0, index);
        } else {
            sleepers.push(index);
        }
        Parked {
            must_recheck: !is_searching || prev.searching() == 1,
            last_out: Counts(prev.0 - dec).all_idle(),
        }
    }

    /// Work outside the workers began: a blocking job was queued, or a `block_on` thread
    /// was woken (or started). Counted before the one who caused it stops counting.
    pub(crate) fn begin_busy(&self) {
        self.state.fetch_add(BUSY_ONE, SeqCst);
    }

    /// Work outside the workers ended (after everything it woke was counted). Returns
    /// true if it left every worker parked and nothing busy (`last_out`, as for a park).
    pub(crate) fn end_busy(&self) -> bool {
        let prev = self.state.fetch_sub(BUSY_ONE, SeqCst);
        debug_assert!(Counts(prev).busy() > 0);
        Counts(prev - BUSY_ONE).all_idle()
    }

    /// True if every worker is parked and nothing is busy, now.
    pub(crate) fn all_idle(&self) -> bool {
        self.load().all_idle()
    }

    /// A parked worker woke up on its own (its park timed out, or the driver woke it).
    /// Returns true if it was still listed as parked: it is now counted unparked (not
    /// searching). False if a producer took it off the list first, counting it as searching.
    pub(crate) fn unpark_worker_by_id(&self, index: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        let Some(position) = sleepers.iter().position(|&parked| parked == index) else {
            return false;
        };
        sleepers.swap_remove(position);
        self.state.fetch_add(UNPARKED_ONE, SeqCst);
        true
    }

    /// (searching, unparked) and the parked list, for models to check the books balance.
    #[cfg(all(test, corun_loom))]
    pub(crate) fn counts(&self) -> (usize, usize, Vec<usize>) {
        let counts = self.load();
        let parked = self.sleepers.lock().clone();
        (counts.searching(), counts.unparked(), parked)
    }

    /// True while `index` is in the parked list: a worker woken without being removed from
    /// it (a spurious wakeup, or an unpark meant for shutdown) must not count itself as
    /// searching.
    pub(crate) fn is_parked(&self, index: usize) -> bool {
        self.sleepers.lock().contains(&index)
    }
}
