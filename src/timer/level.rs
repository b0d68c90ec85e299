//! One level of the hierarchical wheel: 64 slots, each the head of an intrusive list of
//! entries, a bitmap of the occupied ones, and each slot's earliest deadline.
//!
//! Level `n` has slots `64^n` ticks wide, so it spans `64^(n+1)` ticks. The bitmap makes
//! "next occupied slot" a rotate and a `trailing_zeros`, whatever the number of entries.
//! A slot's earliest deadline is kept as entries are linked in and only reset when the slot
//! empties: after a removal it may be earlier than any entry left, which costs the driver
//! at most one early wake-up, never a late one.

use super::wheel::NIL;

/// Slots per level (bits of the tick per level: 6).
pub(super) const LEVEL_MULT: usize = 64;
pub(super) const LEVEL_BITS: u32 = LEVEL_MULT.trailing_zeros();

pub(super) struct Level {
    /// Which level this is (0: 1-tick slots).
    level: u32,
    /// Bit `i` is set iff `heads[i] != NIL`.
    occupied: u64,
    /// Per slot, the first entry of its list (a slab key), or `NIL`.
    heads: [u32; LEVEL_MULT],
    /// Per slot, a deadline no later than any of its entries' (`u64::MAX` when empty).
    earliest: [u64; LEVEL_MULT],
}

impl Level {
    pub(super) fn new(level: u32) -> Level {
        Level {
            level,
            occupied: 0,
            heads: [NIL; LEVEL_MULT],
            earliest: [u64::MAX; LEVEL_MULT],
        }
    }

    /// How many ticks one slot of this level spans.
    pub(super) fn slot_range(&self) -> u64 {
        1 << (LEVEL_BITS * self.level)
    }

    /// How many ticks the whole level spans.
    pub(super) fn level_range(&self) -> u64 {
        self.slot_range() << LEVEL_BITS
    }

    /// The slot of this level that tick `tick` falls in.
    pub(super) fn slot_for(&self, tick: u64) -> usize {
        ((tick >> (LEVEL_BITS * self.level)) as usize) & (LEVEL_MULT - 1)
    }

    pub(super) fn head(&self, slot: usize) -> u32 {
        self.heads[slot]
    }

    /// A deadline no later than any entry's in `slot`.
    pub(super) fn earliest(&self, slot: usize) -> u64 {
        self.earliest[slot]
    }

    /// `key`, due at `deadline`, becomes the head of `slot`'s list.
    pub(super) fn set_head(&mut self, slot: usize, key: u32, deadline: u64) {
        self.heads[slot] = key;
        self.occupied |= 1 << slot;
        self.earliest[slot] = self.earliest[slot].min(deadline);
    }

    /// The head of `slot` was unlinked; `next` (maybe `NIL`) takes its place.
    pub(super) fn unlink_head(&mut self, slot: usize, next: u32) {
        if next == NIL {
            self.clear(slot);
        } else {
            self.heads[slot] = next;
        }
    }

    /// Empties `slot` (its entries were taken out all at once).
    pub(super) fn clear(&mut self, slot: usize) {
        self.heads[slot] = NIL;
        self.occupied &= !(1 << slot);
        self.earliest[slot] = u64::MAX;
    }

    /// The tick at which this level's earliest occupied slot must be processed, given that
    /// every tick up to `now` has been.
    pub(super) fn next_expiration(&self, now: u64) -> Option<u64> {
        if self.occupied == 0 {
            return None;
        }
        let now_slot = self.slot_for(now);
        let distance = self.occupied.rotate_right(now_slot as u32).trailing_zeros() as usize;
        let slot = (now_slot + distance) % LEVEL_MULT;
        let level_start = now & !(self.level_range() - 1);
        let mut deadline = level_start + slot as u64 * self.slot_range();
        if deadline <= now {
            // Only the top level wraps: an entry further away than the whole wheel was
            // clamped into it, and its slot lies in the level's next rotation. (Below the
            // top, an entry's slot always lies ahead of `now` within the level.)
            deadline += self.level_range();
        }
        Some(deadline)
    }
}
