//! The driving worker parks until its next deadline; a timer armed earlier than that
//! deadline, concurrently, must wake it (loom has no time: a park with a timeout waits
//! until unparked, so a lost wakeup is a deadlock that loom reports).

use super::driver::Timer;
use crate::executor::{BeforePark, Driver, Parker};
use crate::sync::Arc;
use std::task::Waker;
use std::time::Duration;

// Nanoseconds, about 13 and 26 days: inside the wheel's span (2^36 ticks of 1 ms), so the
// driver really parks until them (deadlines past the span are filed at the top level and
// the driver re-files them instead).
const LATER: u64 = 1 << 51;
const EARLIER: u64 = 1 << 50;

#[test]
fn earlier_deadline_wakes_the_parked_driver() {
    // A park timeout below this means the driver knows of EARLIER.
    let knows_earlier = Duration::from_nanos(EARLIER + EARLIER / 2);
    loom::model(move || {
        let timer = Arc::new(Timer::new(2, false));
        // The driver's own deadline, already pending.
        let later = timer
            .register(Some(0), LATER, Waker::noop())
            .expect("LATER is ahead");
        let arming = {
            let timer = timer.clone();
            // From the other worker's shard, racing with the driver's decision to park.
            loom::thread::spawn(move || timer.register(Some(1), EARLIER, Waker::noop()))
        };
        let parker = Arc::new(Parker::new());
        // The driving worker, as the worker loop runs it: compute the deadline, park, and
        // re-compute on every wakeup, until its deadline is the earlier one.
        loop {
            let BeforePark::Drive(Some(timeout)) = timer.before_park(&parker) else {
                panic!("the only worker, with a timer pending, must drive with a timeout");
            };
            if timeout < knows_earlier {
                timer.after_park();
                break;
            }
            parker.park();
            timer.after_park();
        }
        let earlier = arming.join().unwrap().expect("EARLIER is ahead");
        timer.remove(earlier);
        timer.remove(later);
    });
}
