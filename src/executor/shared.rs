//! `Shared`: the part of a runtime every worker, handle and task can reach, and the
//! scheduling policy that decides where a task goes.
//!
//! A task is queued in one of three places:
//! - a worker's **LIFO slot**, when a task running on that worker wakes it: the woken task
//!   is likely to read what the waker just wrote, so it runs next (message-passing
//!   latency). The slot holds one task; the one it displaces goes to the back of the queue.
//! - the worker's **local queue** (a `crossbeam-deque` FIFO): new spawns from a worker,
//!   displaced LIFO tasks, and tasks that woke themselves while running (`yield_now`, hot
//!   channels), so a self-waking task goes behind everything else.
//! - the **injector**, for everything scheduled from outside the workers.
//!
//! Whenever work lands in a stealable queue, a parked worker is woken if none is
//! searching (see `idle.rs`).

use super::blocking::BlockingPool;
use super::driver::Driver;
use super::idle::Idle;
use super::inject::Inject;
use super::lifo::{self, Lifo};
use super::metrics::WorkerCounters;
use super::park::Parker;
use super::slow_poll::SlowPollHook;
use super::worker;
use crate::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering::*};
use crate::sync::deque::Stealer;
use crate::sync::Arc;
use crate::task::{self, JoinHandle, OwnedTasks, Schedule, Task};
use crossbeam_utils::CachePadded;
use std::future::Future;
use std::task::Waker;
use std::time::Duration;

pub(crate) type Notified = task::Notified<Arc<Shared>>;

pub(crate) struct Shared {
    /// Per worker, what the other workers use: its queue's stealer, its parker, its LIFO
    /// slot. Each on its own cache line: a worker writes its own often.
    pub(super) remotes: Box<[CachePadded<Remote>]>,
    pub(super) inject: Inject<Notified>,
    pub(super) idle: Idle,
    pub(super) owned: OwnedTasks<Arc<Shared>>,
    pub(super) blocking: BlockingPool,
    /// The timer and the I/O driver, seen through the executor's hook.
    pub(super) driver: Box<dyn Driver>,
    /// Read by every worker on every tick; written once.
    shutdown: CachePadded<AtomicBool>,
    /// Who watches the LIFO slots (see `lifo.rs`).
    pub(super) lifo_watch: CachePadded<AtomicUsize>,
    /// The runtime was built with a clock that can be paused: work outside the workers is
    /// counted busy in `idle` for the quiescence check. Off, that counting costs nothing.
    pub(super) clock_control: bool,
    /// What the runtime records for looking inside it.
    pub(super) observe: Observe,
}

/// What a runtime records so that it can be looked inside: set by the builder.
#[derive(Clone, Debug)]
pub(crate) struct Observe {
    /// `Builder::on_slow_poll`'s hook; read once by each worker at its start.
    pub(crate) slow_poll: Option<SlowPollHook>,
    /// `Builder::task_metadata`: whether an unnamed task keeps its `Meta`.
    pub(crate) task_metadata: bool,
}

impl Default for Observe {
    fn default() -> Observe {
        Observe {
            slow_poll: None,
            task_metadata: true,
        }
    }
}

pub(super) struct Remote {
    pub(super) stealer: Stealer<Notified>,
    /// Shared with the driver while this worker is the driving one.
    pub(super) parker: Arc<Parker>,
    /// The LIFO slot and the poll counter: written by this worker all the time, so on a
    /// cache line of their own, away from the fields above that stealers read.
    pub(super) lifo: CachePadded<Lifo>,
    /// Steals, parks and busy time, for `Handle::metrics`: written only by this worker,
    /// on a line of their own.
    pub(super) counters: CachePadded<WorkerCounters>,
}

/// Where a task being queued comes from.
#[derive(Clone, Copy)]
pub(super) enum Origin {
    /// A new task.
    Spawn,
    /// A waker fired.
    Wake,
    /// The task woke itself during its own poll.
    Yield,
}

impl Shared {
    pub(crate) fn new(
        stealers: Vec<Stealer<Notified>>,
        blocking: BlockingPool,
        driver: Box<dyn Driver>,
        clock_control: bool,
        observe: Observe,
    ) -> Shared {
        let num_workers = stealers.len();
        // Any worker may become the driving one, so each parker knows the poller.
        let poller = driver.poller();
        let remotes = stealers
            .into_iter()
            .map(|stealer| {
                CachePadded::new(Remote {
                    stealer,
                    parker: Arc::new(Parker::with_poller(poller.clone())),
                    lifo: CachePadded::new(Lifo::new()),
                    counters: CachePadded::new(WorkerCounters::new()),
                })
            })
            .collect();
        Shared {
            remotes,
            inject: Inject::new(),
            idle: Idle::new(num_workers),
            owned: OwnedTasks::new(num_workers * 4),
            blocking,
            driver,
            shutdown: CachePadded::new(AtomicBool::new(false)),
            lifo_watch: CachePadded::new(AtomicUsize::new(lifo::NO_WATCH)),
            clock_control,
            observe,
        }
    }

    pub(super) fn num_workers(&self) -> usize {
        self.remotes.len()
    }

    /// Spawns `future` as a task owned by this runtime. (An associated function rather than
    /// a method: `self: &Arc<Self>` is not a valid receiver for loom's `Arc`.)
    #[inline]
    pub(super) fn spawn<F>(
        this: &Arc<Self>,
        future: F,
        mut spawn: task::Spawn,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if !this.observe.task_metadata {
            spawn.record_only_if_named();
        }
        let (task, notified, join) = task::new(future, this.clone(), spawn);
        if let Some(notified) = this.owned.bind(task, notified) {
            this.schedule_task(notified, Origin::Spawn);
        }
        join
    }

    pub(super) fn schedule_task(&self, task: Notified, origin: Origin) {
        let task = match worker::schedule_local(self, task, origin) {
            Ok(()) => return,
            Err(task) => task,
        };
        // Not on one of our workers. If the injector is closed, shutdown is cancelling
        // every task through the owner list, so this reference is simply released.
        if self.inject.push(task).is_ok() {
            self.notify_parked();
        }
    }

    /// Wakes a parked worker if no worker is searching.
    pub(super) fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].parker.unpark();
        }
    }

    /// True if any stealable queue holds work. The fence orders this read after the
    /// caller's idle-state update (see `idle.rs`).
    pub(super) fn has_work(&self) -> bool {
        fence(SeqCst);
        !self.inject.is_empty() || self.remotes.iter().any(|remote| !remote.stealer.is_empty())
    }

    /// Every worker parked, nothing busy outside them, and no task queued anywhere
    /// (the LIFO slots too: cheap, and only asked on a runtime whose clock can pause).
    fn is_idle(&self) -> bool {
        self.idle.all_idle()
            && !self.has_work()
            && !self
                .remotes
                .iter()
                .any(|remote| remote.lifo.slot.is_occupied())
    }

    /// The caller's decrement of the idle word left every worker parked and nothing busy
    /// (`last_out`; exactly one caller sees each such moment). If no task is queued
    /// either, nothing can run until something from outside happens: the driver may move
    /// a paused clock on. True if it scheduled work. A task queued without a wake-up is
    /// seen here or was seen by the parking searcher's re-check (`idle.rs`): either way
    /// it runs before time moves.
    fn went_idle(&self) -> bool {
        self.clock_control && self.driver.on_idle(&|| self.is_idle())
    }

    /// Work began outside the workers (a blocking job queued, a `block_on` woken).
    /// Counted only on a runtime whose clock can be paused.
    #[inline]
    pub(super) fn begin_busy(&self) {
        if self.clock_control {
            self.idle.begin_busy();
        }
    }

    /// Work outside the workers ended, after it counted whatever it woke.
    #[inline]
    pub(super) fn end_busy(&self) {
        if self.clock_control && self.idle.end_busy() {
            // Its wakes go through the injector: nothing is left for this thread to run.
            let _ = self.went_idle();
        }
    }

    /// Work outside the workers was dropped at shutdown: uncounted, and nobody told (no
    /// worker is left to advance the clock).
    pub(super) fn drop_busy(&self) {
        if self.clock_control {
            let _ = self.idle.end_busy();
        }
    }

    /// Parks worker `index` until another thread hands it work or shutdown begins. The
    /// driving worker (see `driver.rs`) and a worker with a `timeout` (the driver, or the
    /// LIFO watcher) return on any wakeup, since they have something to look at: an
    /// earlier deadline, or the slots. Returns whether the worker wakes up counted as
    /// searching. `woken` is the worker's own, empty, for the poller's wakers: kept from
    /// park to park, so that a park that wakes tasks allocates nothing.
    pub(crate) fn park_worker(
        &self,
        index: usize,
        searching: bool,
        driving: bool,
        timeout: Option<Duration>,
        woken: &mut Vec<Waker>,
    ) -> bool {
        let parked = self
            .idle
            .transition_worker_to_parked(index, searching, driving);
        // Work may have arrived after the other workers stopped looking and before our
        // decrement: look once more (see `Idle::transition_worker_to_parked`).
        if parked.must_recheck && self.has_work() {
            self.notify_parked();
        }
        // The last one out moves a paused clock on; the timers it fired queued their tasks
        // here, so run them instead of sleeping.
        if parked.last_out && self.went_idle() {
            return !self.idle.unpark_worker_by_id(index);
        }
        let parker = &self.remotes[index].parker;
        loop {
            match timeout {
                // The driving worker sleeps in the poller, if the runtime has one.
                _ if driving => parker.park_polling(timeout, woken),
                Some(timeout) => parker.park_timeout(timeout),
                None => parker.park(),
            }
            if self.is_shutdown() {
                woken
                    .drain(..)
                    .for_each(|waker| task::drop_any_waker(Some(waker)));
                return false;
            }
            if driving || timeout.is_some() {
                // Off the parked list on our own, unless a producer took us off first (and
                // counted us as searching).
                let searching = !self.idle.unpark_worker_by_id(index);
                // Off the list, this worker's wakes queue the tasks here and tell a parked
                // worker (not this one) that there is work to steal.
                woken.drain(..).for_each(task::wake_any);
                return searching;
            }
            if !self.idle.is_parked(index) {
                // `worker_to_notify` took us off the list and counted us as searching.
                return true;
            }
        }
    }

    pub(super) fn is_shutdown(&self) -> bool {
        // Acquire: pairs with the Release store in `begin_shutdown`.
        self.shutdown.load(Acquire)
    }

    /// Tells every worker to stop and wakes the parked ones.
    pub(super) fn begin_shutdown(&self) {
        self.shutdown.store(true, Release);
        for remote in self.remotes.iter() {
            remote.parker.unpark();
        }
    }

    /// With the workers gone: cancels every task (dropping its future on this thread),
    /// empties the injector for good, then releases every timer still registered (the
    /// cancelled tasks' own timers deregistered as their futures dropped).
    pub(super) fn finish_shutdown(&self) {
        self.owned.close_and_cancel_all();
        self.inject.close();
        while let Some(task) = self.inject.pop() {
            drop(task);
        }
        debug_assert!(self.owned.is_empty());
        self.driver.shutdown();
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified) {
        self.schedule_task(task, Origin::Wake);
    }

    fn yield_now(&self, task: Notified) {
        self.schedule_task(task, Origin::Yield);
    }

    fn release(&self, task: &Task<Self>) -> bool {
        self.owned.release(task)
    }
}
