//! The driving worker parks with a timeout (`Shared::park_worker`'s `Drive` branch) while a
//! producer injects work and `worker_to_notify` takes that worker off the parked list. The
//! worker wakes by its own timeout or by the producer's unpark, and must then run the work,
//! and the idle books must balance: it is counted searching exactly when a producer took it
//! off the list, it leaves the parked list exactly once, and when it is done nobody is
//! counted searching or parked.

use super::loom_support::test_runtime;
use crate::executor::shared::Origin;
use crate::task;
use std::time::Duration;

#[test]
fn timed_out_driver_racing_with_a_producers_notify() {
    loom::model(|| {
        let (shared, _queues) = test_runtime(1);
        let worker = {
            let shared = shared.clone();
            loom::thread::spawn(move || {
                // The worker loop, reduced to: look, else park as the driving worker.
                let mut searching = false;
                loop {
                    if let Some(task) = shared.inject.pop() {
                        if searching && shared.idle.transition_worker_from_searching() {
                            shared.notify_parked();
                        }
                        task.run();
                        return;
                    }
                    searching = shared.park_worker(
                        0,
                        searching,
                        true,
                        Some(Duration::from_millis(1)),
                        &mut Vec::new(),
                    );
                    shared.driver.after_park();
                }
            })
        };
        let (owner, notified, join) = task::new(async { 7 }, shared.clone(), task::Spawn::here());
        drop(owner);
        shared.schedule_task(notified, Origin::Spawn);
        worker.join().unwrap();
        assert!(join.is_finished());
        let (searching, unparked, parked) = shared.idle.counts();
        assert_eq!((searching, unparked), (0, 1), "the idle counters drifted");
        assert!(parked.is_empty(), "the worker is still listed as parked");
    });
}
