//! `Parker::park_timeout` racing with `unpark`: the unpark is seen by the timed park, or,
//! if it lands after the park timed out, it is kept as a token that makes the next park
//! return at once. Either way the parked thread never sleeps through an unpark (a lost one
//! is a deadlock, which loom reports), and a stale token costs one spurious return. loom's
//! timed wait ends by timing out after letting the other threads run (see
//! `sync::loom_impl::wait_timeout`), so both orders are explored.

use crate::executor::park::Parker;
use crate::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::sync::Arc;
use std::time::Duration;

#[test]
fn unpark_racing_with_a_timed_park_is_seen_or_kept() {
    loom::model(|| {
        let parker = Arc::new(Parker::new());
        let ready = Arc::new(AtomicBool::new(false));
        let unparker = {
            let (parker, ready) = (parker.clone(), ready.clone());
            loom::thread::spawn(move || {
                ready.store(true, SeqCst);
                parker.unpark();
            })
        };
        parker.park_timeout(Duration::from_secs(1));
        // Whatever the timed park saw, a plain park now must not sleep through the
        // unpark: it was consumed above only if `ready` was already set.
        while !ready.load(SeqCst) {
            parker.park();
        }
        unparker.join().unwrap();
    });
}
