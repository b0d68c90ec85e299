//! Fairness on a single worker: a task that yields in a loop, one that wakes itself over
//! and over, and two tasks ping-ponging on channels must not starve a sibling. Each test
//! only finishes if the sibling gets to run; the watchdog turns starvation into a failure.
#![allow(clippy::disallowed_types)]

mod common;

use common::{watchdog, LIMIT};
use corun::Runtime;
use futures::channel::{mpsc, oneshot};
use futures::StreamExt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};

fn one_worker() -> Runtime {
    Runtime::builder().worker_threads(1).build().unwrap()
}

/// Loops on `yield_now` until `flag` is set; signals `started` before the first yield.
async fn yield_until(flag: Arc<AtomicBool>, started: oneshot::Sender<()>) -> usize {
    started.send(()).unwrap();
    let mut yields = 0;
    while !flag.load(SeqCst) {
        corun::yield_now().await;
        yields += 1;
    }
    yields
}

#[test]
fn yield_loop_does_not_starve_a_task_spawned_from_outside() {
    let _watchdog = watchdog(
        LIMIT,
        "yield_loop_does_not_starve_a_task_spawned_from_outside",
    );
    let rt = one_worker();
    let flag = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = oneshot::channel();
    let spinner = rt.spawn(yield_until(flag.clone(), started_tx));
    rt.block_on(async {
        // The spinner now owns the only worker; the setter goes to the injector.
        started_rx.await.unwrap();
        let setter = corun::spawn(async move { flag.store(true, SeqCst) });
        setter.await.unwrap();
        spinner.await.unwrap();
    });
}

#[test]
fn yield_loop_does_not_starve_a_task_it_spawned() {
    let _watchdog = watchdog(LIMIT, "yield_loop_does_not_starve_a_task_it_spawned");
    let rt = one_worker();
    let spinner = rt.spawn(async {
        let flag = Arc::new(AtomicBool::new(false));
        // Lands in this worker's local queue, behind the spinner's yields.
        let setter = corun::spawn({
            let flag = flag.clone();
            async move { flag.store(true, SeqCst) }
        });
        while !flag.load(SeqCst) {
            corun::yield_now().await;
        }
        setter.await.unwrap();
    });
    rt.block_on(spinner).unwrap();
}

#[test]
fn many_yield_loops_do_not_starve_a_sibling() {
    let _watchdog = watchdog(LIMIT, "many_yield_loops_do_not_starve_a_sibling");
    const SPINNERS: usize = 50;
    let rt = one_worker();
    let flag = Arc::new(AtomicBool::new(false));
    let mut started = Vec::new();
    let spinners: Vec<_> = (0..SPINNERS)
        .map(|_| {
            let (tx, rx) = oneshot::channel();
            started.push(rx);
            rt.spawn(yield_until(flag.clone(), tx))
        })
        .collect();
    rt.block_on(async {
        for rx in started {
            rx.await.unwrap();
        }
        corun::spawn(async move { flag.store(true, SeqCst) })
            .await
            .unwrap();
        for spinner in spinners {
            spinner.await.unwrap();
        }
    });
}

/// Wakes itself and returns `Pending` until `flag` is set: a hot future that never awaits
/// anything but its own waker.
struct SelfWaking {
    flag: Arc<AtomicBool>,
    polls: Arc<AtomicUsize>,
}

impl Future for SelfWaking {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, SeqCst);
        if self.flag.load(SeqCst) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn self_waking_task_does_not_starve_a_sibling() {
    let _watchdog = watchdog(LIMIT, "self_waking_task_does_not_starve_a_sibling");
    let rt = one_worker();
    let flag = Arc::new(AtomicBool::new(false));
    let polls = Arc::new(AtomicUsize::new(0));
    let (started_tx, started_rx) = oneshot::channel();
    let hot = rt.spawn({
        let flag = flag.clone();
        let polls = polls.clone();
        async move {
            started_tx.send(()).unwrap();
            SelfWaking { flag, polls }.await;
        }
    });
    rt.block_on(async {
        started_rx.await.unwrap();
        corun::spawn(async move { flag.store(true, SeqCst) })
            .await
            .unwrap();
        hot.await.unwrap();
    });
    assert!(
        polls.load(SeqCst) >= 2,
        "the hot future ran before and after"
    );
}

#[test]
fn self_waking_task_does_not_starve_a_task_it_spawned() {
    let _watchdog = watchdog(LIMIT, "self_waking_task_does_not_starve_a_task_it_spawned");
    let rt = one_worker();
    let hot = rt.spawn(async {
        let flag = Arc::new(AtomicBool::new(false));
        let setter = corun::spawn({
            let flag = flag.clone();
            async move { flag.store(true, SeqCst) }
        });
        SelfWaking {
            flag,
            polls: Arc::default(),
        }
        .await;
        setter.await.unwrap();
    });
    rt.block_on(hot).unwrap();
}

/// Two tasks bounce a counter between them through channels forever; every wake is a
/// "message arrived" wake, which the scheduler favours (the LIFO slot). A third task must
/// still run.
#[test]
fn ping_pong_pair_does_not_starve_a_third_task() {
    let _watchdog = watchdog(LIMIT, "ping_pong_pair_does_not_starve_a_third_task");
    let rt = one_worker();
    let (to_pong, mut pong_rx) = mpsc::unbounded::<u64>();
    let (to_ping, mut ping_rx) = mpsc::unbounded::<u64>();
    let (hot_tx, hot_rx) = oneshot::channel::<()>();
    let ping = rt.spawn(async move {
        let mut hot = Some(hot_tx);
        to_pong.unbounded_send(0).unwrap();
        while let Some(n) = ping_rx.next().await {
            // Ping sees the odd numbers. Well into the rally: time to spawn the third task.
            if n > 1_000 {
                if let Some(hot) = hot.take() {
                    hot.send(()).unwrap();
                }
            }
            if to_pong.unbounded_send(n + 1).is_err() {
                break;
            }
        }
    });
    let pong = rt.spawn(async move {
        while let Some(n) = pong_rx.next().await {
            if to_ping.unbounded_send(n + 1).is_err() {
                break;
            }
        }
    });
    let third_ran = rt.block_on(async {
        hot_rx.await.unwrap();
        corun::spawn(async { true }).await.unwrap()
    });
    assert!(third_ran);
    // The rally never ends on its own; shutdown cancels it.
    assert!(!ping.is_finished() && !pong.is_finished());
    drop(rt);
    let ping = futures::executor::block_on(ping).unwrap_err();
    let pong = futures::executor::block_on(pong).unwrap_err();
    assert!(ping.is_cancelled() && pong.is_cancelled());
}

/// The same rally, with the third task spawned by one of the players, so it starts in the
/// worker's local queue rather than the injector.
#[test]
fn ping_pong_pair_does_not_starve_a_task_spawned_by_a_player() {
    let _watchdog = watchdog(
        LIMIT,
        "ping_pong_pair_does_not_starve_a_task_spawned_by_a_player",
    );
    let rt = one_worker();
    let (to_pong, mut pong_rx) = mpsc::unbounded::<u64>();
    let (to_ping, mut ping_rx) = mpsc::unbounded::<u64>();
    let (done_tx, done_rx) = oneshot::channel::<u64>();
    let ping = rt.spawn(async move {
        let mut done_tx = Some(done_tx);
        to_pong.unbounded_send(0).unwrap();
        while let Some(n) = ping_rx.next().await {
            // Ping sees the odd numbers.
            if n == 101 {
                let done_tx = done_tx.take().unwrap();
                drop(corun::spawn(async move { done_tx.send(n).unwrap() }));
            }
            if to_pong.unbounded_send(n + 1).is_err() {
                break;
            }
        }
    });
    let pong = rt.spawn(async move {
        while let Some(n) = pong_rx.next().await {
            if to_ping.unbounded_send(n + 1).is_err() {
                break;
            }
        }
    });
    assert_eq!(rt.block_on(done_rx).unwrap(), 101);
    drop(rt);
    assert!(futures::executor::block_on(ping)
        .unwrap_err()
        .is_cancelled());
    assert!(futures::executor::block_on(pong)
        .unwrap_err()
        .is_cancelled());
}
