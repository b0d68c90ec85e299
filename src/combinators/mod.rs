//! asyncio's combinators, structured: `gather` and its variants, `race`, `wait` and
//! `as_completed`.
//!
//! Like asyncio, which wraps each coroutine in a Task, every combinator spawns each future
//! as a task, so CPU-bound children run in parallel on all workers; the futures must
//! therefore be `Send + 'static`. Unlike asyncio, the combinators own their children:
//!
//! - dropping a combinator's future cancels every child it spawned;
//! - a failure that ends a combinator early (`try_gather`'s first `Err`, `race`'s winner,
//!   any child's panic) cancels the other children and waits until they have stopped
//!   before returning, so no orphan keeps running;
//! - a child panic resumes in the awaiting task with its original payload.
//!
//! All of it is safe code over `ChildSet` (`children.rs`).
#![forbid(unsafe_code)]

mod as_completed;
mod children;
mod done;
mod gather;
mod race;
mod tuple;
mod wait;

#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/combinators_done.rs"]
mod loom_done;

pub use as_completed::{as_completed, AsCompleted};
pub use gather::{gather, gather_settled, try_gather, Gather, GatherSettled, TryGather};
pub use race::{race, Race};
pub use tuple::{GatherTuple, GatherTupleFuture, TryGatherTuple, TryGatherTupleFuture};
pub use wait::{wait, Pending, ReturnWhen, Wait};

/// What the `gather!` and `try_gather!` macros expand to; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use super::tuple::{gather_tuple, try_gather_tuple};
}
