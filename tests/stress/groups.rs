//! Scenario 5: task groups whose children succeed, fail or panic at random.
//!
//! A child records what it does in the group's `Log` right before doing it, with no await
//! point between, so once recorded it cannot be cancelled any more: the log is exactly
//! what the group saw. The documented protocol (`src/group/scope.rs`, `handle.rs`) then
//! says precisely what the group returns:
//!
//! - a child panicked: the group resumes the panic of one of them (the first it saw);
//! - else a child or the body failed: `Err(GroupError)` whose errors are exactly the
//!   recorded failures, and the children that neither completed nor failed (cancelled, or
//!   refused at spawn because the group had stopped) are `cancelled()`;
//! - else: `Ok(body's value)`, and every child completed.
//!
//! A `supervisor_group` cancels nobody for a child's failure: only the body's `Err` does.

use crate::common::{runtime, watchdog_with, DropCounter, Drops};
use crate::{yields, Rng, Scale, SeedReport};
use corun::{GroupError, TaskGroup};
use futures::FutureExt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

/// The id the body fails with.
const BODY: usize = usize::MAX;

/// The payload of a planned child panic; the panic hook keeps these quiet.
struct ChildPanic(usize);

#[derive(Clone, Copy, Debug)]
enum Plan {
    Succeed,
    Fail,
    Panic,
}

#[derive(Default, Debug)]
struct Log {
    spawned: usize,
    completed: usize,
    failed: Vec<usize>,
    panicked: Vec<usize>,
}

/// Runs `groups` groups, each in its own task, thousands at once, and checks each result against its
/// log (see the module docs).
pub fn groups_fail(scale: Scale, name: &'static str) {
    const WAVE: usize = 10_000;
    let groups = scale.pick(400, 1_000_000);
    let seed = crate::seed(name);
    let _seed = SeedReport { name, seed };
    quiet_child_panics();
    let (futures_drops, outputs_drops) = (Drops::new(), Drops::new());
    let checked = Arc::new(AtomicUsize::new(0));
    let diagnosis = (futures_drops.clone(), checked.clone());
    let _watchdog = watchdog_with(scale.limit(), name, move || {
        let (futures, checked) = diagnosis;
        format!(
            "seed {seed}: {} of {groups} groups returned; futures dropped {} of {}",
            checked.load(SeqCst),
            futures.dropped(),
            futures.created()
        )
    });
    let rt = runtime(2);
    let mut rng = Rng::new(seed);
    for first in (0..groups).step_by(WAVE) {
        let handles: Vec<_> = (first..groups.min(first + WAVE))
            .map(|_| {
                let group_seed = rng.next_u64();
                let (futures, outputs) = (futures_drops.clone(), outputs_drops.clone());
                let checked = checked.clone();
                let handle = rt.spawn(async move {
                    run_group(Rng::new(group_seed), &futures, &outputs).await;
                    checked.fetch_add(1, SeqCst);
                });
                (group_seed, handle)
            })
            .collect();
        for (group_seed, handle) in handles {
            if let Err(error) = rt.block_on(handle) {
                panic!("the group with seed {group_seed}: {error}");
            }
        }
    }
    drop(rt);
    futures_drops.assert_all_dropped_once();
    outputs_drops.assert_all_dropped_once();
}

async fn run_group(mut rng: Rng, futures_drops: &Drops, outputs_drops: &Drops) {
    let supervisor = rng.one_in(4);
    let failing = !rng.one_in(3);
    let plans: Vec<Plan> = (0..1 + rng.below(8))
        .map(|_| match rng.below(8) {
            0 | 1 if failing => Plan::Fail,
            2 if failing => Plan::Panic,
            _ => Plan::Succeed,
        })
        .collect();
    let body_fails = failing && rng.one_in(8);
    let log = Arc::new(Mutex::new(Log::default()));
    let body = {
        let (log, counter, mut rng) = (log.clone(), futures_drops.counter(), rng.fork());
        let outputs = outputs_drops.clone();
        let children = futures_drops.clone();
        move |tg: TaskGroup<usize>| async move {
            let _counter = counter;
            for (id, plan) in plans.into_iter().enumerate() {
                log.lock().unwrap().spawned += 1;
                let child = child(id, plan, rng.fork(), log.clone(), &children, &outputs);
                drop(tg.spawn(child)); // The group owns its children.
                yields(rng.below(2)).await;
            }
            yields(rng.below(3)).await;
            if body_fails {
                log.lock().unwrap().failed.push(BODY);
                return Err(BODY);
            }
            Ok(BODY)
        }
    };
    let result = if supervisor {
        AssertUnwindSafe(corun::supervisor_group(body))
            .catch_unwind()
            .await
    } else {
        AssertUnwindSafe(corun::task_group(body))
            .catch_unwind()
            .await
    };
    let log = log.lock().unwrap();
    check(result, &log, supervisor);
}

fn child(
    id: usize,
    plan: Plan,
    mut rng: Rng,
    log: Arc<Mutex<Log>>,
    futures_drops: &Drops,
    outputs_drops: &Drops,
) -> impl std::future::Future<Output = Result<DropCounter, usize>> + Send + 'static {
    let (counter, outputs) = (futures_drops.counter(), outputs_drops.clone());
    async move {
        let _counter = counter;
        if rng.one_in(4) {
            corun::sleep(Duration::from_millis(rng.below(3))).await;
        }
        yields(rng.below(4)).await;
        // From here to the end there is no await point: what is logged happens.
        let mut log = log.lock().unwrap();
        match plan {
            Plan::Succeed => {
                log.completed += 1;
                Ok(outputs.counter())
            }
            Plan::Fail => {
                log.failed.push(id);
                Err(id)
            }
            Plan::Panic => {
                log.panicked.push(id);
                drop(log);
                panic::panic_any(ChildPanic(id))
            }
        }
    }
}

type Caught = std::thread::Result<Result<usize, GroupError<usize>>>;

fn check(result: Caught, log: &Log, supervisor: bool) {
    let kind = if supervisor { "supervisor" } else { "task" };
    if !log.panicked.is_empty() {
        let payload = match result {
            Err(payload) => payload,
            Ok(result) => panic!("{kind} group: {log:?} yet no panic: {result:?}"),
        };
        let id = payload
            .downcast_ref::<ChildPanic>()
            .expect("a child's panic")
            .0;
        // The first one the group recorded: two panicking children may log in one order
        // and reach the group in the other.
        assert!(
            log.panicked.contains(&id),
            "{kind} group resumes a child's panic"
        );
        return;
    }
    let result = match result {
        Ok(result) => result,
        Err(_) => panic!("{kind} group: {log:?}, no child panicked, yet the group did"),
    };
    if log.failed.is_empty() {
        assert_eq!(
            result.expect("no failures: Ok"),
            BODY,
            "{kind} group: {log:?}"
        );
        assert_eq!(
            log.completed, log.spawned,
            "{kind} group: every child completed"
        );
        return;
    }
    let error = result.expect_err("a failure: Err");
    let mut errors = error.errors().to_vec();
    errors.sort_unstable();
    let mut failed = log.failed.clone();
    failed.sort_unstable();
    assert_eq!(
        errors, failed,
        "{kind} group: every logged failure, no other"
    );
    assert!(!error.is_cancelled(), "{kind} group: {error:?}");
    let children_failed = failed.iter().filter(|&&id| id != BODY).count();
    assert_eq!(
        log.completed + children_failed + error.cancelled(),
        log.spawned,
        "{kind} group: {log:?}, {error:?}: each child completed, failed or was cancelled"
    );
    if supervisor && !failed.contains(&BODY) {
        assert_eq!(error.cancelled(), 0, "a supervisor cancels nobody: {log:?}");
    }
}

/// Keeps the planned child panics out of the test output; other panics print as before.
fn quiet_child_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<ChildPanic>().is_none() {
                previous(info);
            }
        }));
    });
}
