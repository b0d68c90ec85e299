//! The gather family, race, wait and as_completed through the public API: argument order,
//! cancellation of the other children (drop counters), and panic propagation.
#![allow(clippy::disallowed_types)]

mod common;

use common::{panic_message, watchdog, Drops, LIMIT};
use corun::ReturnWhen;
use futures::channel::oneshot;
use futures::StreamExt;
use std::future::{pending, Future};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A child that sleeps `delay` then returns `value`.
fn after<T: Send + 'static>(delay: u64, value: T) -> BoxFuture<T> {
    Box::pin(async move {
        corun::sleep(ms(delay)).await;
        value
    })
}

/// A child that never finishes and records its drop.
fn forever<T: Send + 'static>(drops: &Drops) -> BoxFuture<T> {
    let guard = drops.counter();
    Box::pin(async move {
        let _guard = guard;
        pending::<T>().await
    })
}

fn panicking<T: Send + 'static>(delay: u64, message: &'static str) -> BoxFuture<T> {
    Box::pin(async move {
        corun::sleep(ms(delay)).await;
        panic!("{message}")
    })
}

/// Runs `future` and returns the message of the panic it must resume.
async fn panic_of<F: Future>(future: F) -> String {
    use futures::FutureExt;
    let payload = AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .err()
        .expect("the combinator resumes the child's panic");
    panic_message(&*payload)
}

#[test]
fn gather_returns_argument_order_not_completion_order() {
    let _watchdog = watchdog(LIMIT, "gather_order");
    corun::run(async {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let children = [120u64, 10, 60].map(|delay| {
            let done = done_tx.clone();
            async move {
                corun::sleep(ms(delay)).await;
                done.send(delay).unwrap();
                delay
            }
        });
        assert_eq!(corun::gather(children).await, [120, 10, 60]);
        let completion: Vec<_> = done_rx.try_iter().collect();
        assert_eq!(completion, [10, 60, 120], "they completed in another order");
    });
}

#[test]
fn gather_runs_children_in_parallel_on_all_workers() {
    let _watchdog = watchdog(LIMIT, "gather_parallel");
    let rt = corun::Runtime::builder().worker_threads(2).build().unwrap();
    rt.block_on(async {
        // Two children that can only finish together: each waits for the other.
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let children = (0..2).map(|n| {
            let barrier = barrier.clone();
            async move {
                barrier.wait();
                n
            }
        });
        assert_eq!(corun::gather(children).await, [0, 1]);
    });
}

#[test]
fn gather_macro_collects_different_types_in_order() {
    corun::run(async {
        let (a, b, c) = corun::gather!(after(20, 1u8), after(5, "two"), async { 3.0f64 }).await;
        assert_eq!((a, b, c), (1, "two", 3.0));
        let twelve = corun::gather!(
            async { 1 },
            async { 2 },
            async { 3 },
            async { 4 },
            async { 5 },
            async { 6 },
            async { 7 },
            async { 8 },
            async { 9 },
            async { 10 },
            async { 11 },
            async { "12" },
        )
        .await;
        assert_eq!(twelve.11, "12");
    });
}

#[test]
fn gather_panic_cancels_the_others_then_resumes_the_payload() {
    let _watchdog = watchdog(LIMIT, "gather_panic");
    let drops = Drops::new();
    corun::run(async {
        let children = vec![
            forever::<()>(&drops),
            panicking(5, "child 1 broke"),
            forever(&drops),
        ];
        let message = panic_of(corun::gather(children)).await;
        assert_eq!(message, "child 1 broke");
        // Resumed only after the siblings were cancelled and gone.
        drops.assert_all_dropped_once();
    });
}

#[test]
fn try_gather_first_error_cancels_the_rest_and_is_returned() {
    let _watchdog = watchdog(LIMIT, "try_gather_error");
    let drops = Drops::new();
    corun::run(async {
        let ok = corun::try_gather((1..=3).map(|n| async move { Ok::<_, String>(n * 2) })).await;
        assert_eq!(ok, Ok(vec![2, 4, 6]));

        let failing: BoxFuture<Result<u32, String>> = Box::pin(async {
            corun::sleep(ms(5)).await;
            Err("second failed".to_owned())
        });
        let children = vec![forever(&drops), failing, forever(&drops)];
        assert_eq!(
            corun::try_gather(children).await,
            Err("second failed".to_owned())
        );
        drops.assert_all_dropped_once();

        let pair = corun::try_gather!(async { Ok::<_, &str>(1) }, async { Err::<u8, _>("no") });
        assert_eq!(pair.await, Err("no"));
        let message = panic_of(corun::try_gather(vec![
            panicking::<Result<(), ()>>(1, "try_gather child panicked"),
            forever(&drops),
        ]))
        .await;
        assert_eq!(message, "try_gather child panicked");
        drops.assert_all_dropped_once();
    });
}

#[test]
fn gather_settled_collects_panics_and_waits_for_everyone() {
    let _watchdog = watchdog(LIMIT, "gather_settled");
    corun::run(async {
        let children = vec![after(20, 1), panicking(1, "settled panic"), after(5, 3)];
        let settled = corun::gather_settled(children).await;
        assert_eq!(settled[0].as_ref().ok(), Some(&1));
        let error = settled[1].as_ref().unwrap_err();
        assert!(error.is_panic());
        assert_eq!(
            settled[2].as_ref().ok(),
            Some(&3),
            "a panic does not cancel siblings"
        );
    });
}

#[test]
fn race_returns_the_first_and_cancels_the_others() {
    let _watchdog = watchdog(LIMIT, "race");
    let drops = Drops::new();
    corun::run(async {
        let winner = corun::race(vec![forever(&drops), after(5, "fast"), forever(&drops)]).await;
        assert_eq!(winner, "fast");
        drops.assert_all_dropped_once();

        let message = panic_of(corun::race(vec![
            forever(&drops),
            panicking::<()>(1, "racer"),
        ]))
        .await;
        assert_eq!(message, "racer");
        drops.assert_all_dropped_once();
    });
}

#[test]
fn race_of_nothing_panics_with_a_clear_message() {
    corun::run(async {
        let message = panic_of(async { corun::race(Vec::<BoxFuture<()>>::new()).await }).await;
        assert!(message.contains("race of an empty set"), "{message}");
    });
}

#[test]
fn wait_honours_each_return_when() {
    let _watchdog = watchdog(LIMIT, "wait");
    let drops = Drops::new();
    corun::run(async {
        let ok = |delay, value| after(delay, Ok::<u64, &str>(value));

        let (done, pending) =
            corun::wait(vec![ok(200, 0), ok(1, 1)], ReturnWhen::FirstCompleted).await;
        assert_eq!(done, [(1, Ok(1))]);
        assert_eq!(pending.len(), 1);
        let (rest, pending) = pending.wait(ReturnWhen::AllCompleted).await;
        assert_eq!(rest, [(0, Ok(0))]);
        assert!(pending.is_empty());

        let failing: BoxFuture<Result<u64, &str>> = after(5, Err("bad"));
        let children = vec![ok(1, 0), failing, forever(&drops)];
        let (done, pending) = corun::wait(children, ReturnWhen::FirstError).await;
        assert!(done.contains(&(1, Err("bad"))));
        assert!(done.contains(&(0, Ok(0))));
        assert_eq!(pending.len(), 1);
        drop(pending); // cancels what is still running
        drops.wait_dropped(drops.created());
        drops.assert_all_dropped_once();

        let (done, _) = corun::wait(vec![ok(3, 0), ok(1, 1)], ReturnWhen::AllCompleted).await;
        let mut indices: Vec<_> = done.iter().map(|(index, _)| *index).collect();
        indices.sort_unstable();
        assert_eq!(indices, [0, 1]);
    });
}

#[test]
fn as_completed_yields_in_completion_order() {
    let _watchdog = watchdog(LIMIT, "as_completed");
    let drops = Drops::new();
    corun::run(async {
        // Children finish in the order the test releases them: 1, 2, 0.
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..3).map(|_| oneshot::channel()).unzip();
        let children = receivers
            .into_iter()
            .map(|rx| async move { rx.await.unwrap() });
        let mut stream = corun::as_completed(children);
        let mut senders: Vec<_> = senders.into_iter().map(Some).collect();
        for index in [1, 2, 0] {
            senders[index].take().unwrap().send(index * 10).unwrap();
            assert_eq!(stream.next().await, Some(index * 10));
        }
        assert_eq!(stream.next().await, None);

        let mut stream = corun::as_completed(vec![after(1, 1), forever(&drops), forever(&drops)]);
        assert_eq!(stream.next().await, Some(1));
        drop(stream);
        drops.wait_dropped(2);
        drops.assert_all_dropped_once();

        let stream = corun::as_completed(vec![forever(&drops), panicking::<u8>(1, "streamed")]);
        assert_eq!(panic_of(stream.collect::<Vec<_>>()).await, "streamed");
        drops.assert_all_dropped_once();
    });
}

#[test]
fn dropping_any_combinator_cancels_its_children() {
    let _watchdog = watchdog(LIMIT, "drop_cancels");
    let drops = Drops::new();
    corun::run(async {
        drop(corun::gather(vec![forever::<()>(&drops), forever(&drops)]));
        drop(corun::try_gather(vec![forever::<Result<(), ()>>(&drops)]));
        drop(corun::gather_settled(vec![forever::<()>(&drops)]));
        drop(corun::race(vec![forever::<()>(&drops)]));
        drop(corun::wait(
            vec![forever::<Result<(), ()>>(&drops)],
            ReturnWhen::AllCompleted,
        ));
        drop(corun::as_completed(vec![forever::<()>(&drops)]));
        drop(corun::gather!(forever::<()>(&drops), async { 1 }));

        // A combinator dropped while it is being awaited, under a timeout.
        let (started_tx, started_rx) = oneshot::channel();
        let mut started_tx = Some(started_tx);
        let guard = drops.counter();
        let child = async move {
            let _guard = guard;
            started_tx.take().unwrap().send(()).unwrap();
            pending::<()>().await
        };
        // Drive the gather until its child runs, then drop it mid-await.
        let mut gathered = Box::pin(corun::gather([child]));
        match futures::future::select(gathered.as_mut(), started_rx).await {
            futures::future::Either::Right((started, _)) => started.unwrap(),
            futures::future::Either::Left(_) => unreachable!("the child never finishes"),
        }
        drop(gathered);
    });
    drops.wait_dropped(drops.created());
    drops.assert_all_dropped_once();
}

#[test]
fn gather_of_ten_thousand_tiny_futures() {
    let _watchdog = watchdog(LIMIT, "gather_10k");
    corun::run(async {
        let out = corun::gather((0..10_000u64).map(|n| async move { n })).await;
        assert!(out.iter().copied().eq(0..10_000));
    });
}

#[test]
fn combinator_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    corun::run(async {
        let gather = corun::gather([async { 1 }]);
        assert_send(&gather);
        assert_eq!(gather.await, [1]);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut race = corun::race([async { 2 }]);
        while Pin::new(&mut race).poll(&mut cx).is_pending() {
            corun::yield_now().await;
        }
    });
}

#[test]
fn a_combinator_polled_outside_a_runtime_panics_saying_where_to_poll_it() {
    let panic =
        std::panic::catch_unwind(|| futures::executor::block_on(corun::gather([async { 1 }])))
            .expect_err("there is no runtime to spawn the children on");
    let message = panic_message(&*panic);
    assert!(message.contains("no corun runtime"), "{message}");
    assert!(message.contains("corun::run"), "{message}");
}
