//! The task whose future this thread is running: set around each poll of a task, and
//! around the drop of a cancelled one, so that code inside can find its own task
//! ([`shield`](super::shield()), [`cancel_requested`](super::cancel_requested)).

use super::raw::{Header, RawTask};
use crate::sync::thread_local;
use std::cell::Cell;
use std::ptr::NonNull;

thread_local! {
    static CURRENT: Cell<Option<NonNull<Header>>> = const { Cell::new(None) };
}

/// Runs `f` with `task` as the current task, then restores the previous one. The caller
/// owns the task's future (it holds `RUNNING`) and a reference, for all of `f`. Not
/// unwind-safe by itself: every caller's `f` catches panics.
#[inline]
pub(super) fn running<R>(task: RawTask, f: impl FnOnce() -> R) -> R {
    let outer = CURRENT.with(|current| current.replace(Some(task.as_ptr())));
    let result = f();
    CURRENT.with(|current| current.set(outer));
    result
}

/// The task whose future this thread is running, if any. Valid for as long as that code
/// runs: the poller's reference keeps the task alive.
pub(super) fn task() -> Option<RawTask> {
    // `try_with`: a future dropped during thread teardown has no current task.
    let current = CURRENT.try_with(Cell::get).ok().flatten()?;
    // SAFETY: `running` sets the pointer only while the caller holds a reference to the
    // live task, and restores the previous value before that reference can go.
    Some(unsafe { RawTask::from_raw(current) })
}
