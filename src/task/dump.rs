//! `TaskDump`: a snapshot of every live task of a runtime, printed as the tree of who
//! spawned whom (Python's `asyncio pstree`).
//!
//! Taken one owner-list shard at a time, under that shard's lock: a task is reported at
//! most once, and none is freed while it is read (the list holds a reference to each). The
//! snapshot is not atomic across shards: a task spawned or finished while it is taken may
//! or may not appear, and a child may appear without its parent (it is then a root).

use super::list::OwnedTasks;
use super::meta::{Id, Stamp};
use super::raw::RawTask;
use super::Schedule;
use std::collections::HashMap;
use std::fmt;
use std::panic::Location;
use std::time::{Duration, Instant};

/// Every live task of a runtime at one moment: [`Handle::dump`](crate::Handle::dump).
///
/// `Display` prints the tree of who spawned whom: a task under the task that spawned it
/// (a group's children under the task that runs the group, a `gather`'s under its
/// caller), each with its id, name, state, poll count, time since its last poll, and
/// where it was spawned.
///
/// ```
/// corun::run(async {
///     let handle = corun::Handle::current();
///     let worker = corun::task::Builder::new()
///         .name("worker")
///         .spawn(std::future::pending::<()>());
///     let dump = handle.dump();
///     let info = dump.get(worker.id()).expect("a live task is in the dump");
///     assert_eq!(info.name(), Some("worker"));
///     assert_eq!(info.parent(), None, "spawned by corun::run's future, not a task");
///     println!("{dump}");
///     worker.abort();
/// });
/// ```
#[derive(Debug, Clone)]
pub struct TaskDump {
    tasks: Vec<TaskInfo>,
}

/// One task in a [`TaskDump`].
#[derive(Debug, Clone)]
pub struct TaskInfo {
    id: Id,
    parent: Option<Id>,
    name: Option<String>,
    location: Option<&'static Location<'static>>,
    state: TaskState,
    polls: Option<u32>,
    since_last_poll: Option<Duration>,
}

/// What a task was doing when the dump was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskState {
    /// Waiting for a wake-up.
    Idle,
    /// Woken, waiting in a queue for a worker.
    Scheduled,
    /// Being polled.
    Running,
    /// Cancellation was requested and has not finished: the task is queued to be dropped,
    /// or runs inside a [`shield`](crate::shield).
    Cancelling,
}

impl TaskDump {
    pub(crate) fn of<S: Schedule>(owned: &OwnedTasks<S>) -> TaskDump {
        let now = Stamp::at(Instant::now());
        let mut tasks = Vec::new();
        owned.for_each(|header| tasks.extend(TaskInfo::read(header, now)));
        tasks.sort_by_key(TaskInfo::id);
        TaskDump { tasks }
    }

    /// The tasks, in id order (spawn order on each thread).
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }

    /// The task with `id`, if it was alive.
    pub fn get(&self, id: Id) -> Option<&TaskInfo> {
        self.tasks
            .binary_search_by_key(&id, TaskInfo::id)
            .ok()
            .map(|index| &self.tasks[index])
    }

    /// The tasks in the dump that `id` spawned, in id order.
    pub fn children(&self, id: Id) -> impl Iterator<Item = &TaskInfo> {
        self.tasks
            .iter()
            .filter(move |task| task.parent == Some(id))
    }

    /// Tasks with no parent in the dump: spawned from outside any task, or by a task that
    /// has finished since.
    pub fn roots(&self) -> impl Iterator<Item = &TaskInfo> {
        self.tasks.iter().filter(|task| match task.parent {
            None => true,
            Some(parent) => self.get(parent).is_none(),
        })
    }
}

impl TaskInfo {
    fn read(task: &RawTask, now: Stamp) -> Option<TaskInfo> {
        let header = task.header();
        let state = header.state.load().dump_state()?;
        let meta = task.meta();
        let (polls, since_last_poll) = match meta {
            Some(meta) => {
                let (polls, since) = meta.polls(now);
                (Some(polls), since)
            }
            None => (None, None),
        };
        Some(TaskInfo {
            id: header.id,
            parent: meta.and_then(|meta| meta.parent()),
            name: meta.and_then(|meta| meta.name()).map(str::to_owned),
            location: meta.map(|meta| meta.location()),
            state,
            polls,
            since_last_poll,
        })
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The task that spawned it, if it was spawned from inside one (and the task keeps
    /// its metadata: see [`Builder::task_metadata`](crate::Builder::task_metadata)).
    pub fn parent(&self) -> Option<Id> {
        self.parent
    }

    /// Its name, if it was given one ([`Builder::name`](crate::task::Builder::name)).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where it was spawned; `None` if the task keeps no metadata (an unnamed task on a
    /// runtime built with [`Builder::task_metadata(false)`](crate::Builder::task_metadata)).
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.location
    }

    /// What it was doing.
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// How many times it was polled (wrapping at 2^32); `None` if the task keeps no
    /// metadata (see [`location`](TaskInfo::location)).
    pub fn polls(&self) -> Option<u32> {
        self.polls
    }

    /// How long ago its last poll started, to the millisecond; `None` if a worker never
    /// polled it, or the task keeps no metadata.
    pub fn since_last_poll(&self) -> Option<Duration> {
        self.since_last_poll
    }
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        let state = match self.state {
            TaskState::Idle => "idle",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
            TaskState::Cancelling => "cancelling",
        };
        write!(f, " {state}")?;
        if let Some(polls) = self.polls {
            let plural = if polls == 1 { "" } else { "s" };
            write!(f, ", {polls} poll{plural}")?;
        }
        if let Some(since) = self.since_last_poll {
            write!(f, ", last {since:?} ago")?;
        }
        match self.location {
            Some(location) => write!(f, ", spawned at {location}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut children: HashMap<Id, Vec<&TaskInfo>> = HashMap::new();
        for task in &self.tasks {
            if let Some(parent) = task.parent {
                children.entry(parent).or_default().push(task);
            }
        }
        let count = self.tasks.len();
        writeln!(f, "{count} task{}", if count == 1 { "" } else { "s" })?;
        for root in self.roots() {
            write_tree(f, root, &children)?;
        }
        Ok(())
    }
}

/// Writes `root` and everything below it, one task a line, the tree drawn in front.
/// Iterative: a chain of tasks spawning tasks can be deeper than the stack.
fn write_tree(
    f: &mut fmt::Formatter<'_>,
    root: &TaskInfo,
    children: &HashMap<Id, Vec<&TaskInfo>>,
) -> fmt::Result {
    // (task, what goes before it on its line, what goes before its children's lines)
    let mut pending = vec![(root, String::new(), String::new())];
    while let Some((task, lead, indent)) = pending.pop() {
        writeln!(f, "{lead}{task}")?;
        let kids = children.get(&task.id).map_or(&[][..], Vec::as_slice);
        // Pushed last to first, so that they come out first to last.
        for (index, kid) in kids.iter().enumerate().rev() {
            let last = index + 1 == kids.len();
            let (branch, below) = if last {
                ("└─ ", "   ")
            } else {
                ("├─ ", "│  ")
            };
            pending.push((kid, format!("{indent}{branch}"), format!("{indent}{below}")));
        }
    }
    Ok(())
}
