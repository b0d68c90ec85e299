//! The searching/parked protocol: work pushed from outside while the only worker is
//! deciding to park is always picked up (the worker never sleeps on a non-empty queue).

use super::loom_support::test_runtime;
use crate::executor::shared::Origin;
use crate::task;

#[test]
fn remote_spawn_racing_with_park_is_not_lost() {
    loom::model(|| {
        let (shared, _queues) = test_runtime(1);
        let worker = {
            let shared = shared.clone();
            loom::thread::spawn(move || {
                // The worker loop, reduced to what matters here: look, then park.
                let mut searching = false;
                loop {
                    if let Some(task) = shared.inject.pop() {
                        task.run();
                        return;
                    }
                    if !searching {
                        searching = shared.idle.transition_worker_to_searching();
                    }
                    searching = shared.park_worker(0, searching, false, None, &mut Vec::new());
                }
            })
        };
        let (owner, notified, join) = task::new(async { 7 }, shared.clone(), task::Spawn::here());
        drop(owner);
        shared.schedule_task(notified, Origin::Spawn);
        // A lost wakeup leaves the worker parked forever: loom reports the deadlock.
        worker.join().unwrap();
        assert!(join.is_finished());
    });
}
