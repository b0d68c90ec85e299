//! `Driver`: what idle workers drive besides the run queues — the timer.
//!
//! The executor does not know what a timer is. A runtime carries one `Driver`, installed by
//! the `Builder`, and the workers call it at three points:
//!
//! - between tasks, at each of the worker's checks ([`Driver::maintain`], on the time
//!   budget of `pacer.rs`), so a busy runtime still fires timers on time;
//! - before parking ([`Driver::before_park`]): one worker at a time becomes the *driving*
//!   worker, which parks with a timeout until the driver's next deadline; the others park
//!   without one. The driver keeps the driving worker's [`Parker`] to wake it early when an
//!   earlier deadline is registered;
//! - after the driving worker wakes ([`Driver::after_park`]), to hand the role back and do
//!   what became due; if something is still pending ([`Driver::has_pending`]), the worker
//!   wakes a parked one to take the role over, since it is about to run tasks;
//! - when the runtime has gone idle ([`Driver::on_idle`]): every worker parked, nothing
//!   running outside them, no task queued. A driver with a paused clock then moves time
//!   to its next deadline and fires it (the timer's auto-advance).

use super::park::{Parker, Poller};
use crate::sync::Arc;
use std::any::Any;
use std::time::{Duration, Instant};

/// What a worker does instead of parking indefinitely.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BeforePark {
    /// Work became due and was scheduled (timers fired): do not park, look for tasks.
    Ran,
    /// Another worker is driving: park until unparked.
    Follow,
    /// This worker drives: park at most `timeout` (`None`: until unparked), then call
    /// [`Driver::after_park`].
    Drive(Option<Duration>),
}

pub(crate) trait Driver: Send + Sync + 'static {
    /// Does whatever is due by `now` (fires expired timers). Called between tasks, with
    /// the clock reading the worker just took; cheap when nothing is due.
    fn maintain(&self, now: Instant);

    /// A worker with nothing to run is about to park; `unparker` wakes it.
    fn before_park(&self, unparker: &Arc<Parker>) -> BeforePark;

    /// The driving worker woke up (timeout, unpark, or spuriously).
    fn after_park(&self);

    /// True while something is pending (a timer armed): a worker must be driving. A
    /// worker that gives up the driving role to run tasks checks it, and if so wakes a
    /// parked one to take the role over, so that a long task cannot hold the timers up.
    fn has_pending(&self) -> bool;

    /// How many things are pending (timers armed and not fired), counted now: for
    /// `Handle::metrics`, not for the workers.
    fn pending(&self) -> usize;

    /// The runtime went idle: every worker is parked (the caller may be the last, about
    /// to sleep), nothing runs outside them and no task is queued, so nothing will happen
    /// until something from outside does. `still_idle` re-checks that. Returns true if
    /// the driver scheduled work (a paused clock jumped to its next deadline and fired):
    /// a calling worker then runs it instead of sleeping. Otherwise one load.
    fn on_idle(&self, still_idle: &dyn Fn() -> bool) -> bool;

    /// Where the driving worker sleeps, if not on its condition variable: the I/O
    /// driver's poller. Asked once, when the workers' parkers are made.
    fn poller(&self) -> Option<Arc<dyn Poller>>;

    /// The runtime shut down and its tasks are gone: release everything still registered.
    fn shutdown(&self);

    /// For the layer that installed the driver to find its own type again.
    fn as_any(&self) -> &dyn Any;
}
