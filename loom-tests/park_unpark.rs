//! `Parker`: an `unpark` before, during or after `park` always releases the parked
//! thread (no lost wakeup), whatever the interleaving.

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
