//! The `earliest` hint racing with an arm: a firing pass (which raises the hint to "nothing
//! pending" before it reads the shards and lowers it to what it found after) runs while
//! another thread arms an earlier timer in a shard the pass may already have read. The
//! hint must end no later than the new deadline, or a busy worker's `maintain`, which
//! trusts the hint and skips the shards, would never fire the timer.

use super::driver::Timer;
use crate::executor::Driver;
use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::Arc;
use std::task::{Wake, Waker};

// Nanoseconds, about 13 and 26 days: the real clock reaches neither while a model runs.
const LATER: u64 = 1 << 51;
const EARLIER: u64 = 1 << 50;
/// Past `EARLIER` by more than the firing slack.
const AFTER_EARLIER: u64 = EARLIER + 1_000_000;

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn an_arm_racing_with_a_pass_keeps_the_hint_low() {
    loom::model(|| {
        let timer = Arc::new(Timer::new(2, false));
        let later = timer
            .register(Some(0), LATER, Waker::noop())
            .expect("LATER is ahead");
        let wakes = std::sync::Arc::new(CountingWaker(AtomicUsize::new(0)));
        let arming = {
            let timer = timer.clone();
            let waker = Waker::from(wakes.clone());
            loom::thread::spawn(move || timer.register(Some(1), EARLIER, &waker))
        };
        // A pass at the start of time: nothing is due, so it only recomputes the hint.
        let (fired, _) = timer.fire_until(0);
        assert!(!fired);
        let earlier = arming.join().unwrap().expect("EARLIER is ahead");

        // A busy worker's check just after EARLIER: it fires only if the hint allows.
        timer.maintain(timer.clock().instant(AFTER_EARLIER));
        assert_eq!(
            wakes.0.load(SeqCst),
            1,
            "the hint hid a due timer from maintain"
        );
        timer.remove(earlier);
        timer.remove(later);
    });
}
