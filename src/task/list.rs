//! `OwnedTasks`: every live task of a runtime, so shutdown can cancel the ones that only
//! wakers still reach.
//!
//! Shards of `Mutex<Slab<Task>>`: a spawn inserts into the spawning worker's shard and
//! completion removes the task again, so on a busy runtime each lock is mostly taken by one
//! worker (uncontended). The slab key and shard index are packed into the task header's
//! `owner_id`. Closing takes every shard's lock once; a spawn that finds its shard closed
//! cancels the new task at once, so no task can slip in after shutdown began.

use super::{Notified, Schedule, Task};
use crate::sync::atomic::Ordering::Relaxed;
use crate::sync::Mutex;
use crossbeam_utils::CachePadded;
use slab::Slab;
use std::mem;

pub(crate) struct OwnedTasks<S: 'static> {
    shards: Box<[CachePadded<Mutex<Shard<S>>>]>,
    shard_bits: u32,
}

struct Shard<S: 'static> {
    tasks: Slab<Task<S>>,
    closed: bool,
}

impl<S: Schedule> OwnedTasks<S> {
    /// `shards` is rounded up to a power of two.
    pub(crate) fn new(shards: usize) -> OwnedTasks<S> {
        let shards = shards.max(1).next_power_of_two();
        let shards = (0..shards)
            .map(|_| {
                CachePadded::new(Mutex::new(Shard {
                    tasks: Slab::new(),
                    closed: false,
                }))
            })
            .collect::<Box<[_]>>();
        OwnedTasks {
            shard_bits: shards.len().trailing_zeros(),
            shards,
        }
    }

    /// Adds a new task to shard `hint` (modulo the shard count) and hands back its first
    /// `Notified` to schedule. If the runtime is shutting down, the task is cancelled
    /// instead and its `JoinHandle` will report that.
    pub(crate) fn bind(
        &self,
        task: Task<S>,
        notified: Notified<S>,
        hint: usize,
    ) -> Option<Notified<S>> {
        let shard_index = hint & (self.shards.len() - 1);
        let mut shard = self.shards[shard_index].lock();
        if shard.closed {
            drop(shard);
            task.shutdown();
            return None;
        }
        let entry = shard.tasks.vacant_entry();
        let id = (entry.key() << self.shard_bits) | shard_index;
        // Relaxed: the task is published (queue push, JoinHandle return) only after this
        // store, and `release` runs after the task completes, which happens after that
        // publication.
        task.header().owner_id.store(id, Relaxed);
        entry.insert(task);
        Some(notified)
    }

    /// Removes a completed task. True if it was listed: the list's reference then passes
    /// to the caller. False if shutdown already took it out (and holds that reference).
    pub(crate) fn release(&self, task: &Task<S>) -> bool {
        let id = task.header().owner_id.load(Relaxed);
        let shard_index = id & (self.shards.len() - 1);
        let key = id >> self.shard_bits;
        let mut shard = self.shards[shard_index].lock();
        match shard.tasks.get(key) {
            Some(listed) if listed == task => {
                shard.tasks.remove(key).forget();
                true
            }
            _ => false,
        }
    }

    /// Refuses new tasks and cancels every listed one. Futures are dropped on this thread,
    /// outside the locks (their drops may spawn or wake other tasks).
    pub(crate) fn close_and_cancel_all(&self) {
        for shard in self.shards.iter() {
            let tasks = {
                let mut shard = shard.lock();
                shard.closed = true;
                mem::take(&mut shard.tasks)
            };
            for (_, task) in tasks {
                task.shutdown();
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.shards
            .iter()
            .all(|shard| shard.lock().tasks.is_empty())
    }
}
