//! The hierarchical timing wheel (Varghese & Lauck, "Hashed and Hierarchical Timing
//! Wheels", 1987), as a plain data structure: it knows ticks and wakers, not clocks,
//! threads or runtimes.
//!
//! Six levels of 64 slots. Level 0 slots are one tick (1 ms) wide, level 1 slots 64 ticks,
//! and so on: the wheel spans `64^6` ticks, about 2.2 years. An entry is filed at the level
//! of the highest 6-bit digit in which its deadline differs from `elapsed` (the last
//! processed tick), so it sits in a slot that lies ahead of `elapsed` within its level.
//! When that slot comes due, its entries are either fired or re-filed at a lower level
//! ("cascading"); an entry therefore moves at most six times. Entries further away than
//! the wheel's span are filed at the top level and re-filed each time their slot comes
//! round, so durations of any length neither overflow nor fire early.
//!
//! Entries live in a slab (one contiguous allocation, reused), and each slot is the head
//! of a doubly linked list threaded through the slab by key, so insert, cancel and
//! re-arm are O(1) and a pending timer costs one slab slot, no allocation of its own.

use super::level::{Level, LEVEL_BITS};
use slab::Slab;
use std::task::Waker;

/// The key of no entry: the end of a list.
pub(super) const NIL: usize = usize::MAX;

const NUM_LEVELS: usize = 6;

/// The furthest ahead of `elapsed` an entry is filed; later deadlines wait at the top level.
const MAX_DURATION: u64 = (1 << (LEVEL_BITS as usize * NUM_LEVELS)) - 1;

/// Capacity kept when the wheel empties; a bigger slab is freed, so a burst of timers
/// gives its memory back once it is over.
const RETAINED_CAPACITY: usize = 1024;

pub(crate) struct Wheel {
    /// Every tick up to and including this one has been processed.
    elapsed: u64,
    levels: [Level; NUM_LEVELS],
    entries: Slab<Entry>,
}

struct Entry {
    /// The tick at which the entry fires.
    when: u64,
    /// Who to wake; `None` after firing.
    waker: Option<Waker>,
    /// Where the entry is filed, or `None` once it has fired.
    filed: Option<Position>,
    prev: usize,
    next: usize,
}

#[derive(Clone, Copy)]
struct Position {
    level: usize,
    slot: usize,
}

impl Wheel {
    pub(crate) fn new() -> Wheel {
        Wheel {
            elapsed: 0,
            levels: std::array::from_fn(|level| Level::new(level as u32)),
            entries: Slab::new(),
        }
    }

    /// Files a new entry that wakes `waker` at tick `when`. Returns `None`, and keeps
    /// nothing, if `when` has already been processed: the caller's timer is due now.
    pub(crate) fn insert(&mut self, when: u64, waker: &Waker) -> Option<usize> {
        if when <= self.elapsed {
            return None;
        }
        let key = self.entries.insert(Entry {
            when,
            waker: Some(waker.clone()),
            filed: None,
            prev: NIL,
            next: NIL,
        });
        self.file(key);
        Some(key)
    }

    /// Moves entry `key` to tick `when`, reusing its slot. Returns true if `when` has
    /// already been processed: the entry is then marked fired.
    pub(crate) fn reset(&mut self, key: usize, when: u64) -> bool {
        self.unlink(key);
        self.entries[key].when = when;
        if when <= self.elapsed {
            return true;
        }
        self.file(key);
        false
    }

    /// `Ok` once entry `key` has fired; otherwise makes `waker` the one it will wake and
    /// returns the waker it replaced, if any, for the caller to drop once it has let go of
    /// the wheel (a waker's drop is user code).
    pub(crate) fn poll_fired(&mut self, key: usize, waker: &Waker) -> Result<(), Option<Waker>> {
        let entry = &mut self.entries[key];
        if entry.filed.is_none() {
            return Ok(());
        }
        match &entry.waker {
            Some(current) if current.will_wake(waker) => Err(None),
            _ => Err(entry.waker.replace(waker.clone())),
        }
    }

    /// True once entry `key` has fired.
    pub(crate) fn is_fired(&self, key: usize) -> bool {
        self.entries[key].filed.is_none()
    }

    /// Removes entry `key`, fired or not, and returns its waker if it had not fired.
    pub(crate) fn remove(&mut self, key: usize) -> Option<Waker> {
        self.unlink(key);
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

    /// The tick at which the next entry is due, if any.
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        self.next_slot().map(|(deadline, _)| deadline)
    }

    /// Processes every tick up to `now`: entries due by then are marked fired and their
    /// wakers moved to `fired` (to be woken after the caller lets go of the wheel).
    pub(crate) fn advance(&mut self, now: u64, fired: &mut Vec<Waker>) {
        while let Some((deadline, position)) = self.next_slot() {
            if deadline > now {
                break;
            }
            self.elapsed = deadline;
            let level = &mut self.levels[position.level];
            let mut key = level.head(position.slot);
            level.set_head(position.slot, NIL);
            while key != NIL {
                let entry = &mut self.entries[key];
                let next = entry.next;
                entry.filed = None;
                if entry.when <= deadline {
                    fired.extend(entry.waker.take());
                } else {
                    // Cascade: file again, at a lower level now that `elapsed` moved.
                    self.file(key);
                }
                key = next;
            }
        }
        self.elapsed = self.elapsed.max(now);
    }

    fn next_slot(&self) -> Option<(u64, Position)> {
        self.levels
            .iter()
            .enumerate()
            .filter_map(|(index, level)| {
                let deadline = level.next_expiration(self.elapsed)?;
                let slot = level.slot_for(deadline);
                Some((deadline, Position { level: index, slot }))
            })
            .min_by_key(|(deadline, _)| *deadline)
    }

    /// Links an unfiled entry into the slot its `when` belongs to, given `elapsed`.
    fn file(&mut self, key: usize) {
        let when = self.entries[key].when;
        debug_assert!(when > self.elapsed, "filing an entry that is already due");
        let clamped = when.min(self.elapsed + MAX_DURATION);
        let level = level_for(self.elapsed, clamped);
        let slot = self.levels[level].slot_for(clamped);
        let head = self.levels[level].head(slot);
        let entry = &mut self.entries[key];
        entry.filed = Some(Position { level, slot });
        entry.prev = NIL;
        entry.next = head;
        if head != NIL {
            self.entries[head].prev = key;
        }
        self.levels[level].set_head(slot, key);
    }

    /// Takes entry `key` out of its slot's list, if it is in one.
    fn unlink(&mut self, key: usize) {
        let entry = &mut self.entries[key];
        let Some(position) = entry.filed.take() else {
            return;
        };
        let (prev, next) = (entry.prev, entry.next);
        if prev == NIL {
            self.levels[position.level].set_head(position.slot, next);
        } else {
            self.entries[prev].next = next;
        }
        if next != NIL {
            self.entries[next].prev = prev;
        }
    }
}

/// The level of the highest 6-bit digit in which `elapsed` and `when` differ.
fn level_for(elapsed: u64, when: u64) -> usize {
    const SLOT_MASK: u64 = (1 << LEVEL_BITS) - 1;
    // `| SLOT_MASK` files everything within the current 64 ticks at level 0.
    let masked = ((elapsed ^ when) | SLOT_MASK).min(MAX_DURATION);
    let significant = 63 - masked.leading_zeros() as usize;
    significant / LEVEL_BITS as usize
}

#[cfg(all(test, not(corun_loom)))]
mod tests {
    use super::*;
    use crate::sync::Mutex;
    use std::sync::Arc;
    use std::task::Wake;

    /// Records the ids of the wakers it was woken through, in order.
    #[derive(Default)]
    struct Log(Mutex<Vec<u64>>);

    struct IdWaker {
        id: u64,
        log: Arc<Log>,
    }

    impl Wake for IdWaker {
        fn wake(self: Arc<Self>) {
            self.log.0.lock().push(self.id);
        }
    }

    fn waker(id: u64, log: &Arc<Log>) -> Waker {
        Waker::from(Arc::new(IdWaker {
            id,
            log: log.clone(),
        }))
    }

    /// Advances to `now` and wakes what fired; returns the ids woken, in firing order.
    fn advance(wheel: &mut Wheel, now: u64, log: &Arc<Log>) -> Vec<u64> {
        let mut fired = Vec::new();
        wheel.advance(now, &mut fired);
        fired.into_iter().for_each(Waker::wake);
        std::mem::take(&mut *log.0.lock())
    }

    #[test]
    fn random_deadlines_fire_in_order_and_never_early() {
        let log = Arc::new(Log::default());
        let mut wheel = Wheel::new();
        // A deterministic xorshift spread over every level of the wheel.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut deadlines = Vec::new();
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let when = 1 + x % (1 << (6 * (1 + x as usize % 5)));
            wheel.insert(when, &waker(when, &log)).unwrap();
            deadlines.push(when);
        }
        deadlines.sort_unstable();
        let mut fired = Vec::new();
        let mut now = 0;
        while let Some(next) = wheel.next_expiration() {
            assert!(next > now, "next expiration {next} is not after {now}");
            // Step to just before the next expiration: nothing may fire early.
            assert!(advance(&mut wheel, next - 1, &log).is_empty());
            now = next;
            for id in advance(&mut wheel, now, &log) {
                assert!(id <= now, "entry for tick {id} fired early, at {now}");
                fired.push(id);
            }
        }
        fired.sort_unstable();
        assert_eq!(fired, deadlines, "every entry fires exactly once");
    }

    #[test]
    fn deadlines_on_four_levels_fire_at_their_tick() {
        const SECOND: u64 = 1_000;
        const MINUTE: u64 = 60 * SECOND;
        const HOUR: u64 = 60 * MINUTE;
        let log = Arc::new(Log::default());
        let mut wheel = Wheel::new();
        let deadlines = [7, 3 * SECOND, 5 * MINUTE, 2 * HOUR];
        for when in deadlines {
            wheel.insert(when, &waker(when, &log)).unwrap();
        }
        for when in deadlines {
            assert!(advance(&mut wheel, when - 1, &log).is_empty());
            assert_eq!(advance(&mut wheel, when, &log), [when]);
        }
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn deadlines_beyond_the_wheel_wait_at_the_top_level() {
        let log = Arc::new(Log::default());
        let mut wheel = Wheel::new();
        let far = 5 * MAX_DURATION + 12_345;
        wheel.insert(far, &waker(1, &log)).unwrap();
        wheel.insert(u64::MAX, &waker(2, &log)).unwrap();
        let mut now = 0;
        while now < far - 1 {
            now = wheel.next_expiration().unwrap().min(far - 1);
            assert!(advance(&mut wheel, now, &log).is_empty());
        }
        assert_eq!(advance(&mut wheel, far, &log), [1]);
        assert!(wheel.next_expiration().is_some(), "u64::MAX stays pending");
    }

    #[test]
    fn reset_moves_an_entry_earlier_and_later() {
        let log = Arc::new(Log::default());
        let mut wheel = Wheel::new();
        let key = wheel.insert(10_000, &waker(1, &log)).unwrap();
        assert!(!wheel.reset(key, 50));
        assert_eq!(wheel.next_expiration(), Some(50));
        assert!(!wheel.reset(key, 70));
        assert!(advance(&mut wheel, 69, &log).is_empty());
        assert_eq!(advance(&mut wheel, 70, &log), [1]);
        assert!(wheel.is_fired(key));
        // Re-arming a fired entry, and re-arming into the past.
        assert!(!wheel.reset(key, 90));
        assert!(wheel.poll_fired(key, &waker(2, &log)).is_err());
        assert_eq!(advance(&mut wheel, 90, &log), [2]);
        assert!(
            wheel.reset(key, 80),
            "a tick already processed is due at once"
        );
        assert!(wheel.is_fired(key));
    }

    #[test]
    fn removed_entries_never_fire_and_lists_stay_linked() {
        let log = Arc::new(Log::default());
        let mut wheel = Wheel::new();
        let keys: Vec<_> = (0..5)
            .map(|id| wheel.insert(40, &waker(id, &log)).unwrap())
            .collect();
        // Head, middle and tail of one slot's list.
        for index in [4, 2, 0] {
            assert!(wheel.remove(keys[index]).is_some());
        }
        let mut fired = advance(&mut wheel, 40, &log);
        fired.sort_unstable();
        assert_eq!(fired, [1, 3]);
        assert!(
            wheel.insert(40, &waker(9, &log)).is_none(),
            "tick 40 is past"
        );
    }

    #[test]
    fn the_slab_is_freed_when_a_burst_is_over() {
        let log = Arc::new(Log::default());
        let mut wheel = Wheel::new();
        let keys: Vec<_> = (0..10_000)
            .map(|id| wheel.insert(100 + id, &waker(id, &log)).unwrap())
            .collect();
        for key in keys {
            wheel.remove(key);
        }
        assert!(wheel.entries.capacity() <= RETAINED_CAPACITY);
        assert_eq!(wheel.next_expiration(), None);
    }
}
