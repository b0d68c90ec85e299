//! `task::Builder`: spawning a task with a name.

use super::handle::Handle;
use crate::task::{JoinHandle, Spawn};
use std::future::Future;
use std::panic::Location;

/// Spawns a task with a name, which [dumps](crate::Handle::dump) and slow-poll reports
/// show next to its id and spawn location. Re-exported as `corun::task::Builder`.
///
/// ```
/// corun::run(async {
///     let fetch = corun::task::Builder::new()
///         .name("fetch")
///         .spawn(async { "body" });
///     let dump = corun::Handle::current().dump();
///     if let Some(task) = dump.get(fetch.id()) {
///         assert_eq!(task.name(), Some("fetch"));
///     }
///     assert_eq!(fetch.await.unwrap(), "body");
/// });
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a builder does nothing until `spawn` is called"]
pub struct Builder {
    name: Option<String>,
}

impl Builder {
    /// An unnamed spawn.
    ///
    /// ```
    /// corun::run(async {
    ///     let task = corun::task::Builder::new().spawn(async { 1 });
    ///     assert_eq!(task.await.unwrap(), 1);
    /// });
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the task.
    ///
    /// ```
    /// let builder = corun::task::Builder::new().name(format!("conn-{}", 7));
    /// # drop(builder);
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Spawns `future` on the current runtime, as [`corun::spawn`](crate::spawn).
    ///
    /// # Panics
    /// Outside a corun runtime, as [`corun::spawn`](crate::spawn).
    ///
    /// ```
    /// corun::run(async {
    ///     let task = corun::task::Builder::new().name("answer").spawn(async { 42 });
    ///     assert_eq!(task.await.unwrap(), 42);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        super::spawn_as(future, self.into_spawn())
    }

    /// Spawns `future` on `handle`'s runtime, from any thread, as
    /// [`Handle::spawn`](crate::Handle::spawn).
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// let task = corun::task::Builder::new()
    ///     .name("outside")
    ///     .spawn_on(async { "ran" }, rt.handle());
    /// assert_eq!(rt.block_on(task).unwrap(), "ran");
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn_as(future, self.into_spawn())
    }

    /// What the task will know about itself: the name, and the caller's location.
    #[track_caller]
    pub(crate) fn into_spawn(self) -> Spawn {
        Spawn::new(self.name, Location::caller())
    }
}
