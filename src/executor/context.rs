//! The thread's runtime context: which runtime `spawn` talks to, and whether this thread is
//! already driving one (so `block_on` can refuse to nest instead of deadlocking).

use super::handle::Handle;
use std::cell::{Cell, RefCell};
use std::marker::PhantomData;

// Through the shim: under loom each loom thread needs its own context.
crate::sync::thread_local! {
    static CONTEXT: Context = const {
        Context {
            entered: RefCell::new(Vec::new()),
            next_guard: Cell::new(0),
            driving: Cell::new(false),
        }
    };
}

struct Context {
    /// The runtimes entered on this thread and not yet left, innermost last, each tagged
    /// with the guard that entered it. Set by worker threads, blocking threads, `block_on`
    /// and `Runtime::enter`.
    entered: RefCell<Vec<(u64, Handle)>>,
    next_guard: Cell<u64>,
    /// Set while this thread is a worker or inside `block_on`.
    driving: Cell<bool>,
}

pub(crate) const NO_RUNTIME: &str = "there is no corun runtime on this thread: call this \
     from inside `corun::run`, `Runtime::block_on` or a task spawned on a runtime, or use \
     `Runtime::spawn`/`Handle::spawn` (or `Runtime::enter`) from outside one";

/// Runs `f` with the current runtime's handle, if any: the innermost one entered.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
    CONTEXT.with(|ctx| f(ctx.entered.borrow().last().map(|(_, handle)| handle)))
}

/// Leaves the runtime it entered when dropped, in whatever order guards are dropped: each
/// guard removes its own entry, so the current runtime is always the innermost one whose
/// guard is still alive.
#[derive(Debug)]
pub(crate) struct SetCurrentGuard {
    id: u64,
    /// Tied to the thread whose context it changed.
    _not_send: PhantomData<*const ()>,
}

/// Makes `handle` the thread's current runtime until the guard drops.
pub(crate) fn set_current(handle: &Handle) -> SetCurrentGuard {
    let id = CONTEXT.with(|ctx| {
        let id = ctx.next_guard.get();
        ctx.next_guard.set(id + 1);
        ctx.entered.borrow_mut().push((id, handle.clone()));
        id
    });
    SetCurrentGuard {
        id,
        _not_send: PhantomData,
    }
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        // `try_with`: the guard may drop during thread teardown.
        let left = CONTEXT.try_with(|ctx| {
            let mut entered = ctx.entered.borrow_mut();
            // Almost always the last entry; a guard dropped out of order is further in.
            let index = entered.iter().rposition(|(id, _)| *id == self.id)?;
            Some(entered.remove(index).1)
        });
        // Dropped outside the borrow: it may be the last handle of a runtime.
        drop(left);
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
