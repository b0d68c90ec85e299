//! crossbeam-deque 0.8 rebuilt from loom's atomics and cells, for the loom models: the
//! FIFO `Worker` and its `Stealer` (Chase–Lev, in the weak-memory form of Lê et al.,
//! PPoPP 2013) here, the `Injector` in `loom_injector.rs`; operation for operation as in
//! `crossbeam-deque-0.8.8/src/deque.rs`, with the same orderings and fences.
//!
//! **Why not a `Mutex<VecDeque>`.** corun's parking protocol issues `SeqCst` fences
//! (`Shared::has_work`, `Idle::worker_to_notify`) because crossbeam's `push` and
//! `is_empty` are weaker than a lock. A lock-based mock hands every caller the lock's
//! happens-before for free, so the models passed with either fence deleted. This mock
//! gives only what crossbeam gives:
//!
//! - `Worker::push` writes the slot, issues `fence(Release)` and bumps `back` with a
//!   *relaxed* store. A thread whose `Acquire` load of `back` sees the bump synchronises
//!   with the fence; one that reads the old `back` learns nothing; and nothing orders the
//!   pusher's own later loads after its push (the store-buffering outcome is allowed).
//! - `Stealer::is_empty` and every steal: load `front` (`Acquire`), `fence(SeqCst)`
//!   (crossbeam's `epoch::pin`), load `back` (`Acquire`).
//! - Items are claimed by the owner's `fetch_add` on `front` (`SeqCst`) or a stealer's CAS
//!   on `front` (`SeqCst`, failure `Relaxed`). A stealer copies its slots *before* the CAS
//!   and, if the CAS fails, lets the copies go (they are `MaybeUninit`: nothing is
//!   dropped) and returns `Steal::Retry`; loom's cell tracking checks every copy.
//! - `Injector`: `tail`/`head` advanced by CAS (`SeqCst`, failure `Acquire`); slots
//!   published by `fetch_or(WRITE, Release)`, awaited with `Acquire`, marked
//!   `fetch_or(READ, AcqRel)`; a steal issues `fence(SeqCst)` and a *relaxed* load of
//!   `tail`, or skips both when `HAS_NEXT` says another block follows; `is_empty` is two
//!   `SeqCst` loads. Index encoding, laps and the block hand-off are crossbeam's, with a
//!   lap of 4 so that models cross block ends.
//!
//! **Simplifications**, none of which adds synchronisation:
//! - No resizing and no epoch GC: a worker queue is a fixed ring of `CAP` slots, the
//!   injector a fixed run of `BLOCKS` preallocated blocks, and overflowing either panics
//!   with a message naming the constant to raise. As the buffer never moves, crossbeam's
//!   `Acquire` re-loads of the buffer pointer (and its "buffer swapped → Retry" test)
//!   have no store to pair with and are left out; `epoch::pin`'s fence is kept as a
//!   `fence(SeqCst)` (on x86 crossbeam issues it as a `SeqCst` CAS on a thread-local
//!   word, meant as the same fence).
//! - Blocks are never freed, so the `DESTROY` bit and `Block::destroy` (which only add
//!   synchronisation between stealers at block ends) are left out.
//! - FIFO flavour only, and only what corun calls, with crossbeam's batch limits.
//!
//! So the mock is no stronger than crossbeam. Two loom caveats, for reading a failure or
//! a pass: loom treats `SeqCst` loads and RMWs as `AcqRel` (only `fence(SeqCst)` is
//! sequentially consistent), so a model may fail on an outcome that crossbeam's `SeqCst`
//! *accesses* exclude under C++20 — check it against the C++ model before calling it a
//! bug; and loom orders `fence(SeqCst)`s by happens-before, which C++ does not, so a
//! missing release/acquire pair hidden behind two such fences goes unnoticed.
//!
//! crossbeam's stealer reads a slot it does not own yet with a volatile load, a benign
//! race with a push that has wrapped around the ring onto it; loom would report it as a
//! data race. `CAP` is large enough that no model wraps.

use loom::cell::UnsafeCell;
use loom::sync::atomic::{fence, AtomicIsize, Ordering::*};
use loom::sync::Arc;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::{cmp, fmt, ptr};

/// Slots in a worker queue's ring (crossbeam starts at 64 and grows). A power of two.
const CAP: usize = 8;
/// crossbeam's `MAX_BATCH`: most items one `steal_batch_and_pop` moves (one more for the
/// injector).
const MAX_BATCH: usize = 32;

/// crossbeam's `Steal`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Steal<T> {
    /// The queue was empty.
    Empty,
    /// One item was taken.
    Success(T),
    /// A concurrent operation won the race; try again.
    Retry,
}

/// Copies a slot's bits out. crossbeam's `Buffer::read`.
fn read_slot<T>(slot: &UnsafeCell<MaybeUninit<T>>) -> MaybeUninit<T> {
    // SAFETY: the pointer comes from the cell, so it is valid and aligned; copying a
    // `MaybeUninit` asserts nothing about its contents. loom checks that no write races
    // with this read.
    slot.with(|ptr| unsafe { ptr::read(ptr) })
}

/// Overwrites a slot's bits. crossbeam's `Buffer::write`.
fn write_slot<T>(slot: &UnsafeCell<MaybeUninit<T>>, value: MaybeUninit<T>) {
    // SAFETY: as in `read_slot`; overwriting a `MaybeUninit` drops nothing. loom checks
    // that no other access races with this write.
    slot.with_mut(|ptr| unsafe { ptr::write(ptr, value) });
}

/// What a worker queue's owner and its stealers share (crossbeam's `Inner`). Item `i` is
/// in `buffer[i % CAP]` for `front <= i < back`.
struct Inner<T> {
    /// The oldest item: moved on by the owner's `pop` and by the stealers' CAS.
    front: AtomicIsize,
    /// One past the newest item; written only by the owner (`push`, a steal into it).
    back: AtomicIsize,
    buffer: Box<[UnsafeCell<MaybeUninit<T>>]>,
}

impl<T> Inner<T> {
    /// Items queued now, a snapshot for metrics (crossbeam's `len`).
    fn len(&self) -> usize {
        // SeqCst: not part of any protocol; the strongest is the simplest to reason about.
        let front = self.front.load(SeqCst);
        let back = self.back.load(SeqCst);
        usize::try_from(back.wrapping_sub(front)).unwrap_or(0)
    }

    fn slot(&self, index: isize) -> &UnsafeCell<MaybeUninit<T>> {
        // `CAP` is a power of two: masking is the index modulo `CAP`, as in crossbeam.
        &self.buffer[(index & (CAP as isize - 1)) as usize]
    }
}

impl<T> Drop for Inner<T> {
    fn drop(&mut self) {
        let back = self.back.with_mut(|back| *back);
        let mut index = self.front.with_mut(|front| *front);
        while back.wrapping_sub(index) > 0 {
            // SAFETY: the last handle is going: items `front..back` were written and
            // never taken, and nothing else can touch them now.
            self.slot(index)
                .with_mut(|ptr| unsafe { (*ptr).assume_init_drop() });
            index = index.wrapping_add(1);
        }
    }
}

/// The owner's end of a FIFO work-stealing queue (`crossbeam_deque::Worker::new_fifo`).
pub(crate) struct Worker<T> {
    inner: Arc<Inner<T>>,
    /// Only the owning thread pushes and pops, as crossbeam's `Worker` is `!Sync`.
    _not_sync: PhantomData<*mut ()>,
}

// SAFETY: as crossbeam's: items move between threads only through the front/back protocol,
// and the `Worker` itself stays `!Sync`.
unsafe impl<T: Send> Send for Worker<T> {}

impl<T> Worker<T> {
    pub(crate) fn new_fifo() -> Self {
        let buffer = (0..CAP)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect();
        Worker {
            inner: Arc::new(Inner {
                front: AtomicIsize::new(0),
                back: AtomicIsize::new(0),
                buffer,
            }),
            _not_sync: PhantomData,
        }
    }

    pub(crate) fn stealer(&self) -> Stealer<T> {
        Stealer {
            inner: self.inner.clone(),
        }
    }

    pub(crate) fn push(&self, task: T) {
        let inner = &*self.inner;
        // Relaxed: only this thread writes `back`.
        let back = inner.back.load(Relaxed);
        // Acquire: pairs with the `SeqCst` claims of `front`, so reads of the slot we may
        // reuse happen before we overwrite it.
        let front = inner.front.load(Acquire);
        assert!(
            back.wrapping_sub(front) < CAP as isize,
            "loom deque mock: a worker queue outgrew its {CAP} slots \
             (crossbeam would resize); raise `CAP` in src/sync/loom_deque.rs"
        );
        write_slot(inner.slot(back), MaybeUninit::new(task));
        // Pairs with the stealers' Acquire load of `back`: publishes the slot write.
        fence(Release);
        // Relaxed: the fence above does the publishing (crossbeam's choice, not ours).
        inner.back.store(back.wrapping_add(1), Relaxed);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        let inner = &*self.inner;
        // Relaxed (both): only this thread writes `back`; `front` is re-read by the RMW.
        let back = inner.back.load(Relaxed);
        let front = inner.front.load(Relaxed);
        if back.wrapping_sub(front) <= 0 {
            return None;
        }
        let front = inner.front.fetch_add(1, SeqCst);
        if back.wrapping_sub(front.wrapping_add(1)) < 0 {
            // A stealer took the last item first: undo, as crossbeam does.
            // Relaxed: crossbeam's; the stealers re-read `front` by CAS.
            inner.front.store(front, Relaxed);
            return None;
        }
        // SAFETY: the fetch_add claimed `front < back`; this thread wrote that slot (a
        // push or a steal into this queue) and nobody else may move it out.
        Some(unsafe { read_slot(inner.slot(front)).assume_init() })
    }

    pub(crate) fn len(&self) -> usize {
        self.inner.len()
    }

    /// crossbeam's `reserve`: the room a steal into this queue needs (we cannot grow).
    fn reserve(&self, reserve_cap: usize) {
        if reserve_cap > 0 {
            // Relaxed: only this thread writes `back`.
            let back = self.inner.back.load(Relaxed);
            let front = self.inner.front.load(SeqCst);
            let len = back.wrapping_sub(front);
            assert!(
                CAP as isize - len >= reserve_cap as isize,
                "loom deque mock: a steal would overflow a worker queue's {CAP} slots \
                 (crossbeam would resize); raise `CAP` in src/sync/loom_deque.rs"
            );
        }
    }
}

impl<T> fmt::Debug for Worker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Worker { .. }")
    }
}

/// Other threads' end of a worker queue (`crossbeam_deque::Stealer`).
pub(crate) struct Stealer<T> {
    inner: Arc<Inner<T>>,
}

// SAFETY: as crossbeam's: a stealer moves an item out only after its CAS on `front`
// claimed it, so each item has one taker.
unsafe impl<T: Send> Send for Stealer<T> {}
// SAFETY: as above; every method takes `&self` and goes through the atomics.
unsafe impl<T: Send> Sync for Stealer<T> {}

impl<T> Stealer<T> {
    pub(crate) fn is_empty(&self) -> bool {
        // Acquire (both): crossbeam's; pair with the claims of `front` and the push fence.
        let front = self.inner.front.load(Acquire);
        fence(SeqCst);
        let back = self.inner.back.load(Acquire);
        back.wrapping_sub(front) <= 0
    }

    pub(crate) fn len(&self) -> usize {
        self.inner.len()
    }

    /// Moves about half of the queue into `dest` and returns its oldest item.
    pub(crate) fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
        if Arc::ptr_eq(&self.inner, &dest.inner) {
            return match dest.pop() {
                Some(task) => Steal::Success(task),
                None => Steal::Empty,
            };
        }
        let src = &*self.inner;
        // Acquire: pairs with the claims of `front` by the owner and other stealers.
        let front = src.front.load(Acquire);
        // crossbeam: `epoch::pin()`, whose `SeqCst` fence orders the load of `back`.
        fence(SeqCst);
        // Acquire: pairs with the owner's `fence(Release)` before it bumped `back`.
        let back = src.back.load(Acquire);
        let len = back.wrapping_sub(front);
        if len <= 0 {
            return Steal::Empty;
        }
        let batch = cmp::min((len as usize - 1) / 2, MAX_BATCH - 1);
        dest.reserve(batch);
        let batch = batch as isize;
        // Relaxed: `dest` is ours; only this thread writes its `back`.
        let dest_back = dest.inner.back.load(Relaxed);
        // Copy first, claim after: the copies are only ours if the CAS below succeeds.
        let task = read_slot(src.slot(front));
        for i in 0..batch {
            let copy = read_slot(src.slot(front.wrapping_add(i + 1)));
            write_slot(dest.inner.slot(dest_back.wrapping_add(i)), copy);
        }
        if src
            .front
            .compare_exchange(front, front.wrapping_add(batch + 1), SeqCst, Relaxed)
            .is_err()
        {
            // Lost the race: the copies are `MaybeUninit`, so dropping them drops nothing
            // (crossbeam: "we didn't steal this task, forget it").
            return Steal::Retry;
        }
        // Publishes the copies to `dest`'s stealers, as in `push`.
        fence(Release);
        // Relaxed: the fence publishes (crossbeam's choice).
        dest.inner
            .back
            .store(dest_back.wrapping_add(batch), Relaxed);
        // SAFETY: the CAS claimed `front..=front + batch`; each was written before the
        // `back` we loaded with Acquire, and no one else can take them now.
        Steal::Success(unsafe { task.assume_init() })
    }
}

impl<T> fmt::Debug for Stealer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Stealer { .. }")
    }
}

#[path = "loom_injector.rs"]
mod injector;
pub(crate) use injector::Injector;

#[cfg(test)]
#[path = "loom_deque_tests.rs"]
mod tests;
