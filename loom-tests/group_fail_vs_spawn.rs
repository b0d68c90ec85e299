//! A child failing while another thread spawns into the same group: the new child is
//! either refused (never starts) or cancelled — by the failure, which takes its abort
//! handle, or by the spawner, which sees the group failed when it registers the handle.
//! A child never keeps running in a failed group, and none is started after the failure.

use super::state::{Abort, Ending, GroupState};
use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::Arc;

/// Counts how often the child it stands for was aborted.
#[derive(Clone)]
struct MockAbort(Arc<AtomicUsize>);

impl Abort for MockAbort {
    fn abort(&self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn child_failure_racing_with_a_spawn() {
    loom::model(|| {
        let group = Arc::new(GroupState::<&str, MockAbort>::new(false));
        let failing = group.reserve().expect("the group is open");
        group.register(failing, MockAbort(Arc::new(AtomicUsize::new(0))));

        let aborts = Arc::new(AtomicUsize::new(0));
        let spawner = {
            let (group, aborts) = (group.clone(), aborts.clone());
            loom::thread::spawn(move || {
                let ticket = group.reserve()?;
                group.register(ticket, MockAbort(aborts));
                Some(ticket)
            })
        };
        group.child_done(failing, Ending::Failed("boom"));
        // Once the failure is recorded, the group starts nothing new: a spawn now is
        // refused outright, not started and then aborted.
        assert!(
            group.reserve().is_none(),
            "a child started after the failure"
        );
        let spawned = spawner.join().unwrap();

        match spawned {
            // Spawned: it must have been aborted exactly once, by one side or the other.
            Some(ticket) => {
                assert_eq!(
                    aborts.load(SeqCst),
                    1,
                    "a child kept running in a failed group"
                );
                group.child_done(ticket, Ending::Dropped);
            }
            // Refused: it never started, and counts as cancelled.
            None => assert_eq!(aborts.load(SeqCst), 0),
        }
        let outcome = group.finish();
        assert_eq!(outcome.errors, ["boom"]);
        // The spawner's child (refused or aborted) and the refused one above.
        assert_eq!(outcome.cancelled, 2);
    });
}
