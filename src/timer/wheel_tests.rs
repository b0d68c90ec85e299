//! The wheel's own tests: deadlines stepped by hand, over every level.

use super::*;
use crate::sync::Mutex;
use std::sync::Arc;
use std::task::Wake;

/// A millisecond: about 15 ticks.
const MS: u64 = 1_000_000;

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
fn random_deadlines_fire_at_their_instant_never_early_never_late() {
    let log = Arc::new(Log::default());
    let mut wheel = Wheel::new();
    // A deterministic xorshift spread over every level of the wheel, with sub-tick parts.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut deadlines = Vec::new();
    for _ in 0..5_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let ticks = 1 + x % (1 << (6 * (1 + x as usize % 5)));
        let deadline = (ticks << TICK_SHIFT) + (x >> 40) % (1 << TICK_SHIFT);
        wheel.insert(deadline, &waker(deadline, &log)).unwrap();
        deadlines.push(deadline);
    }
    deadlines.sort_unstable();
    let mut fired = Vec::new();
    let mut now = 0;
    while let Some(next) = wheel.next_expiration() {
        assert!(next > now, "next expiration {next} is not after {now}");
        // Just before it: nothing may fire.
        assert!(advance(&mut wheel, next - 1, &log).is_empty());
        now = next;
        for id in advance(&mut wheel, now, &log) {
            assert!(id <= now, "entry due at {id} fired early, at {now}");
            fired.push(id);
        }
        // Never late: everything due by now has fired.
        let due = deadlines.partition_point(|&d| d <= now);
        assert_eq!(fired.len(), due, "an entry due by {now} has not fired");
    }
    fired.sort_unstable();
    assert_eq!(fired, deadlines, "every entry fires exactly once");
}

#[test]
fn a_sub_tick_deadline_is_the_next_expiration_itself() {
    let log = Arc::new(Log::default());
    let mut wheel = Wheel::new();
    let deadline = 2 * MS + 300_000;
    wheel.insert(deadline, &waker(1, &log)).unwrap();
    assert_eq!(wheel.next_expiration(), Some(deadline));
    // The tick is reached, the deadline not yet: the entry waits, exactly.
    assert!(advance(&mut wheel, 2 * MS + 10, &log).is_empty());
    assert_eq!(wheel.next_expiration(), Some(deadline));
    assert_eq!(advance(&mut wheel, deadline, &log), [1]);
    assert_eq!(wheel.next_expiration(), None);
}

#[test]
fn deadlines_on_four_levels_fire_at_their_instant() {
    const SECOND: u64 = 1_000 * MS;
    const MINUTE: u64 = 60 * SECOND;
    const HOUR: u64 = 60 * MINUTE;
    let log = Arc::new(Log::default());
    let mut wheel = Wheel::new();
    let deadlines = [7 * MS + 1, 3 * SECOND + 5, 5 * MINUTE + 999_999, 2 * HOUR];
    for deadline in deadlines {
        wheel.insert(deadline, &waker(deadline, &log)).unwrap();
    }
    for deadline in deadlines {
        assert!(advance(&mut wheel, deadline - 1, &log).is_empty());
        assert_eq!(advance(&mut wheel, deadline, &log), [deadline]);
    }
    assert_eq!(wheel.next_expiration(), None);
}

#[test]
fn deadlines_beyond_the_wheel_wait_at_the_top_level() {
    let log = Arc::new(Log::default());
    let mut wheel = Wheel::new();
    let far = (5 * MAX_DURATION + 12_345) << TICK_SHIFT;
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
    let key = wheel.insert(10_000 * MS, &waker(1, &log)).unwrap();
    // Within level 0 (4.2 ms), where the next expiration is the exact deadline.
    assert!(!wheel.reset(key, 3 * MS));
    assert_eq!(wheel.next_expiration(), Some(3 * MS));
    assert!(!wheel.reset(key, 3 * MS + 500_000));
    assert!(advance(&mut wheel, 3 * MS + 499_999, &log).is_empty());
    assert_eq!(advance(&mut wheel, 3 * MS + 500_000, &log), [1]);
    assert!(wheel.is_fired(key));
    // Re-arming a fired entry, and re-arming into the past.
    assert!(!wheel.reset(key, 4 * MS));
    assert!(wheel.poll_fired(key, &waker(2, &log)).is_err());
    assert_eq!(advance(&mut wheel, 4 * MS, &log), [2]);
    assert!(
        wheel.reset(key, 3 * MS + 800_000),
        "a time already passed is due at once"
    );
    assert!(wheel.is_fired(key));
}

#[test]
fn removed_entries_never_fire_and_lists_stay_linked() {
    let log = Arc::new(Log::default());
    let mut wheel = Wheel::new();
    let keys: Vec<_> = (0..5)
        .map(|id| wheel.insert(40 * MS + id, &waker(id, &log)).unwrap())
        .collect();
    // Head, middle and tail of one slot's list.
    for index in [4, 2, 0] {
        assert!(wheel.remove(keys[index]).is_some());
    }
    let mut fired = advance(&mut wheel, 41 * MS, &log);
    fired.sort_unstable();
    assert_eq!(fired, [1, 3]);
    assert!(
        wheel.insert(40 * MS, &waker(9, &log)).is_none(),
        "40 ms is past"
    );
}

#[test]
fn entries_waiting_within_the_current_tick_can_be_removed_and_reset() {
    let log = Arc::new(Log::default());
    let mut wheel = Wheel::new();
    let keys: Vec<_> = (1..=3)
        .map(|id| wheel.insert(5 * MS + id * 100, &waker(id, &log)).unwrap())
        .collect();
    // The tick is processed, none is due yet: all three wait in the current list.
    assert!(advance(&mut wheel, 5 * MS, &log).is_empty());
    assert!(wheel.remove(keys[1]).is_some());
    assert!(!wheel.reset(keys[0], 5 * MS + 500));
    assert_eq!(wheel.next_expiration(), Some(5 * MS + 300));
    assert_eq!(advance(&mut wheel, 5 * MS + 400, &log), [3]);
    assert_eq!(advance(&mut wheel, 5 * MS + 500, &log), [1]);
    assert_eq!(wheel.next_expiration(), None);
}

#[test]
fn the_slab_is_freed_when_a_burst_is_over() {
    let log = Arc::new(Log::default());
    let mut wheel = Wheel::new();
    let keys: Vec<_> = (0..10_000)
        .map(|id| wheel.insert((100 + id) * MS, &waker(id, &log)).unwrap())
        .collect();
    for key in keys {
        wheel.remove(key);
    }
    assert!(wheel.entries.capacity() <= RETAINED_CAPACITY);
    assert_eq!(wheel.next_expiration(), None);
}

#[test]
fn pending_counts_the_entries_not_fired_through_cascades_resets_and_removals() {
    let log = Arc::new(Log::default());
    let mut wheel = Wheel::new();
    // One in the current tick's future, others on higher levels (they cascade).
    let keys: Vec<_> = [MS / 100, 3 * MS, 70 * MS, 5_000 * MS]
        .iter()
        .map(|&deadline| wheel.insert(deadline, &waker(deadline, &log)).unwrap())
        .collect();
    assert_eq!(wheel.pending(), 4);
    assert_eq!(advance(&mut wheel, 4 * MS, &log).len(), 2);
    assert_eq!(wheel.pending(), 2);
    // Fired entries stay in the slab until removed, but are not pending.
    wheel.remove(keys[0]);
    assert_eq!(wheel.pending(), 2);
    assert!(!wheel.reset(keys[2], 10 * MS));
    assert_eq!(wheel.pending(), 2);
    assert!(wheel.reset(keys[3], MS), "reset into the past fires");
    assert_eq!(wheel.pending(), 1);
    wheel.remove(keys[2]);
    assert_eq!(wheel.pending(), 0);
}
