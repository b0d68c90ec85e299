//! Rescue: a busy worker takes the queued work of a peer that stopped polling.
//!
//! A worker steals only when it runs dry. One whose queue never empties (it feeds itself
//! from its own I/O polls, or runs tasks that yield) never does, so work queued on a
//! peer that stopped waits for that peer to come back: a peer preempted by the operating
//! system (more runnable threads than cores) or inside one long poll. Measured, on 2
//! workers sharing 2 cores with the HTTP client, 1 % of requests waited out a whole
//! preemption, ~5 ms (BENCHMARKS.md, "Network I/O"). The LIFO watch (`lifo.rs`) covers
//! only the slot, and only from a worker about to park.
//!
//! So at each of its checks, a worker reads every peer's poll counter (the one the LIFO
//! watch reads). A peer whose counter has not moved since this worker's previous check
//! has not started a poll in the meantime; if it has tasks queued, this worker takes
//! them: its LIFO slot's task and a batch of its queue (half, as any steal), onto its own
//! queue. A parked peer's queue is empty (only its own worker pushes there), so idle
//! peers cost a load each. The cost on a runtime that never needs it is one relaxed load
//! per peer per check (about every 50 µs of work).

use super::shared::{Notified, Shared};
use crate::sync::atomic::Ordering::Relaxed;
use crate::sync::deque::{Steal, Worker as LocalQueue};

/// What a worker saw of its peers at its previous check.
#[derive(Debug)]
pub(super) struct Rescue {
    /// Each worker's poll counter then (this worker's own entry unused).
    seen: Vec<usize>,
}

impl Rescue {
    pub(super) fn new(workers: usize) -> Rescue {
        Rescue {
            seen: vec![0; workers],
        }
    }

    /// At a check of worker `index`: moves onto `queue` what peers that have not polled
    /// since the previous check hold queued. Returns how many tasks it moved.
    pub(super) fn check(
        &mut self,
        shared: &Shared,
        index: usize,
        queue: &LocalQueue<Notified>,
    ) -> usize {
        let mut moved = 0;
        for (peer, (remote, seen)) in shared.remotes.iter().zip(&mut self.seen).enumerate() {
            if peer == index {
                continue;
            }
            // Relaxed: a hint; a counter seen late only delays a rescue to the next check.
            let polls = remote.lifo.polls.load(Relaxed);
            let stuck = polls == *seen;
            *seen = polls;
            if !stuck {
                continue;
            }
            if let Some(task) = remote.lifo.slot.take() {
                queue.push(task);
                moved += 1;
            }
            if remote.stealer.is_empty() {
                continue;
            }
            let before = queue.len();
            loop {
                match remote.stealer.steal_batch_and_pop(queue) {
                    Steal::Success(task) => {
                        queue.push(task);
                        // Thieves may take from `queue` meanwhile: the count is for
                        // metrics, and at least the one task moved.
                        moved += queue.len().saturating_sub(before).max(1);
                        break;
                    }
                    Steal::Empty => break,
                    Steal::Retry => {}
                }
            }
        }
        moved
    }
}
