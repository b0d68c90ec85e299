//! The paused clock through the public API: `Builder::start_paused`, `corun::time::{pause,
//! resume, advance, now}` and auto-advance on a multi-worker runtime. Tests check order,
//! counts and exact virtual instants, never how long anything took in real time.
#![allow(clippy::disallowed_types)]

mod common;

use common::{watchdog, LIMIT};
use corun::Runtime;
use std::future::{pending, poll_fn, Future};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3_600);

/// A runtime with `workers` workers whose clock starts paused.
fn paused_runtime(workers: usize) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .start_paused(true)
        .build()
        .expect("runtime starts")
}

/// xorshift64: deterministic "random" numbers without a dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Polls `future` once, so that a timer inside it is armed.
async fn poll_once<F: Future + Unpin>(future: &mut F) {
    poll_fn(|cx| {
        let _ = std::pin::Pin::new(&mut *future).poll(cx);
        Poll::Ready(())
    })
    .await;
}

#[test]
fn a_one_hour_sleep_on_two_workers_takes_exactly_one_virtual_hour() {
    let _watchdog = watchdog(LIMIT, "one_hour_sleep");
    let rt = paused_runtime(2);
    rt.block_on(async {
        assert!(corun::time::is_paused());
        let start = corun::time::now();
        let task = corun::spawn(async {
            corun::sleep(HOUR).await;
            corun::time::now()
        });
        let woke = task.await.unwrap();
        assert_eq!(woke - start, HOUR);
        assert_eq!(corun::time::now() - start, HOUR);
        // And from the block_on future itself.
        corun::sleep(HOUR).await;
        assert_eq!(corun::time::now() - start, 2 * HOUR);
    });
}

#[test]
fn deadlines_and_now_agree_exactly() {
    let _watchdog = watchdog(LIMIT, "deadlines_agree");
    let rt = paused_runtime(2);
    rt.block_on(async {
        let start = corun::time::now();
        let sleep = corun::sleep(Duration::from_millis(1_500));
        assert_eq!(sleep.deadline(), start + Duration::from_millis(1_500));
        let timed = corun::timeout(Duration::from_secs(2), pending::<()>());
        assert_eq!(timed.deadline(), start + Duration::from_secs(2));
        let moved = corun::move_on_after(Duration::from_secs(3), pending::<()>());
        assert_eq!(moved.deadline(), start + Duration::from_secs(3));

        sleep.await;
        assert_eq!(corun::time::now(), start + Duration::from_millis(1_500));
        assert_eq!(timed.await, Err(corun::Elapsed::new()));
        assert_eq!(corun::time::now(), start + Duration::from_secs(2));
        assert_eq!(moved.await, None);
        assert_eq!(corun::time::now(), start + Duration::from_secs(3));

        let period = Duration::from_millis(250);
        let mut ticks = corun::interval(period);
        let first = ticks.tick().await;
        assert_eq!(first, start + Duration::from_secs(3));
        for n in 1..=8u32 {
            let tick = ticks.tick().await;
            assert_eq!(tick, first + period * n);
            assert_eq!(corun::time::now(), tick);
        }

        let at = corun::time::now() + HOUR;
        corun::sleep_until(at).await;
        assert_eq!(corun::time::now(), at);
    });
}

#[test]
fn auto_advance_waits_for_a_task_that_keeps_yielding() {
    const ROUNDS: usize = 100_000;
    let _watchdog = watchdog(LIMIT, "waits_for_a_yielding_task");
    let rt = paused_runtime(2);
    let spins = Arc::new(AtomicUsize::new(0));
    let order = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(async {
        let sleeper = {
            let (spins, order) = (spins.clone(), order.clone());
            corun::spawn(async move {
                corun::sleep(Duration::from_millis(1)).await;
                order.lock().unwrap().push(("sleep", spins.load(SeqCst)));
            })
        };
        let spinner = {
            let (spins, order) = (spins.clone(), order.clone());
            corun::spawn(async move {
                for _ in 0..ROUNDS {
                    spins.fetch_add(1, SeqCst);
                    corun::yield_now().await;
                }
                order.lock().unwrap().push(("spin", ROUNDS));
            })
        };
        sleeper.await.unwrap();
        spinner.await.unwrap();
    });
    assert_eq!(
        *order.lock().unwrap(),
        [("spin", ROUNDS), ("sleep", ROUNDS)],
        "the sleep fired while a task could still run"
    );
}

#[test]
fn auto_advance_waits_for_the_block_on_future() {
    const ROUNDS: usize = 100_000;
    let _watchdog = watchdog(LIMIT, "waits_for_block_on");
    let rt = paused_runtime(2);
    let spins = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let sleeper = {
            let spins = spins.clone();
            corun::spawn(async move {
                corun::sleep(Duration::from_millis(1)).await;
                spins.load(SeqCst)
            })
        };
        // The main future keeps running (it yields): time must not move meanwhile.
        for _ in 0..ROUNDS {
            spins.fetch_add(1, SeqCst);
            corun::yield_now().await;
        }
        assert_eq!(sleeper.await.unwrap(), ROUNDS);
    });
}

#[test]
fn auto_advance_waits_for_running_and_queued_blocking_closures() {
    let _watchdog = watchdog(LIMIT, "waits_for_blocking");
    // One blocking thread: the second closure waits in the queue while the first runs.
    let rt = Runtime::builder()
        .worker_threads(2)
        .max_blocking_threads(1)
        .start_paused(true)
        .build()
        .unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(async {
        for name in ["blocking 1", "blocking 2"] {
            let order = order.clone();
            // Handles dropped: a finished closure wakes nobody, and time must still move.
            drop(corun::spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(30));
                order.lock().unwrap().push(name);
            }));
        }
        let order = order.clone();
        corun::spawn(async move {
            corun::sleep(Duration::from_millis(1)).await;
            order.lock().unwrap().push("sleep");
        })
        .await
        .unwrap();
    });
    assert_eq!(
        *order.lock().unwrap(),
        ["blocking 1", "blocking 2", "sleep"],
        "the sleep fired while a blocking closure ran or waited"
    );
}

#[test]
fn a_thousand_random_sleeps_fire_in_deadline_order() {
    let _watchdog = watchdog(LIMIT, "random_sleeps_in_order");
    let rt = paused_runtime(2);
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let fired = Arc::new(Mutex::new(Vec::new()));
    // Spawned from the block_on future, which counts as busy while it runs: from a
    // thread of the test's own, the first sleeps could fire before the last were made.
    let start = rt.block_on(async {
        let start = corun::time::now();
        let tasks: Vec<_> = (0..1_000)
            .map(|_| {
                // Up to an hour, to the nanosecond.
                let delay = Duration::from_nanos(1 + rng.next() % HOUR.as_nanos() as u64);
                let fired = fired.clone();
                corun::spawn(async move {
                    let sleep = corun::sleep(delay);
                    let deadline = sleep.deadline();
                    sleep.await;
                    fired
                        .lock()
                        .unwrap()
                        .push((deadline, corun::time::now(), delay));
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        start
    });
    let fired = fired.lock().unwrap();
    assert_eq!(fired.len(), 1_000);
    for &(deadline, woke, delay) in fired.iter() {
        assert_eq!(
            deadline,
            start + delay,
            "the deadline is now + delay, exactly"
        );
        assert_eq!(woke, deadline, "virtual time stood at the deadline");
    }
    assert!(
        fired.windows(2).all(|pair| pair[0].0 <= pair[1].0),
        "sleeps completed out of deadline order"
    );
}

#[test]
fn advance_fires_exactly_the_timers_that_came_due() {
    let _watchdog = watchdog(LIMIT, "advance_fires_the_due");
    let rt = paused_runtime(2);
    rt.block_on(async {
        let start = corun::time::now();
        let mut sleeps: Vec<_> = (1..=5u64)
            .map(|secs| Box::pin(corun::sleep(Duration::from_secs(secs))))
            .collect();
        for sleep in &mut sleeps {
            poll_once(sleep).await;
        }
        let elapsed = |sleeps: &[std::pin::Pin<Box<corun::Sleep>>]| -> Vec<bool> {
            sleeps.iter().map(|sleep| sleep.is_elapsed()).collect()
        };
        assert_eq!(elapsed(&sleeps), [false; 5]);
        corun::time::advance(Duration::from_millis(2_999));
        assert_eq!(elapsed(&sleeps), [true, true, false, false, false]);
        corun::time::advance(Duration::from_millis(1));
        assert_eq!(elapsed(&sleeps), [true, true, true, false, false]);
        assert_eq!(corun::time::now(), start + Duration::from_secs(3));
    });
}

#[test]
fn advance_wakes_the_sleeping_tasks_and_no_others() {
    let _watchdog = watchdog(LIMIT, "advance_wakes_tasks");
    let rt = paused_runtime(2);
    let woken = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(async {
        let tasks: Vec<_> = (1..=3u64)
            .map(|secs| {
                let woken = woken.clone();
                // Created here, so every deadline is start + secs however late it runs.
                let sleep = corun::sleep(Duration::from_secs(secs));
                corun::spawn(async move {
                    sleep.await;
                    woken.lock().unwrap().push(secs);
                })
            })
            .collect();
        corun::time::advance(Duration::from_secs(2));
        let mut tasks = tasks.into_iter();
        tasks.next().unwrap().await.unwrap();
        tasks.next().unwrap().await.unwrap();
        // Both fired at once, and ran on either worker in either order.
        let mut first_two = woken.lock().unwrap().clone();
        first_two.sort_unstable();
        assert_eq!(first_two, [1, 2]);
        let start = corun::time::now() - Duration::from_secs(2);
        tasks.next().unwrap().await.unwrap();
        assert_eq!(
            woken.lock().unwrap()[2],
            3,
            "the third fired last, on its own"
        );
        assert_eq!(corun::time::now(), start + Duration::from_secs(3));
    });
}

#[test]
fn resume_returns_to_real_time_from_the_virtual_instant() {
    let _watchdog = watchdog(LIMIT, "resume");
    let rt = paused_runtime(2);
    rt.block_on(async {
        corun::time::advance(HOUR);
        let virtual_now = corun::time::now();
        corun::time::resume();
        assert!(!corun::time::is_paused());
        assert!(corun::time::now() >= virtual_now);
        let real_start = Instant::now();
        let sleep = corun::sleep(Duration::from_millis(20));
        assert!(sleep.deadline() >= virtual_now + Duration::from_millis(20));
        sleep.await;
        // Real time passed: no jump to the deadline any more.
        assert!(real_start.elapsed() >= Duration::from_millis(20));
        assert!(corun::time::now() >= virtual_now + Duration::from_millis(20));
        // Pausing again freezes where the clock stands.
        corun::time::pause();
        corun::time::pause(); // a no-op
        let frozen = corun::time::now();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(corun::time::now(), frozen);
    });
}

#[test]
#[should_panic(expected = "the clock is not paused: build the runtime with Builder::start_paused")]
fn advance_on_a_running_clock_panics() {
    let rt = common::runtime(1);
    rt.block_on(async { corun::time::advance(Duration::from_secs(1)) });
}

#[test]
#[should_panic(
    expected = "this runtime's clock cannot be paused: build the runtime with \
                           Builder::start_paused(true)"
)]
fn pause_on_a_runtime_not_built_for_it_panics() {
    let rt = common::runtime(1);
    rt.block_on(async { corun::time::pause() });
}

#[test]
#[should_panic(expected = "corun::time::pause: there is no corun runtime on this thread")]
fn pause_outside_a_runtime_panics() {
    corun::time::pause();
}

#[test]
#[should_panic(expected = "corun::time::now: there is no corun runtime on this thread")]
fn now_outside_a_runtime_panics() {
    let _ = corun::time::now();
}
