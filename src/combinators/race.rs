//! `race`: the first child to finish wins, the others are cancelled.

use super::children::{resume, ChildSet, EachChild};
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
#[track_caller]
pub fn race<I>(futures: I) -> Race<I::Item>
where
    I: IntoIterator,
    I::Item: Future + Send + 'static,
    <I::Item as Future>::Output: Send + 'static,
{
    let children = ChildSet::<_, EachChild>::new(futures);
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
///
/// ```
/// corun::run(async {
///     let race: corun::combinators::Race<_> = corun::race([async { "only" }]);
///     assert_eq!(race.await, "only");
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them; dropping it cancels the children"]
pub struct Race<F: Future> {
    children: ChildSet<F, EachChild>,
    outcome: Option<Result<F::Output, JoinError>>,
}

impl<F> Future for Race<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        if this.outcome.is_none() {
            let (_, first) = ready!(this.children.poll_next(cx)).expect("race is never empty");
            this.outcome = Some(first);
        }
        ready!(this.children.poll_cancelled(cx));
        match this
            .outcome
            .take()
            .expect("the winner is kept until the losers stopped")
        {
            Ok(value) => Poll::Ready(value),
            Err(error) => resume(error),
        }
    }
}

// Neither the children (moved into tasks on the first poll) nor the winner's output are
// ever pinned in place.
impl<F: Future> Unpin for Race<F> {}

impl<F: Future> fmt::Debug for Race<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Race")
            .field("running", &self.children.len())
            .field("decided", &self.outcome.is_some())
            .finish()
    }
}
