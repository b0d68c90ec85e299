//! `GroupError` (why a group failed) and `TaskError` (why a child's handle has no value).

use std::error::Error;
use std::fmt;

/// Why a [`task_group`](crate::task_group) did not return its body's value: every error
/// its children (and its body) returned, in completion order, and how many children were
/// cancelled. Or, with no errors, that it was cancelled by [`TaskGroup::cancel`](crate::TaskGroup::cancel).
///
/// ```
/// corun::run(async {
///     let result = corun::task_group(|tg| async move {
///         tg.spawn(async { Err::<(), _>("boom") });
///         Ok(())
///     })
///     .await;
///     let error = result.unwrap_err();
///     assert_eq!(error.first(), Some(&"boom"));
///     assert!(!error.is_cancelled());
/// });
/// ```
pub struct GroupError<E> {
    errors: Vec<E>,
    cancelled: usize,
}

impl<E> GroupError<E> {
    pub(crate) fn new(errors: Vec<E>, cancelled: usize) -> GroupError<E> {
        GroupError { errors, cancelled }
    }

    /// Every error, first one first.
    ///
    /// ```
    /// corun::run(async {
    ///     let error = corun::task_group(|_tg| async { Err::<(), _>(7) }).await.unwrap_err();
    ///     assert_eq!(error.errors(), [7]);
    /// });
    /// ```
    pub fn errors(&self) -> &[E] {
        &self.errors
    }

    /// Every error, first one first, by value.
    ///
    /// ```
    /// corun::run(async {
    ///     let error = corun::task_group(|_tg| async { Err::<(), _>(7) }).await.unwrap_err();
    ///     assert_eq!(error.into_errors(), vec![7]);
    /// });
    /// ```
    pub fn into_errors(self) -> Vec<E> {
        self.errors
    }

    /// The first error: the one that cancelled the rest.
    ///
    /// ```
    /// corun::run(async {
    ///     let error = corun::task_group(|_tg| async { Err::<(), _>(7) }).await.unwrap_err();
    ///     assert_eq!(error.first(), Some(&7));
    /// });
    /// ```
    pub fn first(&self) -> Option<&E> {
        self.errors.first()
    }

    /// The first error, by value.
    ///
    /// ```
    /// corun::run(async {
    ///     let error = corun::task_group(|_tg| async { Err::<(), _>(7) }).await.unwrap_err();
    ///     assert_eq!(error.into_first(), Some(7));
    /// });
    /// ```
    pub fn into_first(self) -> Option<E> {
        self.errors.into_iter().next()
    }

    /// How many children were cancelled (started or not).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corun::run(async {
    ///     let error = corun::task_group(|tg| async move {
    ///         tg.spawn(async { corun::sleep(Duration::from_secs(60)).await; Ok(()) });
    ///         Err::<(), _>("body failed")
    ///     })
    ///     .await
    ///     .unwrap_err();
    ///     assert_eq!(error.cancelled(), 1);
    /// });
    /// ```
    pub fn cancelled(&self) -> usize {
        self.cancelled
    }

    /// True if the group was cancelled by [`TaskGroup::cancel`](crate::TaskGroup::cancel)
    /// before its body finished: there are no errors.
    ///
    /// ```
    /// corun::run(async {
    ///     let result = corun::task_group(|tg| async move {
    ///         tg.cancel();
    ///         std::future::pending::<Result<(), ()>>().await
    ///     })
    ///     .await;
    ///     assert!(result.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.errors.is_empty()
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.as_slice() {
            [] => write!(f, "task group cancelled")?,
            [only] => write!(f, "task group failed: {only}")?,
            [first, rest @ ..] => write!(
                f,
                "task group failed: {first} (and {} more errors)",
                rest.len()
            )?,
        }
        if self.cancelled > 0 {
            write!(f, "; {} children cancelled", self.cancelled)?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug> fmt::Debug for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupError")
            .field("errors", &self.errors)
            .field("cancelled", &self.cancelled)
            .finish()
    }
}

impl<E: Error + 'static> Error for GroupError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.first().map(|error| error as &(dyn Error + 'static))
    }
}

/// Why a child's [`TaskHandle`](crate::TaskHandle) yields no value: it failed (its
/// error went to the group), panicked (the group resumes the panic), or was cancelled.
///
/// ```
/// let error = corun::TaskError::cancelled();
/// assert!(error.is_cancelled() && !error.is_failed() && !error.is_panic());
/// assert_eq!(error.to_string(), "group task was cancelled");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TaskError {
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Failed,
    Panicked,
    Cancelled,
}

impl TaskError {
    pub(crate) const FAILED: TaskError = TaskError { kind: Kind::Failed };
    pub(crate) const PANICKED: TaskError = TaskError {
        kind: Kind::Panicked,
    };
    pub(crate) const CANCELLED: TaskError = TaskError {
        kind: Kind::Cancelled,
    };

    /// The child returned `Err`; the error itself is in the group's [`GroupError`].
    ///
    /// ```
    /// corun::run(async {
    ///     let mut handle = None;
    ///     let _ = corun::task_group(|tg| {
    ///         handle = Some(tg.spawn(async { Err::<(), _>("boom") }));
    ///         async { Ok(()) }
    ///     })
    ///     .await;
    ///     assert!(handle.unwrap().await.unwrap_err().is_failed());
    /// });
    /// ```
    pub fn is_failed(&self) -> bool {
        self.kind == Kind::Failed
    }

    /// The child panicked; the group resumes the panic.
    ///
    /// ```
    /// assert!(!corun::TaskError::cancelled().is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        self.kind == Kind::Panicked
    }

    /// The child was cancelled (or never started, its group having stopped).
    ///
    /// ```
    /// assert!(corun::TaskError::cancelled().is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.kind == Kind::Cancelled
    }

    /// A cancellation error, for adapters and tests.
    ///
    /// ```
    /// assert!(corun::TaskError::cancelled().is_cancelled());
    /// ```
    pub fn cancelled() -> TaskError {
        TaskError::CANCELLED
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            Kind::Failed => "group task failed (its error is in the group's GroupError)",
            Kind::Panicked => "group task panicked (the group resumes the panic)",
            Kind::Cancelled => "group task was cancelled",
        })
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TaskError").field(&self.kind).finish()
    }
}

impl Error for TaskError {}
