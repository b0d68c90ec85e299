//! `AbortHandle`: permission to cancel a task without awaiting it.

use super::raw::RawTask;
use std::fmt;

/// Cancels a task without owning its output. Cloneable; it may outlive the task's
/// [`JoinHandle`](crate::JoinHandle).
///
/// ```
/// corun::run(async {
///     let handle = corun::spawn(std::future::pending::<()>());
///     let abort = handle.abort_handle();
///     assert!(!abort.is_finished());
///     abort.abort();
///     assert!(handle.await.unwrap_err().is_cancelled());
///     assert!(abort.is_finished());
/// });
/// ```
pub struct AbortHandle {
    raw: RawTask,
}

impl AbortHandle {
    /// Takes over a reference the caller already counted.
    pub(super) fn new(raw: RawTask) -> AbortHandle {
        AbortHandle { raw }
    }

    /// Cancels the task, as [`JoinHandle::abort`](crate::JoinHandle::abort) does.
    ///
    /// ```
    /// corun::run(async {
    ///     let handle = corun::spawn(std::future::pending::<()>());
    ///     handle.abort_handle().abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        self.raw.abort();
    }

    /// The task's id.
    ///
    /// ```
    /// corun::run(async {
    ///     let handle = corun::spawn(async {});
    ///     assert_eq!(handle.abort_handle().id(), handle.id());
    /// });
    /// ```
    pub fn id(&self) -> crate::task::Id {
        self.raw.header().id
    }

    /// True once the task has finished.
    ///
    /// ```
    /// corun::run(async {
    ///     let handle = corun::spawn(async {});
    ///     let abort = handle.abort_handle();
    ///     handle.await.unwrap();
    ///     assert!(abort.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.state().load().is_complete()
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.raw.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("finished", &self.is_finished())
            .finish_non_exhaustive()
    }
}
