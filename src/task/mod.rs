//! Tasks: the handles of a spawned task ([`JoinHandle`], [`AbortHandle`]), why it produced
//! no value ([`JoinError`]), sections that cancellation waits for ([`shield`],
//! [`cancel_requested`]), and the cooperative budget ([`unconstrained`]).
//!
//! A task gives its worker back at every `.await` that is not ready. So that a task whose
//! awaits keep finding corun's futures ready (finished handles, elapsed sleeps) gives it
//! back too, each poll of a task has a budget of 128 such completions; past it, the next
//! corun future makes the task yield once. [`unconstrained`] lifts the budget for one
//! future.
//!
//! ```
//! corun::run(async {
//!     let handle: corun::task::JoinHandle<u32> = corun::spawn(async { 7 });
//!     assert_eq!(handle.await.unwrap(), 7);
//! });
//! ```

// Inside: the raw task, one allocation holding a future, its state word, its output and its
// join waker; the handles that own references to it; and the scheduler interface. This
// module knows nothing of workers or queues: it calls back into a `Schedule` implementation
// when a task must be queued or has finished. The design follows `async-task` and tokio's
// `runtime::task`: a header at offset zero with an atomic state word (flags plus reference
// count, see `state.rs`) and a vtable, so a task can be referenced by a thin pointer
// whatever its future's type. References: the owner list's `Task`, each queued `Notified`,
// the `JoinHandle`, every `AbortHandle`, every `Waker` clone, and, while polling or
// cancelling, the poller. The last one to go frees the allocation.

mod abort;
mod coop;
mod current;
mod dump;
mod error;
mod harness;
mod join;
mod list;
mod meta;
mod raw;
mod shield;
mod site;
mod slot;
mod stage;
mod state;
mod waker;

#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/task_abort.rs"]
mod loom_abort;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/task_abort_complete_drop.rs"]
mod loom_abort_complete_drop;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/task_join_waker.rs"]
mod loom_join_waker;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/task_lifo_steal.rs"]
mod loom_lifo_steal;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/task_owned_list.rs"]
mod loom_owned_list;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/task_shield.rs"]
mod loom_shield;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/task_support.rs"]
mod loom_support;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/task_wake_by_ref.rs"]
mod loom_wake_by_ref;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/task_wake_while_running.rs"]
mod loom_wake_while_running;

pub use crate::executor::TaskBuilder as Builder;
pub use abort::AbortHandle;
pub(crate) use coop::{budgeted_block_on, poll_spend};
pub use coop::{unconstrained, Unconstrained};
pub use dump::{TaskDump, TaskInfo, TaskState};
pub use error::JoinError;
pub use join::JoinHandle;
pub(crate) use list::OwnedTasks;
pub use meta::{id, Id};
pub(crate) use meta::{Spawn, Stamp};
pub use shield::{cancel_requested, shield, Shield};
pub(crate) use slot::NotifiedSlot;
pub(crate) use waker::{drop_any_waker, wake_any, wake_any_by_ref};

use raw::RawTask;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;

/// What a task needs from whoever runs it.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// A waker fired: queue the task.
    fn schedule(&self, task: Notified<Self>);

    /// The task woke itself while it was being polled: queue it behind the others.
    fn yield_now(&self, task: Notified<Self>);

    /// The task completed: take it out of its owner list. True if the list held it: the
    /// list's reference then passes to the caller, who releases it.
    fn release(&self, task: &Task<Self>) -> bool;
}

/// A reference to a task, held by an owner list.
pub(crate) struct Task<S: 'static> {
    raw: RawTask,
    _scheduler: PhantomData<S>,
}

/// A reference to a task that must be run: the task is `SCHEDULED`, and running this is
/// how the mark is consumed.
pub(crate) struct Notified<S: 'static>(Task<S>);

/// Creates a task. It starts with three references: the returned `Task` (for an owner
/// list), `Notified` (to queue it) and `JoinHandle`.
pub(crate) fn new<F, S>(
    future: F,
    scheduler: S,
    spawn: Spawn,
) -> (Task<S>, Notified<S>, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let raw = RawTask::new(future, scheduler, spawn);
    (
        Task::from_raw(raw),
        Notified(Task::from_raw(raw)),
        JoinHandle::new(raw),
    )
}

impl<S: 'static> Task<S> {
    /// Takes over a reference the caller already counted.
    fn from_raw(raw: RawTask) -> Task<S> {
        Task {
            raw,
            _scheduler: PhantomData,
        }
    }

    /// Shutdown: an idle task is cancelled on this thread (its future dropped here), a
    /// running one when its poll returns.
    pub(crate) fn shutdown(&self) {
        self.raw.shutdown();
    }

    /// Gives up this reference without releasing it: whoever took the task over (see
    /// [`Schedule::release`]) releases it.
    pub(crate) fn forget(self) {
        std::mem::forget(self);
    }
}

impl<S: 'static> Notified<S> {
    /// Polls the task (or cancels it, if that was requested); consumes this reference.
    pub(crate) fn run(self) {
        self.run_stamped(Stamp::NONE);
    }

    /// As [`run`](Notified::run), recording `stamp` as the poll's start for dumps.
    #[inline]
    pub(crate) fn run_stamped(self, stamp: Stamp) {
        let raw = self.0.raw;
        std::mem::forget(self);
        raw.poll(stamp);
    }

    /// Cancels the task without polling it, for a queue being torn down.
    pub(crate) fn shutdown(self) {
        self.0.shutdown();
    }

    /// A reference that reads what the task knows about itself, and keeps it readable
    /// after this `Notified` is run (the run may complete and release the task).
    pub(crate) fn meta(&self) -> MetaRef {
        self.0.raw.ref_inc();
        MetaRef(self.0.raw)
    }
}

/// A counted reference to a task that only reads its id, name and spawn location: for a
/// report made after a poll (see [`Notified::meta`]).
pub(crate) struct MetaRef(RawTask);

impl MetaRef {
    pub(crate) fn id(&self) -> Id {
        self.0.header().id
    }

    /// `None` if it has no name, or no meta at all.
    pub(crate) fn name(&self) -> Option<&str> {
        self.0.meta().and_then(|meta| meta.name())
    }

    /// `None` if the task keeps no meta (`Builder::task_metadata(false)`).
    pub(crate) fn location(&self) -> Option<&'static Location<'static>> {
        self.0.meta().map(|meta| meta.location())
    }
}

impl Drop for MetaRef {
    fn drop(&mut self) {
        self.0.drop_reference();
    }
}

impl<S: 'static> Drop for Task<S> {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl<S: 'static> PartialEq for Task<S> {
    fn eq(&self, other: &Task<S>) -> bool {
        self.raw == other.raw
    }
}

impl<S: 'static> std::fmt::Debug for Task<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task")
            .field("state", &self.raw.state())
            .finish()
    }
}

impl<S: 'static> std::fmt::Debug for Notified<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Notified").field(&self.0).finish()
    }
}
