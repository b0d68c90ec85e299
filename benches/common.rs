//! What the benches share: one [`Executor`] trait with an implementation for each runtime
//! under comparison, and the few helpers the workloads need.
//!
//! Every workload is written once, generic over [`Executor`], so the three runtimes run the
//! same code with the same synchronisation (std atomics and `futures::channel`); only
//! spawning, blocking, yielding and the timer differ. Each runtime gets the same number of
//! worker threads ([`worker_count`]) and its `block_on` runs on the bench thread, which is
//! not one of the workers. [`compare`] runs one workload on the three runtimes as one
//! criterion group.
//!
//! async-executor has no thread pool of its own: [`AsyncExecutorPool`] runs
//! `Executor::run` on N OS threads, which is how smol-style applications use it. It has no
//! timer either: its [`Executor::sleep`] and [`Executor::timeout`] use `async_io::Timer`,
//! whose timers are fired by async-io's own reactor thread (one more thread besides the N
//! workers: the pool's threads block in `futures::executor::block_on`, not
//! `async_io::block_on`, so they never drive the reactor themselves).

// The loom shim that clippy.toml steers corun's code to is internal to corun; the benches
// use std's atomics, like the runtimes they compare.
#![allow(clippy::disallowed_types)]

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use futures::channel::{mpsc, oneshot};
use futures::future::{Either, FutureExt, Shared};
use futures::StreamExt;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::AcqRel};
use std::sync::{Arc, Once};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

/// A runtime as the workloads see it: a cheap, cloneable spawner that tasks carry along.
pub trait Executor: Clone + Send + Sync + 'static {
    /// The benchmark id: `<workload>/<NAME>`.
    const NAME: &'static str;

    /// Owns the worker threads; dropping it shuts them down.
    type Guard;

    /// Starts a runtime with `workers` worker threads.
    fn start(workers: usize) -> (Self::Guard, Self);

    /// Spawns a detached task, from a worker or from any other thread.
    fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Spawns `future` and returns the runtime's own join handle for it, as a future of
    /// its output (panicking if the task panicked).
    fn spawn_joined<F>(&self, future: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Runs `future` to completion on the calling thread.
    fn block_on<F: Future>(&self, future: F) -> F::Output;

    /// The runtime's own way to yield to other tasks once.
    fn yield_now() -> impl Future<Output = ()> + Send;

    /// The runtime's timer: a future that completes once `duration` has passed.
    ///
    /// Call it inside the runtime (in a task): corun's and tokio's timers find their
    /// runtime when the sleep is created, and panic outside one.
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send;

    /// Runs `future` for at most `duration`: `Some(output)`, or `None` once the deadline
    /// passed first. `future` is polled before the timer, so a ready one never registers
    /// a timer entry. Call it inside the runtime, as [`Executor::sleep`].
    fn timeout<F>(duration: Duration, future: F) -> impl Future<Output = Option<F::Output>> + Send
    where
        F: Future + Send;
}

/// corun's multi-threaded runtime.
#[derive(Clone)]
pub struct Corun(pub corun::Handle);

impl Executor for Corun {
    const NAME: &'static str = "corun";
    type Guard = corun::Runtime;

    fn start(workers: usize) -> (corun::Runtime, Corun) {
        let rt = corun::Runtime::builder()
            .worker_threads(workers)
            .build()
            .expect("cannot start the corun runtime");
        let handle = rt.handle().clone();
        (rt, Corun(handle))
    }

    fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Dropping the JoinHandle detaches the task.
        drop(self.0.spawn(future));
    }

    fn spawn_joined<F>(&self, future: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0
            .spawn(future)
            .map(|joined| joined.expect("the task panicked"))
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        corun::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        corun::sleep(duration)
    }

    fn timeout<F>(duration: Duration, future: F) -> impl Future<Output = Option<F::Output>> + Send
    where
        F: Future + Send,
    {
        corun::timeout(duration, future).map(Result::ok)
    }
}

/// tokio's multi-threaded runtime, with its time driver (corun's timer is always on) and no
/// I/O driver (none of the others has one).
#[derive(Clone)]
pub struct Tokio(pub tokio::runtime::Handle);

impl Tokio {
    /// A multi-threaded runtime with its I/O driver too, for the benches that use sockets
    /// (corun's driver is always on, as async-io's reactor is).
    pub fn start_with_io(workers: usize) -> (tokio::runtime::Runtime, Tokio) {
        Tokio::build(
            tokio::runtime::Builder::new_multi_thread().enable_all(),
            workers,
        )
    }

    fn build(
        builder: &mut tokio::runtime::Builder,
        workers: usize,
    ) -> (tokio::runtime::Runtime, Tokio) {
        let rt = builder
            .worker_threads(workers)
            .build()
            .expect("cannot start the tokio runtime");
        let handle = rt.handle().clone();
        (rt, Tokio(handle))
    }
}

impl Executor for Tokio {
    const NAME: &'static str = "tokio";
    type Guard = tokio::runtime::Runtime;

    fn start(workers: usize) -> (tokio::runtime::Runtime, Tokio) {
        Tokio::build(
            tokio::runtime::Builder::new_multi_thread().enable_time(),
            workers,
        )
    }

    fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.0.spawn(future));
    }

    fn spawn_joined<F>(&self, future: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0
            .spawn(future)
            .map(|joined| joined.expect("the task panicked"))
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }

    fn timeout<F>(duration: Duration, future: F) -> impl Future<Output = Option<F::Output>> + Send
    where
        F: Future + Send,
    {
        tokio::time::timeout(duration, future).map(Result::ok)
    }
}

/// An `async_executor::Executor` run by an [`AsyncExecutorPool`].
#[derive(Clone)]
pub struct AsyncExecutor(pub Arc<async_executor::Executor<'static>>);

impl Executor for AsyncExecutor {
    const NAME: &'static str = "async-executor";
    type Guard = AsyncExecutorPool;

    fn start(workers: usize) -> (AsyncExecutorPool, AsyncExecutor) {
        let pool = AsyncExecutorPool::new(workers);
        let executor = AsyncExecutor(pool.executor.clone());
        (pool, executor)
    }

    fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0.spawn(future).detach();
    }

    fn spawn_joined<F>(&self, future: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn(future)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        YieldNow { yielded: false }
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        // `Timer` is a stream too; as a future, its output is the instant it fired at.
        FutureExt::map(async_io::Timer::after(duration), drop)
    }

    fn timeout<F>(duration: Duration, future: F) -> impl Future<Output = Option<F::Output>> + Send
    where
        F: Future + Send,
    {
        // The deadline starts now, as corun's and tokio's do; the timer registers with
        // async-io's reactor on its first poll, which `select` makes after polling `future`.
        let timer = async_io::Timer::after(duration);
        async move {
            match futures::future::select(pin!(future), timer).await {
                Either::Left((output, _timer)) => Some(output),
                Either::Right(_) => None,
            }
        }
    }
}

/// N threads each running `block_on(executor.run(stop))`; dropping the pool stops and
/// joins them.
pub struct AsyncExecutorPool {
    executor: Arc<async_executor::Executor<'static>>,
    /// Dropping the sender completes every thread's `stop` future.
    stop: Option<oneshot::Sender<()>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl AsyncExecutorPool {
    /// Starts `workers` threads running a new executor.
    ///
    /// # Panics
    /// If the OS refuses a thread; the threads already started are stopped first.
    pub fn new(workers: usize) -> AsyncExecutorPool {
        let (stop, stopped) = oneshot::channel::<()>();
        let stopped: Shared<oneshot::Receiver<()>> = stopped.shared();
        // Built before the threads, so that a failed start drops it and stops the rest.
        let mut pool = AsyncExecutorPool {
            executor: Arc::new(async_executor::Executor::new()),
            stop: Some(stop),
            threads: Vec::with_capacity(workers),
        };
        for index in 0..workers {
            let executor = pool.executor.clone();
            let stopped = stopped.clone();
            let thread = thread::Builder::new()
                .name(format!("async-executor-{index}"))
                .spawn(move || {
                    // `Err(Canceled)` is the stop signal: the pool dropped its sender.
                    let _ = futures::executor::block_on(executor.run(stopped));
                })
                .expect("cannot start an async-executor thread");
            pool.threads.push(thread);
        }
        pool
    }
}

impl Drop for AsyncExecutorPool {
    fn drop(&mut self) {
        drop(self.stop.take());
        for thread in self.threads.drain(..) {
            thread.join().expect("an async-executor thread panicked");
        }
    }
}

/// Yields once, like `futures_lite::future::yield_now`: wakes itself and returns
/// `Pending` the first time it is polled.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Counts finished tasks and sends one message when the last one finishes, so the bench
/// thread can wait for a whole batch without a handle per task.
pub struct Countdown {
    remaining: AtomicUsize,
    done: mpsc::UnboundedSender<()>,
}

impl Countdown {
    /// A countdown from `count` (at least 1), and the receiver of its one message.
    pub fn new(count: usize) -> (Arc<Countdown>, mpsc::UnboundedReceiver<()>) {
        assert!(count > 0, "a countdown from 0 would never fire");
        let (done, finished) = mpsc::unbounded();
        let remaining = AtomicUsize::new(count);
        (Arc::new(Countdown { remaining, done }), finished)
    }

    /// Marks one task finished.
    pub fn tick(&self) {
        // AcqRel: the last tick acquires every earlier tick's writes before signalling.
        if self.remaining.fetch_sub(1, AcqRel) == 1 {
            self.done
                .unbounded_send(())
                .expect("the bench stopped waiting before the last task finished");
        }
    }
}

/// Worker threads for every runtime: `BENCH_WORKERS`, or one per core.
///
/// # Panics
/// If `BENCH_WORKERS` is set to something other than a positive integer.
pub fn worker_count() -> usize {
    match std::env::var("BENCH_WORKERS") {
        Ok(value) => match value.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => panic!("BENCH_WORKERS={value:?}: set it to a positive integer, or unset it"),
        },
        Err(_) => thread::available_parallelism().map_or(1, usize::from),
    }
}

/// Runs one workload on the three runtimes, as one criterion group with ids
/// `<workload>/corun`, `<workload>/tokio` and `<workload>/async-executor`; `elements` is what
/// one iteration processes (criterion reports it as throughput).
pub fn compare(
    c: &mut Criterion,
    workload: &str,
    elements: usize,
    on_corun: fn(&Corun),
    on_tokio: fn(&Tokio),
    on_async_executor: fn(&AsyncExecutor),
) {
    static ANNOUNCE: Once = Once::new();
    let workers = worker_count();
    ANNOUNCE.call_once(|| eprintln!("worker threads per runtime: {workers}"));

    let mut group = c.benchmark_group(workload);
    group.throughput(Throughput::Elements(elements as u64));
    run_on(&mut group, workers, on_corun);
    run_on(&mut group, workers, on_tokio);
    run_on(&mut group, workers, on_async_executor);
    group.finish();
}

/// Starts `E` for this bench only, so that no other runtime's threads are alive meanwhile.
fn run_on<E: Executor>(group: &mut BenchmarkGroup<'_, WallTime>, workers: usize, workload: fn(&E)) {
    let (runtime, exec) = E::start(workers);
    group.bench_function(E::NAME, |b| b.iter(|| workload(&exec)));
    drop(runtime);
}

/// Blocks the bench thread until the batch's countdown fires.
///
/// # Panics
/// If every task holding the countdown was dropped first (one of them panicked).
pub fn wait<E: Executor>(exec: &E, mut finished: mpsc::UnboundedReceiver<()>) {
    exec.block_on(finished.next())
        .expect("every task was dropped before the batch finished: did one panic?");
}
