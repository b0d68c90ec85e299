//! A timer entry armed, fired and cancelled from different threads: the waker is invoked
//! at most once, the entry's slot is freed exactly once (a stale key would panic in the
//! slab), and nothing fires after it was cancelled.

use super::driver::Timer;
use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::Arc;
use std::task::{Wake, Waker};

/// A far deadline (nanoseconds, about 18 minutes): the real clock never reaches it while a
/// model runs.
const FAR: u64 = 1 << 40;

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting_waker() -> (std::sync::Arc<CountingWaker>, Waker) {
    let counter = std::sync::Arc::new(CountingWaker(AtomicUsize::new(0)));
    (counter.clone(), Waker::from(counter))
}

#[test]
fn cancel_racing_with_fire() {
    loom::model(|| {
        let timer = Arc::new(Timer::new(1, false));
        let (wakes, waker) = counting_waker();
        let entry = timer.register(None, FAR, &waker).expect("FAR is ahead");
        let firer = {
            let timer = timer.clone();
            loom::thread::spawn(move || timer.fire_until(FAR))
        };
        // The owner of the entry: a last poll, then the drop that cancels it.
        let fired = timer.poll_fired(entry, &waker);
        timer.remove(entry);
        let (fired_by_firer, next) = firer.join().unwrap();

        assert!(wakes.0.load(SeqCst) <= 1);
        assert_eq!(fired_by_firer, wakes.0.load(SeqCst) == 1);
        if fired {
            assert!(
                fired_by_firer,
                "an entry reads fired only after the firer fired it"
            );
        }
        assert_eq!(next, None, "nothing is left pending");
    });
}

#[test]
fn register_racing_with_fire() {
    loom::model(|| {
        let timer = Arc::new(Timer::new(1, false));
        let (wakes, waker) = counting_waker();
        let registrar = {
            let timer = timer.clone();
            loom::thread::spawn(move || timer.register(None, FAR, &waker))
        };
        let (fired, _) = timer.fire_until(FAR);
        let entry = registrar.join().unwrap();

        // The entry was either filed before the firer advanced (and fired), or found its
        // tick already processed (and reports itself due: `None`). Never lost pending.
        match entry {
            Some(entry) => {
                assert!(fired && wakes.0.load(SeqCst) == 1);
                assert!(timer.is_fired(entry));
                timer.remove(entry);
            }
            None => assert!(!fired && wakes.0.load(SeqCst) == 0),
        }
    });
}
