//! `TaskGroup`: structured concurrency, asyncio's `TaskGroup` with Kotlin's supervisor
//! mode.
//!
//! A group's children cannot outlive it. The failure protocol (first failure cancels the
//! rest, the group waits for every child, errors come back together) lives in `state`,
//! behind one mutex and generic over how a child is aborted, so loom can model it; `handle`
//! spawns children that report their ending through a drop guard; `scope` is the group's
//! future. All of it is safe code.
#![forbid(unsafe_code)]

mod error;
mod handle;
mod scope;
mod state;

#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/group_fail_vs_spawn.rs"]
mod loom_group_fail_vs_spawn;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/group_join_waker.rs"]
mod loom_group_join_waker;

pub use error::{GroupError, TaskError};
pub use handle::{ChildBuilder, TaskGroup, TaskHandle};
pub use scope::{supervisor_group, task_group, Scope};
