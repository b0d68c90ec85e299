//! The timer through the public API: sleep, timeout and interval. Tests check order and
//! lower bounds only ("never early", "after the other one"), never an upper bound on time.
#![allow(clippy::disallowed_types)]

mod common;

use common::{runtime, watchdog, Drops, LIMIT};
use corun::MissedTickBehavior;
use futures::channel::oneshot;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Polls `future` once with a no-op waker.
fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(std::task::Waker::noop()))
}

#[test]
fn many_random_deadlines_all_fire_and_none_early() {
    let _watchdog = watchdog(LIMIT, "random_deadlines");
    let rt = runtime(2);
    let handles: Vec<_> = (0..2_000u64)
        .map(|i| {
            // A deterministic spread over 1..=300 ms.
            let delay = ms(1 + (i * 7_919) % 300);
            rt.spawn(async move {
                let deadline = Instant::now() + delay;
                corun::sleep_until(deadline).await;
                Instant::now() >= deadline
            })
        })
        .collect();
    rt.block_on(async {
        for handle in handles {
            assert!(
                handle.await.unwrap(),
                "a sleep completed before its deadline"
            );
        }
    });
}

#[test]
fn the_seed_runs_concurrently_and_the_short_task_finishes_first() {
    let _watchdog = watchdog(
        LIMIT,
        "the_seed_runs_concurrently_and_the_short_task_finishes_first",
    );
    corun::run(async {
        let start = Instant::now();
        let finished = Arc::new(AtomicUsize::new(0));
        let order = |finished: Arc<AtomicUsize>, delay| async move {
            corun::sleep(delay).await;
            finished.fetch_add(1, SeqCst)
        };
        let long = corun::spawn(order(finished.clone(), ms(300)));
        let short = corun::spawn(order(finished.clone(), ms(100)));
        assert_eq!(long.await.unwrap(), 1, "the 300 ms task finishes second");
        assert_eq!(short.await.unwrap(), 0, "the 100 ms task finishes first");
        assert!(start.elapsed() >= ms(300));
    });
}

#[test]
fn reset_moves_the_deadline_earlier_and_later() {
    let _watchdog = watchdog(LIMIT, "reset_moves_the_deadline_earlier_and_later");
    corun::run(async {
        let mut sleep = pin!(corun::sleep(Duration::from_secs(3_600)));
        assert!(poll_once(&mut sleep.as_mut()).is_pending(), "registers");
        let sooner = Instant::now() + ms(10);
        sleep.as_mut().reset(sooner);
        assert_eq!(sleep.deadline(), sooner);
        sleep.as_mut().await;
        assert!(Instant::now() >= sooner);
        assert!(sleep.is_elapsed());

        // Later, after it completed: it re-arms.
        let later = Instant::now() + ms(30);
        sleep.as_mut().reset(later);
        assert!(!sleep.is_elapsed());
        assert_eq!(sleep.deadline(), later);
        sleep.as_mut().await;
        assert!(Instant::now() >= later);

        // Later while registered.
        let mut sleep = pin!(corun::sleep(ms(5)));
        assert!(poll_once(&mut sleep.as_mut()).is_pending());
        let later = Instant::now() + ms(40);
        sleep.as_mut().reset(later);
        sleep.as_mut().await;
        assert!(
            Instant::now() >= later,
            "the old, earlier deadline did not fire it"
        );
    });
}

#[test]
fn deadline_is_exactly_the_instant_asked_for() {
    let _watchdog = watchdog(LIMIT, "deadline_is_exactly_the_instant_asked_for");
    corun::run(async {
        let deadline = Instant::now() + Duration::from_micros(1_234_567);
        assert_eq!(corun::sleep_until(deadline).deadline(), deadline);
        let past = Instant::now() - ms(10).min(Instant::now().elapsed());
        let sleep = corun::sleep_until(past);
        assert_eq!(sleep.deadline(), past);
        sleep.await;
    });
}

#[test]
fn timeout_ready_elapsed_and_dropped() {
    let _watchdog = watchdog(LIMIT, "timeout_ready_elapsed_and_dropped");
    corun::run(async {
        // Ready: the inner future is polled first, even with a zero timeout.
        assert_eq!(corun::timeout(Duration::ZERO, async { 5 }).await, Ok(5));

        // Elapsed: the inner future is dropped, the error says what happened.
        let drops = Drops::new();
        let guard = drops.counter();
        let (_keep, never) = oneshot::channel::<()>();
        let start = Instant::now();
        let result = corun::timeout(ms(20), async move {
            let _guard = guard;
            never.await
        })
        .await;
        let error = result.unwrap_err();
        assert_eq!(error.to_string(), "deadline has elapsed");
        assert!(start.elapsed() >= ms(20));
        drops.assert_all_dropped_once();

        // Dropped before the deadline: its entry is cancelled and nothing fires later.
        let mut pending = Box::pin(corun::timeout(ms(10), std::future::pending::<()>()));
        assert!(poll_once(&mut pending).is_pending());
        drop(pending);
        corun::sleep(ms(20)).await;
    });
}

#[test]
fn move_on_returns_the_output_or_none_and_drops_the_work() {
    let _watchdog = watchdog(
        LIMIT,
        "move_on_returns_the_output_or_none_and_drops_the_work",
    );
    corun::run(async {
        // Ready work is polled first, even with no time at all.
        assert_eq!(
            corun::move_on_after(Duration::ZERO, async { 5 }).await,
            Some(5)
        );
        assert_eq!(
            corun::move_on_after(Duration::MAX, async { 6 }).await,
            Some(6)
        );

        // Out of time: `None`, the work dropped where it waited, never before the deadline.
        let drops = Drops::new();
        let guard = drops.counter();
        let (_keep, never) = oneshot::channel::<()>();
        let deadline = Instant::now() + ms(20);
        let result = corun::move_on_at(deadline, async move {
            let _guard = guard;
            never.await
        })
        .await;
        assert_eq!(result, None);
        assert!(Instant::now() >= deadline);
        drops.assert_all_dropped_once();
    });
}

#[test]
fn duration_max_does_not_overflow() {
    let _watchdog = watchdog(LIMIT, "duration_max_does_not_overflow");
    corun::run(async {
        let mut sleep = corun::sleep(Duration::MAX);
        assert!(sleep.deadline() > Instant::now() + Duration::from_secs(86_400 * 365 * 29));
        assert!(poll_once(&mut sleep).is_pending());
        assert!(!sleep.is_elapsed());
        drop(sleep);
        assert_eq!(corun::timeout(Duration::MAX, async { 1 }).await, Ok(1));
        let mut ticks = corun::interval(Duration::MAX);
        let first = ticks.tick().await;
        assert!(poll_once(&mut Box::pin(ticks.tick())).is_pending());
        assert!(first <= Instant::now());
    });
}

#[test]
fn interval_first_tick_is_immediate_and_ticks_follow_the_schedule() {
    let _watchdog = watchdog(
        LIMIT,
        "interval_first_tick_is_immediate_and_ticks_follow_the_schedule",
    );
    corun::run(async {
        let start = Instant::now();
        let mut ticks = corun::interval_at(start, ms(10));
        for n in 0..5 {
            let tick = ticks.tick().await;
            assert_eq!(tick, start + ms(10) * n);
            assert!(Instant::now() >= tick);
        }
    });
}

/// Lets an interval fall `late` behind its schedule by blocking its worker thread.
async fn fall_behind(late: Duration) {
    corun::spawn_blocking(move || std::thread::sleep(late))
        .await
        .unwrap();
}

#[test]
fn interval_burst_fires_missed_ticks_back_to_back() {
    let _watchdog = watchdog(LIMIT, "interval_burst_fires_missed_ticks_back_to_back");
    corun::run(async {
        let period = ms(20);
        let mut ticks = corun::interval(period);
        let start = ticks.tick().await;
        fall_behind(period * 3 + period / 2).await;
        // Every missed tick comes, each with its scheduled instant.
        for n in 1..=4 {
            assert_eq!(ticks.tick().await, start + period * n);
        }
    });
}

#[test]
fn interval_delay_restarts_the_schedule_from_the_late_tick() {
    let _watchdog = watchdog(
        LIMIT,
        "interval_delay_restarts_the_schedule_from_the_late_tick",
    );
    corun::run(async {
        let period = ms(20);
        let mut ticks = corun::interval(period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let start = ticks.tick().await;
        fall_behind(period * 3 + period / 2).await;
        let late = ticks.tick().await;
        assert_eq!(
            late,
            start + period,
            "the late tick reports its scheduled instant"
        );
        let next = ticks.tick().await;
        // The late tick was taken at least 3.5 periods in; Delay schedules the next one a
        // full period after that (Burst would say start + 2p, Skip start + 4p).
        assert!(
            next >= start + period * 9 / 2,
            "a full period after the late tick"
        );
    });
}

#[test]
fn interval_skip_jumps_to_the_next_multiple_of_the_period() {
    let _watchdog = watchdog(
        LIMIT,
        "interval_skip_jumps_to_the_next_multiple_of_the_period",
    );
    corun::run(async {
        let period = ms(20);
        let mut ticks = corun::interval(period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let start = ticks.tick().await;
        fall_behind(period * 3 + period / 2).await;
        assert_eq!(ticks.tick().await, start + period);
        let next = ticks.tick().await;
        let offset = next - start;
        assert_eq!(
            offset.as_nanos() % period.as_nanos(),
            0,
            "stays on the schedule"
        );
        assert!(offset >= period * 4, "skipped the ticks it missed");
    });
}

#[test]
#[should_panic(expected = "interval period must be non-zero")]
fn interval_with_a_zero_period_panics() {
    corun::run(async {
        let _ = corun::interval(Duration::ZERO);
    });
}

#[test]
fn timers_outside_a_runtime_panic_with_the_fix() {
    let _watchdog = watchdog(LIMIT, "timers_outside_a_runtime_panic_with_the_fix");
    let message = catch_unwind(|| corun::sleep(ms(1))).unwrap_err();
    let message = message
        .downcast_ref::<String>()
        .expect("a formatted message");
    assert!(message.contains("no corun runtime"), "{message}");
    assert!(message.contains("corun::run"), "{message}");
}

#[test]
fn shutdown_drops_every_sleeping_task_once() {
    let _watchdog = watchdog(LIMIT, "timer_shutdown");
    let drops = Drops::new();
    let rt = runtime(2);
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let handles: Vec<_> = (0..1_000)
        .map(|i| {
            let guard = drops.counter();
            let started = started_tx.clone();
            rt.spawn(async move {
                let _guard = guard;
                let sleep = corun::sleep(Duration::from_secs(3_600 + i));
                started.send(()).unwrap();
                sleep.await;
            })
        })
        .collect();
    for _ in 0..1_000 {
        started_rx.recv().unwrap();
    }
    drop(rt);
    assert_eq!(drops.created(), 1_000);
    drops.assert_all_dropped_once();
    for handle in handles {
        let error = futures::executor::block_on(handle).unwrap_err();
        assert!(error.is_cancelled());
    }
}

#[test]
fn a_sleep_polled_after_its_runtime_is_gone_panics_clearly() {
    let _watchdog = watchdog(
        LIMIT,
        "a_sleep_polled_after_its_runtime_is_gone_panics_clearly",
    );
    let rt = runtime(1);
    // The sleep is handed out unawaited on purpose: it outlives its runtime.
    #[allow(clippy::async_yields_async)]
    let mut sleep = rt.block_on(async {
        let mut sleep = corun::sleep(Duration::from_secs(60));
        assert!(
            poll_once(&mut sleep).is_pending(),
            "registered with the timer"
        );
        sleep
    });
    drop(rt);
    let panic = catch_unwind(AssertUnwindSafe(|| poll_once(&mut sleep))).unwrap_err();
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert!(message.contains("has shut down"), "{message}");
    drop(sleep); // and dropping it afterwards is fine
}

#[test]
fn timers_fire_on_a_busy_runtime() {
    let _watchdog = watchdog(LIMIT, "busy_runtime");
    // Both workers stay busy with yield loops until the sleeper wakes: the timer is
    // fired by workers between tasks, not only by parked ones.
    let rt = runtime(2);
    rt.block_on(async {
        let done = Arc::new(AtomicUsize::new(0));
        let spinners: Vec<_> = (0..4)
            .map(|_| {
                let done = done.clone();
                corun::spawn(async move {
                    while done.load(SeqCst) == 0 {
                        corun::yield_now().await;
                    }
                })
            })
            .collect();
        let start = Instant::now();
        corun::spawn(async move {
            corun::sleep(ms(20)).await;
            done.store(1, SeqCst);
        })
        .await
        .unwrap();
        assert!(start.elapsed() >= ms(20));
        for spinner in spinners {
            spinner.await.unwrap();
        }
    });
}

#[test]
fn timer_types_are_send_sync_and_static() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<corun::Sleep>();
    assert_send_sync::<corun::Elapsed>();
    assert_send_sync::<corun::Interval>();
    assert_send_sync::<corun::Timeout<std::future::Ready<u8>>>();
}
