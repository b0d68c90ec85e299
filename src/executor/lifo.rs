//! The LIFO slot, and the watch that keeps it from stranding a task.
//!
//! A task woken by a task running on a worker goes into that worker's LIFO slot and runs
//! right after the waker's poll: message passing between tasks stays on one core, hot in
//! its cache. But if the waker's poll then runs for a long time, the woken task waits for
//! it, even while other workers sit idle (tokio#4941). Waking an idle worker at every fill,
//! to come and steal, costs a wake-up per message, which is what made tokio revert its
//! stealable LIFO slot (tokio#8065). corun's answer:
//!
//! - The slot is a [`NotifiedSlot`], which another worker can take from.
//! - Each worker publishes a poll counter (`Remote::polls`, one relaxed store per poll).
//! - A worker about to park that sees another worker's slot occupied takes the *watch*
//!   (one worker at a time) and parks for at most [`WATCH`]. When it wakes, a slot still
//!   occupied by a worker whose poll counter has not moved holds a task stranded behind a
//!   long poll: the watcher takes it and runs it.
//! - A fill of an empty slot wakes a parked worker only if nobody holds the watch (and
//!   someone is parked): at most one wake per watch period, however hot the slot.
//!
//! So a stranded task waits at most about two watch periods, and message passing pays one
//! relaxed load per fill, plus one watch wake-up per period on an otherwise idle worker
//! while the slot is in use.

use super::shared::{Notified, Shared};
use crate::sync::atomic::Ordering::*;
use crate::sync::Arc;
use crate::task::NotifiedSlot;
use std::time::Duration;

/// A worker's LIFO slot.
pub(super) type LifoSlot = NotifiedSlot<Arc<Shared>>;

/// How long a watcher parks before it looks at the other workers' slots again.
pub(super) const WATCH: Duration = Duration::from_millis(1);

/// What a watcher saw when it began: each worker's poll count, `None` where the slot was
/// empty (or the worker is the watcher itself).
#[derive(Debug, Default)]
pub(super) struct Watch {
    polls: Vec<Option<usize>>,
}

impl Shared {
    /// A worker filled its empty LIFO slot.
    #[inline]
    pub(super) fn lifo_filled(&self) {
        // Relaxed: hints. A worker that parks meanwhile looks at the slots itself.
        if !self.lifo_watch.load(Relaxed) && self.idle.has_parked_hint() {
            self.notify_parked();
        }
    }

    /// Worker `index` is about to park: if another worker's slot is occupied and nobody
    /// watches, it takes the watch and fills `watch` with what it sees. Returns whether it
    /// watches (and must park for at most [`WATCH`]).
    pub(super) fn begin_lifo_watch(&self, index: usize, watch: &mut Watch) -> bool {
        let others_occupied = self
            .remotes
            .iter()
            .enumerate()
            .any(|(i, remote)| i != index && remote.lifo.is_occupied());
        if !others_occupied {
            return false;
        }
        // Acquire: pairs with the Release in `end_lifo_watch`.
        if self.lifo_watch.swap(true, Acquire) {
            return false;
        }
        watch.polls.clear();
        watch
            .polls
            .extend(self.remotes.iter().enumerate().map(|(i, remote)| {
                // Relaxed: the counter only has to be seen moving, eventually.
                let polls = remote.polls.load(Relaxed);
                (i != index && remote.lifo.is_occupied()).then_some(polls)
            }));
        true
    }

    /// The watcher woke: gives the watch back, and takes a task stranded in a slot whose
    /// worker has been in the same poll since the watch began.
    pub(super) fn end_lifo_watch(&self, watch: &Watch) -> Option<Notified> {
        // Release: the next watcher sees this one's reads done.
        self.lifo_watch.store(false, Release);
        self.remotes
            .iter()
            .zip(&watch.polls)
            .filter(|(remote, seen)| seen.is_some_and(|seen| seen == remote.polls.load(Relaxed)))
            .find_map(|(remote, _)| remote.lifo.take())
    }
}
