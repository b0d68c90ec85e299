//! `Parker`: an `unpark` before, during or after `park` always releases the parked
//! thread (no lost wakeup), whatever the interleaving, and the thread it releases sees
//! what the unparker wrote before it, also when two unparks race with the park.

use crate::executor::park::Parker;
use crate::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::sync::Arc;

#[test]
fn unpark_is_never_lost() {
    loom::model(|| {
        let parker = Arc::new(Parker::new());
        let ready = Arc::new(AtomicBool::new(false));
        let waker = {
            let (parker, ready) = (parker.clone(), ready.clone());
            loom::thread::spawn(move || {
                ready.store(true, SeqCst);
                parker.unpark();
            })
        };
        // Parks may return spuriously; a lost unpark would deadlock, which loom reports.
        while !ready.load(SeqCst) {
            parker.park();
        }
        waker.join().unwrap();
    });
}

/// Two unparks racing with a park: the park consumes one token, and must then see the
/// writes of whichever unpark came last (the one that found a token already there and
/// returned without notifying), or the thread parks again with no token left.
#[test]
fn two_unparks_racing_with_a_park() {
    loom::model(|| {
        let parker = Arc::new(Parker::new());
        let ready = Arc::new(AtomicBool::new(false));
        let early = {
            let parker = parker.clone();
            loom::thread::spawn(move || parker.unpark())
        };
        let late = {
            let (parker, ready) = (parker.clone(), ready.clone());
            loom::thread::spawn(move || {
                // Release, not SeqCst: only the parker's own hand-over may order it.
                ready.store(true, crate::sync::atomic::Ordering::Release);
                parker.unpark();
            })
        };
        while !ready.load(crate::sync::atomic::Ordering::Acquire) {
            parker.park();
        }
        early.join().unwrap();
        late.join().unwrap();
    });
}
