//! `Parker::park_polling`: the driving worker sleeps in the runtime's poller (the
//! `POLLING` state), and an `unpark` that finds it there goes through `Poller::wake`.
//!
//! The poller is a fake on the loom shim: `wake` sets a flag under its lock and notifies,
//! `poll` waits until the flag is set and consumes it, as a real poller keeps a wake that
//! comes before its wait. loom has no clock, so a poll whose timeout is at or past the
//! fake's horizon waits until woken (a lost wake-up is then a deadlock, which loom
//! reports), and one below it is a timed wait that ends by timing out after letting the
//! other threads run (`sync::loom_impl::wait_timeout`), as `park_timeout` does.
//!
//! - `unpark_racing_with_a_polling_park_is_never_lost`: one unpark before, during or
//!   after the park; the parked thread returns and sees what the unparker wrote. Also with
//!   a first, timed poll that the unpark may find already timed out.
//! - `two_unparks_racing_with_a_polling_park`: the park consumes one token, and must then
//!   see the writes of the unpark that found a token already there.
//! - `an_earlier_timer_wakes_the_driver_in_its_poller`: the driving protocol of
//!   `timer_park_deadline.rs` (`before_park`, park until the deadline, `after_park`), the
//!   park in the poller; another worker arms an earlier timer, which unparks the driver
//!   through the poller's wake. The driver must come to poll until the earlier deadline,
//!   and that timer fires when its time comes.
//!
//! Preemption bound 3 (the suite's): 38 + 50 (untimed, then timed first), 2,399 and 287
//! iterations, each under half a second in release on 2 cores.

use crate::executor::park::{Parker, Poller};
use crate::executor::{BeforePark, Driver};
use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::sync::{wait_timeout, Arc, Condvar, Mutex};
use crate::timer::Timer;
use std::task::{Wake, Waker};
use std::time::Duration;

/// std's `Wake` and `Arc::from_std` take std's `Arc`; what it holds is loom's.
type StdArc<T> = std::sync::Arc<T>;

/// A poller that wakes only when told to.
struct FakePoller {
    woken: Mutex<bool>,
    condvar: Condvar,
    /// Polls with a timeout at least this long wait until woken.
    horizon: Duration,
}

impl Poller for FakePoller {
    fn poll(&self, timeout: Option<Duration>, _woken: &mut Vec<Waker>) {
        let mut woken = self.woken.lock();
        match timeout {
            Some(timeout) if timeout < self.horizon => {
                if !*woken {
                    wait_timeout(&self.condvar, &mut woken, timeout);
                }
            }
            _ => {
                while !*woken {
                    self.condvar.wait(&mut woken);
                }
            }
        }
        // The model is about the wait, not events: none to deliver.
        *woken = false;
    }

    fn wake(&self) {
        *self.woken.lock() = true;
        self.condvar.notify_one();
    }
}

/// A parker whose `park_polling` sleeps in a [`FakePoller`] with `horizon`.
fn polling_parker(horizon: Duration) -> Arc<Parker> {
    let poller = StdArc::new(FakePoller {
        woken: Mutex::new(false),
        condvar: Condvar::new(),
        horizon,
    }) as StdArc<dyn Poller>;
    Arc::new(Parker::with_poller(Some(Arc::from_std(poller))))
}

/// Never times out: every poll waits until woken.
const NO_TIMEOUTS: Duration = Duration::ZERO;

#[test]
fn unpark_racing_with_a_polling_park_is_never_lost() {
    for timed_first in [false, true] {
        loom::model(move || {
            // A timeout of a second is below this horizon: the first poll may time out.
            let parker = polling_parker(Duration::from_secs(2));
            let ready = Arc::new(AtomicBool::new(false));
            let unparker = {
                let (parker, ready) = (parker.clone(), ready.clone());
                loom::thread::spawn(move || {
                    // Release, not SeqCst: only the parker's own hand-over may order it.
                    ready.store(true, Release);
                    parker.unpark();
                })
            };
            if timed_first {
                parker.park_polling(Some(Duration::from_secs(1)), &mut Vec::new());
            }
            // Parks may return spuriously; a lost unpark would deadlock, which loom
            // reports.
            while !ready.load(Acquire) {
                parker.park_polling(None, &mut Vec::new());
            }
            unparker.join().unwrap();
        });
    }
}

#[test]
fn two_unparks_racing_with_a_polling_park() {
    loom::model(|| {
        let parker = polling_parker(NO_TIMEOUTS);
        let ready = Arc::new(AtomicBool::new(false));
        let early = {
            let parker = parker.clone();
            loom::thread::spawn(move || parker.unpark())
        };
        let late = {
            let (parker, ready) = (parker.clone(), ready.clone());
            loom::thread::spawn(move || {
                ready.store(true, Release);
                parker.unpark();
            })
        };
        while !ready.load(Acquire) {
            parker.park_polling(None, &mut Vec::new());
        }
        early.join().unwrap();
        late.join().unwrap();
    });
}

// Nanoseconds, about 13 and 26 days: inside the wheel's span (2^36 ticks of 1 ms), so the
// driver really parks until them (as in `timer_park_deadline.rs`).
const LATER: u64 = 1 << 51;
const EARLIER: u64 = 1 << 50;
/// The wheel's tick: firing this far past a deadline fires it.
const TICK_NANOS: u64 = 1_000_000;

/// Counts its wakes.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn an_earlier_timer_wakes_the_driver_in_its_poller() {
    // A timeout below this means the driver knows of EARLIER; the poller lets only such
    // a poll time out (the model never sees LATER come).
    let knows_earlier = Duration::from_nanos(EARLIER + EARLIER / 2);
    loom::model(move || {
        let timer = Arc::new(Timer::new(2, false));
        let later = timer
            .register(Some(0), LATER, Waker::noop())
            .expect("LATER is ahead");
        let counter = StdArc::new(CountingWaker(AtomicUsize::new(0)));
        let arming = {
            let (timer, waker) = (timer.clone(), Waker::from(counter.clone()));
            // From the other worker's shard, racing with the driver's decision to park.
            loom::thread::spawn(move || timer.register(Some(1), EARLIER, &waker))
        };
        let parker = polling_parker(knows_earlier);
        // The driving worker, as `Shared::park_worker` runs it: compute the deadline,
        // park in the poller until it, and re-compute on every wakeup, until it polls
        // until the earlier deadline.
        loop {
            let BeforePark::Drive(Some(timeout)) = timer.before_park(&parker) else {
                panic!("the only worker, with a timer pending, must drive with a timeout");
            };
            parker.park_polling(Some(timeout), &mut Vec::new());
            timer.after_park();
            if timeout < knows_earlier {
                break;
            }
        }
        let earlier = arming.join().unwrap().expect("EARLIER is ahead");
        // The poll timed out at EARLIER: the clock (loom has none) stands there now.
        let (fired, next) = timer.fire_until(EARLIER + TICK_NANOS);
        assert!(fired, "the earlier timer fired when its time came");
        assert_eq!(counter.0.load(SeqCst), 1, "its waker was woken once");
        assert!(next.is_some(), "LATER is still pending");
        timer.remove(earlier);
        timer.remove(later);
    });
}
