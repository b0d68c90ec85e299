//! corun: a multi-threaded, work-stealing async executor with Python asyncio's
//! programming model.
//!
//! | asyncio                          | corun                                   |
//! |----------------------------------|-----------------------------------------|
//! | `asyncio.run(main())`            | [`corun::run(main())`](run)             |
//! | `asyncio.create_task(coro)`      | [`corun::spawn(fut)`](spawn)            |
//! | `await task`                     | `handle.await` ([`JoinHandle`])         |
//! | `task.cancel()`                  | [`handle.abort()`](JoinHandle::abort)   |
//! | `asyncio.CancelledError`         | [`JoinError::is_cancelled`]             |
//! | `asyncio.shield(aw)`             | [`corun::shield(fut)`](shield)          |
//! | `await asyncio.sleep(0)`         | [`yield_now().await`](yield_now)        |
//! | `loop.run_in_executor(None, f)`  | [`spawn_blocking(f)`](spawn_blocking)   |
//!
//! With the default `macros` feature, [`#[corun::main]`](main) is `asyncio.run(main())` as
//! an attribute on `async fn main`, and [`#[corun::test]`](test) runs an `async fn` test;
//! each builds a fresh runtime.
//!
//! Unlike asyncio's single-threaded event loop, tasks run in parallel on one worker thread
//! per core, so they must be `Send + 'static`. How tasks are cancelled, and how to defer
//! it, is the [`cancellation`] chapter.
//!
//! ```
//! let results = corun::run(async {
//!     let t1 = corun::spawn(async { "Task 1 result" });
//!     let t2 = corun::spawn(async { "Task 2 result" });
//!     (t1.await.unwrap(), t2.await.unwrap())
//! });
//! assert_eq!(results, ("Task 1 result", "Task 2 result"));
//! ```
#![deny(missing_docs)]
#![warn(unreachable_pub)]

#[doc = include_str!("cancellation.md")]
pub mod cancellation {}
#[cfg(all(feature = "axum", not(corun_loom)))]
pub mod axum;
pub mod combinators;
mod drivers;
mod executor;
pub mod group;
#[cfg(feature = "hyper")]
pub mod hyper;
pub mod io;
#[cfg(not(corun_loom))]
pub mod net;
#[cfg(all(unix, not(corun_loom)))]
pub mod signal;
mod sync;
pub mod task;
pub mod time;
pub mod timer;
mod unwind;

pub use combinators::{as_completed, gather, gather_settled, race, try_gather, wait, ReturnWhen};
pub use executor::{
    run, spawn, spawn_blocking, yield_now, Builder, EnterGuard, Handle, Runtime, RuntimeMetrics,
    SlowPoll, TryCurrentError, WorkerMetrics, YieldNow,
};
pub use group::{supervisor_group, task_group, GroupError, TaskError, TaskGroup, TaskHandle};
pub use task::{shield, AbortHandle, JoinError, JoinHandle};
pub use timer::{
    interval, interval_at, move_on_after, move_on_at, sleep, sleep_until, timeout, timeout_at,
    Elapsed, Interval, MissedTickBehavior, MoveOn, Sleep, Timeout,
};

/// Runs an `async fn` — usually `main` — on a fresh runtime: `asyncio.run(main())` as an
/// attribute. Here with two workers, returning a `Result` as a plain `main` can:
///
/// ```
/// #[corun::main(worker_threads = 2)]
/// async fn main() -> Result<(), corun::JoinError> {
///     let answer = corun::spawn(async { 6 * 7 }).await?;
///     assert_eq!(answer, 42);
///     Ok(())
/// }
/// ```
#[cfg(feature = "macros")]
#[doc(inline)]
pub use corun_macros::main;

/// Runs an `async fn` test on a runtime of its own. Here with one worker and the clock
/// paused (an hour's sleep returns at once), returning a `Result` as a plain test can:
///
/// ```
/// use std::time::Duration;
///
/// #[corun::test(worker_threads = 1, start_paused = true)]
/// async fn an_hour_passes_at_once() -> Result<(), corun::JoinError> {
///     let start = corun::time::now();
///     corun::spawn(corun::sleep(Duration::from_secs(3_600))).await?;
///     assert_eq!(corun::time::now() - start, Duration::from_secs(3_600));
///     Ok(())
/// }
/// # fn main() {}
/// ```
#[cfg(feature = "macros")]
#[doc(inline)]
pub use corun_macros::test;

/// The README's examples, compiled and run as doctests (one shows the macros).
#[cfg(all(doctest, feature = "macros"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
