//! `JoinError`: why a task produced no value.

use std::any::Any;
use std::fmt;
use sync_wrapper::SyncWrapper;

/// A task did not run to completion: it was cancelled, or it panicked.
///
/// It is what a [`JoinHandle`](crate::JoinHandle) yields instead of the task's value. It is
/// `Send + Sync + 'static` and implements [`std::error::Error`], so `?` turns it into any
/// boxed or `anyhow`-style error.
///
/// ```
/// let err = corun::run(async {
///     corun::spawn(async { panic!("boom") }).await.unwrap_err()
/// });
/// assert!(err.is_panic());
/// assert_eq!(err.to_string(), "task panicked: boom");
/// ```
pub struct JoinError {
    /// `None`: cancelled. Boxed, so that the error (and every task's output slot, which
    /// holds a `Result<T, JoinError>`) is one pointer: the cancellation that is the common
    /// case costs nothing, the rare panic one allocation.
    panic: Option<Box<Panic>>,
}

struct Panic {
    /// Only reachable by value or `&mut`, so wrapping it makes `JoinError: Sync`.
    payload: SyncWrapper<Box<dyn Any + Send + 'static>>,
    /// The message, copied out at construction for `Display` (which only has `&self`).
    message: Option<String>,
}

impl JoinError {
    pub(crate) fn cancelled() -> JoinError {
        JoinError { panic: None }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> JoinError {
        let message = panic_message(&*payload);
        let payload = SyncWrapper::new(payload);
        JoinError {
            panic: Some(Box::new(Panic { payload, message })),
        }
    }

    /// True if the task was cancelled (by `abort`, its owner, or runtime shutdown).
    ///
    /// ```
    /// corun::run(async {
    ///     let handle = corun::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.panic.is_none()
    }

    /// True if the task panicked.
    ///
    /// ```
    /// corun::run(async {
    ///     let err = corun::spawn(async { panic!("boom") }).await.unwrap_err();
    ///     assert!(err.is_panic());
    /// });
    /// ```
    pub fn is_panic(&self) -> bool {
        self.panic.is_some()
    }

    /// The panic payload, to pass to [`std::panic::resume_unwind`].
    ///
    /// # Panics
    /// If the task was cancelled rather than panicking; see [`try_into_panic`](Self::try_into_panic).
    ///
    /// ```
    /// corun::run(async {
    ///     let err = corun::spawn(async { panic!("boom") }).await.unwrap_err();
    ///     let payload = err.into_panic();
    ///     assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    /// });
    /// ```
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("JoinError::into_panic called on a cancellation; check is_panic() first")
    }

    /// The panic payload, or the error itself if the task was cancelled.
    ///
    /// ```
    /// corun::run(async {
    ///     let handle = corun::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     let err = handle.await.unwrap_err();
    ///     assert!(err.try_into_panic().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.panic {
            Some(panic) => Ok(panic.payload.into_inner()),
            None => Err(self),
        }
    }
}

/// The panic message, when the payload is a string (as `panic!` makes it).
fn panic_message(payload: &(dyn Any + Send)) -> Option<String> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        return Some((*s).to_owned());
    }
    payload.downcast_ref::<String>().cloned()
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.panic.as_deref() {
            None => f.write_str("task was cancelled"),
            Some(Panic {
                message: Some(message),
                ..
            }) => write!(f, "task panicked: {message}"),
            Some(Panic { message: None, .. }) => f.write_str("task panicked"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.panic.as_deref() {
            None => f.write_str("JoinError::Cancelled"),
            Some(Panic {
                message: Some(message),
                ..
            }) => write!(f, "JoinError::Panic({message:?})"),
            Some(Panic { message: None, .. }) => f.write_str("JoinError::Panic(..)"),
        }
    }
}

impl std::error::Error for JoinError {}
