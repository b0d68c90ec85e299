//! The thread's runtime context: which runtime `spawn` talks to, and whether this thread is
//! already driving one (so `block_on` can refuse to nest instead of deadlocking).

use super::handle::Handle;
use std::cell::{Cell, RefCell};

thread_local! {
    static CONTEXT: Context = const {
        Context { current: RefCell::new(None), driving: Cell::new(false) }
    };
}

struct Context {
    /// Set by worker threads, blocking threads, `block_on` and `Runtime::enter`.
    current: RefCell<Option<Handle>>,
    /// Set while this thread is a worker or inside `block_on`.
    driving: Cell<bool>,
}

pub(crate) const NO_RUNTIME: &str = "there is no corun runtime on this thread: call this \
     from inside `corun::run`, `Runtime::block_on` or a task spawned on a runtime, or use \
     `Runtime::spawn`/`Handle::spawn` (or `Runtime::enter`) from outside one";

/// Runs `f` with the current runtime's handle, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
    CONTEXT.with(|ctx| f(ctx.current.borrow().as_ref()))
}

/// Restores the previous current handle when dropped.
#[derive(Debug)]
pub(crate) struct SetCurrentGuard {
    prev: Option<Handle>,
}

/// Makes `handle` the thread's current runtime until the guard drops.
pub(crate) fn set_current(handle: &Handle) -> SetCurrentGuard {
    let prev = CONTEXT.with(|ctx| ctx.current.replace(Some(handle.clone())));
    SetCurrentGuard { prev }
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // `try_with`: the guard may drop during thread teardown.
        let _ = CONTEXT.try_with(|ctx| ctx.current.replace(prev));
    }
}

/// Marks the thread as driving a runtime until dropped.
#[derive(Debug)]
pub(crate) struct DrivingGuard(());

/// Marks this thread as driving a runtime.
///
/// # Panics
/// If it already is: blocking a worker (or an outer `block_on`) on another future would
/// stall every task queued behind it, and can deadlock.
pub(crate) fn enter_driving() -> DrivingGuard {
    CONTEXT.with(|ctx| {
        assert!(
            !ctx.driving.replace(true),
            "cannot block_on from inside a corun runtime: this thread is already driving \
             asynchronous tasks (a worker or an outer block_on). Use `.await` instead, or \
             move the blocking call into `corun::spawn_blocking`"
        );
    });
    DrivingGuard(())
}

impl Drop for DrivingGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|ctx| ctx.driving.set(false));
    }
}
