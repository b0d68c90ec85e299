//! crossbeam-deque 0.8's `Injector`, rebuilt from loom's atomics: a run of preallocated
//! blocks of `BLOCK_CAP` slots, each slot a cell plus a `WRITE`/`READ` state word. Pushers
//! claim a slot by CAS on `tail` and then write it; stealers claim a run of slots by CAS on
//! `head` and wait for each slot's `WRITE` bit before reading it. Indices and their
//! `HAS_NEXT` bit, laps and the block hand-off are crossbeam's (see the parent module for
//! what is modelled and what is left out), with a lap of 4 so that models cross block ends.

use super::{read_slot, write_slot, Steal, Worker, MAX_BATCH};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering::*};
use loom::thread;
use std::fmt;
use std::mem::MaybeUninit;

/// Indices per injector block, the last one a gap (crossbeam: 64).
const LAP: usize = 4;
/// Items per injector block.
const BLOCK_CAP: usize = LAP - 1;
/// Injector blocks, allocated up front: the injector takes `BLOCKS * BLOCK_CAP - 1`
/// pushes over its life (the push into a block's last slot installs the next block).
const BLOCKS: usize = 4;
/// Low bits of an injector index reserved for metadata.
const SHIFT: usize = 1;
/// In `head`: the head block is not the last one, so the queue is not empty.
const HAS_NEXT: usize = 1;
/// A slot's item has been written.
const WRITE: usize = 1;
/// A slot's item has been read.
const READ: usize = 2;

/// An injector slot (crossbeam's `Slot`).
struct Slot<T> {
    task: UnsafeCell<MaybeUninit<T>>,
    /// `WRITE` once the item is in, then `READ` once it is out.
    state: AtomicUsize,
}

impl<T> Slot<T> {
    /// A pusher claimed the slot by CAS on `tail` and writes it after: wait for it.
    fn wait_write(&self) {
        // Acquire: pairs with the pusher's `fetch_or(WRITE, Release)`.
        while self.state.load(Acquire) & WRITE == 0 {
            thread::yield_now();
        }
    }
}

/// An injector block (crossbeam's `Block`). Block `n`'s successor is block `n + 1`.
struct Block<T> {
    /// crossbeam's `next` pointer: set once the successor is installed.
    next: AtomicBool,
    slots: Box<[Slot<T>]>,
}

impl<T> Block<T> {
    fn new() -> Self {
        let slots = (0..BLOCK_CAP)
            .map(|_| Slot {
                task: UnsafeCell::new(MaybeUninit::uninit()),
                state: AtomicUsize::new(0),
            })
            .collect();
        Block {
            next: AtomicBool::new(false),
            slots,
        }
    }

    /// Waits until the pusher that filled this block's last slot installed the next one.
    fn wait_next(&self) {
        // Acquire: pairs with that pusher's Release store of `next`.
        while !self.next.load(Acquire) {
            thread::yield_now();
        }
    }
}

/// An end of the injector (crossbeam's `Position`): an index (position `<< SHIFT`, plus
/// `HAS_NEXT` in the head) and the number of the block it is in.
struct Position {
    index: AtomicUsize,
    block: AtomicUsize,
}

/// The global multi-producer queue (`crossbeam_deque::Injector`).
pub(crate) struct Injector<T> {
    head: Position,
    tail: Position,
    blocks: Box<[Block<T>]>,
}

// SAFETY: as crossbeam's: each slot is written by the one pusher whose CAS on `tail`
// claimed it and moved out by the one stealer whose CAS on `head` claimed it.
unsafe impl<T: Send> Send for Injector<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Injector<T> {}

impl<T> Injector<T> {
    pub(crate) fn new() -> Self {
        let position = || Position {
            index: AtomicUsize::new(0),
            block: AtomicUsize::new(0),
        };
        Injector {
            head: position(),
            tail: position(),
            blocks: (0..BLOCKS).map(|_| Block::new()).collect(),
        }
    }

    pub(crate) fn push(&self, task: T) {
        // Acquire (both): pair with the Release stores that install a new block.
        let mut tail = self.tail.index.load(Acquire);
        let mut block = self.tail.block.load(Acquire);
        loop {
            let offset = (tail >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                // Another pusher is installing the next block.
                thread::yield_now();
                tail = self.tail.index.load(Acquire);
                block = self.tail.block.load(Acquire);
                continue;
            }
            let new_tail = tail + (1 << SHIFT);
            // Acquire on failure: crossbeam's; the block is re-read below.
            match self
                .tail
                .index
                .compare_exchange_weak(tail, new_tail, SeqCst, Acquire)
            {
                Ok(_) => {
                    if offset + 1 == BLOCK_CAP {
                        self.install_next_block(block, new_tail);
                    }
                    let slot = &self.blocks[block].slots[offset];
                    write_slot(&slot.task, MaybeUninit::new(task));
                    // Release: pairs with the reader's Acquire in `wait_write`.
                    slot.state.fetch_or(WRITE, Release);
                    return;
                }
                Err(current) => {
                    tail = current;
                    block = self.tail.block.load(Acquire);
                }
            }
        }
    }

    /// The pusher that took `block`'s last slot moves `tail` past the gap.
    fn install_next_block(&self, block: usize, new_tail: usize) {
        let next = block + 1;
        assert!(
            next < BLOCKS,
            "loom deque mock: the injector used up its {BLOCKS} blocks of {BLOCK_CAP} \
             (crossbeam would allocate); raise `BLOCKS` in src/sync/loom_injector.rs"
        );
        let next_index = new_tail.wrapping_add(1 << SHIFT);
        // Release (all three): pair with the Acquire loads of `tail` and of `next`.
        self.tail.block.store(next, Release);
        self.tail.index.store(next_index, Release);
        self.blocks[block].next.store(true, Release);
    }

    /// The head's index, block and offset, once the head is not in a block's gap.
    fn load_head(&self) -> (usize, usize, usize) {
        loop {
            // Acquire (both): pair with `advance_head_block`'s Release stores.
            let head = self.head.index.load(Acquire);
            let block = self.head.block.load(Acquire);
            let offset = (head >> SHIFT) % LAP;
            if offset != BLOCK_CAP {
                return (head, block, offset);
            }
            // The stealer that took the block's last slot is moving the head on.
            thread::yield_now();
        }
    }

    /// The stealer that took `block`'s last slot moves `head` into the next block.
    fn advance_head_block(&self, block: usize, new_head: usize) {
        self.blocks[block].wait_next();
        let next = block + 1;
        let mut next_index = (new_head & !HAS_NEXT).wrapping_add(1 << SHIFT);
        // Relaxed: crossbeam's; a stale `false` only costs a fence later.
        if self.blocks[next].next.load(Relaxed) {
            next_index |= HAS_NEXT;
        }
        // Release (both): pair with `load_head`'s Acquire loads.
        self.head.block.store(next, Release);
        self.head.index.store(next_index, Release);
    }

    pub(crate) fn steal(&self) -> Steal<T> {
        let (head, block, offset) = self.load_head();
        let mut new_head = head + (1 << SHIFT);
        if new_head & HAS_NEXT == 0 {
            fence(SeqCst);
            // Relaxed: crossbeam's; the fence orders it.
            let tail = self.tail.index.load(Relaxed);
            if head >> SHIFT == tail >> SHIFT {
                return Steal::Empty;
            }
            if (head >> SHIFT) / LAP != (tail >> SHIFT) / LAP {
                new_head |= HAS_NEXT;
            }
        }
        // Acquire on failure: crossbeam's.
        if self
            .head
            .index
            .compare_exchange_weak(head, new_head, SeqCst, Acquire)
            .is_err()
        {
            return Steal::Retry;
        }
        if offset + 1 == BLOCK_CAP {
            self.advance_head_block(block, new_head);
        }
        let slot = &self.blocks[block].slots[offset];
        slot.wait_write();
        let task = read_slot(&slot.task);
        // crossbeam frees a block after its last slot; the other slots are marked READ
        // (AcqRel: crossbeam's, for the destroy hand-off we leave out).
        if offset + 1 != BLOCK_CAP {
            slot.state.fetch_or(READ, AcqRel);
        }
        // SAFETY: the CAS claimed this slot, and `wait_write` saw its item written.
        Steal::Success(unsafe { task.assume_init() })
    }

    /// Moves about half of the queue (at most to the end of the head block) into `dest`
    /// and returns the oldest item.
    pub(crate) fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
        let limit = MAX_BATCH + 1;
        let (head, block, offset) = self.load_head();
        let mut new_head = head;
        let advance;
        if new_head & HAS_NEXT == 0 {
            fence(SeqCst);
            // Relaxed: crossbeam's; the fence orders it.
            let tail = self.tail.index.load(Relaxed);
            if head >> SHIFT == tail >> SHIFT {
                return Steal::Empty;
            }
            if (head >> SHIFT) / LAP != (tail >> SHIFT) / LAP {
                new_head |= HAS_NEXT;
                advance = (BLOCK_CAP - offset).min(limit);
            } else {
                let len = (tail - head) >> SHIFT;
                // crossbeam: `(len + 1) / 2`, half rounded up.
                advance = len.div_ceil(2).min(limit);
            }
        } else {
            advance = (BLOCK_CAP - offset).min(limit);
        }
        new_head += advance << SHIFT;
        let new_offset = offset + advance;
        // Acquire on failure: crossbeam's.
        if self
            .head
            .index
            .compare_exchange_weak(head, new_head, SeqCst, Acquire)
            .is_err()
        {
            return Steal::Retry;
        }
        let batch = new_offset - offset - 1;
        dest.reserve(batch);
        // Relaxed: `dest` is ours; only this thread writes its `back`.
        let dest_back = dest.inner.back.load(Relaxed);
        if new_offset == BLOCK_CAP {
            self.advance_head_block(block, new_head);
        }
        let slots = &self.blocks[block].slots;
        slots[offset].wait_write();
        let task = read_slot(&slots[offset].task);
        for i in 0..batch {
            let slot = &slots[offset + i + 1];
            slot.wait_write();
            let copy = read_slot(&slot.task);
            write_slot(dest.inner.slot(dest_back.wrapping_add(i as isize)), copy);
        }
        // Publishes the copies to `dest`'s stealers, as in `Worker::push`.
        fence(Release);
        // Relaxed: the fence publishes (crossbeam's choice).
        dest.inner
            .back
            .store(dest_back.wrapping_add(batch as isize), Relaxed);
        if new_offset != BLOCK_CAP {
            for slot in &slots[offset..new_offset] {
                // AcqRel: crossbeam's, for the destroy hand-off we leave out.
                slot.state.fetch_or(READ, AcqRel);
            }
        }
        // SAFETY: the CAS claimed `offset..new_offset`, and `wait_write` saw the first
        // slot's item written.
        Steal::Success(unsafe { task.assume_init() })
    }

    pub(crate) fn is_empty(&self) -> bool {
        let head = self.head.index.load(SeqCst);
        let tail = self.tail.index.load(SeqCst);
        head >> SHIFT == tail >> SHIFT
    }

    /// Items queued now (a snapshot): slots between head and tail, less the one gap at the
    /// end of each lap in between.
    pub(crate) fn len(&self) -> usize {
        let head = self.head.index.load(SeqCst) >> SHIFT;
        let tail = self.tail.index.load(SeqCst) >> SHIFT;
        tail.saturating_sub(head)
            .saturating_sub(tail / LAP - head / LAP)
    }
}

impl<T> Drop for Injector<T> {
    fn drop(&mut self) {
        let mut head = self.head.index.with_mut(|head| *head) & !HAS_NEXT;
        let tail = self.tail.index.with_mut(|tail| *tail);
        let mut block = self.head.block.with_mut(|block| *block);
        while head != tail {
            let offset = (head >> SHIFT) % LAP;
            if offset < BLOCK_CAP {
                let slot = &self.blocks[block].slots[offset];
                // SAFETY: `head..tail` holds the items pushed and never stolen; with
                // `&mut self` nothing else can touch them.
                slot.task
                    .with_mut(|ptr| unsafe { (*ptr).assume_init_drop() });
            } else {
                block += 1;
            }
            head = head.wrapping_add(1 << SHIFT);
        }
    }
}

impl<T> fmt::Debug for Injector<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Injector { .. }")
    }
}
