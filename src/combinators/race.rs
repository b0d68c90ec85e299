//! `race`: the first child to finish wins, the others are cancelled.

use super::children::{resume, ChildSet};
use crate::task::JoinError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Runs every future as its own task; the first to finish wins and the others are
/// cancelled. The result comes back once the losers have stopped.
///
/// If the first child to finish panicked, the others are cancelled and the panic resumes in
/// the awaiting task. Dropping the returned future cancels every child.
///
/// # Panics
/// If `futures` is empty (there would be no winner), or outside a corun runtime.
///
/// ```
/// use std::time::Duration;
///
/// corun::run(async {
///     let fast = async { corun::sleep(Duration::from_millis(1)).await; "fast" };
///     let slow = async { corun::sleep(Duration::from_secs(60)).await; "slow" };
///     let winner = corun::race([
///         Box::pin(fast) as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>,
///         Box::pin(slow),
///     ])
///     .await;
///     assert_eq!(winner, "fast");
/// });
/// ```
pub fn race<I, T>(futures: I) -> Race<T>
where
    I: IntoIterator,
    I::Item: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let children = ChildSet::spawn(futures);
    assert!(
        children.len() > 0,
        "race of an empty set of futures: there is no first one to finish"
    );
    Race {
        children,
        outcome: None,
    }
}

/// The future returned by [`race`].
#[must_use = "futures do nothing unless you `.await` or poll them; dropping it cancels the children"]
pub struct Race<T> {
    children: ChildSet<T>,
    outcome: Option<Result<T, JoinError>>,
}

impl<T> Future for Race<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        if this.outcome.is_none() {
            let (_, first) = ready!(this.children.poll_next(cx)).expect("race is never empty");
            this.outcome = Some(first);
        }
        ready!(this.children.poll_cancelled(cx));
        match this.outcome.take().expect("the winner is kept until the losers stopped") {
            Ok(value) => Poll::Ready(value),
            Err(error) => resume(error),
        }
    }
}

// The winner's output is never pinned.
impl<T> Unpin for Race<T> {}

impl<T> fmt::Debug for Race<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Race")
            .field("running", &self.children.len())
            .field("decided", &self.outcome.is_some())
            .finish()
    }
}
