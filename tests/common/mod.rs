//! Helpers shared by the integration tests: a watchdog that turns a hang into a failure,
//! drop counters that prove every future and output is dropped exactly once, and a
//! countdown latch to wait for "all N tasks got here" without sleeping.
#![allow(clippy::disallowed_types, dead_code)]

#[cfg(not(corun_loom))]
pub mod net;

use corun::{JoinHandle, Runtime};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

/// How long any one test may take before the watchdog aborts the test binary.
pub const LIMIT: Duration = Duration::from_secs(60);

/// Aborts the whole test process if dropped later than `limit` after creation. Hold it for
/// the whole test: `let _watchdog = watchdog(LIMIT, "spawn::nested");`.
#[must_use = "the watchdog stops watching when dropped"]
pub struct Watchdog {
    done: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

/// Starts a watchdog for the test `name`.
pub fn watchdog(limit: Duration, name: &'static str) -> Watchdog {
    watchdog_with(limit, name, String::new)
}

/// How long the watchdog waits for a diagnosis before aborting without it (the closure may
/// block on a lock the hung test holds).
const DIAGNOSIS_LIMIT: Duration = Duration::from_secs(5);

/// A [`watchdog`] that, before aborting, prints what `diagnose` says about how far the test
/// got (say, how many wakes were delivered): `watchdog_with(LIMIT, "wakes", move || ...)`.
/// Let it read counters; it runs on a thread of its own and is given up on after a few
/// seconds, so a lock held by the hung test cannot keep the process alive.
pub fn watchdog_with<D>(limit: Duration, name: &'static str, diagnose: D) -> Watchdog
where
    D: FnOnce() -> String + Send + 'static,
{
    let (done, rx) = mpsc::channel::<()>();
    let thread = thread::Builder::new()
        .name(format!("watchdog:{name}"))
        .spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                // Straight to the process's stderr: the harness captures `eprintln!`, and
                // that capture dies with the process.
                let _ = writeln!(
                    std::io::stderr(),
                    "\nwatchdog: test `{name}` still running after {limit:?}; it hangs. Aborting."
                );
                let (tx, diagnosis) = mpsc::channel();
                let _ = thread::Builder::new()
                    .name(format!("watchdog-diagnosis:{name}"))
                    .spawn(move || tx.send(diagnose()));
                match diagnosis.recv_timeout(DIAGNOSIS_LIMIT) {
                    Ok(text) if !text.is_empty() => {
                        let _ = writeln!(std::io::stderr(), "watchdog: `{name}`: {text}");
                    }
                    Ok(_) => {}
                    Err(_) => {
                        let _ = writeln!(std::io::stderr(), "watchdog: `{name}`: no diagnosis");
                    }
                }
                std::process::abort();
            }
        })
        .expect("start the watchdog thread");
    Watchdog {
        done: Some(done),
        thread: Some(thread),
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Disconnecting the channel wakes the watchdog thread, which then exits.
        drop(self.done.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Counts the [`DropCounter`]s it made and how many of them were dropped.
#[derive(Clone, Default)]
pub struct Drops {
    inner: Arc<DropsInner>,
}

#[derive(Default)]
struct DropsInner {
    created: AtomicUsize,
    dropped: Mutex<usize>,
    changed: Condvar,
}

impl Drops {
    pub fn new() -> Drops {
        Drops::default()
    }

    /// A new value whose drop this tally counts.
    pub fn counter(&self) -> DropCounter {
        self.inner.created.fetch_add(1, SeqCst);
        DropCounter {
            drops: self.inner.clone(),
        }
    }

    pub fn created(&self) -> usize {
        self.inner.created.load(SeqCst)
    }

    pub fn dropped(&self) -> usize {
        *self.inner.dropped.lock().unwrap()
    }

    /// Blocks until at least `n` counters were dropped (the watchdog catches "never").
    pub fn wait_dropped(&self, n: usize) {
        let mut dropped = self.inner.dropped.lock().unwrap();
        while *dropped < n {
            dropped = self.inner.changed.wait(dropped).unwrap();
        }
    }

    /// Every counter made so far was dropped, and none more often than once.
    #[track_caller]
    pub fn assert_all_dropped_once(&self) {
        assert_eq!(
            self.dropped(),
            self.created(),
            "drops counted vs. values created"
        );
    }
}

/// A value that records its drop in the [`Drops`] that made it. Safe code cannot drop it
/// twice, so a count above the number created means unsafe code in the runtime did.
pub struct DropCounter {
    drops: Arc<DropsInner>,
}

impl Drop for DropCounter {
    fn drop(&mut self) {
        let mut dropped = self.drops.dropped.lock().unwrap();
        *dropped += 1;
        self.drops.changed.notify_all();
    }
}

/// A countdown latch: `wait` returns once `count_down` was called `n` times.
#[derive(Clone)]
pub struct Latch {
    inner: Arc<(Mutex<usize>, Condvar)>,
}

impl Latch {
    pub fn new(n: usize) -> Latch {
        Latch {
            inner: Arc::new((Mutex::new(n), Condvar::new())),
        }
    }

    pub fn count_down(&self) {
        let (left, cv) = &*self.inner;
        let mut left = left.lock().unwrap();
        *left = left.checked_sub(1).expect("latch counted down too often");
        if *left == 0 {
            cv.notify_all();
        }
    }

    pub fn wait(&self) {
        let (left, cv) = &*self.inner;
        let mut left = left.lock().unwrap();
        while *left > 0 {
            left = cv.wait(left).unwrap();
        }
    }
}

/// The message of a panic payload made by `panic!` (a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        return (*s).to_owned();
    }
    if let Some(s) = payload.downcast_ref::<String>() {
        return s.clone();
    }
    panic!("panic payload is not a string");
}

/// A runtime with `workers` worker threads.
pub fn runtime(workers: usize) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .build()
        .expect("runtime starts")
}

/// Occupies the only worker of `rt` until the returned sender sends (or is dropped), so
/// that tasks spawned meanwhile stay queued, never polled.
pub fn occupy_only_worker(rt: &Runtime) -> (JoinHandle<()>, mpsc::Sender<()>) {
    let (running_tx, running_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let blocker = rt.spawn(async move {
        running_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    running_rx.recv().unwrap();
    (blocker, release_tx)
}
