//! The worker loop: find a task, run it, and park when there is none.
//!
//! Each worker owns a `crossbeam-deque` FIFO queue and a LIFO slot (see `shared.rs` for
//! what goes where). Its loop, after tokio's multi-thread scheduler:
//!
//! 1. At each *check* (see `pacer.rs`: about every 50 µs of work, whatever the length of
//!    the polls), take from the injector first, so work from outside is never starved by a
//!    busy local queue, let the driver do what is due (fire timers, poll sockets), and
//!    take the queued work of any peer that has not polled since the last check (see
//!    `rescue.rs`).
//! 2. LIFO slot, then local queue, then a batch from the injector.
//! 3. Steal half of a random victim's queue (`steal_batch_and_pop`), if fewer than half the
//!    workers are already searching.
//! 4. Park (see `idle.rs` for the protocol that makes this safe). One parking worker at a
//!    time drives the timer and parks only until its next deadline (see `driver.rs`).
//!
//! After running a task, the worker runs what its LIFO slot received, at most
//! `MAX_LIFO_POLLS` times in a row; then the slot's task goes to the back of the queue, so
//! two tasks waking each other cannot starve the rest.

use super::context;
use super::driver::BeforePark;
use super::handle::Handle;
use super::lifo::{Lifo, Watch, WATCH};
use super::metrics::WorkerCounters;
use super::pacer::Pacer;
use super::rescue::Rescue;
use super::shared::{Notified, Origin, Shared};
use super::slow_poll::SlowPollHook;
use crate::sync::atomic::Ordering::Relaxed;
use crate::sync::deque::{Steal, Worker as LocalQueue};
use crate::sync::Arc;
use crate::task::{NotifiedSlot, Stamp};
use std::io::Write;
use std::task::Waker;

#[cfg(not(corun_loom))]
const MAX_LIFO_POLLS: usize = 3;
/// One LIFO poll before the cap under loom, so that a model reaches the cap with few tasks.
#[cfg(corun_loom)]
const MAX_LIFO_POLLS: usize = 1;

crate::sync::scoped_thread_local!(
    /// The context of the worker whose loop runs on this thread.
    static CURRENT: WorkerContext
);

/// What a worker shares with the code it runs: the queues that `schedule` pushes to.
/// Owned by the worker thread, reached through the scoped thread-local `CURRENT`.
struct WorkerContext {
    index: usize,
    shared: Arc<Shared>,
    queue: LocalQueue<Notified>,
}

impl WorkerContext {
    /// This worker's LIFO slot (in its `Remote`: other workers may take from it).
    fn lifo(&self) -> &NotifiedSlot<Arc<Shared>> {
        &self.shared.remotes[self.index].lifo.slot
    }

    /// This worker's counters for metrics (in its `Remote`: read by `Handle::metrics`).
    fn counters(&self) -> &WorkerCounters {
        &self.shared.remotes[self.index].counters
    }
}

/// The loop's own state.
struct Worker<'a> {
    cx: &'a WorkerContext,
    /// This worker's LIFO slot and poll counter, looked up once.
    lifo: &'a Lifo,
    /// The runtime's slow-poll hook, looked up once: off, a poll tests this and no more.
    slow_poll: Option<&'a SlowPollHook>,
    pacer: Pacer,
    /// The last check's clock reading, coarsely: the start of each poll, for dumps.
    stamp: Stamp,
    /// Polls started, published in `Remote::polls` for the LIFO watch.
    polls: usize,
    /// What this worker saw when it last took the LIFO watch.
    watch: Watch,
    /// What this worker saw of its peers at its last check (see `rescue.rs`).
    rescue: Rescue,
    rng: FastRand,
    searching: bool,
    /// The poller's wakers of one park, kept empty between parks (its capacity stays).
    woken: Vec<Waker>,
}

/// Runs worker `index` of `shared` until shutdown.
pub(super) fn run(shared: Arc<Shared>, index: usize, queue: LocalQueue<Notified>) {
    let handle = Handle {
        shared: shared.clone(),
    };
    let _bug = AbortOnUnwind;
    let _current = context::set_current(&handle);
    let _driving = context::enter_driving();
    let cx = WorkerContext {
        index,
        shared,
        queue,
    };
    CURRENT.set(&cx, || {
        let pacer = Pacer::new();
        Worker {
            cx: &cx,
            lifo: &cx.shared.remotes[index].lifo,
            slow_poll: cx.shared.observe.slow_poll.as_ref(),
            stamp: Stamp::at(pacer.last_check()),
            pacer,
            polls: 0,
            watch: Watch::default(),
            rescue: Rescue::new(cx.shared.remotes.len()),
            rng: FastRand::new(index),
            searching: false,
            woken: Vec::new(),
        }
        .run();
    });
    // Release what is still queued here. Dropping `cx.queue` would not: crossbeam frees
    // the queued items only with the last handle of the deque, and `Shared::remotes`
    // holds a stealer of it, so the queued tasks would keep `Shared` (and through it the
    // deque) alive for ever. The futures themselves are cancelled by the shutdown, through
    // the owner list.
    drop(cx.lifo().take());
    while let Some(task) = cx.queue.pop() {
        drop(task);
    }
}

/// The index of the current worker, if this thread is a worker of `shared`.
pub(super) fn current_index(shared: &Shared) -> Option<usize> {
    with_local(shared, |cx| cx.index)
}

/// Queues `task` on the current worker if this thread is one of `shared`'s; otherwise gives
/// it back.
pub(super) fn schedule_local(
    shared: &Shared,
    task: Notified,
    origin: Origin,
) -> Result<(), Notified> {
    let mut task = Some(task);
    let queued = with_local(shared, |cx| {
        let task = task.take().expect("taken once");
        let displaced = match origin {
            Origin::Wake => match cx.lifo().put(task) {
                None => return shared.lifo_filled(),
                Some(displaced) => displaced,
            },
            Origin::Spawn | Origin::Yield => task,
        };
        cx.queue.push(displaced);
        shared.notify_parked();
    });
    match queued {
        Some(()) => Ok(()),
        None => Err(task.expect("not taken when not queued")),
    }
}

/// Runs `f` with this thread's worker context if it is a worker of `shared`.
#[inline]
fn with_local<R>(shared: &Shared, f: impl FnOnce(&WorkerContext) -> R) -> Option<R> {
    CURRENT.with(|cx| cx.filter(|cx| std::ptr::eq(&*cx.shared, shared)).map(f))
}

impl Worker<'_> {
    fn shared(&self) -> &Shared {
        &self.cx.shared
    }

    fn run(&mut self) {
        while !self.shared().is_shutdown() {
            let check = self.pacer.tick();
            if check {
                let now = self.pacer.last_check();
                self.stamp = Stamp::at(now);
                self.shared().driver.maintain(now);
                let rescued = self
                    .rescue
                    .check(&self.cx.shared, self.cx.index, &self.cx.queue);
                if rescued > 0 {
                    self.cx.counters().stole(rescued);
                }
            }
            if let Some(task) = self.next_task(check) {
                self.run_task(task);
            } else if let Some(task) = self.steal_work() {
                self.run_task(task);
            } else {
                self.park();
            }
        }
    }

    /// The next task to run; at a check, the injector's first.
    fn next_task(&mut self, check: bool) -> Option<Notified> {
        let inject = &self.shared().inject;
        if check {
            if let Some(task) = inject.pop() {
                return Some(task);
            }
        }
        if let Some(task) = self.lifo.slot.take() {
            return Some(task);
        }
        if let Some(task) = self.cx.queue.pop() {
            return Some(task);
        }
        loop {
            match inject.steal_batch_and_pop(&self.cx.queue) {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    /// Steals from a random victim, then the injector. Returns `None` if there is nothing
    /// or if enough workers are searching already.
    fn steal_work(&mut self) -> Option<Notified> {
        if !self.searching {
            if !self.shared().idle.transition_worker_to_searching() {
                return None;
            }
            self.searching = true;
        }
        let remotes = &self.cx.shared.remotes;
        let start = self.rng.next_below(remotes.len());
        loop {
            let mut retry = false;
            for offset in 0..remotes.len() {
                let victim = (start + offset) % remotes.len();
                if victim == self.cx.index {
                    continue;
                }
                match remotes[victim].stealer.steal_batch_and_pop(&self.cx.queue) {
                    Steal::Success(task) => {
                        // The queue was empty (`next_task` found nothing): the batch is
                        // what it holds now, and the task popped from it.
                        self.cx.counters().stole(self.cx.queue.len() + 1);
                        return Some(task);
                    }
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            match self.cx.shared.inject.steal_batch_and_pop(&self.cx.queue) {
                Steal::Success(task) => return Some(task),
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
            if !retry {
                return None;
            }
        }
    }

    fn run_task(&mut self, task: Notified) {
        if self.searching {
            self.searching = false;
            // The last searcher to find work hands the search on to a parked worker.
            if self.shared().idle.transition_worker_from_searching() {
                self.shared().notify_parked();
            }
        }
        self.poll(task);
        for _ in 0..MAX_LIFO_POLLS {
            match self.lifo.slot.take() {
                Some(task) => self.poll(task),
                None => return,
            }
        }
        if let Some(task) = self.lifo.slot.take() {
            self.cx.queue.push(task);
            self.shared().notify_parked();
        }
    }

    /// Runs one poll of `task`, counting it for the LIFO watch (and metrics), timing it
    /// if the runtime has a slow-poll hook.
    #[inline]
    fn poll(&mut self, task: Notified) {
        self.polls = self.polls.wrapping_add(1);
        // Relaxed: a watcher only needs to see it move eventually (see `lifo.rs`).
        self.lifo.polls.store(self.polls, Relaxed);
        match self.slow_poll {
            None => task.run_stamped(self.stamp),
            Some(hook) => hook.run(task, self.stamp),
        }
    }

    /// This worker gave up the driving role to run tasks. If timers are pending, a parked
    /// worker must take the role over: one that parked while this one drove sleeps without
    /// a timeout, and a long task here would hold the timers up until this worker parks.
    fn hand_over_driving(&self) {
        let shared = self.shared();
        if shared.driver.has_pending() {
            shared.notify_parked();
        }
    }

    fn park(&mut self) {
        let shared = &*self.cx.shared;
        let index = self.cx.index;
        let (driving, timeout) = match shared.driver.before_park(&shared.remotes[index].parker) {
            BeforePark::Ran => return self.hand_over_driving(),
            BeforePark::Follow => (false, None),
            BeforePark::Drive(timeout) => (true, timeout),
        };
        self.cx.counters().parked(self.pacer.awake());
        // Another worker's LIFO slot is occupied: watch it (see `lifo.rs`).
        let watching = shared.begin_lifo_watch(index, &mut self.watch);
        let timeout = match (watching, timeout) {
            (true, Some(timeout)) => Some(timeout.min(WATCH)),
            (true, None) => Some(WATCH),
            (false, timeout) => timeout,
        };
        self.searching =
            shared.park_worker(index, self.searching, driving, timeout, &mut self.woken);
        if driving {
            shared.driver.after_park();
            self.hand_over_driving();
        }
        if watching {
            if let Some(stranded) = shared.end_lifo_watch(&self.watch) {
                self.cx.queue.push(stranded);
            }
        }
        // The time parked was not work.
        self.pacer.restart();
        self.stamp = Stamp::at(self.pacer.last_check());
    }
}

/// User code runs behind unwind boundaries (the poll's `catch_unwind`, `crate::unwind`),
/// so a panic that reaches the worker loop is a bug in corun, and it may have left a task
/// or a counter half-updated. A dead worker would hang the runtime silently; abort loudly.
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = writeln!(
                std::io::stderr(),
                "corun: a worker thread panicked outside user code, which is a bug in corun; \
                 aborting rather than leaving the runtime without this worker"
            );
            std::process::abort();
        }
    }
}

/// xorshift32: picks steal victims; quality hardly matters, speed does.
struct FastRand(u32);

impl FastRand {
    fn new(seed: usize) -> FastRand {
        // Any non-zero seed works; spread the worker indices apart.
        FastRand((seed as u32).wrapping_mul(0x9E37_79B9) | 1)
    }

    fn next_below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        (x as usize) % n
    }
}
