//! TaskGroup through the public API: failure cancels siblings and the body, the group
//! joins every child, errors come back together, and the corner cases (spawn after
//! failure, nesting, timeout, cancel, supervisor mode, thousands of children and groups).
#![allow(clippy::disallowed_types)]

mod common;

use common::{panic_message, watchdog, Drops, LIMIT};
use corun::{GroupError, TaskGroup};
use futures::FutureExt;
use std::future::pending;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn a_successful_group_returns_the_body_value_and_child_values() {
    let _watchdog = watchdog(LIMIT, "group_ok");
    corun::run(async {
        let (sum, late) = corun::task_group(|tg| async move {
            let a = tg.spawn(async { Ok::<_, String>(20) });
            let b = tg.spawn(async {
                corun::sleep(ms(5)).await;
                Ok(22)
            });
            // A handle awaited in the body, and one kept for after the group.
            let late = tg.spawn(async { Ok("after") });
            Ok((a.await.unwrap() + b.await.unwrap(), late))
        })
        .await
        .unwrap();
        assert_eq!(sum, 42);
        assert!(late.is_finished(), "the group joined every child");
        assert_eq!(late.await.unwrap(), "after");
    });
}

#[test]
fn the_first_failure_cancels_a_sleeping_sibling_promptly() {
    let _watchdog = watchdog(LIMIT, "group_fail");
    let drops = Drops::new();
    corun::run(async {
        let sleeper_deadline = Instant::now() + Duration::from_secs(30);
        let guard = drops.counter();
        let error = corun::task_group(|tg| async move {
            let sleeper = tg.spawn(async move {
                let _guard = guard;
                corun::sleep_until(sleeper_deadline).await;
                Ok(())
            });
            tg.spawn(async {
                corun::sleep(ms(5)).await;
                Err::<(), _>("child failed")
            });
            // The body is cancelled at this await point.
            sleeper.await.ok();
            pending::<Result<(), _>>().await
        })
        .await
        .unwrap_err();
        assert_eq!(error.errors(), ["child failed"]);
        assert_eq!(error.cancelled(), 1);
        assert!(
            Instant::now() < sleeper_deadline,
            "the sibling's sleep was cut short"
        );
        // No child is still running once the group returns.
        drops.assert_all_dropped_once();
    });
}

#[test]
fn every_error_comes_back_first_one_first() {
    // Virtual time: the children fail in deadline order however slow the machine is.
    paused_runtime().block_on(async {
        let error = corun::supervisor_group(|tg| async move {
            for n in [30u64, 10, 20] {
                tg.spawn(async move {
                    corun::sleep(ms(n * 3)).await;
                    Err::<(), _>(n)
                });
            }
            Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(error.errors(), [10, 20, 30]);
        assert_eq!(error.first(), Some(&10));
        assert_eq!(error.into_errors(), vec![10, 20, 30]);
    });
}

#[test]
fn the_body_error_cancels_the_children() {
    let drops = Drops::new();
    corun::run(async {
        let guard = drops.counter();
        let error = corun::task_group(|tg| async move {
            tg.spawn(async move {
                let _guard = guard;
                pending::<Result<(), &str>>().await
            });
            Err::<(), _>("body failed")
        })
        .await
        .unwrap_err();
        assert_eq!(error.into_first(), Some("body failed"));
    });
    drops.assert_all_dropped_once();
}

#[test]
fn a_child_panic_is_resumed_after_the_siblings_are_joined() {
    let _watchdog = watchdog(LIMIT, "group_panic");
    let drops = Drops::new();
    corun::run(async {
        let guard = drops.counter();
        let group = corun::task_group(|tg| async move {
            tg.spawn(async move {
                let _guard = guard;
                pending::<Result<(), ()>>().await
            });
            tg.spawn(async {
                corun::sleep(ms(2)).await;
                panic!("child panicked");
                #[allow(unreachable_code)]
                Ok(())
            });
            Ok::<_, ()>(())
        });
        let payload = AssertUnwindSafe(group).catch_unwind().await.unwrap_err();
        assert_eq!(panic_message(&*payload), "child panicked");
        drops.assert_all_dropped_once();
    });
}

#[test]
fn ten_thousand_children_cancelled_by_one_failure() {
    let _watchdog = watchdog(LIMIT, "group_10k");
    let drops = Drops::new();
    corun::run(async {
        let spawned = drops.clone();
        let error = corun::task_group(|tg| async move {
            for _ in 0..10_000 {
                let guard = spawned.counter();
                tg.spawn(async move {
                    let _guard = guard;
                    pending::<Result<(), &str>>().await
                });
            }
            tg.spawn(async { Err::<(), _>("one failure") });
            Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(error.errors(), ["one failure"]);
        assert_eq!(error.cancelled(), 10_000);
    });
    assert_eq!(drops.created(), 10_000);
    drops.assert_all_dropped_once();
}

/// Spawns a child into its group when dropped, and records what the handle said.
struct SpawnOnDrop {
    tg: TaskGroup<&'static str>,
    started: Arc<AtomicUsize>,
    refused: std::sync::mpsc::Sender<bool>,
}

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let started = self.started.clone();
        let late = self.tg.spawn(async move {
            started.fetch_add(1, SeqCst);
            Ok(())
        });
        let refused = futures::executor::block_on(late).is_err_and(|error| error.is_cancelled());
        self.refused.send(refused).unwrap();
    }
}

#[test]
fn spawning_after_failure_or_after_the_end_never_starts_the_child() {
    corun::run(async {
        let started = Arc::new(AtomicUsize::new(0));
        let (refused_tx, refused_rx) = std::sync::mpsc::channel();
        let mut kept: Option<TaskGroup<&str>> = None;
        let error = corun::task_group(|tg| {
            kept = Some(tg.clone());
            // A sibling that, as the failure cancels it, tries to spawn another child.
            let spawner = SpawnOnDrop {
                tg: tg.clone(),
                started: started.clone(),
                refused: refused_tx,
            };
            async move {
                tg.spawn(async move {
                    let _spawner = spawner;
                    pending::<Result<(), _>>().await
                });
                tg.spawn(async {
                    corun::sleep(ms(5)).await;
                    Err::<(), _>("first")
                });
                Ok(())
            }
        })
        .await
        .unwrap_err();
        assert!(
            refused_rx.recv().unwrap(),
            "the late child reports cancellation"
        );
        assert_eq!(error.errors(), ["first"]);
        assert_eq!(
            error.cancelled(),
            2,
            "the sibling, and the child that never started"
        );

        // After the group returned, its handle spawns nothing.
        let tg = kept.unwrap();
        let after = tg.spawn({
            let started = started.clone();
            async move {
                started.fetch_add(1, SeqCst);
                Ok(())
            }
        });
        assert!(after.await.unwrap_err().is_cancelled());
        assert_eq!(started.load(SeqCst), 0);
    });
}

#[test]
fn children_can_spawn_siblings_and_the_group_waits_for_them() {
    corun::run(async {
        let count = Arc::new(AtomicUsize::new(0));
        let counted = count.clone();
        corun::task_group(|tg| async move {
            let spawner = tg.clone();
            tg.spawn(async move {
                for _ in 0..10 {
                    let counted = counted.clone();
                    spawner.spawn(async move {
                        corun::sleep(ms(5)).await;
                        counted.fetch_add(1, SeqCst);
                        Ok::<_, ()>(())
                    });
                }
                Ok(())
            });
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(count.load(SeqCst), 10);
    });
}

#[test]
fn an_inner_group_failure_fails_the_outer_child() {
    corun::run(async {
        let error = corun::task_group(|outer| async move {
            outer.spawn(async {
                corun::task_group(|inner| async move {
                    inner.spawn(async { Err::<(), _>("inner failure") });
                    Ok(())
                })
                .await
                .map_err(|error: GroupError<&str>| format!("inner group: {error}"))
            });
            Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(
            error.errors(),
            ["inner group: task group failed: inner failure"]
        );
    });
}

#[test]
fn a_group_dropped_under_timeout_cancels_its_children() {
    let _watchdog = watchdog(LIMIT, "group_timeout");
    let drops = Drops::new();
    corun::run(async {
        let spawned = drops.clone();
        let group = corun::task_group(|tg| async move {
            for _ in 0..3 {
                let guard = spawned.counter();
                tg.spawn(async move {
                    let _guard = guard;
                    pending::<Result<(), ()>>().await
                });
            }
            pending::<Result<(), ()>>().await
        });
        assert!(corun::timeout(ms(10), group).await.is_err());
    });
    drops.wait_dropped(3);
    drops.assert_all_dropped_once();
}

#[test]
fn cancel_is_a_clean_exit() {
    corun::run(async {
        // Body still running: an error value that says "cancelled", with no errors.
        let error = corun::task_group(|tg| async move {
            tg.spawn(pending::<Result<(), String>>());
            tg.cancel();
            pending::<Result<(), String>>().await
        })
        .await
        .unwrap_err();
        assert!(error.is_cancelled());
        assert!(error.errors().is_empty());
        assert_eq!(error.cancelled(), 1);
        assert_eq!(
            error.to_string(),
            "task group cancelled; 1 children cancelled"
        );

        // Body finished first: its value.
        let value = corun::task_group(|tg| async move {
            let canceller = tg.clone();
            tg.spawn(async move {
                corun::sleep(ms(5)).await;
                canceller.cancel();
                Ok::<_, ()>(())
            });
            Ok("body value")
        })
        .await;
        assert_eq!(value.unwrap(), "body value");
    });
}

#[test]
fn a_supervisor_does_not_cancel_siblings_on_failure() {
    corun::run(async {
        let error = corun::supervisor_group(|tg| async move {
            let slow = tg.spawn(async {
                corun::sleep(ms(20)).await;
                Ok(5)
            });
            tg.spawn(async { Err::<i32, _>("fast failure") });
            Ok(slow.await.unwrap())
        })
        .await
        .unwrap_err();
        assert_eq!(error.errors(), ["fast failure"]);
        assert_eq!(error.cancelled(), 0);
    });
}

#[test]
fn a_thousand_concurrent_groups() {
    let _watchdog = watchdog(LIMIT, "groups_1000");
    corun::run(async {
        let groups = (0..1_000u64).map(|n| async move {
            corun::task_group(|tg| async move {
                let a = tg.spawn(async move { Ok::<_, ()>(n) });
                let b = tg.spawn(async move {
                    corun::yield_now().await;
                    Ok(n)
                });
                Ok(a.await.unwrap() + b.await.unwrap())
            })
            .await
            .unwrap()
        });
        let sums = corun::gather(groups).await;
        assert!(sums.iter().enumerate().all(|(n, &sum)| sum == 2 * n as u64));
    });
}

#[test]
fn group_error_is_an_error_with_a_source() {
    #[derive(Debug)]
    struct Oops;
    impl std::fmt::Display for Oops {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("oops")
        }
    }
    impl std::error::Error for Oops {}

    corun::run(async {
        let error = corun::task_group(|_tg| async { Err::<(), _>(Oops) })
            .await
            .unwrap_err();
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
        assert_eq!(boxed.to_string(), "task group failed: oops");
        assert_eq!(boxed.source().unwrap().to_string(), "oops");
    });
}

/// On a paused clock, so that the deadline cannot pass before the child is inside its
/// shield (time moves only once nothing can run).
fn paused_runtime() -> corun::Runtime {
    corun::Runtime::builder()
        .worker_threads(2)
        .start_paused(true)
        .build()
        .unwrap()
}

#[test]
fn a_group_deadline_cancels_and_still_joins_a_shielded_child() {
    let _watchdog = watchdog(LIMIT, "group_deadline");
    let rt = paused_runtime();
    rt.block_on(async {
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (finish_tx, finish_rx) = futures::channel::oneshot::channel::<()>();
        let child_order = order.clone();
        let group = corun::spawn(
            corun::task_group(move |tg| async move {
                tg.spawn(async move {
                    corun::shield(async move {
                        finish_rx.await.unwrap();
                        child_order.lock().unwrap().push("shielded section ended");
                    })
                    .await;
                    pending::<Result<(), ()>>().await
                });
                pending::<Result<(), ()>>().await
            })
            .cancel_after(ms(5)),
        );
        // Well past the deadline (virtual time), the group still waits for the section.
        corun::sleep(ms(20)).await;
        assert!(!group.is_finished());
        finish_tx.send(()).unwrap();
        let error = group.await.unwrap().unwrap_err();
        order.lock().unwrap().push("group returned");
        assert!(error.is_cancelled());
        assert_eq!(error.cancelled(), 1);
        assert_eq!(
            *order.lock().unwrap(),
            ["shielded section ended", "group returned"]
        );
    });
}

#[test]
fn a_timeout_around_a_group_returns_without_waiting_for_a_shielded_child() {
    let _watchdog = watchdog(LIMIT, "group_timeout_shield");
    let rt = paused_runtime();
    rt.block_on(async {
        let (finish_tx, finish_rx) = futures::channel::oneshot::channel::<()>();
        let (ended_tx, ended_rx) = futures::channel::oneshot::channel::<()>();
        let timed = corun::timeout(
            ms(5),
            corun::task_group(move |tg| async move {
                tg.spawn(async move {
                    corun::shield(async move {
                        finish_rx.await.unwrap();
                        ended_tx.send(()).unwrap();
                    })
                    .await;
                    Ok::<_, ()>(())
                });
                pending::<Result<(), ()>>().await
            }),
        )
        .await;
        // The timeout dropped the group's future: the child was cancelled, not joined,
        // and its shielded section is still running.
        assert!(timed.is_err());
        finish_tx.send(()).unwrap();
        ended_rx.await.unwrap();
    });
}

#[test]
fn a_group_that_ends_before_its_deadline_returns_its_value() {
    corun::run(async {
        let value = corun::task_group(|tg| async move {
            let child = tg.spawn(async { Ok::<_, ()>(2) });
            Ok(child.await.unwrap() * 21)
        })
        .cancel_at(Instant::now() + Duration::from_secs(3600))
        .await
        .unwrap();
        assert_eq!(value, 42);
    });
}
