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
//! - A worker about to park that sees another worker's slot occupied, or that was woken
//!   because one was filled, takes the *watch* (one worker at a time) and parks for at most
//!   [`WATCH`]. When it wakes, a slot still occupied by a worker whose poll counter has not
//!   moved holds a task stranded behind a long poll: the watcher takes it and runs it.
//! - A fill of an empty slot, when nobody watches and someone is parked, asks for a
//!   watcher and wakes a parked worker: at most one wake per watch period, however hot the
//!   slot.
//!
//! So a stranded task waits at most about two watch periods, and message passing pays a
//! relaxed load per fill, plus one wake-up per watch period of an otherwise idle worker
//! while the slot is in use.

use super::shared::{Notified, Shared};
use crate::sync::atomic::{AtomicUsize, Ordering::*};
use crate::sync::Arc;
use crate::task::NotifiedSlot;
use std::time::Duration;

/// A worker's LIFO slot and poll counter, in its `Remote`.
#[derive(Debug)]
pub(super) struct Lifo {
    /// The task woken last by a task of this worker: it runs next.
    pub(super) slot: NotifiedSlot<Arc<Shared>>,
    /// Polls this worker has started: a watcher that sees it stand still knows the worker
    /// is inside one long poll.
    pub(super) polls: AtomicUsize,
}

impl Lifo {
    pub(super) fn new() -> Lifo {
        Lifo {
            slot: NotifiedSlot::new(),
            polls: AtomicUsize::new(0),
        }
    }
}

/// `Shared::lifo_watch`: nobody watches the slots.
pub(super) const NO_WATCH: usize = 0;
/// A fill asked for a watcher and woke a parked worker, which takes the watch when it parks.
const WATCH_WANTED: usize = 1;
/// A parked worker watches.
const WATCHING: usize = 2;

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
        if self.lifo_watch.load(Relaxed) == NO_WATCH && self.idle.has_parked_hint() {
            self.ask_for_watcher();
        }
    }

    #[cold]
    fn ask_for_watcher(&self) {
        // Relaxed: only one asker wakes somebody; what the watcher reads is the slots.
        if self
            .lifo_watch
            .compare_exchange(NO_WATCH, WATCH_WANTED, Relaxed, Relaxed)
            .is_ok()
        {
            self.notify_parked();
        }
    }

    /// Worker `index` is about to park: if a watcher is wanted, or another worker's slot is
    /// occupied and nobody watches, it takes the watch and fills `watch` with what it sees.
    /// Returns whether it watches (and must park for at most [`WATCH`]).
    pub(super) fn begin_lifo_watch(&self, index: usize, watch: &mut Watch) -> bool {
        let state = self.lifo_watch.load(Relaxed);
        let wanted = state == WATCH_WANTED
            || (state == NO_WATCH
                && self
                    .remotes
                    .iter()
                    .enumerate()
                    .any(|(i, remote)| i != index && remote.lifo.slot.is_occupied()));
        // Acquire: pairs with the Release in `end_lifo_watch`.
        if !wanted || self.lifo_watch.swap(WATCHING, Acquire) == WATCHING {
            return false;
        }
        watch.polls.clear();
        watch
            .polls
            .extend(self.remotes.iter().enumerate().map(|(i, remote)| {
                // Relaxed: the counter only has to be seen moving, eventually.
                let polls = remote.lifo.polls.load(Relaxed);
                (i != index && remote.lifo.slot.is_occupied()).then_some(polls)
            }));
        true
    }

    /// The watcher woke: gives the watch back, and takes a task stranded in a slot whose
    /// worker has been in the same poll since the watch began.
    pub(super) fn end_lifo_watch(&self, watch: &Watch) -> Option<Notified> {
        // Release: the next watcher sees this one's reads done.
        self.lifo_watch.store(NO_WATCH, Release);
        self.remotes
            .iter()
            .zip(&watch.polls)
            .filter(|(remote, seen)| {
                seen.is_some_and(|seen| seen == remote.lifo.polls.load(Relaxed))
            })
            .find_map(|(remote, _)| remote.lifo.slot.take())
    }
}
