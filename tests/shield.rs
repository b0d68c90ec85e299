//! `shield` and `cancel_requested` through the public API: every source of cancellation
//! (abort, a failing or cancelled group, a race's losers) waits for a shielded section to
//! end and then takes effect; nesting and siblings; what a shield cannot hold back (its own
//! task dropping it, shutdown). Ordering comes from channels, never from timings.
#![allow(clippy::disallowed_types)]

mod common;

use common::{runtime, watchdog, Drops, LIMIT};
use futures::channel::oneshot;
use std::future::pending;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A section that reports it started, then waits to be let go, and reports it ended.
struct Section {
    started: oneshot::Sender<()>,
    finish: oneshot::Receiver<()>,
    ended: oneshot::Sender<()>,
}

/// The test's side of a [`Section`].
struct Control {
    started: oneshot::Receiver<()>,
    finish: oneshot::Sender<()>,
    ended: Ended,
}

/// Says whether the section ran to its end.
struct Ended(oneshot::Receiver<()>);

fn section() -> (Section, Control) {
    let (started_tx, started_rx) = oneshot::channel();
    let (finish_tx, finish_rx) = oneshot::channel();
    let (ended_tx, ended_rx) = oneshot::channel();
    (
        Section {
            started: started_tx,
            finish: finish_rx,
            ended: ended_tx,
        },
        Control {
            started: started_rx,
            finish: finish_tx,
            ended: Ended(ended_rx),
        },
    )
}

impl Section {
    async fn run(self) {
        self.started.send(()).unwrap();
        self.finish.await.unwrap();
        // The test may have stopped listening.
        let _ = self.ended.send(());
    }
}

impl Control {
    async fn wait_started(&mut self) {
        (&mut self.started).await.unwrap();
    }

    /// Lets the section end.
    fn finish(self) -> Ended {
        self.finish.send(()).unwrap();
        self.ended
    }
}

impl Ended {
    /// True if the section ended (not if it was dropped, nor if it is still running).
    fn ran_to_end(&mut self) -> bool {
        matches!(self.0.try_recv(), Ok(Some(())))
    }

    /// Waits for the section to end; false if it was dropped instead.
    async fn wait(&mut self) -> bool {
        (&mut self.0).await.is_ok()
    }
}

#[test]
fn an_abort_waits_for_the_shielded_section_then_cancels() {
    let _watchdog = watchdog(LIMIT, "shield_abort");
    let drops = Drops::new();
    corun::run(async {
        let (section, mut control) = section();
        let guard = drops.counter();
        let saw_cancel = Arc::new(AtomicBool::new(false));
        let after = Arc::new(AtomicBool::new(false));
        let task = corun::spawn({
            let (saw_cancel, after) = (saw_cancel.clone(), after.clone());
            async move {
                let _guard = guard;
                corun::shield(async {
                    section.run().await;
                    saw_cancel.store(corun::task::cancel_requested(), SeqCst);
                })
                .await;
                after.store(true, SeqCst);
                corun::yield_now().await;
                unreachable!("cancelled at the first await after the shield");
            }
        });
        control.wait_started().await;
        task.abort();
        assert!(!task.is_finished());
        let mut ended = control.finish();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(ended.ran_to_end(), "the section ran to its end");
        assert!(
            saw_cancel.load(SeqCst),
            "cancel_requested inside the shield"
        );
        assert!(after.load(SeqCst), "the code up to the next await ran");
    });
    drops.assert_all_dropped_once();
}

#[test]
fn a_task_that_ends_right_after_its_shield_keeps_its_output() {
    corun::run(async {
        let (section, mut control) = section();
        let task = corun::spawn(async move {
            corun::shield(section.run()).await;
            "finished"
        });
        control.wait_started().await;
        task.abort();
        control.finish();
        // No `Pending` after the shield: nowhere for the cancellation to land.
        assert_eq!(task.await.unwrap(), "finished");
    });
}

#[test]
fn a_failing_group_waits_for_a_shielded_sibling_and_counts_it_cancelled() {
    let _watchdog = watchdog(LIMIT, "shield_group");
    corun::run(async {
        let (section, mut control) = section();
        let (fail_tx, fail_rx) = oneshot::channel::<()>();
        let order = Arc::new(Mutex::new(Vec::new()));
        let group = corun::spawn({
            let order = order.clone();
            corun::task_group(move |tg| async move {
                let sibling_order = order.clone();
                tg.spawn(async move {
                    corun::shield(section.run()).await;
                    sibling_order.lock().unwrap().push("cleanup done");
                    pending::<Result<(), &str>>().await
                });
                tg.spawn(async move {
                    fail_rx.await.unwrap();
                    Err::<(), _>("failed")
                });
                pending::<Result<(), &str>>().await
            })
        });
        control.wait_started().await;
        fail_tx.send(()).unwrap();
        // The group cannot return while its sibling is inside the shield.
        for _ in 0..100 {
            corun::yield_now().await;
        }
        assert!(
            !group.is_finished(),
            "the group left a shielded child behind"
        );
        let mut ended = control.finish();
        let error = group.await.unwrap().unwrap_err();
        order.lock().unwrap().push("group returned");
        assert!(ended.ran_to_end());
        assert_eq!(error.errors(), ["failed"]);
        assert_eq!(
            error.cancelled(),
            1,
            "the shielded sibling was still cancelled"
        );
        assert_eq!(*order.lock().unwrap(), ["cleanup done", "group returned"]);
    });
}

#[test]
fn a_cancelled_group_waits_for_shielded_children() {
    corun::run(async {
        let (section, mut control) = section();
        let (cancel_tx, cancel_rx) = oneshot::channel::<()>();
        let group = corun::spawn(corun::task_group(move |tg| async move {
            tg.spawn(async move {
                corun::shield(section.run()).await;
                pending::<Result<(), ()>>().await
            });
            cancel_rx.await.unwrap();
            tg.cancel();
            pending::<Result<(), ()>>().await
        }));
        control.wait_started().await;
        cancel_tx.send(()).unwrap();
        for _ in 0..100 {
            corun::yield_now().await;
        }
        assert!(!group.is_finished());
        control.finish();
        let error = group.await.unwrap().unwrap_err();
        assert!(error.is_cancelled());
        assert_eq!(error.cancelled(), 1);
    });
}

#[test]
fn nested_and_sibling_shields_each_hold_the_cancellation() {
    let _watchdog = watchdog(LIMIT, "shield_nested");
    corun::run(async {
        let (inner, mut inner_control) = section();
        let (sibling, mut sibling_control) = section();
        let (outer_rest_tx, outer_rest_rx) = oneshot::channel::<()>();
        let outer_done = Arc::new(AtomicBool::new(false));
        let task = corun::spawn({
            let outer_done = outer_done.clone();
            async move {
                corun::shield(async {
                    // Two siblings in one join, one of them nested in a second shield.
                    futures::join!(
                        corun::shield(corun::shield(inner.run())),
                        corun::shield(sibling.run())
                    );
                    outer_rest_rx.await.unwrap();
                    outer_done.store(true, SeqCst);
                })
                .await;
                corun::yield_now().await;
                unreachable!();
            }
        });
        inner_control.wait_started().await;
        sibling_control.wait_started().await;
        task.abort();
        assert!(inner_control.finish().wait().await);
        for _ in 0..100 {
            corun::yield_now().await;
        }
        assert!(!task.is_finished(), "the sibling shield still holds it");
        assert!(sibling_control.finish().wait().await);
        for _ in 0..100 {
            corun::yield_now().await;
        }
        assert!(!task.is_finished(), "the outer shield still holds it");
        outer_rest_tx.send(()).unwrap();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(outer_done.load(SeqCst));
    });
}

#[test]
fn a_shielded_race_loser_finishes_its_section_before_the_race_returns() {
    let _watchdog = watchdog(LIMIT, "shield_race");
    corun::run(async {
        let (section, mut control) = section();
        let (win_tx, win_rx) = oneshot::channel::<()>();
        let loser_done = Arc::new(AtomicUsize::new(0));
        type Racer = std::pin::Pin<Box<dyn std::future::Future<Output = &'static str> + Send>>;
        let race = corun::spawn({
            let loser_done = loser_done.clone();
            corun::race([
                Box::pin(async move {
                    corun::shield(section.run()).await;
                    loser_done.fetch_add(1, SeqCst);
                    pending::<()>().await;
                    "loser"
                }) as Racer,
                Box::pin(async move {
                    win_rx.await.unwrap();
                    "winner"
                }),
            ])
        });
        control.wait_started().await;
        win_tx.send(()).unwrap();
        for _ in 0..100 {
            corun::yield_now().await;
        }
        assert!(
            !race.is_finished(),
            "the race returned with a loser inside its shield"
        );
        let mut ended = control.finish();
        assert_eq!(race.await.unwrap(), "winner");
        assert!(ended.ran_to_end());
        assert_eq!(loser_done.load(SeqCst), 1, "cancelled after its section");
    });
}

#[test]
fn a_shielded_section_that_spawns_children_keeps_them_through_an_abort() {
    let _watchdog = watchdog(LIMIT, "shield_children");
    corun::run(async {
        let (section, mut control) = section();
        let (gathered_tx, gathered) = oneshot::channel();
        let task = corun::spawn(async move {
            let results = corun::shield(async move {
                // A gather's children are tasks of their own, owned by the section.
                let children = (1..=3u32).map(|n| async move {
                    corun::sleep(Duration::from_millis(u64::from(n))).await;
                    n * 10
                });
                let spawned = corun::spawn(async {
                    corun::yield_now().await;
                    40
                });
                let (gathered, _) = futures::join!(corun::gather(children), section.run());
                (gathered, spawned.await.unwrap())
            })
            .await;
            gathered_tx.send(results).unwrap();
            corun::yield_now().await;
            unreachable!("cancelled after the section");
        });
        control.wait_started().await;
        task.abort();
        let mut ended = control.finish();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(ended.ran_to_end());
        let (gathered, spawned) = gathered.await.unwrap();
        assert_eq!(
            gathered,
            [10, 20, 30],
            "the section's children were not cancelled"
        );
        assert_eq!(spawned, 40);
    });
}

#[test]
fn a_timeout_around_a_shield_still_drops_it() {
    let _watchdog = watchdog(LIMIT, "shield_timeout");
    let drops = Drops::new();
    corun::run(async {
        let guard = drops.counter();
        let ended = Arc::new(AtomicBool::new(false));
        let shielded = corun::shield({
            let ended = ended.clone();
            async move {
                let _guard = guard;
                pending::<()>().await;
                ended.store(true, SeqCst);
            }
        });
        // The task's own code gives up on the shielded future: a shield holds back
        // cancellation from outside, not the drop of the future it wraps.
        let result = corun::timeout(Duration::from_millis(5), shielded).await;
        assert!(result.is_err());
        assert!(!ended.load(SeqCst));
        assert_eq!(drops.dropped(), 1, "dropped where it waited");
        // And the task is not left shielded: an abort now takes effect.
        let (gave_up_tx, gave_up) = oneshot::channel();
        let task = corun::spawn(async move {
            let _ = corun::timeout(Duration::from_millis(1), corun::shield(pending::<()>())).await;
            gave_up_tx.send(()).unwrap();
            pending::<()>().await
        });
        gave_up.await.unwrap();
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
    });
    drops.assert_all_dropped_once();
}

#[test]
fn a_shield_moved_to_another_task_releases_its_first_task_where_it_ends() {
    let _watchdog = watchdog(LIMIT, "shield_moved");
    corun::run(async {
        let (section, mut control) = section();
        let (hand_tx, hand_rx) = oneshot::channel();
        let first = corun::spawn(async move {
            let mut shielded = Box::pin(corun::shield(section.run()));
            // Poll it once here: this task is the one it shields.
            assert!(futures::poll!(shielded.as_mut()).is_pending());
            hand_tx.send(shielded).ok().unwrap();
            pending::<()>().await
        });
        control.wait_started().await;
        let shielded = hand_rx.await.unwrap();
        first.abort();
        for _ in 0..100 {
            corun::yield_now().await;
        }
        assert!(!first.is_finished(), "shielded by the moved section");
        let second = corun::spawn(shielded);
        let mut ended = control.finish();
        second.await.unwrap();
        assert!(ended.ran_to_end());
        assert!(first.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn shutdown_drops_shielded_tasks() {
    let _watchdog = watchdog(LIMIT, "shield_shutdown");
    let drops = Drops::new();
    let rt = runtime(2);
    let (section, mut control) = section();
    let guard = drops.counter();
    let task = rt.spawn(async move {
        let _guard = guard;
        corun::shield(section.run()).await;
    });
    rt.block_on(control.wait_started());
    drop(rt);
    // Shutdown does not wait for the section: no worker is left to run it.
    drops.assert_all_dropped_once();
    assert!(!control.ended.ran_to_end());
    assert!(futures::executor::block_on(task)
        .unwrap_err()
        .is_cancelled());
}

#[test]
fn a_shielded_task_that_drops_its_own_runtime_is_still_cancelled() {
    let _watchdog = watchdog(LIMIT, "shield_self_shutdown");
    let drops = Drops::new();
    let rt = runtime(2);
    let (rt_tx, rt_rx) = oneshot::channel::<corun::Runtime>();
    let guard = drops.counter();
    let dropper = rt.spawn(async move {
        let _guard = guard;
        corun::shield(async move {
            // The task is running while the runtime shuts down around it: the
            // cancellation lands when this poll returns, shield or not.
            drop(rt_rx.await.unwrap());
            pending::<()>().await
        })
        .await
    });
    rt_tx.send(rt).unwrap();
    drops.wait_dropped(1);
    assert!(futures::executor::block_on(dropper)
        .unwrap_err()
        .is_cancelled());
}

#[test]
fn cancel_requested_is_visible_to_drop_code_of_a_cancelled_task() {
    struct Reports(Arc<AtomicBool>);
    impl Drop for Reports {
        fn drop(&mut self) {
            self.0.store(corun::task::cancel_requested(), SeqCst);
        }
    }
    corun::run(async {
        assert!(!corun::task::cancel_requested(), "no task: false");
        let cancelled = Arc::new(AtomicBool::new(false));
        let reports = Reports(cancelled.clone());
        let task = corun::spawn(async move {
            let _reports = reports;
            pending::<()>().await
        });
        corun::yield_now().await;
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(cancelled.load(SeqCst));

        let finished = Arc::new(AtomicBool::new(true));
        let reports = Reports(finished.clone());
        corun::spawn(async move { drop(reports) }).await.unwrap();
        assert!(!finished.load(SeqCst), "a task that was not cancelled");
    });
}

#[test]
fn a_shield_outside_a_task_just_runs_its_future() {
    let value = corun::run(async { corun::shield(async { 5 }).await });
    assert_eq!(value, 5);
    let value = futures::executor::block_on(corun::shield(async { 6 }));
    assert_eq!(value, 6);
}
