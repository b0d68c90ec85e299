//! `RuntimeMetrics`: what a running runtime has done and holds now
//! ([`Handle::metrics`](crate::Handle::metrics)).
//!
//! Counted where the work happens, so the hot path pays no shared read-modify-write:
//!
//! - polls: the counter each worker already publishes for the LIFO watch
//!   (`Lifo::polls`, `lifo.rs`);
//! - steals, parks, busy time: [`WorkerCounters`], in the worker's `Remote`, on a cache
//!   line of their own, written only by that worker with a relaxed load and store (no
//!   RMW); steals and parks are slow paths, and the busy time is added up at each park
//!   from the clock reading of the pacer's last wake-up;
//! - live and spawned tasks: each owner-list shard counts the tasks it holds and the
//!   tasks it has taken, under the lock that linking a task takes anyway;
//! - queue depths, blocking threads and pending timers: read when the metrics are taken,
//!   from the queues, the blocking pool's lock and the driver.
//!
//! The reader takes no worker's lock but for the owner-list shards', the blocking pool's
//! and the timer's, one at a time: the numbers are a snapshot, each consistent with itself,
//! not with each other.

use super::shared::Shared;
use crate::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::fmt;
use std::time::Duration;

/// A worker's counters, in its `Remote`: written only by that worker, read by anyone.
#[derive(Debug)]
pub(super) struct WorkerCounters {
    /// Tasks this worker took from other workers' queues.
    steals: AtomicU64,
    parks: AtomicU64,
    /// Time awake, in nanoseconds, up to the worker's last park.
    busy_nanos: AtomicU64,
}

/// Adds `by` to a counter only this thread writes. Relaxed load and store, no RMW: there
/// is no other writer, and readers only need to see it move.
#[inline]
fn add(counter: &AtomicU64, by: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(by), Relaxed);
}

impl WorkerCounters {
    pub(super) fn new() -> WorkerCounters {
        WorkerCounters {
            steals: AtomicU64::new(0),
            parks: AtomicU64::new(0),
            busy_nanos: AtomicU64::new(0),
        }
    }

    /// The worker stole `tasks` in one batch.
    pub(super) fn stole(&self, tasks: usize) {
        add(&self.steals, tasks as u64);
    }

    /// The worker parks after `busy` awake.
    pub(super) fn parked(&self, busy: Duration) {
        add(&self.parks, 1);
        add(
            &self.busy_nanos,
            u64::try_from(busy.as_nanos()).unwrap_or(u64::MAX),
        );
    }
}

/// What a runtime has done and holds, at one moment: [`Handle::metrics`](crate::Handle::metrics).
///
/// Counters (polls, steals, parks, spawns) only grow, and wrap at `u64::MAX`; gauges (live
/// tasks, queue depths, blocking threads, timers) are what the runtime held when the
/// metrics were read. Reading them takes a few locks briefly, one at a time, never all the
/// workers'; the numbers are each a snapshot, not a consistent cut across them.
///
/// ```
/// let rt = corun::Runtime::builder().worker_threads(2).build().unwrap();
/// let before = rt.handle().metrics();
/// rt.block_on(async {
///     corun::spawn(async {}).await.unwrap();
/// });
/// let metrics = rt.handle().metrics();
/// assert_eq!(metrics.num_workers(), 2);
/// assert_eq!(metrics.spawned_tasks(), before.spawned_tasks() + 1);
/// // A finished task leaves the task list just after it wakes its awaiter.
/// while rt.handle().metrics().live_tasks() != 0 {
///     std::thread::yield_now();
/// }
/// println!("{metrics}");
/// ```
#[derive(Debug, Clone)]
pub struct RuntimeMetrics {
    workers: Vec<WorkerMetrics>,
    live_tasks: usize,
    spawned_tasks: u64,
    injector_depth: usize,
    blocking: BlockingCounts,
    pending_timers: usize,
}

/// One worker's part of [`RuntimeMetrics`].
///
/// ```
/// let rt = corun::Runtime::builder().worker_threads(1).build().unwrap();
/// rt.block_on(async { corun::spawn(async {}).await.unwrap() });
/// let metrics = rt.handle().metrics();
/// let worker: &corun::WorkerMetrics = &metrics.workers()[0];
/// assert!(worker.polls() >= 1);
/// println!("{worker:?}");
/// ```
#[derive(Debug, Clone)]
pub struct WorkerMetrics {
    polls: u64,
    steals: u64,
    parks: u64,
    busy_time: Duration,
    local_queue_depth: usize,
}

/// The blocking pool's threads and queue, read under its lock.
#[derive(Debug, Clone, Copy)]
pub(super) struct BlockingCounts {
    /// Threads running a closure, or woken to take one.
    pub(super) busy: usize,
    /// Threads waiting for work.
    pub(super) idle: usize,
    /// Closures waiting for a thread.
    pub(super) queued: usize,
}

impl RuntimeMetrics {
    pub(super) fn of(shared: &Shared) -> RuntimeMetrics {
        let workers = shared
            .remotes
            .iter()
            .map(|remote| WorkerMetrics {
                // Relaxed (all): snapshots of counters their worker stores (see `add`).
                polls: remote.lifo.polls.load(Relaxed) as u64,
                steals: remote.counters.steals.load(Relaxed),
                parks: remote.counters.parks.load(Relaxed),
                busy_time: Duration::from_nanos(remote.counters.busy_nanos.load(Relaxed)),
                local_queue_depth: remote.stealer.len(),
            })
            .collect();
        let (live_tasks, spawned_tasks) = shared.owned.counts();
        RuntimeMetrics {
            workers,
            live_tasks,
            spawned_tasks,
            injector_depth: shared.inject.len(),
            blocking: shared.blocking.counts(),
            pending_timers: shared.driver.pending(),
        }
    }

    /// The number of worker threads.
    pub fn num_workers(&self) -> usize {
        self.workers.len()
    }

    /// Each worker's metrics, by worker index (the `N` of the thread name `corun-worker-N`).
    pub fn workers(&self) -> &[WorkerMetrics] {
        &self.workers
    }

    /// Tasks spawned and not yet finished (blocking closures aside): running, queued, or
    /// waiting for a wake-up.
    pub fn live_tasks(&self) -> usize {
        self.live_tasks
    }

    /// Tasks spawned since the runtime started (blocking closures aside).
    pub fn spawned_tasks(&self) -> u64 {
        self.spawned_tasks
    }

    /// Tasks in the global queue, where tasks scheduled from outside the workers wait.
    pub fn injector_depth(&self) -> usize {
        self.injector_depth
    }

    /// Blocking threads running a closure.
    pub fn blocking_threads_busy(&self) -> usize {
        self.blocking.busy
    }

    /// Blocking threads alive and waiting for a closure.
    pub fn blocking_threads_idle(&self) -> usize {
        self.blocking.idle
    }

    /// Blocking closures waiting for a thread.
    pub fn blocking_queue_depth(&self) -> usize {
        self.blocking.queued
    }

    /// Timers (sleeps, timeouts, intervals) armed and not fired yet.
    pub fn pending_timers(&self) -> usize {
        self.pending_timers
    }
}

impl WorkerMetrics {
    /// Polls this worker has run (wrapping, on a 32-bit target, at `u32::MAX`).
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// Tasks this worker stole from other workers' queues: each steal takes a batch (about
    /// half the victim's queue), and every task of it counts.
    pub fn steals(&self) -> u64 {
        self.steals
    }

    /// Times this worker went to sleep for lack of work.
    pub fn parks(&self) -> u64 {
        self.parks
    }

    /// Time this worker spent awake (running tasks, or looking for them), up to its last
    /// park: the stretch it is in now is added when it next parks.
    pub fn busy_time(&self) -> Duration {
        self.busy_time
    }

    /// Tasks in this worker's queue (its LIFO slot aside).
    pub fn local_queue_depth(&self) -> usize {
        self.local_queue_depth
    }
}

impl fmt::Display for RuntimeMetrics {
    /// A line for the runtime, then one per worker.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} workers, {} live tasks ({} spawned), {} in the injector, {} timers pending, \
             blocking threads: {} busy, {} idle, {} closures queued",
            self.num_workers(),
            self.live_tasks,
            self.spawned_tasks,
            self.injector_depth,
            self.pending_timers,
            self.blocking.busy,
            self.blocking.idle,
            self.blocking.queued,
        )?;
        for (index, worker) in self.workers.iter().enumerate() {
            writeln!(
                f,
                "worker {index}: {} polls, {} stolen, {} parks, busy {:?}, {} queued",
                worker.polls,
                worker.steals,
                worker.parks,
                worker.busy_time,
                worker.local_queue_depth,
            )?;
        }
        Ok(())
    }
}
