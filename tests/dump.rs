//! Task names, ids, spawn locations and `Handle::dump` through the public API: what a
//! dump reports about each task, the tree it prints, and its consistency while tasks spawn
//! and finish around it.
#![allow(clippy::disallowed_types)]

mod common;

use common::{watchdog, LIMIT};
use corun::task::{Builder, Id, TaskDump, TaskInfo, TaskState};
use std::collections::HashSet;
use std::future::pending;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

/// Takes dumps until `done` says the one taken is complete.
async fn dump_until(done: impl Fn(&TaskDump) -> bool) -> TaskDump {
    loop {
        let dump = corun::Handle::current().dump();
        if done(&dump) {
            return dump;
        }
        corun::sleep(Duration::from_millis(1)).await;
    }
}

fn named<'a>(dump: &'a TaskDump, name: &str) -> &'a TaskInfo {
    dump.tasks()
        .iter()
        .find(|task| task.name() == Some(name))
        .unwrap_or_else(|| panic!("no task named {name} in\n{dump}"))
}

/// Spawns an unnamed child and sleeps for an hour.
async fn sleeper() {
    let _child = corun::spawn(pending::<()>());
    corun::sleep(Duration::from_secs(3600)).await;
}

fn two_pending() -> [std::future::Pending<()>; 2] {
    [pending(), pending()]
}

#[test]
fn without_metadata_only_named_tasks_keep_location_parent_and_polls() {
    let _watchdog = watchdog(LIMIT, "dump_without_metadata");
    let rt = corun::Runtime::builder()
        .worker_threads(2)
        .task_metadata(false)
        .build()
        .unwrap();
    rt.block_on(async {
        let (named, line) = (Builder::new().name("sleeper").spawn(sleeper()), line!());
        let dump = dump_until(|dump| {
            dump.get(named.id())
                .is_some_and(|task| task.polls() > Some(0) && dump.tasks().len() == 2)
        })
        .await;
        // The named task keeps everything.
        let kept = dump.get(named.id()).unwrap();
        assert_eq!(kept.location().unwrap().line(), line);
        assert_eq!(kept.polls(), Some(1));
        // Its unnamed child keeps its id and state, nothing else: it is a root.
        let child = dump
            .tasks()
            .iter()
            .find(|task| task.id() != named.id())
            .unwrap();
        assert_eq!(child.name(), None);
        assert_eq!(child.location(), None);
        assert_eq!(child.parent(), None);
        assert_eq!(child.polls(), None);
        assert_eq!(child.since_last_poll(), None);
        assert_eq!(child.state(), TaskState::Idle);
        assert!(dump.roots().any(|root| root.id() == child.id()));
        let printed = dump.to_string();
        assert!(
            printed.contains(&format!("#{} idle\n", child.id())),
            "{printed}"
        );

        // Its id is the one its handle and the task itself see.
        let inner = corun::spawn(async { corun::task::id() });
        let id = inner.id();
        assert_eq!(inner.await.unwrap(), Some(id));
        named.abort();
        assert!(named.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn a_task_knows_its_name_location_state_and_parent() {
    let _watchdog = watchdog(LIMIT, "dump_basics");
    corun::run(async {
        let (handle, line) = (Builder::new().name("sleeper").spawn(sleeper()), line!());
        let dump = dump_until(|dump| {
            dump.get(handle.id())
                .is_some_and(|task| task.polls() > Some(0) && dump.children(task.id()).count() == 1)
        })
        .await;
        let sleeper = dump.get(handle.id()).unwrap();
        assert_eq!(sleeper.name(), Some("sleeper"));
        assert_eq!(sleeper.location().unwrap().file(), file!());
        assert_eq!(sleeper.location().unwrap().line(), line);
        assert_eq!(sleeper.parent(), None, "spawned from outside any task");
        assert_eq!(sleeper.state(), TaskState::Idle);
        assert_eq!(sleeper.polls(), Some(1));
        assert!(sleeper.since_last_poll().is_some());
        let child = dump.children(handle.id()).next().unwrap();
        assert_eq!(child.parent(), Some(handle.id()));
        assert_eq!(child.name(), None);
        assert!(dump.roots().any(|root| root.id() == handle.id()));
        assert!(dump.roots().all(|root| root.id() != child.id()));

        handle.abort();
        assert!(handle.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn ids_are_unique_and_the_current_task_sees_its_own() {
    corun::run(async {
        assert_eq!(corun::task::id(), None);
        let handles: Vec<_> = (0..1000)
            .map(|_| corun::spawn(async { corun::task::id().unwrap() }))
            .collect();
        let mut seen = HashSet::new();
        for handle in handles {
            let id = handle.id();
            assert_eq!(handle.abort_handle().id(), id);
            assert_eq!(handle.await.unwrap(), id);
            assert!(seen.insert(id), "{id:?} handed out twice");
        }
    });
}

#[test]
fn a_cancelling_shielded_task_is_reported_as_cancelling() {
    let _watchdog = watchdog(LIMIT, "dump_cancelling");
    corun::run(async {
        let (inside_tx, inside) = futures::channel::oneshot::channel();
        let (finish, finish_rx) = futures::channel::oneshot::channel::<()>();
        let task = corun::spawn(async move {
            corun::shield(async move {
                inside_tx.send(()).unwrap();
                finish_rx.await.unwrap();
            })
            .await;
        });
        inside.await.unwrap();
        task.abort();
        let dump = corun::Handle::current().dump();
        assert_eq!(dump.get(task.id()).unwrap().state(), TaskState::Cancelling);
        finish.send(()).unwrap();
        let id = task.id();
        task.await.unwrap();
        let dump = corun::Handle::current().dump();
        assert!(dump.get(id).is_none(), "a finished task is not in the dump");
    });
}

#[test]
fn the_tree_of_a_group_with_three_children_and_a_nested_gather() {
    let _watchdog = watchdog(LIMIT, "dump_tree");
    corun::run(async {
        let gather_line = Arc::new(std::sync::Mutex::new(0));
        let recorded = gather_line.clone();
        let root = Builder::new().name("root").spawn(async move {
            corun::task_group(|tg| async move {
                for index in 0..3 {
                    let recorded = recorded.clone();
                    tg.builder()
                        .name(format!("child-{index}"))
                        .spawn(async move {
                            if index == 0 {
                                let (gathered, line) = (corun::gather(two_pending()), line!());
                                *recorded.lock().unwrap() = line;
                                gathered.await;
                            }
                            pending::<Result<(), ()>>().await
                        });
                }
                pending::<Result<(), ()>>().await
            })
            .await
        });
        let dump = dump_until(|dump| {
            dump.tasks().len() >= 6
                && dump
                    .tasks()
                    .iter()
                    .filter(|task| task.name() == Some("child-0"))
                    .any(|child| dump.children(child.id()).count() == 2)
        })
        .await;

        let root_info = dump.get(root.id()).unwrap();
        let children: Vec<_> = dump.children(root.id()).collect();
        let names: Vec<_> = children.iter().map(|child| child.name().unwrap()).collect();
        assert_eq!(names, ["child-0", "child-1", "child-2"]);
        let first = named(&dump, "child-0");
        let gathered: Vec<_> = dump.children(first.id()).collect();
        assert_eq!(gathered.len(), 2);
        for task in &gathered {
            assert_eq!(
                task.location().unwrap().line(),
                *gather_line.lock().unwrap()
            );
            assert_eq!(dump.children(task.id()).count(), 0);
        }
        for name in ["child-1", "child-2"] {
            assert_eq!(dump.children(named(&dump, name).id()).count(), 0);
        }

        // The printed tree: the root, its three children, the gather's two under child-0.
        let text = dump.to_string();
        let lines: Vec<&str> = text.lines().collect();
        let at = |prefix: &str, id: Id| format!("{prefix}#{id} ");
        let start = lines
            .iter()
            .position(|line| line.starts_with(&at("", root_info.id())))
            .unwrap_or_else(|| panic!("root missing in\n{text}"));
        let expected = [
            at("", root_info.id()),
            at("├─ ", children[0].id()),
            at("│  ├─ ", gathered[0].id()),
            at("│  └─ ", gathered[1].id()),
            at("├─ ", children[1].id()),
            at("└─ ", children[2].id()),
        ];
        for (offset, prefix) in expected.iter().enumerate() {
            assert!(
                lines[start + offset].starts_with(prefix.as_str()),
                "line {offset} of the tree should start with {prefix:?}:\n{text}"
            );
        }
        assert!(lines[start].contains("\"root\""));
        assert!(lines[start + 1].contains("\"child-0\""));
        root.abort();
        assert!(root.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn a_dump_amid_ten_thousand_spawning_and_finishing_tasks_is_consistent() {
    let _watchdog = watchdog(LIMIT, "dump_concurrent");
    let rt = common::runtime(2);
    let stop = Arc::new(AtomicBool::new(false));
    let storm = rt.spawn(async {
        let mut handles = Vec::with_capacity(10_000);
        for index in 0..10_000u32 {
            let name = format!("storm-{index}");
            handles.push(Builder::new().name(name).spawn(async move {
                if index % 2 == 0 {
                    corun::yield_now().await;
                }
                index
            }));
            if index % 64 == 0 {
                corun::yield_now().await;
            }
        }
        for (index, handle) in handles.into_iter().enumerate() {
            assert_eq!(handle.await.unwrap(), index as u32);
        }
    });
    let dumper = {
        let handle = rt.handle().clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut dumps = 0;
            let mut seen_tasks = 0;
            while !stop.load(SeqCst) || dumps == 0 {
                let dump = handle.dump();
                let tasks = dump.tasks();
                // Each live task once, in id order.
                assert!(tasks.windows(2).all(|pair| pair[0].id() < pair[1].id()));
                for task in tasks {
                    if let Some(name) = task.name() {
                        let index: u32 = name.strip_prefix("storm-").unwrap().parse().unwrap();
                        assert!(index < 10_000);
                        assert!(task.parent().is_some(), "storm tasks have a parent");
                    }
                }
                // Rendering walks every parent link.
                assert!(dump.to_string().lines().count() > tasks.len());
                seen_tasks += tasks.len();
                dumps += 1;
            }
            (dumps, seen_tasks)
        })
    };
    rt.block_on(storm).unwrap();
    stop.store(true, SeqCst);
    let (dumps, seen_tasks) = dumper.join().unwrap();
    assert!(dumps > 0);
    assert!(seen_tasks > 0, "the dumps saw no task at all");
    let after = rt.handle().dump();
    assert!(
        after.tasks().iter().all(|task| task.name().is_none()),
        "finished storm tasks left the dump:\n{after}"
    );
}
