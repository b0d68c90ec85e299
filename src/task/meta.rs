//! What a task knows about itself, for dumps and slow-poll reports: its id (in every
//! task's header), and, unless its runtime was built with
//! [`Builder::task_metadata(false)`](crate::Builder::task_metadata) and it has no name, its
//! [`Meta`]: its name, where it was spawned, which task spawned it, and how often and how
//! lately it was polled (24 bytes after the rest of the task, see `raw.rs`).
//!
//! All of it but the poll statistics is written once, at spawn, before the task is shared,
//! and never changes. The statistics are written only by the task's poller (it holds
//! `RUNNING`), with plain relaxed stores, and read by anyone taking a dump: a reader may
//! see a slightly stale pair, never a torn one (one word).

use super::current;
use super::site::Site;
use crate::sync::atomic::{AtomicU64, Ordering::Relaxed};
use crate::sync::thread_local;
use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::panic::Location;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A task's id: unique in the process, never reused. [`JoinHandle::id`](crate::JoinHandle::id)
/// from outside, [`id`] from inside; dumps and slow-poll reports name tasks by it.
///
/// ```
/// corun::run(async {
///     let a = corun::spawn(async {});
///     let b = corun::spawn(async {});
///     assert_ne!(a.id(), b.id());
///     println!("spawned tasks {} and {}", a.id(), b.id());
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

/// The id of the task running on this thread; `None` outside a task (in `corun::run`'s own
/// future, say).
///
/// ```
/// corun::run(async {
///     assert_eq!(corun::task::id(), None);
///     let handle = corun::spawn(async { corun::task::id() });
///     let id = handle.id();
///     assert_eq!(handle.await.unwrap(), Some(id));
/// });
/// ```
pub fn id() -> Option<Id> {
    current::task().map(|task| task.header().id)
}

/// Ids are handed to each thread in blocks, so a spawn does not touch a shared counter.
const ID_BLOCK: u64 = 1024;

thread_local! {
    /// The next id this thread hands out, and the end of its block.
    static IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

impl Id {
    #[inline]
    pub(super) fn next() -> Id {
        let id = IDS.with(|ids| {
            let (mut next, mut end) = ids.get();
            if next == end {
                next = crate::sync::reserve_unique(ID_BLOCK);
                end = next + ID_BLOCK;
            }
            ids.set((next + 1, end));
            next
        });
        Id(NonZeroU64::new(id).expect("ids start at 1"))
    }

    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

/// What the spawner says about a new task, moved down the spawn path.
#[derive(Debug)]
pub(crate) struct Spawn {
    site: Site,
    /// Whether the task gets its [`Meta`]; always, if it has a name.
    recorded: bool,
}

impl Spawn {
    /// An unnamed task spawned at the caller's location, with its [`Meta`].
    #[track_caller]
    pub(crate) fn here() -> Spawn {
        Spawn::new(None, Location::caller())
    }

    /// A task with `name` spawned at `location`, with its [`Meta`].
    pub(crate) fn new(name: Option<String>, location: &'static Location<'static>) -> Spawn {
        Spawn {
            site: Site::new(name, location),
            recorded: true,
        }
    }

    /// For a runtime that keeps metadata only for named tasks.
    pub(crate) fn record_only_if_named(&mut self) {
        self.recorded = self.site.is_named();
    }

    pub(super) fn is_recorded(&self) -> bool {
        self.recorded
    }
}

pub(super) struct Meta {
    parent: Option<Id>,
    /// The spawn location and the name, in one word.
    site: Site,
    /// Polls (low 32 bits, wrapping) and the [`Stamp`] of the last one (high 32 bits).
    stats: AtomicU64,
}

/// When a poll started, in milliseconds since the process's first stamp (0: never).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stamp(u32);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl Stamp {
    /// No clock read: for polls outside a worker (tests, the blocking pool).
    pub(crate) const NONE: Stamp = Stamp(0);

    /// `now`, coarsely (wraps after 49 days).
    #[inline]
    pub(crate) fn at(now: Instant) -> Stamp {
        let since = now.saturating_duration_since(epoch());
        // In u32 arithmetic (it wraps anyway); +1 keeps 0 for "never".
        let millis = (since.as_secs() as u32)
            .wrapping_mul(1000)
            .wrapping_add(since.subsec_millis());
        Stamp(millis.wrapping_add(1))
    }

    /// How long before `now` this stamp was taken, if it was.
    fn age(self, now: Stamp) -> Option<Duration> {
        (self.0 != 0).then(|| Duration::from_millis(u64::from(now.0.wrapping_sub(self.0))))
    }
}

impl Meta {
    /// A new task's record; its parent is the task running on this thread, if any.
    #[inline]
    pub(super) fn new(spawn: Spawn) -> Meta {
        Meta {
            parent: current::task().map(|parent| parent.header().id),
            site: spawn.site,
            stats: AtomicU64::new(0),
        }
    }

    pub(super) fn parent(&self) -> Option<Id> {
        self.parent
    }

    pub(super) fn location(&self) -> &'static Location<'static> {
        self.site.location()
    }

    pub(super) fn name(&self) -> Option<&str> {
        self.site.name()
    }

    /// Counts a poll starting at `stamp` (`Stamp::NONE` from outside a worker: unknown).
    /// Only the task's poller calls it.
    #[inline]
    pub(super) fn record_poll(&self, stamp: Stamp) {
        // Relaxed load and store, no RMW: only the poller writes (it holds `RUNNING`, and
        // the hand-over of `RUNNING` orders its writes before the next poller's).
        let polls = (self.stats.load(Relaxed) as u32).wrapping_add(1);
        self.stats
            .store((u64::from(stamp.0) << 32) | u64::from(polls), Relaxed);
    }

    /// Polls so far (wrapping at 2^32), and how long ago the last one started, if a
    /// worker polled it.
    pub(super) fn polls(&self, now: Stamp) -> (u32, Option<Duration>) {
        // Relaxed: a snapshot for a report; one word, so never torn.
        let stats = self.stats.load(Relaxed);
        (stats as u32, Stamp((stats >> 32) as u32).age(now))
    }
}
