//! The driving role handed from one worker to another while a third thread arms an earlier
//! timer: worker A was driving and wakes (`after_park` releases the role), then worker B
//! takes the role and parks until its deadline, and the arming thread reads
//! `driver_deadline` at any point of that (A's old deadline, no driver, B's `u64::MAX` while it computes, or B's
//! deadline). B must end up knowing of the earlier timer: either its computation saw the
//! new entry, or the arming thread unparked it. A lost wakeup leaves B parked for ever,
//! which loom reports as a deadlock.

use super::driver::Timer;
use crate::executor::{BeforePark, Driver, Parker};
use crate::sync::Arc;
use std::task::Waker;
use std::time::Duration;

// Nanoseconds, about 13 and 26 days: inside the wheel's span, so the drivers really park
// until them.
const LATER: u64 = 1 << 51;
const EARLIER: u64 = 1 << 50;

#[test]
fn earlier_timer_during_a_driver_handoff_reaches_the_new_driver() {
    let knows_earlier = Duration::from_nanos(EARLIER + EARLIER / 2);
    loom::model(move || {
        let timer = Arc::new(Timer::new(2, false));
        let later = timer
            .register(Some(0), LATER, Waker::noop())
            .expect("LATER is ahead");
        // Worker A drives first, parked until LATER.
        let parker_a = Arc::new(Parker::new());
        assert!(matches!(
            timer.before_park(&parker_a),
            BeforePark::Drive(Some(_))
        ));
        let releasing = {
            let timer = timer.clone();
            // A wakes (its timeout, say) and hands the role back.
            loom::thread::spawn(move || timer.after_park())
        };
        let arming = {
            let timer = timer.clone();
            loom::thread::spawn(move || timer.register(Some(1), EARLIER, Waker::noop()))
        };
        // Worker B parks once A has let go (a worker that parks while A still drives
        // follows, and waits for work: that is the responsiveness issue's business), and
        // drives. The arming thread races with both.
        releasing.join().unwrap();
        let parker_b = Arc::new(Parker::new());
        loop {
            match timer.before_park(&parker_b) {
                BeforePark::Drive(Some(timeout)) if timeout < knows_earlier => {
                    timer.after_park();
                    break;
                }
                BeforePark::Drive(_) => {
                    parker_b.park();
                    timer.after_park();
                }
                BeforePark::Follow => unreachable!("A has let go of the driving role"),
                BeforePark::Ran => unreachable!("nothing is due"),
            }
        }
        let earlier = arming.join().unwrap().expect("EARLIER is ahead");
        timer.remove(earlier);
        timer.remove(later);
    });
}
