//! What the executor models share: a runtime's `Shared` built without starting threads, so
//! a model decides which threads play the workers.

use crate::drivers::Drivers;
use crate::executor::blocking::{BlockingConfig, BlockingPool};
use crate::executor::shared::{Notified, Shared};
use crate::sync::deque::Worker as LocalQueue;
use crate::sync::Arc;
use std::time::Duration;

/// A runtime's shared state for `workers` workers, and their local queues.
pub(super) fn test_runtime(workers: usize) -> (Arc<Shared>, Vec<LocalQueue<Notified>>) {
    runtime_with(workers, false)
}

/// As [`test_runtime`], with its clock paused (`Builder::start_paused(true)`).
pub(super) fn paused_test_runtime(workers: usize) -> (Arc<Shared>, Vec<LocalQueue<Notified>>) {
    runtime_with(workers, true)
}

fn runtime_with(workers: usize, clock_control: bool) -> (Arc<Shared>, Vec<LocalQueue<Notified>>) {
    let queues: Vec<_> = (0..workers).map(|_| LocalQueue::new_fifo()).collect();
    let blocking = BlockingPool::new(BlockingConfig {
        max_threads: 1,
        keep_alive: Duration::from_secs(1),
        thread_name: "loom-blocking".to_owned(),
        stack_size: None,
    });
    let shared = Shared::new(
        queues.iter().map(LocalQueue::stealer).collect(),
        blocking,
        Box::new(Drivers::new(workers, clock_control).expect("no poller under loom")),
        clock_control,
        Default::default(),
    );
    (Arc::new(shared), queues)
}
