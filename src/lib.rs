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
//! | `await asyncio.sleep(0)`         | [`yield_now().await`](yield_now)        |
//! | `loop.run_in_executor(None, f)`  | [`spawn_blocking(f)`](spawn_blocking)   |
//!
//! Unlike asyncio's single-threaded event loop, tasks run in parallel on one worker thread
//! per core, so they must be `Send + 'static`.
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

pub mod combinators;
mod executor;
pub mod group;
mod sync;
pub mod task;
pub mod timer;
mod unwind;

pub use combinators::{as_completed, gather, gather_settled, race, try_gather, wait, ReturnWhen};
pub use executor::{
    run, spawn, spawn_blocking, yield_now, Builder, EnterGuard, Handle, Runtime, TryCurrentError,
    YieldNow,
};
pub use group::{supervisor_group, task_group, GroupError, TaskError, TaskGroup, TaskHandle};
pub use task::{shield, AbortHandle, JoinError, JoinHandle};
pub use timer::{
    interval, interval_at, move_on_after, move_on_at, sleep, sleep_until, timeout, timeout_at,
    Elapsed, Interval, MissedTickBehavior, MoveOn, Sleep, Timeout,
};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
