//! The executor: worker threads with work-stealing queues, the blocking pool, and the
//! runtime types users hold (`Runtime`, `Builder`, `Handle`).
//!
//! Layering: this module uses `task` (the raw task and its `Schedule` trait) and `sync`;
//! nothing below it knows it exists. Files, one concept each:
//!
//! - `shared`: state every worker and task reaches, and where a scheduled task goes;
//! - `worker`: the worker loop (find, run, steal, park);
//! - `idle`: the searching/parked counters that decide whom to wake;
//! - `park`: the per-thread parker; `inject`: the global queue and its close protocol;
//! - `blocking`: the blocking pool; `block_on`: driving a future on the calling thread;
//! - `context`: the thread's current runtime; `runtime`, `builder`, `handle`: public API;
//! - `task_builder`: `corun::task::Builder`, a spawn with a name;
//! - `metrics`: `Handle::metrics` and the per-worker counters behind it; `slow_poll`: the
//!   `Builder::on_slow_poll` hook and its report.

mod block_on;
mod blocking;
mod builder;
mod context;
mod driver;
mod handle;
mod idle;
mod inject;
mod lifo;
mod metrics;
mod pacer;
mod park;
mod rescue;
mod runtime;
mod shared;
mod slow_poll;
mod task_builder;
mod worker;
mod yield_now;

#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/idle_driver_wakeup.rs"]
mod loom_idle_driver_wakeup;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/idle_fences.rs"]
mod loom_idle_fences;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/idle_lost_wakeup.rs"]
mod loom_idle_lost_wakeup;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/inject_close.rs"]
mod loom_inject_close;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/park_polling.rs"]
mod loom_park_polling;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/park_timeout_unpark.rs"]
mod loom_park_timeout_unpark;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/park_unpark.rs"]
mod loom_park_unpark;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/shutdown.rs"]
mod loom_shutdown;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/executor_support.rs"]
mod loom_support;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/timer_auto_advance.rs"]
mod loom_timer_auto_advance;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/worker_lifo_wake.rs"]
mod loom_worker_lifo_wake;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/worker_local_spawn.rs"]
mod loom_worker_local_spawn;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/worker_remote_spawn.rs"]
mod loom_worker_remote_spawn;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/worker_shutdown.rs"]
mod loom_worker_shutdown;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/worker_support.rs"]
mod loom_worker_support;

pub use builder::Builder;
pub(crate) use driver::{BeforePark, Driver};
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use metrics::{RuntimeMetrics, WorkerMetrics};
pub(crate) use park::{Parker, Poller};
pub use runtime::Runtime;
pub use slow_poll::SlowPoll;
pub use task_builder::Builder as TaskBuilder;
pub use yield_now::{yield_now, YieldNow};

use crate::task::JoinHandle;
use context::NO_RUNTIME;
use std::future::Future;

/// Runs `future` to completion on a new runtime with one worker per core, then shuts the
/// runtime down: `asyncio.run(main())`.
///
/// # Panics
/// If the runtime cannot start (the OS refuses threads), or if called from inside a
/// runtime; use [`Runtime`] to handle the first case as an error.
///
/// ```
/// let answer = corun::run(async {
///     let task = corun::spawn(async { 21 });
///     task.await.unwrap() * 2
/// });
/// assert_eq!(answer, 42);
/// ```
pub fn run<F: Future>(future: F) -> F::Output {
    let runtime =
        Runtime::new().unwrap_or_else(|err| panic!("corun::run could not start a runtime: {err}"));
    runtime.block_on(future)
}

/// Spawns a task on the current runtime: asyncio's `create_task`. The task starts running
/// on a worker at once, whether or not its [`JoinHandle`] is awaited.
///
/// # Panics
/// Outside a runtime (see [`Handle::try_current`]): call it from a task or `block_on`, or
/// use [`Runtime::spawn`] / [`Handle::spawn`].
///
/// ```
/// corun::run(async {
///     let task = corun::spawn(async { "Task 1 result" });
///     assert_eq!(task.await.unwrap(), "Task 1 result");
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_as(future, crate::task::Spawn::here())
}

/// `spawn` with what the spawner says about the task (its name and location).
pub(crate) fn spawn_as<F>(future: F, spawn: crate::task::Spawn) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    context::with_current(|handle| match handle {
        Some(handle) => handle.spawn_as(future, spawn),
        None => panic!("corun::spawn: {NO_RUNTIME}"),
    })
}

/// Runs a blocking closure on the current runtime's blocking pool, so it does not stall a
/// worker.
///
/// # Panics
/// Outside a runtime, like [`spawn`].
///
/// ```
/// corun::run(async {
///     let len = corun::spawn_blocking(|| "some synchronous work".len()).await.unwrap();
///     assert_eq!(len, 21);
/// });
/// ```
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    context::with_current(|handle| match handle {
        Some(handle) => handle.spawn_blocking(f),
        None => panic!("corun::spawn_blocking: {NO_RUNTIME}"),
    })
}
