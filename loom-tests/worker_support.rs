//! What the worker-loop models share: the real worker loops (`worker::run`) started on
//! loom threads, a gate a task can block its worker on, and the shutdown sequence with the
//! checks every model ends with.
//!
//! A task that blocks its worker on a [`Gate`] stands for a long-running task: it makes
//! "the other worker must run this" a liveness property. Work queued behind it is run only
//! if the parking protocol wakes (or keeps awake) the second worker; if it does not, both
//! workers end up blocked (one in the gate, one parked) and loom reports a deadlock.
//!
//! What the loop looks like under loom: the pacer checks every 2 ticks (`pacer.rs`) and
//! `MAX_LIFO_POLLS` is 1 (`worker.rs`), so short models reach the injector-first check and
//! the LIFO cap; the
//! driver is the real `Timer`, with no timers armed, so one parking worker drives and parks
//! with `Drive(None)`, a plain `Parker::park` like the others. Workers reach their context
//! through the shim's `thread_local!`, one per loom thread.
//!
//! Reading a failure: loom's own line (`deadlock; threads = [...]`, or the assertion) comes
//! first. The panic then unwinds through a worker, whose thread-local reset touches loom's
//! torn-down state and aborts the process ("panic in a destructor during cleanup"), as the
//! worker's `AbortOnUnwind` would: run one model per process (`loom-tests/run.sh`).

use super::shared::{Notified, Shared};
use super::worker;
use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::sync::deque::Worker as LocalQueue;
use crate::sync::Arc;
use loom::thread::JoinHandle;

/// `loom::model` with the preemption bound capped at `bound`. These models run the whole
/// worker loop, and are exhaustive in about a minute only at the bound each documents; at
/// the suite's `LOOM_MAX_PREEMPTIONS=3` some would take many minutes. A lower setting is
/// kept. `Builder::check` does not install the tracing subscriber through which
/// `loom::model` reports its iterations, so with `LOOM_LOG` set this prints them itself.
pub(super) fn model(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    let bound = builder.preemption_bound.map_or(bound, |env| env.min(bound));
    builder.preemption_bound = Some(bound);
    // Counts iterations from outside the model: loom must not see (or schedule on) it.
    #[allow(clippy::disallowed_types)]
    let iterations = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = iterations.clone();
    builder.check(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f();
    });
    if std::env::var_os("LOOM_LOG").is_some() {
        let iterations = iterations.load(std::sync::atomic::Ordering::Relaxed);
        eprintln!("loom: completed in {iterations} iterations at preemption bound {bound}");
    }
}

/// Starts worker `i` on its own loom thread for each local queue, running the real loop.
pub(super) fn start_workers(
    shared: &Arc<Shared>,
    queues: Vec<LocalQueue<Notified>>,
) -> Vec<JoinHandle<()>> {
    queues
        .into_iter()
        .enumerate()
        .map(|(index, queue)| {
            let shared = shared.clone();
            loom::thread::spawn(move || worker::run(shared, index, queue))
        })
        .collect()
}

/// A one-shot event: `wait` blocks the calling thread (a worker, when a task calls it)
/// until `open`. One waiter at most (loom's `Notify`).
#[derive(Debug, Default)]
pub(super) struct Gate {
    open: AtomicBool,
    notify: loom::sync::Notify,
}

impl Gate {
    pub(super) fn new() -> Arc<Gate> {
        Arc::new(Gate::default())
    }

    pub(super) fn open(&self) {
        // Release: pairs with the Acquire load in `wait`.
        self.open.store(true, Release);
        self.notify.notify();
    }

    pub(super) fn wait(&self) {
        // Acquire: pairs with the Release store in `open`. The loop absorbs the spurious
        // wakeups loom's `Notify` explores.
        while !self.open.load(Acquire) {
            self.notify.wait();
        }
    }
}

/// The runtime's shutdown sequence, as `Runtime::drop` runs it: tell the workers, join
/// them, cancel what is left. Then checks that nothing is queued and that the idle state
/// accounts for every worker.
pub(super) fn shut_down(shared: &Arc<Shared>, workers: Vec<JoinHandle<()>>) {
    shared.begin_shutdown();
    for worker in workers {
        worker.join().expect("a worker thread panicked");
    }
    shared.finish_shutdown();
    assert!(
        shared.inject.pop().is_none(),
        "a task was left in the injector"
    );
    for (index, remote) in shared.remotes.iter().enumerate() {
        assert!(
            remote.stealer.is_empty(),
            "a task was left in worker {index}'s queue"
        );
    }
    // The idle books balance: every worker is either on the parked list (once) or counted
    // unparked, and only unparked workers count as searching. Not that none is searching:
    // a worker that a producer woke (counting it as searching) and that then sees shutdown
    // leaves without searching, and nothing reads the counters after shutdown.
    let (searching, unparked, parked) = shared.idle.counts();
    for index in 0..shared.num_workers() {
        let listed = parked.iter().filter(|&&parked| parked == index).count();
        assert!(
            listed <= 1,
            "worker {index} is listed {listed} times as parked"
        );
    }
    assert_eq!(
        parked.len() + unparked,
        shared.num_workers(),
        "parked {parked:?} and unparked ({unparked}) workers do not add up"
    );
    assert!(
        searching <= unparked,
        "{searching} searching workers but {unparked} unparked"
    );
}

/// What every model checks last, after `shut_down`: each task ran to completion exactly
/// once (`runs` counts the completions), and no task is left holding the runtime.
pub(super) fn assert_each_ran_once(shared: &Arc<Shared>, runs: &[AtomicUsize]) {
    for run in runs {
        assert_eq!(run.load(SeqCst), 1, "each task completes exactly once");
    }
    assert_eq!(
        Arc::strong_count(shared),
        1,
        "a task kept the runtime alive"
    );
}
