//! `Handle`: a cloneable reference to a runtime, usable from any thread.

use super::block_on::block_on;
use super::context::{self, SetCurrentGuard, NO_RUNTIME};
use super::driver::Driver;
use super::metrics::RuntimeMetrics;
use super::shared::Shared;
use super::worker;
use crate::sync::Arc;
use crate::task::{self, JoinHandle};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

/// A handle to a runtime: spawn onto it, or block on it, from any thread.
///
/// Cloning is cheap. A handle does not keep the runtime's workers alive: once the
/// [`Runtime`](crate::Runtime) is dropped, tasks spawned through a handle are cancelled at
/// once.
///
/// ```
/// let rt = corun::Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let answer = std::thread::spawn(move || handle.block_on(async { 42 })).join().unwrap();
/// assert_eq!(answer, 42);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

/// Returned by [`Handle::try_current`] outside a runtime.
///
/// ```
/// let error: corun::TryCurrentError = corun::Handle::try_current().unwrap_err();
/// assert!(error.to_string().contains("no corun runtime"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryCurrentError(());

/// Makes a runtime the current one on this thread until dropped (see [`Handle::enter`]).
///
/// ```
/// let rt = corun::Runtime::new().unwrap();
/// let guard: corun::EnterGuard<'_> = rt.enter();
/// let task = corun::spawn(async { 1 }); // finds the runtime through the guard
/// drop(guard);
/// assert_eq!(rt.block_on(task).unwrap(), 1);
/// ```
#[must_use = "the runtime is current only while the guard lives"]
pub struct EnterGuard<'a> {
    _guard: SetCurrentGuard,
    /// Tied to the handle's lifetime and to this thread (it restores a thread-local).
    _marker: PhantomData<(&'a Handle, *const ())>,
}

impl Handle {
    /// The runtime's driver (its timer).
    pub(crate) fn driver(&self) -> &dyn Driver {
        &*self.shared.driver
    }

    /// The index of the worker this thread is, if it is one of this runtime's.
    pub(crate) fn worker_index(&self) -> Option<usize> {
        worker::current_index(&self.shared)
    }

    /// The handle of the runtime this thread is in (a worker, a blocking thread, inside
    /// `block_on`, or under [`Handle::enter`]).
    ///
    /// # Panics
    /// Outside a runtime; see [`Handle::try_current`].
    ///
    /// ```
    /// corun::run(async {
    ///     let handle = corun::Handle::current();
    ///     assert_eq!(handle.spawn(async { 1 }).await.unwrap(), 1);
    /// });
    /// ```
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(_) => panic!("Handle::current: {NO_RUNTIME}"),
        }
    }

    /// The current runtime's handle, or an error outside a runtime.
    ///
    /// ```
    /// assert!(corun::Handle::try_current().is_err());
    /// corun::run(async { assert!(corun::Handle::try_current().is_ok()) });
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::with_current(|handle| handle.cloned()).ok_or(TryCurrentError(()))
    }

    /// Spawns a task onto this runtime's workers.
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// let task = rt.handle().spawn(async { 1 + 1 });
    /// assert_eq!(rt.block_on(task).unwrap(), 2);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_as(future, task::Spawn::here())
    }

    /// Spawns `future` with what `spawn` says about it (name, location).
    pub(crate) fn spawn_as<F>(&self, future: F, spawn: task::Spawn) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Shared::spawn(&self.shared, future, spawn)
    }

    /// True if the runtime was built with a clock that can be paused
    /// (`Builder::start_paused(true)`).
    pub(crate) fn clock_control(&self) -> bool {
        self.shared.clock_control
    }

    /// A snapshot of every live task of this runtime: id, name, spawn location, state,
    /// polls, time since the last poll, and the task that spawned it. `Display` prints it
    /// as a tree (see [`TaskDump`](crate::task::TaskDump)).
    ///
    /// It is taken a shard of the runtime's task list at a time, each under its lock for
    /// as long as it takes to copy its tasks, so the workers never all wait for it; tasks
    /// spawned or finished meanwhile may or may not appear, and none appears twice.
    ///
    /// ```
    /// corun::run(async {
    ///     let parent = corun::task::Builder::new()
    ///         .name("parent")
    ///         .spawn(async { corun::spawn(std::future::pending::<()>()) });
    ///     let parent_id = parent.id();
    ///     let child = parent.await.unwrap();
    ///     let dump = corun::Handle::current().dump();
    ///     // The parent has finished; its child is alive and remembers who spawned it.
    ///     assert!(dump.get(parent_id).is_none());
    ///     assert_eq!(dump.get(child.id()).unwrap().parent(), Some(parent_id));
    ///     child.abort();
    /// });
    /// ```
    pub fn dump(&self) -> task::TaskDump {
        task::TaskDump::of(&self.shared.owned)
    }

    /// The runtime's counters and gauges now: per worker its polls, steals, parks, busy
    /// time and queue depth; tasks live and spawned; the injector's depth; blocking threads
    /// and queued closures; pending timers (see [`RuntimeMetrics`]). Always on: the
    /// workers count without sharing a cache line on the hot path, and reading takes a few
    /// short locks, one at a time.
    ///
    /// ```
    /// let rt = corun::Runtime::builder().worker_threads(2).build().unwrap();
    /// let task = rt.spawn(std::future::pending::<()>());
    /// let metrics = rt.handle().metrics();
    /// assert_eq!(metrics.live_tasks(), 1);
    /// assert_eq!(metrics.workers().len(), 2);
    /// task.abort();
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::of(&self.shared)
    }

    /// Runs a blocking closure on the runtime's blocking pool.
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// let task = rt.handle().spawn_blocking(|| std::fs::metadata(".").is_ok());
    /// assert!(rt.block_on(task).unwrap());
    /// ```
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.shared.blocking.spawn(self, f)
    }

    /// Runs `future` to completion on the calling thread, with this runtime current, so it
    /// can spawn tasks onto the workers.
    ///
    /// # Panics
    /// If the calling thread is already driving a runtime (a worker, or inside another
    /// `block_on`): use `.await` there instead.
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// assert_eq!(handle.block_on(async { corun::spawn(async { 5 }).await.unwrap() }), 5);
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _driving = context::enter_driving();
        let _current = context::set_current(self);
        block_on(&self.shared, future)
    }

    /// Makes this runtime current on this thread until the guard drops, so that
    /// [`spawn`](crate::spawn) and [`Handle::current`] work outside `block_on`.
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let task = corun::spawn(async { 3 });
    /// assert_eq!(rt.block_on(task).unwrap(), 3);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _guard: context::set_current(self),
            _marker: PhantomData,
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.shared.num_workers())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(NO_RUNTIME)
    }
}

impl std::error::Error for TryCurrentError {}
