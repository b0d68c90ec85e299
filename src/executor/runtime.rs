//! `Runtime`: owns the worker threads, and shuts everything down when dropped.

use super::blocking::BlockingPool;
use super::builder::Builder;
use super::context;
use super::driver::Driver;
use super::handle::{EnterGuard, Handle};
use super::shared::{Observe, Shared};
use super::worker;
use crate::sync::deque::Worker as LocalQueue;
use crate::sync::{thread, Arc};
use crate::task::JoinHandle;
use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

/// A multi-threaded, work-stealing runtime: worker threads that run spawned tasks, and a
/// pool for blocking closures.
///
/// Dropping it shuts it down: the workers stop and are joined, every task that has not
/// finished is dropped (its `JoinHandle` then yields a cancelled [`JoinError`](crate::JoinError)),
/// and running blocking closures are waited for.
///
/// ```
/// let rt = corun::Runtime::new().unwrap();
/// let sum = rt.block_on(async {
///     let tasks: Vec<_> = (0..10u64).map(|i| corun::spawn(async move { i * i })).collect();
///     let mut sum = 0;
///     for task in tasks {
///         sum += task.await.unwrap();
///     }
///     sum
/// });
/// assert_eq!(sum, 285);
/// ```
pub struct Runtime {
    handle: Handle,
    workers: Vec<thread::JoinHandle<()>>,
    shut_down: bool,
}

impl Runtime {
    /// A runtime with the default configuration: one worker per core.
    ///
    /// # Errors
    /// If the operating system cannot start the worker threads.
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// assert_eq!(rt.block_on(async { 7 }), 7);
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A [`Builder`] to configure a runtime.
    ///
    /// ```
    /// let rt = corun::Runtime::builder().worker_threads(2).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(super) fn start(
        num_workers: usize,
        thread_name: &str,
        stack_size: Option<usize>,
        blocking: BlockingPool,
        driver: Box<dyn Driver>,
        clock_control: bool,
        observe: Observe,
    ) -> io::Result<Runtime> {
        let queues: Vec<LocalQueue<_>> = (0..num_workers).map(|_| LocalQueue::new_fifo()).collect();
        let stealers = queues.iter().map(LocalQueue::stealer).collect();
        let handle = Handle {
            shared: Arc::new(Shared::new(
                stealers,
                blocking,
                driver,
                clock_control,
                observe,
            )),
        };
        // If a thread fails to start, dropping `runtime` stops the ones already running.
        let mut runtime = Runtime {
            handle,
            workers: Vec::with_capacity(num_workers),
            shut_down: false,
        };
        for (index, queue) in queues.into_iter().enumerate() {
            let mut builder = thread::Builder::new().name(format!("{thread_name}-{index}"));
            if let Some(size) = stack_size {
                builder = builder.stack_size(size);
            }
            let shared = runtime.handle.shared.clone();
            runtime
                .workers
                .push(builder.spawn(move || worker::run(shared, index, queue))?);
        }
        Ok(runtime)
    }

    /// Runs `future` to completion on the calling thread; tasks it spawns run on the
    /// workers. This is `asyncio.run` for a runtime you keep.
    ///
    /// # Panics
    /// If called from inside a runtime (a task, or another `block_on`): use `.await`.
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// assert_eq!(rt.block_on(async { corun::spawn(async { 2 }).await.unwrap() }), 2);
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns a task onto the workers, from any thread.
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// let task = rt.spawn(async { "hi" });
    /// assert_eq!(rt.block_on(task).unwrap(), "hi");
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs a blocking closure on the blocking pool.
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// let task = rt.spawn_blocking(|| 6 * 7);
    /// assert_eq!(rt.block_on(task).unwrap(), 42);
    /// ```
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// The runtime's [`Handle`].
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// let handle: corun::Handle = rt.handle().clone();
    /// # drop(handle);
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes this runtime current on this thread until the guard drops.
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let task = corun::spawn(async { 1 });
    /// # drop(task);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts down like `drop`, but waits at most `timeout` for running blocking closures
    /// (they keep running, detached, if they take longer).
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = corun::Runtime::new().unwrap();
    /// rt.spawn_blocking(|| std::thread::sleep(Duration::from_millis(200)));
    /// rt.shutdown_timeout(Duration::from_millis(10)); // returns without waiting 200 ms
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    fn shutdown(&mut self, blocking_timeout: Option<Duration>) {
        if std::mem::replace(&mut self.shut_down, true) {
            return;
        }
        let shared = &self.handle.shared;
        shared.begin_shutdown();
        let this_thread = thread::current().id();
        for worker in self.workers.drain(..) {
            // Dropped from one of its own workers (inside a task): that thread cannot join
            // itself; it exits its loop once the task returns.
            if worker.thread().id() != this_thread {
                // Workers catch task panics, so they do not panic themselves.
                let _ = worker.join();
            }
        }
        {
            // Futures dropped here may look for their runtime (to spawn, say).
            let _current = context::set_current(&self.handle);
            shared.finish_shutdown();
        }
        shared.blocking.shutdown(shared, blocking_timeout);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}
