//! Slow polls: `Builder::on_slow_poll` reports every poll that held its worker longer than
//! a threshold (a blocking call inside a task, a loop that never awaits).
//!
//! Off, it costs each poll one branch on a field the worker reads once at its start. On,
//! the worker reads the clock before and after each poll and takes a task reference around
//! it ([`MetaRef`]): the poll may complete the task and release it, and the report names
//! it after the poll. The callback runs on the worker, after the poll, behind the unwind
//! boundary of `crate::unwind`: a callback that panics does not take the worker down.

use super::shared::Notified;
use crate::task::{Id, MetaRef, Stamp};
use crate::unwind::{self, UserCode};
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A poll that held its worker for at least the threshold given to
/// [`Builder::on_slow_poll`](crate::Builder::on_slow_poll): which task, and for how long.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let rt = corun::Runtime::builder()
///     .on_slow_poll(Duration::from_millis(20), {
///         let seen = seen.clone();
///         move |poll: &corun::SlowPoll<'_>| {
///             seen.lock().unwrap().push((poll.id(), poll.name().map(str::to_owned)));
///             eprintln!("{poll}");
///         }
///     })
///     .build()
///     .unwrap();
/// let task = corun::task::Builder::new()
///     .name("hog")
///     .spawn_on(async { std::thread::sleep(Duration::from_millis(30)) }, rt.handle());
/// let id = task.id();
/// rt.block_on(task).unwrap();
/// drop(rt); // the report is made after the poll: joined with the workers
/// assert_eq!(*seen.lock().unwrap(), [(id, Some("hog".to_owned()))]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SlowPoll<'a> {
    id: Id,
    name: Option<&'a str>,
    location: Option<&'static Location<'static>>,
    duration: Duration,
}

impl<'a> SlowPoll<'a> {
    /// The task's id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The task's name, if it was given one.
    pub fn name(&self) -> Option<&'a str> {
        self.name
    }

    /// Where the task was spawned; `None` if it keeps no metadata (an unnamed task on a
    /// runtime built with [`Builder::task_metadata(false)`](crate::Builder::task_metadata)).
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.location
    }

    /// How long the poll ran.
    pub fn duration(&self) -> Duration {
        self.duration
    }
}

impl fmt::Display for SlowPoll<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "slow poll: task #{}", self.id)?;
        if let Some(name) = self.name {
            write!(f, " {name:?}")?;
        }
        write!(f, " held its worker for {:?}", self.duration)?;
        match self.location {
            Some(location) => write!(f, ", spawned at {location}"),
            None => Ok(()),
        }
    }
}

/// The callback `Builder::on_slow_poll` installs.
pub(crate) type Callback = dyn Fn(&SlowPoll<'_>) + Send + Sync + 'static;

/// A runtime's slow-poll hook: polls at least `threshold` long go to `callback`.
#[derive(Clone)]
pub(crate) struct SlowPollHook {
    pub(crate) threshold: Duration,
    pub(crate) callback: Arc<Callback>,
}

impl SlowPollHook {
    /// Runs `task` as `Notified::run_stamped` does, timing the poll and reporting it if
    /// it was slow. Out of line: a worker without a hook keeps its poll path small.
    #[inline(never)]
    pub(super) fn run(&self, task: Notified, stamp: Stamp) {
        let meta: MetaRef = task.meta();
        let start = Instant::now();
        task.run_stamped(stamp);
        let duration = start.elapsed();
        if duration >= self.threshold {
            let report = SlowPoll {
                id: meta.id(),
                name: meta.name(),
                location: meta.location(),
                duration,
            };
            unwind::call(UserCode::SlowPollCallback, || (self.callback)(&report));
        }
    }
}

impl fmt::Debug for SlowPollHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlowPollHook")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}
