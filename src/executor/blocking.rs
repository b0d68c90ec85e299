//! The blocking pool: threads for closures that would stall a worker (file I/O, FFI,
//! heavy synchronous computation).
//!
//! A blocking closure is wrapped in a future that runs it in its first poll, and becomes an
//! ordinary task, so `JoinHandle`, `abort` (before it starts) and panic capture work the
//! same as for async tasks. Threads are started on demand up to `max_threads`; an idle one
//! waits `keep_alive` for more work and then exits. `num_idle`/`num_notify` count idle
//! threads and wakeups handed out, so a spurious condvar wakeup cannot steal a task meant
//! for another thread and a new task never waits for a thread that is already leaving.
//!
//! Each job counts as *busy* in the runtime's idle word (`idle.rs`) from the moment it is
//! queued until it has returned and woken its `JoinHandle`'s awaiter, so that a paused
//! clock does not jump ahead while a blocking closure runs or waits to (see
//! `Shared::went_idle`).
//!
//! The pool keeps every thread's `JoinHandle`, and shutdown joins them: a thread still
//! finishing holds the runtime's `Handle`, and no allocation may outlive the runtime. A
//! thread that exits on its keep-alive leaves its handle behind for the next one to exit
//! (or for shutdown) to join.

use super::context;
use super::handle::Handle;
use super::metrics::BlockingCounts;
use super::shared::Shared;
use crate::sync::{thread, wait_timeout, Arc, Condvar, Mutex};
use crate::task::{self, JoinHandle, Notified, Schedule, Task};
use slab::Slab;
use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct BlockingPool {
    inner: Arc<Inner>,
}

/// How the pool's threads are made.
#[derive(Debug, Clone)]
pub(crate) struct BlockingConfig {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) thread_name: String,
    pub(crate) stack_size: Option<usize>,
}

#[derive(Debug)]
struct Inner {
    synced: Mutex<Synced>,
    /// Idle threads wait here for work.
    work: Condvar,
    /// `shutdown` waits here for threads to exit.
    exited: Condvar,
    config: BlockingConfig,
}

#[derive(Debug)]
struct Synced {
    queue: VecDeque<Notified<BlockingSchedule>>,
    num_threads: usize,
    num_idle: usize,
    /// Wakeups handed to idle threads and not yet taken.
    num_notify: usize,
    shutdown: bool,
    /// The running threads, by the key each was started with.
    threads: Slab<thread::JoinHandle<()>>,
    /// The thread that last left on its keep-alive, still to be joined.
    exited: Option<thread::JoinHandle<()>>,
}

/// Blocking tasks are never woken (their future completes in its first poll) and are in
/// no owner list.
#[derive(Debug)]
struct BlockingSchedule;

impl Schedule for BlockingSchedule {
    fn schedule(&self, _task: Notified<Self>) {
        unreachable!("a blocking task completes in its first poll and is never woken");
    }

    fn yield_now(&self, _task: Notified<Self>) {
        unreachable!("a blocking task completes in its first poll and is never woken");
    }

    fn release(&self, _task: &Task<Self>) -> bool {
        false
    }
}

/// Runs the closure when first polled.
struct BlockingTask<F>(Option<F>);

// The closure is moved out, never pinned.
impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self.0.take().expect("a blocking task is polled once");
        Poll::Ready(f())
    }
}

crate::sync::thread_local! {
    /// The pool this thread belongs to (its address), so that shutting a pool down from
    /// one of its own threads does not wait for itself.
    static POOL_OF_THIS_THREAD: Cell<usize> = const { Cell::new(0) };
}

impl BlockingPool {
    pub(crate) fn new(config: BlockingConfig) -> BlockingPool {
        let synced = Synced {
            queue: VecDeque::new(),
            num_threads: 0,
            num_idle: 0,
            num_notify: 0,
            shutdown: false,
            threads: Slab::new(),
            exited: None,
        };
        BlockingPool {
            inner: Arc::new(Inner {
                synced: Mutex::new(synced),
                work: Condvar::new(),
                exited: Condvar::new(),
                config,
            }),
        }
    }

    /// Runs `f` on a pool thread; `handle` becomes that thread's current runtime.
    pub(crate) fn spawn<F, R>(&self, handle: &Handle, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (task, notified, join) =
            task::new(BlockingTask(Some(f)), BlockingSchedule, task::Spawn::here());
        drop(task);
        let mut synced = self.inner.synced.lock();
        if synced.shutdown {
            drop(synced);
            notified.shutdown();
            return join;
        }
        // Counted before the spawning task's worker can park (see `idle.rs`).
        handle.shared.begin_busy();
        synced.queue.push_back(notified);
        if synced.num_idle > 0 {
            synced.num_idle -= 1;
            synced.num_notify += 1;
            self.inner.work.notify_one();
        } else if synced.num_threads < self.inner.config.max_threads {
            match self.start_thread(handle, synced.threads.vacant_entry().key()) {
                Ok(thread) => {
                    synced.threads.insert(thread);
                    synced.num_threads += 1;
                }
                // With another thread alive the task still runs; with none it never would.
                Err(err) => assert!(
                    synced.num_threads > 0,
                    "corun could not start a blocking thread: {err}"
                ),
            }
        }
        join
    }

    /// The threads and the queue now, for metrics.
    pub(super) fn counts(&self) -> BlockingCounts {
        let synced = self.inner.synced.lock();
        BlockingCounts {
            busy: synced.num_threads - synced.num_idle,
            idle: synced.num_idle,
            queued: synced.queue.len(),
        }
    }

    /// Starts a pool thread known as `key`. The caller holds the lock, so the thread
    /// cannot look for its handle before the caller has stored it.
    fn start_thread(&self, handle: &Handle, key: usize) -> io::Result<thread::JoinHandle<()>> {
        let config = &self.inner.config;
        let mut builder = thread::Builder::new().name(config.thread_name.clone());
        if let Some(size) = config.stack_size {
            builder = builder.stack_size(size);
        }
        let inner = self.inner.clone();
        let handle = handle.clone();
        builder.spawn(move || {
            let _current = context::set_current(&handle);
            POOL_OF_THIS_THREAD.with(|pool| pool.set(Arc::as_ptr(&inner) as usize));
            inner.run(key, &handle.shared);
        })
    }

    /// Cancels queued closures (they stop counting as busy in `idle`), then waits for
    /// running ones to return: forever, or at most `timeout`. Idempotent.
    pub(crate) fn shutdown(&self, shared: &Shared, timeout: Option<Duration>) {
        let queued = {
            let mut synced = self.inner.synced.lock();
            synced.shutdown = true;
            self.inner.work.notify_all();
            std::mem::take(&mut synced.queue)
        };
        for task in queued {
            task.shutdown();
            // The runtime is shut down: nobody waits for quiescence any more.
            shared.drop_busy();
        }
        let own = POOL_OF_THIS_THREAD.with(|pool| pool.get() == Arc::as_ptr(&self.inner) as usize);
        let may_remain = usize::from(own);
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        let mut synced = self.inner.synced.lock();
        while synced.num_threads > may_remain {
            match deadline {
                None => self.inner.exited.wait(&mut synced),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        // Closures still running past the timeout: their threads stay
                        // detached, and keep the runtime's memory until they return.
                        return;
                    }
                    wait_timeout(&self.inner.exited, &mut synced, left);
                }
            }
        }
        let mut threads: Vec<_> = synced.threads.drain().collect();
        threads.extend(synced.exited.take());
        drop(synced);
        // Every thread but this one has left its loop: joining waits only for its exit.
        let this_thread = thread::current().id();
        for thread in threads {
            if thread.thread().id() != this_thread {
                // A pool thread catches its closures' panics, so it does not panic itself.
                let _ = thread.join();
            }
        }
    }
}

impl Inner {
    /// The loop of the pool thread known as `key`, for the runtime `shared`.
    fn run(&self, key: usize, shared: &Shared) {
        let mut synced = self.synced.lock();
        'work: loop {
            while let Some(task) = synced.queue.pop_front() {
                drop(synced);
                task.run();
                // After the run woke the job's awaiter (counting whoever will poll it).
                shared.end_busy();
                synced = self.synced.lock();
            }
            if synced.shutdown {
                break;
            }
            synced.num_idle += 1;
            // A keep-alive too long to represent means "never exit while idle".
            let deadline = Instant::now().checked_add(self.config.keep_alive);
            loop {
                match deadline {
                    Some(deadline) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        wait_timeout(&self.work, &mut synced, left);
                    }
                    None => self.work.wait(&mut synced),
                }
                if synced.num_notify > 0 {
                    synced.num_notify -= 1;
                    continue 'work;
                }
                let expired = deadline.is_some_and(|deadline| Instant::now() >= deadline);
                if synced.shutdown || expired {
                    synced.num_idle -= 1;
                    break 'work;
                }
            }
        }
        synced.num_threads -= 1;
        // Leaving on its own: hand this thread's handle on, and join the previous leaver's.
        let previous = if synced.shutdown {
            None
        } else {
            let this = synced.threads.try_remove(key);
            mem::replace(&mut synced.exited, this)
        };
        self.exited.notify_all();
        drop(synced);
        if let Some(previous) = previous {
            let _ = previous.join();
        }
    }
}
