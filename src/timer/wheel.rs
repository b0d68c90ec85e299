//! The hierarchical timing wheel (Varghese & Lauck, "Hashed and Hierarchical Timing
//! Wheels", 1987), as a plain data structure: it knows deadlines and wakers, not clocks,
//! threads or runtimes.
//!
//! Deadlines are exact (nanoseconds on the caller's clock); the wheel's slots are ticks of
//! `2^TICK_SHIFT` ns (65.5 µs: a tick is a shift, and an entry waits in the list of its
//! tick for at most that long, so the list of the tick just reached stays short). Six
//! levels of 64 slots: level 0 slots are one tick wide (level 0 spans 4.2 ms), level 1
//! slots 64 ticks (268 ms), and so on, so the wheel spans `64^6` ticks, about 52 days. An
//! entry is filed by its deadline's tick at the level of the highest 6-bit digit in which
//! that tick differs from `elapsed` (the last tick processed), so it sits in a slot that
//! lies ahead of `elapsed` within its level. When that slot comes due, each of its entries
//! fires if its exact deadline has passed, waits in the *current* list if its deadline lies
//! later within the tick just reached, or is re-filed at a lower level ("cascading", at
//! most six moves). Entries further away than the wheel's span are filed at the top level
//! and re-filed each time their slot comes round, so durations of any length neither
//! overflow nor fire early.
//!
//! An entry fires only once its own deadline has passed: never early, and, since the driver
//! asks for [`Wheel::next_expiration`] (the exact earliest deadline of the next level-0 slot
//! or of the current list), never a tick late either.
//!
//! Entries live in a slab (one contiguous allocation, reused), and each slot is the head of
//! a doubly linked list threaded through the slab by key, so insert, cancel and re-arm are
//! O(1) and a pending timer costs one slab slot, no allocation of its own.

use super::level::{Level, LEVEL_BITS};
use slab::Slab;
use std::num::NonZeroU16;
use std::task::Waker;

/// The key of no entry: the end of a list.
pub(super) const NIL: u32 = u32::MAX;

/// One tick, the width of a level-0 slot, is `2^TICK_SHIFT` nanoseconds.
pub(super) const TICK_SHIFT: u32 = 16;

const NUM_LEVELS: usize = 6;

/// The furthest ahead of `elapsed` an entry is filed; later deadlines wait at the top level.
const MAX_DURATION: u64 = (1 << (LEVEL_BITS as usize * NUM_LEVELS)) - 1;

/// Capacity kept when the wheel empties; a bigger slab is freed, so a burst of timers
/// gives its memory back once it is over.
const RETAINED_CAPACITY: usize = 1024;

pub(crate) struct Wheel {
    /// Every tick up to and including this one has been processed.
    elapsed: u64,
    /// The latest time the wheel was advanced to.
    now: u64,
    levels: [Level; NUM_LEVELS],
    /// Entries whose tick has been processed but whose deadline lies later in it.
    current: u32,
    entries: Slab<Entry>,
    /// Entries filed in a list: not fired yet.
    pending: usize,
}

struct Entry {
    /// The exact instant at which the entry fires.
    deadline: u64,
    /// Who to wake; `None` after firing.
    waker: Option<Waker>,
    filed: Filed,
    prev: u32,
    next: u32,
}

/// Where an entry is: a slot of a level, the current list, or nowhere (it fired). Never
/// zero (a slot is stored plus one), so that the slab can keep its vacant marker in the
/// niche and an entry takes 40 bytes, not 48.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Filed(NonZeroU16);

impl Filed {
    const FIRED: Filed = Filed(NonZeroU16::MAX);
    const CURRENT: Filed = Filed(NonZeroU16::new(u16::MAX - 1).unwrap());

    fn slot(level: usize, slot: usize) -> Filed {
        let packed = ((level as u16) << LEVEL_BITS) | slot as u16;
        Filed(NonZeroU16::MIN.saturating_add(packed))
    }
    fn packed(self) -> usize {
        usize::from(self.0.get() - 1)
    }
    fn level(self) -> usize {
        self.packed() >> LEVEL_BITS
    }
    fn index(self) -> usize {
        self.packed() & ((1 << LEVEL_BITS) - 1)
    }
}

fn tick_of(deadline: u64) -> u64 {
    deadline >> TICK_SHIFT
}

impl Wheel {
    pub(crate) fn new() -> Wheel {
        Wheel {
            elapsed: 0,
            now: 0,
            levels: std::array::from_fn(|level| Level::new(level as u32)),
            current: NIL,
            entries: Slab::new(),
            pending: 0,
        }
    }

    /// Files a new entry that wakes `waker` at `deadline`. Returns `None`, and keeps
    /// nothing, if `deadline` is not after the time the wheel was last advanced to: the
    /// caller's timer is due now.
    pub(crate) fn insert(&mut self, deadline: u64, waker: &Waker) -> Option<usize> {
        if deadline <= self.now {
            return None;
        }
        let key = self.entries.insert(Entry {
            deadline,
            waker: Some(waker.clone()),
            filed: Filed::FIRED,
            prev: NIL,
            next: NIL,
        });
        assert!(
            key < NIL as usize,
            "more than 2^32 - 1 pending timers in one shard"
        );
        self.file(key as u32);
        Some(key)
    }

    /// Moves entry `key` to `deadline`, reusing its slot. Returns true if `deadline` is not
    /// after the time the wheel was last advanced to: the entry is then marked fired.
    pub(crate) fn reset(&mut self, key: usize, deadline: u64) -> bool {
        let key = key as u32;
        self.unlink(key);
        self.entry(key).deadline = deadline;
        if deadline <= self.now {
            return true;
        }
        self.file(key);
        false
    }

    /// `Ok` once entry `key` has fired; otherwise makes `waker` the one it will wake and
    /// returns the waker it replaced, if any, for the caller to drop once it has let go of
    /// the wheel (a waker's drop is user code).
    pub(crate) fn poll_fired(&mut self, key: usize, waker: &Waker) -> Result<(), Option<Waker>> {
        let entry = self.entry(key as u32);
        if entry.filed == Filed::FIRED {
            return Ok(());
        }
        match &entry.waker {
            Some(current) if current.will_wake(waker) => Err(None),
            _ => Err(entry.waker.replace(waker.clone())),
        }
    }

    /// Entries that have not fired yet.
    pub(crate) fn pending(&self) -> usize {
        self.pending
    }

    /// True once entry `key` has fired.
    pub(crate) fn is_fired(&self, key: usize) -> bool {
        self.entries[key].filed == Filed::FIRED
    }

    /// Removes entry `key`, fired or not, and returns its waker if it had not fired.
    pub(crate) fn remove(&mut self, key: usize) -> Option<Waker> {
        self.unlink(key as u32);
        let entry = self.entries.remove(key);
        if self.entries.is_empty() && self.entries.capacity() > RETAINED_CAPACITY {
            self.entries = Slab::with_capacity(RETAINED_CAPACITY);
        }
        entry.waker
    }

    /// Empties the wheel, handing over the wakers of the entries that had not fired.
    pub(crate) fn drain_wakers(&mut self) -> Vec<Waker> {
        let wakers = self
            .entries
            .drain()
            .filter_map(|entry| entry.waker)
            .collect();
        *self = Wheel::new();
        wakers
    }

    /// The instant at which the wheel next has something to do: the earliest deadline of
    /// the current list or of the next level-0 slot, or the start of the next higher-level
    /// slot (where entries cascade).
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        if self.pending == 0 {
            // Every list is empty: no slot to look for (the common case of a worker that
            // parks with no timer armed, twice per park).
            return None;
        }
        let in_slot = self.next_slot().map(|(tick, filed)| {
            let level = &self.levels[filed.level()];
            if filed.level() == 0 {
                level.earliest(filed.index())
            } else {
                tick.checked_shl(TICK_SHIFT)
                    .filter(|nanos| nanos >> TICK_SHIFT == tick)
                    .unwrap_or(u64::MAX)
            }
        });
        let in_current = self.earliest_in(self.current);
        match (in_slot, in_current) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Processes everything up to `now`: entries whose deadline has passed are marked fired
    /// and their wakers moved to `fired` (to be woken after the caller lets go of the
    /// wheel).
    pub(crate) fn advance(&mut self, now: u64, fired: &mut Vec<Waker>) {
        self.now = self.now.max(now);
        let now_tick = tick_of(self.now);
        if self.pending == 0 {
            // Nothing is filed: only time moves (what the loop below ends with).
            self.elapsed = self.elapsed.max(now_tick);
            return;
        }
        self.fire_current(fired);
        while let Some((tick, filed)) = self.next_slot() {
            if tick > now_tick {
                break;
            }
            self.elapsed = tick;
            let level = &mut self.levels[filed.level()];
            let mut key = level.head(filed.index());
            level.clear(filed.index());
            while key != NIL {
                let next = self.entry(key).next;
                self.entry(key).filed = Filed::FIRED;
                self.pending -= 1;
                self.settle(key, fired);
                key = next;
            }
        }
        self.elapsed = self.elapsed.max(now_tick);
    }

    /// An unfiled entry taken out of a slot that came due: it fires, waits in the current
    /// list, or cascades to a lower level.
    fn settle(&mut self, key: u32, fired: &mut Vec<Waker>) {
        if self.entry(key).deadline <= self.now {
            fired.extend(self.entry(key).waker.take());
        } else {
            self.file(key);
        }
    }

    /// Fires the entries of the current list whose deadline has passed.
    fn fire_current(&mut self, fired: &mut Vec<Waker>) {
        let mut key = self.current;
        while key != NIL {
            let next = self.entry(key).next;
            if self.entry(key).deadline <= self.now {
                self.unlink(key);
                fired.extend(self.entry(key).waker.take());
            }
            key = next;
        }
    }

    fn earliest_in(&self, mut key: u32) -> Option<u64> {
        let mut earliest = None;
        while key != NIL {
            let entry = &self.entries[key as usize];
            earliest = Some(earliest.map_or(entry.deadline, |e: u64| e.min(entry.deadline)));
            key = entry.next;
        }
        earliest
    }

    fn next_slot(&self) -> Option<(u64, Filed)> {
        self.levels
            .iter()
            .enumerate()
            .filter_map(|(index, level)| {
                let tick = level.next_expiration(self.elapsed)?;
                Some((tick, Filed::slot(index, level.slot_for(tick))))
            })
            .min_by_key(|(tick, _)| *tick)
    }

    /// Links an unfiled entry where its deadline belongs, given `elapsed`.
    fn file(&mut self, key: u32) {
        let deadline = self.entry(key).deadline;
        debug_assert!(deadline > self.now, "filing an entry that is already due");
        let tick = tick_of(deadline);
        if tick <= self.elapsed {
            // Later within the tick already processed.
            let head = self.current;
            self.link(key, Filed::CURRENT, head);
            self.current = key;
            return;
        }
        let clamped = tick.min(self.elapsed + MAX_DURATION);
        let level = level_for(self.elapsed, clamped);
        let slot = self.levels[level].slot_for(clamped);
        let head = self.levels[level].head(slot);
        self.link(key, Filed::slot(level, slot), head);
        self.levels[level].set_head(slot, key, deadline);
    }

    fn link(&mut self, key: u32, filed: Filed, head: u32) {
        self.pending += 1;
        let entry = self.entry(key);
        entry.filed = filed;
        entry.prev = NIL;
        entry.next = head;
        if head != NIL {
            self.entry(head).prev = key;
        }
    }

    /// Takes entry `key` out of its list, if it is in one.
    fn unlink(&mut self, key: u32) {
        let entry = self.entry(key);
        let filed = std::mem::replace(&mut entry.filed, Filed::FIRED);
        if filed == Filed::FIRED {
            return;
        }
        let (prev, next) = (entry.prev, entry.next);
        self.pending -= 1;
        if prev != NIL {
            self.entry(prev).next = next;
        } else if filed == Filed::CURRENT {
            self.current = next;
        } else {
            self.levels[filed.level()].unlink_head(filed.index(), next);
        }
        if next != NIL {
            self.entry(next).prev = prev;
        }
    }

    fn entry(&mut self, key: u32) -> &mut Entry {
        &mut self.entries[key as usize]
    }
}

/// The level of the highest 6-bit digit in which `elapsed` and `tick` differ.
fn level_for(elapsed: u64, tick: u64) -> usize {
    const SLOT_MASK: u64 = (1 << LEVEL_BITS) - 1;
    // `| SLOT_MASK` files everything within the current 64 ticks at level 0.
    let masked = ((elapsed ^ tick) | SLOT_MASK).min(MAX_DURATION);
    let significant = 63 - masked.leading_zeros() as usize;
    significant / LEVEL_BITS as usize
}

#[cfg(all(test, not(corun_loom)))]
#[path = "wheel_tests.rs"]
mod tests;
