//! `Builder`: a runtime's configuration.

use super::blocking::{BlockingConfig, BlockingPool};
use super::idle::MAX_WORKERS;
use super::runtime::Runtime;
use super::shared::Observe;
use super::slow_poll::{SlowPoll, SlowPollHook};
use crate::drivers::Drivers;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// Configures and builds a [`Runtime`].
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let rt = corun::Runtime::builder()
///     .worker_threads(2)
///     .thread_name("app-worker")
///     .max_blocking_threads(8)
///     .build()?;
/// assert_eq!(rt.block_on(async { 1 }), 1);
/// # Ok(())
/// # }
/// ```
pub struct Builder {
    worker_threads: Option<usize>,
    thread_name: String,
    thread_stack_size: Option<usize>,
    max_blocking_threads: usize,
    thread_keep_alive: Duration,
    start_paused: bool,
    observe: Observe,
}

impl Builder {
    /// The defaults: one worker per core, threads named `corun-worker-N`, at most 512
    /// blocking threads kept alive 10 s when idle.
    ///
    /// ```
    /// let rt = corun::Builder::new().build().unwrap();
    /// assert_eq!(rt.block_on(async { "ok" }), "ok");
    /// ```
    pub fn new() -> Builder {
        Builder {
            worker_threads: None,
            thread_name: "corun-worker".to_owned(),
            thread_stack_size: None,
            max_blocking_threads: 512,
            thread_keep_alive: Duration::from_secs(10),
            start_paused: false,
            observe: Observe::default(),
        }
    }

    /// Number of worker threads (default: the number of CPUs). Zero is an error at
    /// [`build`](Builder::build).
    ///
    /// ```
    /// let rt = corun::Runtime::builder().worker_threads(3).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn worker_threads(&mut self, n: usize) -> &mut Builder {
        self.worker_threads = Some(n);
        self
    }

    /// Name prefix for worker threads; they are named `{name}-{index}`, and blocking
    /// threads `{name}-blocking`.
    ///
    /// ```
    /// let rt = corun::Runtime::builder().thread_name("crawler").build().unwrap();
    /// let name = rt.block_on(async {
    ///     corun::spawn(async { std::thread::current().name().unwrap().to_owned() }).await
    /// });
    /// assert!(name.unwrap().starts_with("crawler-"));
    /// ```
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Builder {
        self.thread_name = name.into();
        self
    }

    /// Stack size of worker and blocking threads (default: the platform's).
    ///
    /// ```
    /// let rt = corun::Runtime::builder().thread_stack_size(4 << 20).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Builder {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// The most blocking threads alive at once (default 512). Zero is an error at
    /// [`build`](Builder::build).
    ///
    /// ```
    /// let rt = corun::Runtime::builder().max_blocking_threads(1).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Builder {
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking thread waits for work before exiting (default 10 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = corun::Runtime::builder().thread_keep_alive(Duration::from_millis(100)).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn thread_keep_alive(&mut self, keep_alive: Duration) -> &mut Builder {
        self.thread_keep_alive = keep_alive;
        self
    }

    /// Starts the runtime with its clock paused (default `false`): time stands still and
    /// moves only by [`corun::time::advance`](crate::time::advance), or by jumping to the
    /// next timer's deadline when no task can run. Timer tests then run in virtual time,
    /// fast and in the same order every run. See [`corun::time`](crate::time).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = corun::Runtime::builder().worker_threads(2).start_paused(true).build().unwrap();
    /// rt.block_on(async {
    ///     let start = corun::time::now();
    ///     corun::sleep(Duration::from_secs(3_600)).await; // returns at once
    ///     assert_eq!(corun::time::now() - start, Duration::from_secs(3_600));
    /// });
    /// ```
    pub fn start_paused(&mut self, paused: bool) -> &mut Builder {
        self.start_paused = paused;
        self
    }

    /// Calls `callback` after every poll that held its worker for `threshold` or longer,
    /// with the task's id, name and spawn location and the poll's duration (see
    /// [`SlowPoll`]): a task that blocks in a poll (a synchronous call, a loop that never
    /// awaits) keeps every task queued behind it waiting. Off by default; off, it costs a
    /// poll one branch. On, each poll reads the clock twice.
    ///
    /// The callback runs on the worker thread, right after the poll: keep it short (log,
    /// count). A panic in it is caught and reported once on stderr; the worker carries on.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let slow = Arc::new(AtomicUsize::new(0));
    /// let rt = corun::Runtime::builder()
    ///     .on_slow_poll(Duration::from_millis(20), {
    ///         let slow = slow.clone();
    ///         move |poll| {
    ///             assert!(poll.duration() >= Duration::from_millis(20));
    ///             slow.fetch_add(1, Ordering::Relaxed);
    ///         }
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(25)) }))
    ///     .unwrap();
    /// drop(rt); // joins the workers: the callback has returned
    /// assert_eq!(slow.load(Ordering::Relaxed), 1);
    /// ```
    pub fn on_slow_poll(
        &mut self,
        threshold: Duration,
        callback: impl Fn(&SlowPoll<'_>) + Send + Sync + 'static,
    ) -> &mut Builder {
        self.observe.slow_poll = Some(SlowPollHook {
            threshold,
            callback: Arc::new(callback),
        });
        self
    }

    /// Whether every task keeps its metadata: its parent, spawn location, name and poll
    /// statistics, for [`Handle::dump`](crate::Handle::dump) and [`SlowPoll`] reports
    /// (default: `true`). They cost 24 bytes a task. With `false`, a task keeps only its
    /// [`Id`](crate::task::Id), unless it is given a name
    /// ([`task::Builder::name`](crate::task::Builder::name)): for a program that holds
    /// millions of idle tasks, at 80 bytes each instead of 104 (BENCHMARKS.md). Its dump
    /// entries and slow-poll reports then have no location, parent or poll count.
    ///
    /// ```
    /// let rt = corun::Runtime::builder().task_metadata(false).build().unwrap();
    /// rt.block_on(async {
    ///     let plain = corun::spawn(std::future::pending::<()>());
    ///     let named = corun::task::Builder::new()
    ///         .name("kept")
    ///         .spawn(std::future::pending::<()>());
    ///     let dump = corun::Handle::current().dump();
    ///     assert_eq!(dump.get(plain.id()).unwrap().location(), None);
    ///     assert_eq!(dump.get(named.id()).unwrap().location().unwrap().file(), file!());
    ///     plain.abort();
    ///     named.abort();
    /// });
    /// ```
    pub fn task_metadata(&mut self, keep: bool) -> &mut Builder {
        self.observe.task_metadata = keep;
        self
    }

    /// Starts the runtime's worker threads.
    ///
    /// # Errors
    /// `InvalidInput` for zero (or more than 65535) workers or zero blocking threads; the
    /// operating system's error if a thread or the I/O poller cannot be made.
    ///
    /// ```
    /// let err = corun::Runtime::builder().worker_threads(0).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        let workers = self.worker_threads.unwrap_or_else(num_cpus::get);
        if workers == 0 {
            return Err(invalid("worker_threads must be at least 1"));
        }
        if workers > MAX_WORKERS {
            return Err(invalid("worker_threads must be at most 65535"));
        }
        if self.max_blocking_threads == 0 {
            return Err(invalid("max_blocking_threads must be at least 1"));
        }
        let blocking = BlockingPool::new(BlockingConfig {
            max_threads: self.max_blocking_threads,
            keep_alive: self.thread_keep_alive,
            thread_name: format!("{}-blocking", self.thread_name),
            stack_size: self.thread_stack_size,
        });
        // The timer's wheel is sharded per worker, so arming timers does not serialise.
        let drivers = Box::new(Drivers::new(workers, self.start_paused)?);
        Runtime::start(
            workers,
            &self.thread_name,
            self.thread_stack_size,
            blocking,
            drivers,
            self.start_paused,
            self.observe.clone(),
        )
    }
}

fn invalid(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("thread_stack_size", &self.thread_stack_size)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_keep_alive", &self.thread_keep_alive)
            .field("start_paused", &self.start_paused)
            .field("slow_poll", &self.observe.slow_poll)
            .field("task_metadata", &self.observe.task_metadata)
            .finish()
    }
}
