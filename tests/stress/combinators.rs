//! Scenario 7: combinators whose children finish on other workers, in any order, some of
//! them panicking, some combinators dropped half way.

use crate::common::{runtime, watchdog_with, Drops};
use crate::{yields, Rng, Scale, SeedReport};
use futures::StreamExt;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

/// Rounds of combinators from a controller task on four workers: `gather` (every output,
/// in argument order), `gather_settled` (a panic in exactly the slots that panicked),
/// `as_completed` (every output once, dropped after a random number of them) and `race`
/// (one of the children's outputs). Children yield a random number of times, so they
/// finish on any worker and in any order, and each child's future counts its drop.
pub fn combinators_settle(scale: Scale, name: &'static str) {
    const CHILDREN: u64 = 16;
    let rounds = scale.pick(400, 200_000);
    let seed = crate::seed(name);
    let _seed = SeedReport { name, seed };
    let drops = Drops::new();
    let done = Arc::new(AtomicUsize::new(0));
    let diagnosis = (drops.clone(), done.clone());
    let _watchdog = watchdog_with(scale.limit(), name, move || {
        let (drops, done) = diagnosis;
        format!(
            "seed {seed}: {} of {rounds} rounds; child futures dropped {} of {}",
            done.load(SeqCst),
            drops.dropped(),
            drops.created()
        )
    });
    let rt = runtime(4);
    let controller = {
        let drops = drops.clone();
        rt.spawn(async move {
            let mut rng = Rng::new(seed);
            for round in 0..rounds {
                let steps: Vec<u64> = (0..CHILDREN).map(|_| rng.below(4)).collect();
                let child = |i: u64, panics: bool| {
                    let (counter, steps) = (drops.counter(), steps[i as usize]);
                    async move {
                        let _counter = counter;
                        yields(steps).await;
                        assert!(!panics, "child {i} fails on purpose");
                        i
                    }
                };
                match round % 4 {
                    0 => {
                        let out = corun::gather((0..CHILDREN).map(|i| child(i, false))).await;
                        assert_eq!(out, (0..CHILDREN).collect::<Vec<_>>());
                    }
                    1 => {
                        let failing = rng.below(CHILDREN);
                        let out =
                            corun::gather_settled((0..CHILDREN).map(|i| child(i, i == failing)))
                                .await;
                        for (i, slot) in (0..).zip(&out) {
                            match slot {
                                Ok(value) => assert_eq!(*value, i),
                                Err(error) => assert!(error.is_panic() && i == failing),
                            }
                        }
                        assert!(out[failing as usize].is_err());
                    }
                    2 => {
                        let keep = rng.below(CHILDREN + 1) as usize;
                        let mut stream =
                            corun::as_completed((0..CHILDREN).map(|i| child(i, false)));
                        let mut seen = Vec::new();
                        while seen.len() < keep {
                            seen.push(stream.next().await.expect("a child is left"));
                        }
                        drop(stream);
                        seen.sort_unstable();
                        seen.dedup();
                        assert_eq!(seen.len(), keep, "a child came out twice");
                    }
                    _ => {
                        let winner = corun::race((0..CHILDREN).map(|i| child(i, false))).await;
                        assert!(winner < CHILDREN);
                    }
                }
                done.fetch_add(1, SeqCst);
            }
        })
    };
    rt.block_on(controller).expect("the controller runs");
    // Every combinator above returned after its children were gone (or, for the dropped
    // `as_completed`, aborted them); wait for the aborted ones, then check.
    drops.wait_dropped(drops.created());
    drop(rt);
    assert_eq!(drops.created(), rounds * CHILDREN as usize);
    drops.assert_all_dropped_once();
}
