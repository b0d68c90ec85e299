//! Spawning: from inside the runtime (`block_on`, tasks) and from plain threads (`Runtime`
//! and `Handle`), many tasks, nested tasks, cross-thread wakeups, the current-runtime
//! context, the panics that guard misuse, and that tasks really run on several workers.
#![allow(clippy::disallowed_types)]

mod common;

use common::{panic_message, runtime, watchdog, LIMIT};
use corun::{Handle, Runtime};
use futures::channel::{mpsc, oneshot};
use futures::{SinkExt, StreamExt};
use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Barrier};
use std::thread;

#[test]
fn spawn_inside_block_on() {
    let _watchdog = watchdog(LIMIT, "spawn_inside_block_on");
    let rt = runtime(2);
    let value = rt.block_on(async { corun::spawn(async { 21 * 2 }).await.unwrap() });
    assert_eq!(value, 42);
}

#[test]
fn spawn_inside_task() {
    let _watchdog = watchdog(LIMIT, "spawn_inside_task");
    let rt = runtime(2);
    let outer = rt.spawn(async {
        let inner = corun::spawn(async { "inner" });
        let via_handle = Handle::current().spawn(async { "via handle" });
        (inner.await.unwrap(), via_handle.await.unwrap())
    });
    assert_eq!(rt.block_on(outer).unwrap(), ("inner", "via handle"));
}

#[test]
fn spawn_from_plain_threads_via_runtime_and_handle() {
    let _watchdog = watchdog(LIMIT, "spawn_from_plain_threads_via_runtime_and_handle");
    let rt = runtime(2);
    let handle = rt.handle().clone();
    // A cloned handle moved into a thread that lives past the spawn.
    let from_handle = thread::spawn(move || {
        assert!(
            Handle::try_current().is_err(),
            "a plain thread has no runtime"
        );
        handle.spawn(async { thread::current().name().map(str::to_owned) })
    })
    .join()
    .unwrap();
    // The runtime itself, borrowed by scoped threads; each awaits its task from outside
    // the runtime with another executor.
    let from_runtime: Vec<u64> = thread::scope(|scope| {
        let threads: Vec<_> = (0..4u64)
            .map(|i| {
                let rt = &rt;
                scope.spawn(move || futures::executor::block_on(rt.spawn(async move { i * 10 })))
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap().unwrap())
            .collect()
    });
    assert_eq!(from_runtime, vec![0, 10, 20, 30]);
    let name = rt
        .block_on(from_handle)
        .unwrap()
        .expect("workers are named");
    assert!(
        name.starts_with("corun-worker-"),
        "ran on a worker, got {name}"
    );
}

#[test]
fn hundred_thousand_tasks_complete_with_correct_results() {
    let _watchdog = watchdog(
        LIMIT,
        "hundred_thousand_tasks_complete_with_correct_results",
    );
    const N: u64 = 100_000;
    let rt = runtime(2);
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..N).map(|i| corun::spawn(async move { i })).collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, N * (N - 1) / 2);
}

#[test]
fn hundred_thousand_tasks_spawned_from_a_task() {
    let _watchdog = watchdog(LIMIT, "hundred_thousand_tasks_spawned_from_a_task");
    const N: u64 = 100_000;
    let rt = runtime(2);
    // Spawned from a worker: they land in its local queue and must be stolen to spread.
    let spawner = rt.spawn(async {
        let handles: Vec<_> = (0..N).map(|i| corun::spawn(async move { i * 3 })).collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.unwrap();
        }
        sum
    });
    assert_eq!(rt.block_on(spawner).unwrap(), 3 * N * (N - 1) / 2);
}

#[test]
fn nested_spawn() {
    let _watchdog = watchdog(LIMIT, "nested_spawn");
    let rt = runtime(2);
    let value = rt.block_on(async {
        corun::spawn(async {
            let grandchild = corun::spawn(async {
                let great_grandchild = corun::spawn(async { 1 });
                great_grandchild.await.unwrap() + 10
            });
            grandchild.await.unwrap() + 100
        })
        .await
        .unwrap()
            + 1000
    });
    assert_eq!(value, 1111);
}

/// Each task spawns the next and hands its handle back through a channel; the chain is
/// deep, and each link is awaited by a different task than the one that spawned it.
#[test]
fn deep_spawn_chain() {
    let _watchdog = watchdog(LIMIT, "deep_spawn_chain");
    const DEPTH: usize = 1_000;
    fn link(depth: usize, done: mpsc::UnboundedSender<usize>) {
        drop(corun::spawn(async move {
            if depth == DEPTH {
                done.unbounded_send(depth).unwrap();
            } else {
                link(depth + 1, done);
            }
        }));
    }
    let rt = runtime(2);
    let reached = rt.block_on(async {
        let (done, mut reached) = mpsc::unbounded();
        link(1, done);
        reached.next().await
    });
    assert_eq!(reached, Some(DEPTH));
}

#[test]
fn oneshot_sent_from_a_plain_thread_wakes_the_task() {
    let _watchdog = watchdog(LIMIT, "oneshot_sent_from_a_plain_thread_wakes_the_task");
    let rt = runtime(2);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (value_tx, value_rx) = oneshot::channel();
    let task = rt.spawn(async move {
        ready_tx.send(()).unwrap();
        value_rx.await.unwrap()
    });
    let sender = thread::spawn(move || {
        // Most of the time the task is parked on the receiver by now: the wake crosses
        // threads. (If not, the value is simply there at its first poll.)
        ready_rx.recv().unwrap();
        value_tx.send(String::from("from a thread")).unwrap();
    });
    assert_eq!(rt.block_on(task).unwrap(), "from a thread");
    sender.join().unwrap();
}

#[test]
fn bounded_channel_ping_pong_with_a_plain_thread() {
    let _watchdog = watchdog(LIMIT, "bounded_channel_ping_pong_with_a_plain_thread");
    const N: u64 = 2_000;
    let rt = runtime(2);
    // Capacity 0 (one slot per sender): nearly every send and receive waits for the other
    // side, so wakeups cross between the thread and the workers in both directions.
    let (mut to_task, mut from_thread) = mpsc::channel::<u64>(0);
    let (mut to_thread, mut from_task) = mpsc::channel::<u64>(0);
    let echo = rt.spawn(async move {
        let mut sum = 0;
        while let Some(value) = from_thread.next().await {
            sum += value;
            to_thread.send(value * 2).await.unwrap();
        }
        sum
    });
    let thread = thread::spawn(move || {
        futures::executor::block_on(async move {
            let mut sum = 0;
            for i in 0..N {
                to_task.send(i).await.unwrap();
                sum += from_task.next().await.unwrap();
            }
            sum
        })
    });
    let doubled = thread.join().unwrap();
    let sum = rt.block_on(echo).unwrap();
    assert_eq!(sum, N * (N - 1) / 2);
    assert_eq!(doubled, N * (N - 1));
}

#[test]
fn many_tasks_woken_from_a_plain_thread() {
    let _watchdog = watchdog(LIMIT, "many_tasks_woken_from_a_plain_thread");
    const N: usize = 1_000;
    let rt = runtime(2);
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..N).map(|_| oneshot::channel()).unzip();
    let tasks: Vec<_> = receivers
        .into_iter()
        .map(|rx| rt.spawn(async move { rx.await.unwrap() }))
        .collect();
    let thread = thread::spawn(move || {
        for (i, tx) in senders.into_iter().enumerate() {
            tx.send(i).unwrap();
        }
    });
    let results: Vec<usize> = rt.block_on(async {
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        results
    });
    thread.join().unwrap();
    assert_eq!(results, (0..N).collect::<Vec<_>>());
}

#[test]
fn run_returns_the_value() {
    let _watchdog = watchdog(LIMIT, "run_returns_the_value");
    assert_eq!(corun::run(async { 7 }), 7);
    let value = corun::run(async {
        let a = corun::spawn(async { String::from("a") });
        let b = corun::spawn_blocking(|| String::from("b"));
        a.await.unwrap() + &b.await.unwrap()
    });
    assert_eq!(value, "ab");
    // After `run` returns, this thread is outside any runtime again.
    assert!(Handle::try_current().is_err());
}

#[test]
fn current_handle_inside_the_runtime() {
    let _watchdog = watchdog(LIMIT, "current_handle_inside_the_runtime");
    let rt = runtime(2);
    rt.block_on(async {
        assert!(Handle::try_current().is_ok(), "inside block_on");
        let handle = Handle::current();
        assert_eq!(handle.spawn(async { 1 }).await.unwrap(), 1);
        let in_task = corun::spawn(async {
            let handle = Handle::current();
            handle.spawn(async { 2 }).await.unwrap()
        });
        assert_eq!(in_task.await.unwrap(), 2);
        let in_blocking = corun::spawn_blocking(|| Handle::try_current().is_ok());
        assert!(in_blocking.await.unwrap(), "inside a blocking closure");
    });
    assert!(
        Handle::try_current().is_err(),
        "block_on restores the context"
    );
}

#[test]
fn try_current_outside_is_an_error() {
    let _watchdog = watchdog(LIMIT, "try_current_outside_is_an_error");
    let err = Handle::try_current().unwrap_err();
    assert!(err.to_string().contains("runtime"), "{err}");
    let err = thread::spawn(|| Handle::try_current().unwrap_err())
        .join()
        .unwrap();
    assert!(err.to_string().contains("runtime"), "{err}");
}

#[test]
fn enter_makes_the_runtime_current_until_the_guard_drops() {
    let _watchdog = watchdog(
        LIMIT,
        "enter_makes_the_runtime_current_until_the_guard_drops",
    );
    let rt = runtime(1);
    {
        let _guard = rt.enter();
        assert!(Handle::try_current().is_ok());
        let task = corun::spawn(async { 3 });
        assert_eq!(rt.block_on(task).unwrap(), 3);
        // block_on inside `enter` restores the entered runtime, not "none".
        assert!(Handle::try_current().is_ok());
    }
    assert!(Handle::try_current().is_err());
}

/// The name of a worker of the current runtime.
fn current_runtime_name() -> String {
    let task = Handle::current().spawn(async { thread::current().name().unwrap().to_owned() });
    futures::executor::block_on(task).unwrap()
}

#[test]
fn enter_guards_dropped_out_of_order_restore_the_right_runtime() {
    let _watchdog = watchdog(
        LIMIT,
        "enter_guards_dropped_out_of_order_restore_the_right_runtime",
    );
    let first = Runtime::builder().thread_name("first").build().unwrap();
    let second = Runtime::builder().thread_name("second").build().unwrap();
    let first_guard = first.enter();
    let second_guard = second.enter();
    assert!(current_runtime_name().starts_with("second-"));
    // Out of order: the innermost guard still lives, so its runtime stays current.
    drop(first_guard);
    assert!(current_runtime_name().starts_with("second-"));
    drop(second_guard);
    assert!(
        Handle::try_current().is_err(),
        "no guard is left, so no runtime may be current"
    );
    // And in order, nested three deep.
    let a = first.enter();
    let b = second.enter();
    let c = first.enter();
    assert!(current_runtime_name().starts_with("first-"));
    drop(c);
    assert!(current_runtime_name().starts_with("second-"));
    drop(b);
    assert!(current_runtime_name().starts_with("first-"));
    drop(a);
    assert!(Handle::try_current().is_err());
}

#[test]
fn spawn_outside_a_runtime_panics_naming_the_fix() {
    let _watchdog = watchdog(LIMIT, "spawn_outside_a_runtime_panics_naming_the_fix");
    let payload = panic::catch_unwind(|| drop(corun::spawn(async {}))).unwrap_err();
    let message = panic_message(&*payload);
    assert!(message.contains("runtime"), "{message}");
    assert!(
        message.contains("Handle::spawn") || message.contains("Runtime::spawn"),
        "the message should say what to use instead: {message}"
    );

    let payload = panic::catch_unwind(|| drop(corun::spawn_blocking(|| {}))).unwrap_err();
    let message = panic_message(&*payload);
    assert!(message.contains("runtime"), "{message}");

    let payload = panic::catch_unwind(Handle::current).unwrap_err();
    let message = panic_message(&*payload);
    assert!(message.contains("runtime"), "{message}");
}

#[test]
fn block_on_inside_a_task_panics() {
    let _watchdog = watchdog(LIMIT, "block_on_inside_a_task_panics");
    let rt = runtime(1);
    let err = rt.block_on(async {
        corun::spawn(async { Handle::current().block_on(async { 1 }) })
            .await
            .unwrap_err()
    });
    assert!(err.is_panic(), "{err:?}");
    let message = panic_message(&*err.into_panic());
    assert!(message.contains("block_on"), "{message}");
    // The only worker caught the panic and still runs tasks.
    assert_eq!(rt.block_on(rt.spawn(async { 2 })).unwrap(), 2);
}

#[test]
fn block_on_nested_in_block_on_panics() {
    let _watchdog = watchdog(LIMIT, "block_on_nested_in_block_on_panics");
    let rt = runtime(1);
    let handle = rt.handle().clone();
    let result = rt.block_on(async move {
        panic::catch_unwind(AssertUnwindSafe(|| handle.block_on(async { 1 })))
    });
    let message = panic_message(&*result.unwrap_err());
    assert!(message.contains("block_on"), "{message}");
    // The refused nested call left this thread's state intact: block_on works again.
    assert_eq!(rt.block_on(async { 5 }), 5);
    assert!(Handle::try_current().is_err());
}

/// Four tasks meet at a `Barrier(4)` inside their bodies: the barrier opens only if four
/// workers run tasks at the same time.
#[test]
fn four_workers_run_tasks_at_once() {
    let _watchdog = watchdog(LIMIT, "four_workers_run_tasks_at_once");
    let rt = runtime(4);
    let barrier = Arc::new(Barrier::new(4));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let barrier = barrier.clone();
            rt.spawn(async move {
                barrier.wait();
                thread::current().id()
            })
        })
        .collect();
    let ids: BTreeSet<_> = rt.block_on(async {
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(format!("{:?}", task.await.unwrap()));
        }
        ids.into_iter().collect()
    });
    assert_eq!(ids.len(), 4, "four distinct worker threads");
}

/// The same, with the tasks spawned from a worker: they start in that worker's local queue,
/// and the others must be woken to steal them.
#[test]
fn four_workers_run_tasks_at_once_when_spawned_from_a_worker() {
    let _watchdog = watchdog(
        LIMIT,
        "four_workers_run_tasks_at_once_when_spawned_from_a_worker",
    );
    let rt = runtime(4);
    let barrier = Arc::new(Barrier::new(4));
    let spawner = rt.spawn(async move {
        (0..4)
            .map(|_| {
                let barrier = barrier.clone();
                corun::spawn(async move { barrier.wait().is_leader() })
            })
            .collect::<Vec<_>>()
    });
    let leaders = rt.block_on(async {
        let mut leaders = 0;
        for task in spawner.await.unwrap() {
            leaders += usize::from(task.await.unwrap());
        }
        leaders
    });
    assert_eq!(leaders, 1);
}

#[test]
fn tasks_spread_over_named_workers() {
    let _watchdog = watchdog(LIMIT, "tasks_spread_over_named_workers");
    let rt = Runtime::builder()
        .worker_threads(2)
        .thread_name("x")
        .build()
        .unwrap();
    // Two tasks that only finish together: both workers must take one.
    let barrier = Arc::new(Barrier::new(2));
    let meeting: Vec<_> = (0..2)
        .map(|_| {
            let barrier = barrier.clone();
            rt.spawn(async move {
                barrier.wait();
                thread::current().name().unwrap().to_owned()
            })
        })
        .collect();
    // And many more, wherever they run.
    let others: Vec<_> = (0..200)
        .map(|_| rt.spawn(async { thread::current().name().map(str::to_owned) }))
        .collect();
    let (met, other_names) = rt.block_on(async {
        let mut met = BTreeSet::new();
        for task in meeting {
            met.insert(task.await.unwrap());
        }
        let mut names = BTreeSet::new();
        for task in others {
            names.insert(task.await.unwrap().expect("workers are named"));
        }
        (met, names)
    });
    let expected: BTreeSet<String> = ["x-0", "x-1"].into_iter().map(String::from).collect();
    assert_eq!(met, expected);
    assert!(other_names.is_subset(&expected), "{other_names:?}");
}
