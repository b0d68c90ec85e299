//! Responsiveness under load, checked by mechanism, not by the clock: while every worker
//! runs tasks that spin ~50 µs and then yield (or wake themselves), work from outside and
//! due timers are served before any of those tasks has taken more than a few steps; a
//! driving worker that runs a long task hands the timers over; and a task that loops over
//! always-ready corun futures still lets its siblings run. Steps are counted; the only
//! clock here is the spinning itself (the load's CPU work), never an assertion.
#![allow(clippy::disallowed_types)]

mod common;

use common::{runtime, watchdog, LIMIT};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Busy-waits ~50 µs: one step of the load.
fn spin() {
    let start = Instant::now();
    while start.elapsed() < Duration::from_micros(50) {
        std::hint::spin_loop();
    }
}

/// The most steps any load task may take between the wake (or the deadline) and the
/// probe's poll. A check every 50 µs of work lets each of the four tasks on a worker take
/// one or two; a fixed 61-tick interval lets them take up to 15.
const MAX_STEPS_BEHIND: usize = 4;
/// Probes per test. The operating system may stop a worker thread at any moment (the
/// machine is shared), so a few probes may be late through no fault of the runtime: at
/// least [`ON_TIME`] of them must meet the bound.
const PROBES: usize = 20;
const ON_TIME: usize = 16;

/// Asserts that enough probes were served within [`MAX_STEPS_BEHIND`] steps.
fn assert_served(what: &str, behind: &mut [usize]) {
    behind.sort_unstable();
    let on_time = behind.iter().filter(|&&n| n <= MAX_STEPS_BEHIND).count();
    assert!(
        on_time >= ON_TIME,
        "{what}: only {on_time} of {PROBES} probes were served within {MAX_STEPS_BEHIND} \
         steps of the load (steps behind, sorted: {behind:?})"
    );
}
/// The tests here each keep two workers spinning: run them one at a time, so that they
/// measure the runtime and not the machine's oversubscription.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Load tasks per worker.
const LOADERS_PER_WORKER: usize = 4;
/// Steps every load task takes before the probe starts, so the workers are in their steady
/// state (a time budget needs a few windows to learn the length of the polls).
const WARM_UP_STEPS: usize = 20;

#[derive(Clone, Copy)]
enum Load {
    Yield,
    SelfWake,
}

/// The load: counters of the steps each task has taken, and the flag that stops them.
struct Loaders {
    steps: Vec<Arc<AtomicUsize>>,
    stop: Arc<AtomicBool>,
}

impl Loaders {
    fn start(rt: &corun::Runtime, workers: usize, load: Load) -> Loaders {
        let stop = Arc::new(AtomicBool::new(false));
        let steps: Vec<_> = (0..workers * LOADERS_PER_WORKER)
            .map(|_| Arc::new(AtomicUsize::new(0)))
            .collect();
        for counter in &steps {
            let (counter, stop) = (counter.clone(), stop.clone());
            match load {
                Load::Yield => drop(rt.spawn(async move {
                    while !stop.load(SeqCst) {
                        spin();
                        counter.fetch_add(1, SeqCst);
                        corun::yield_now().await;
                    }
                })),
                Load::SelfWake => drop(rt.spawn(SelfWaking { counter, stop })),
            }
        }
        let loaders = Loaders { steps, stop };
        while loaders.snapshot().iter().any(|&n| n < WARM_UP_STEPS) {
            std::thread::yield_now();
        }
        loaders
    }

    fn snapshot(&self) -> Vec<usize> {
        self.steps.iter().map(|c| c.load(SeqCst)).collect()
    }

    /// The most steps any task took since `before`.
    fn most_steps_since(&self, before: &[usize]) -> usize {
        self.snapshot()
            .iter()
            .zip(before)
            .map(|(now, then)| now - then)
            .max()
            .unwrap_or(0)
    }
}

impl Drop for Loaders {
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
    }
}

/// Spins a step, wakes itself while running, returns `Pending`: a task that is always
/// woken during its own poll (a hot channel).
struct SelfWaking {
    counter: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Future for SelfWaking {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.stop.load(SeqCst) {
            return Poll::Ready(());
        }
        spin();
        self.counter.fetch_add(1, SeqCst);
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A task woken from a plain thread while both workers are busy is polled before any load
/// task has taken more than a few steps.
fn wake_from_outside_under(load: Load) {
    let _alone = one_at_a_time();
    let workers = 2;
    let rt = runtime(workers);
    let loaders = Arc::new(Loaders::start(&rt, workers, load));
    let mut behind = Vec::new();
    for _ in 0..PROBES {
        let (wake_tx, mut wake_rx) = futures::channel::mpsc::unbounded::<Vec<usize>>();
        let watching = loaders.clone();
        let probe = rt.spawn(async move {
            use futures::StreamExt;
            let before = wake_rx.next().await.expect("the thread sends");
            // Counted at the poll itself, not when the test thread gets to it.
            watching.most_steps_since(&before)
        });
        // Wake it from this (plain) thread: whether the probe has parked on its channel by
        // then or not, it reaches a worker through the injector.
        wake_tx.unbounded_send(loaders.snapshot()).unwrap();
        behind.push(futures::executor::block_on(probe).unwrap());
    }
    assert_served("a task woken from outside", &mut behind);
}

#[test]
fn a_wake_from_outside_is_served_under_yield_loops() {
    let _watchdog = watchdog(LIMIT, "a_wake_from_outside_is_served_under_yield_loops");
    wake_from_outside_under(Load::Yield);
}

#[test]
fn a_wake_from_outside_is_served_under_self_waking_loops() {
    let _watchdog = watchdog(
        LIMIT,
        "a_wake_from_outside_is_served_under_self_waking_loops",
    );
    wake_from_outside_under(Load::SelfWake);
}

/// Timers fire while every worker is busy: a sleeper is woken before any load task has
/// taken more than a few steps past its deadline.
#[test]
fn timers_fire_while_every_worker_is_busy() {
    let _watchdog = watchdog(LIMIT, "timers_fire_while_every_worker_is_busy");
    let _alone = one_at_a_time();
    let workers = 2;
    let rt = runtime(workers);
    let loaders = Arc::new(Loaders::start(&rt, workers, Load::Yield));
    let mut behind = Vec::new();
    for _ in 0..PROBES {
        let watching = loaders.clone();
        let late = rt
            .block_on(rt.spawn(async move {
                let deadline = Instant::now() + Duration::from_millis(1);
                let mut sleep = std::pin::pin!(corun::sleep_until(deadline));
                // Register, then note the steps as the deadline passes.
                assert!(futures::poll!(sleep.as_mut()).is_pending());
                while Instant::now() < deadline {
                    std::hint::spin_loop();
                }
                let at_deadline = watching.snapshot();
                sleep.await;
                watching.most_steps_since(&at_deadline)
            }))
            .unwrap();
        behind.push(late);
    }
    assert_served("a sleeper past its deadline", &mut behind);
}

/// The driving worker wakes for a timer and runs a task that does not yield until another
/// timer fires. The other worker, parked without a timeout while the first one drove, must
/// take the driving role over; if nobody drove, the second timer would never fire.
#[test]
fn a_driver_that_runs_a_long_task_hands_the_timers_over() {
    let _watchdog = watchdog(
        LIMIT,
        "a_driver_that_runs_a_long_task_hands_the_timers_over",
    );
    let rt = runtime(2);
    let released = Arc::new(AtomicBool::new(false));
    let long = rt.spawn({
        let released = released.clone();
        async move {
            corun::sleep(Duration::from_millis(5)).await;
            // Holds this worker until the other timer's task says so.
            while !released.load(SeqCst) {
                std::hint::spin_loop();
            }
        }
    });
    let releaser = rt.spawn(async move {
        corun::sleep(Duration::from_millis(20)).await;
        released.store(true, SeqCst);
    });
    rt.block_on(async {
        releaser.await.unwrap();
        long.await.unwrap();
    });
}

/// On a one-worker runtime: `handles` finished tasks, and a sibling spawned after them (so
/// queued behind the looping task). Returns whether the sibling ran while `looping`
/// awaited every handle, one after the other.
fn sibling_runs_during<F, Fut>(looping: F) -> bool
where
    F: FnOnce(Vec<corun::JoinHandle<()>>, Arc<AtomicBool>) -> Fut + Send + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let rt = runtime(1);
    rt.block_on(rt.spawn(async move {
        let handles: Vec<_> = (0..10_000).map(|_| corun::spawn(async {})).collect();
        // Let every one of them finish first: each yield lets the queue drain.
        while !handles.iter().all(corun::JoinHandle::is_finished) {
            corun::yield_now().await;
        }
        let sibling_ran = Arc::new(AtomicBool::new(false));
        let sibling = corun::spawn({
            let ran = sibling_ran.clone();
            async move { ran.store(true, SeqCst) }
        });
        let ran_during = looping(handles, sibling_ran).await;
        sibling.await.unwrap();
        ran_during
    }))
    .unwrap()
}

#[test]
fn a_loop_over_finished_handles_lets_a_sibling_run() {
    let _watchdog = watchdog(LIMIT, "a_loop_over_finished_handles_lets_a_sibling_run");
    let ran = sibling_runs_during(|handles, sibling_ran| async move {
        for handle in handles {
            handle.await.unwrap();
        }
        sibling_ran.load(SeqCst)
    });
    assert!(
        ran,
        "the loop kept the only worker for all 10 000 ready handles"
    );
}

#[test]
fn a_loop_over_an_elapsed_sleep_lets_a_sibling_run() {
    let _watchdog = watchdog(LIMIT, "a_loop_over_an_elapsed_sleep_lets_a_sibling_run");
    let ran = sibling_runs_during(|_handles, sibling_ran| async move {
        let mut sleep = std::pin::pin!(corun::sleep(Duration::ZERO));
        for _ in 0..10_000 {
            sleep.as_mut().await;
        }
        sibling_ran.load(SeqCst)
    });
    assert!(ran, "the loop kept the only worker for 10 000 ready sleeps");
}

#[test]
fn unconstrained_opts_out_of_the_budget() {
    let _watchdog = watchdog(LIMIT, "unconstrained_opts_out_of_the_budget");
    let ran = sibling_runs_during(|handles, sibling_ran| {
        corun::task::unconstrained(async move {
            for handle in handles {
                handle.await.unwrap();
            }
            sibling_ran.load(SeqCst)
        })
    });
    assert!(!ran, "the sibling ran inside an unconstrained loop");
}

/// A task woken into its worker's LIFO slot by a task that then runs for a long time (here:
/// until the woken task has run) must not wait behind it while the other worker is idle.
#[test]
fn a_task_woken_into_the_lifo_slot_is_not_stranded_behind_a_long_poll() {
    let _watchdog = watchdog(
        LIMIT,
        "a_task_woken_into_the_lifo_slot_is_not_stranded_behind_a_long_poll",
    );
    let _alone = one_at_a_time();
    let rt = runtime(2);
    for _ in 0..10 {
        rt.block_on(rt.spawn(async {
            let (tx, rx) = futures::channel::oneshot::channel::<()>();
            let started = Arc::new(AtomicBool::new(false));
            let ran = Arc::new(AtomicBool::new(false));
            let woken = corun::spawn({
                let (started, ran) = (started.clone(), ran.clone());
                async move {
                    started.store(true, SeqCst);
                    rx.await.unwrap();
                    ran.store(true, SeqCst);
                }
            });
            while !started.load(SeqCst) {
                corun::yield_now().await;
            }
            // Woken from this task's poll: into this worker's LIFO slot. This poll then
            // does not return until the woken task has run elsewhere.
            tx.send(()).unwrap();
            while !ran.load(SeqCst) {
                std::hint::spin_loop();
            }
            woken.await.unwrap();
        }))
        .unwrap();
    }
}

/// Tasks queued on a worker that stops polling (here: inside one long poll; in life, also
/// preempted by the operating system) are taken by a peer that is busy too, so never runs
/// dry and never steals: the peer's checks see the stuck worker's poll counter stand still.
#[test]
fn tasks_queued_behind_a_long_poll_are_taken_by_a_busy_peer() {
    const LOOPERS: usize = 4;
    const QUEUED: usize = 8;
    let _watchdog = watchdog(
        LIMIT,
        "tasks_queued_behind_a_long_poll_are_taken_by_a_busy_peer",
    );
    let _alone = one_at_a_time();
    let rt = runtime(2);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    // Yield loops on both workers: neither runs dry.
    let loopers: Vec<_> = (0..LOOPERS)
        .map(|_| {
            let (stop, started) = (stop.clone(), started.clone());
            rt.spawn(async move {
                started.fetch_add(1, SeqCst);
                while !stop.load(SeqCst) {
                    spin();
                    corun::yield_now().await;
                }
            })
        })
        .collect();
    while started.load(SeqCst) < LOOPERS {
        std::thread::yield_now();
    }
    let ran_while_stuck = rt
        .block_on(rt.spawn(async {
            let ran = Arc::new(AtomicUsize::new(0));
            // Spawned from a worker: into this worker's own queue.
            let queued: Vec<_> = (0..QUEUED)
                .map(|_| {
                    let ran = ran.clone();
                    corun::spawn(async move {
                        ran.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            // One long poll, until the queued tasks ran elsewhere (or a give-up bound
            // that only a broken runtime reaches).
            let give_up = Instant::now() + Duration::from_secs(10);
            while ran.load(SeqCst) < QUEUED && Instant::now() < give_up {
                std::hint::spin_loop();
            }
            let ran_while_stuck = ran.load(SeqCst);
            for task in queued {
                task.await.unwrap();
            }
            ran_while_stuck
        }))
        .unwrap();
    stop.store(true, SeqCst);
    for looper in loopers {
        rt.block_on(looper).unwrap();
    }
    assert_eq!(
        ran_while_stuck, QUEUED,
        "the tasks queued behind the long poll waited for it"
    );
}
