//! The searching/parked protocol: work pushed from outside while the only worker is
//! deciding to park is always picked up (the worker never sleeps on a non-empty queue).

use crate::executor::blocking::{BlockingConfig, BlockingPool};
use crate::executor::shared::{Origin, Shared};
use crate::sync::deque::Worker as LocalQueue;
use crate::sync::Arc;
use crate::task;
use crate::timer::Timer;
use std::time::Duration;

fn one_worker_runtime() -> Arc<Shared> {
    let queue = LocalQueue::new_fifo();
    let blocking = BlockingPool::new(BlockingConfig {
        max_threads: 1,
        keep_alive: Duration::from_secs(1),
        thread_name: "loom-blocking".to_owned(),
        stack_size: None,
    });
    Arc::new(Shared::new(
        vec![queue.stealer()],
        blocking,
        Box::new(Timer::new(1)),
    ))
}

#[test]
fn remote_spawn_racing_with_park_is_not_lost() {
    loom::model(|| {
        let shared = one_worker_runtime();
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
                    searching = shared.park_worker(0, searching, false, None);
                }
            })
        };
        let (owner, notified, join) = task::new(async { 7 }, shared.clone());
        drop(owner);
        shared.schedule_task(notified, Origin::Spawn);
        // A lost wakeup leaves the worker parked forever: loom reports the deadlock.
        worker.join().unwrap();
        assert!(join.is_finished());
    });
}
