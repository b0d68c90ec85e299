//! Scenario 4: sleeps reset earlier and later, dropped while armed, or awaited.

use crate::common::{runtime, watchdog_with, Drops};
use crate::{yields, Rng, Scale, SeedReport};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Awaited,
    Dropped,
}

/// Many tasks, each with one `Sleep` that it resets up to three times (armed or not, even
/// after it completed), to an earlier or a later deadline, then drops or awaits. A sleep
/// that completes must find `Instant::now()` at or past its latest deadline.
pub fn sleep_reset_drop(scale: Scale, name: &'static str) {
    const WAVE: usize = 50_000;
    let tasks = scale.pick(3_000, 2_000_000);
    let max_ms = scale.pick(8, 20);
    let seed = crate::seed(name);
    let _seed = SeedReport { name, seed };
    let drops = Drops::new();
    let awaited = Arc::new(AtomicUsize::new(0));
    let diagnosis = (drops.clone(), awaited.clone());
    let _watchdog = watchdog_with(scale.limit(), name, move || {
        let (drops, awaited) = diagnosis;
        format!(
            "seed {seed}: {} of {tasks} tasks done, {} sleeps completed",
            drops.dropped(),
            awaited.load(SeqCst)
        )
    });
    let rt = runtime(2);
    let mut rng = Rng::new(seed);
    let (mut completed, mut dropped) = (0, 0);
    // In waves, so the wheel fills and empties many times over.
    for first in (0..tasks).step_by(WAVE) {
        let handles: Vec<_> = (first..tasks.min(first + WAVE))
            .map(|i| {
                let (counter, rng, awaited) = (drops.counter(), rng.fork(), awaited.clone());
                rt.spawn(async move {
                    let _counter = counter;
                    let fate = sleep_at_random(i, rng, max_ms).await;
                    if fate == Fate::Awaited {
                        awaited.fetch_add(1, SeqCst);
                    }
                    fate
                })
            })
            .collect();
        for handle in handles {
            match rt.block_on(handle).expect("a sleeping task failed") {
                Fate::Awaited => completed += 1,
                Fate::Dropped => dropped += 1,
            }
        }
    }
    assert_eq!(completed + dropped, tasks);
    assert_eq!(completed, awaited.load(SeqCst));
    drop(rt);
    assert_eq!(drops.created(), tasks);
    drops.assert_all_dropped_once();
}

async fn sleep_at_random(i: usize, mut rng: Rng, max_ms: u64) -> Fate {
    let random_ms = |rng: &mut Rng| Duration::from_millis(rng.below(max_ms + 1));
    let mut sleep = pin!(corun::sleep(random_ms(&mut rng)));
    let mut deadline = sleep.deadline();
    for _ in 0..rng.below(4) {
        if rng.one_in(2) {
            // Arm it first (or see it complete), so the reset re-files a live entry.
            if futures::poll!(sleep.as_mut()).is_ready() {
                check_not_early(i, deadline);
            }
        }
        yields(rng.below(2)).await;
        let shift = random_ms(&mut rng);
        deadline = if rng.one_in(2) {
            deadline.checked_sub(shift).unwrap_or(deadline)
        } else {
            deadline + shift
        };
        sleep.as_mut().reset(deadline);
        assert_eq!(
            sleep.deadline(),
            deadline,
            "task {i}: reset keeps the deadline"
        );
    }
    if rng.one_in(3) {
        if rng.one_in(2) {
            // Dropped while armed: the entry must leave the wheel.
            let _ = futures::poll!(sleep.as_mut());
        }
        return Fate::Dropped;
    }
    sleep.as_mut().await;
    check_not_early(i, deadline);
    assert!(sleep.is_elapsed(), "task {i}: a completed sleep is elapsed");
    Fate::Awaited
}

#[track_caller]
fn check_not_early(i: usize, deadline: Instant) {
    let now = Instant::now();
    assert!(
        now >= deadline,
        "task {i}: the sleep completed {:?} before its deadline",
        deadline - now
    );
}
