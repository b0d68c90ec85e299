//! Scenario 6: runtimes dropped while tasks and plain threads spawn and wake.

use crate::common::{watchdog_with, DropCounter, Drops, Latch};
use crate::{Rng, Scale, SeedReport};
use corun::{Handle, JoinHandle, Runtime};
use futures::future::poll_fn;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;

/// What one storm shares between its tasks, its plain thread and the test.
#[derive(Clone)]
struct Storm {
    futures: Drops,
    outputs: Drops,
    /// Wakers of the children waiting for the plain thread to wake them.
    parked: Arc<Mutex<Vec<Waker>>>,
    handles: mpsc::Sender<JoinHandle<DropCounter>>,
    /// Counts down once when the tasks have spawned `threshold` children, and once when
    /// the plain thread has: the storm is then in full swing on both sides.
    started: Latch,
    threshold: usize,
    /// At most this many children at a time, so each round stays small.
    cap: usize,
}

impl Storm {
    fn full(&self) -> bool {
        let created = self.futures.created();
        created.saturating_sub(self.futures.dropped()) >= self.cap
    }
}

/// Builds a runtime, starts a storm on it (tasks spawning children, a plain thread
/// spawning children through a `Handle` and waking parked ones), drops the runtime from
/// the test thread mid-storm, and checks every handle and drop; `rounds` times.
pub fn runtime_dropped_mid_storm(scale: Scale, name: &'static str) {
    let rounds = scale.pick(60, 10_000);
    let seed = crate::seed(name);
    let _seed = SeedReport { name, seed };
    let (futures, outputs) = (Drops::new(), Drops::new());
    let round = Arc::new(AtomicUsize::new(0));
    let diagnosis = (futures.clone(), round.clone());
    let _watchdog = watchdog_with(scale.limit(), name, move || {
        let (futures, round) = diagnosis;
        format!(
            "seed {seed}: in round {} of {rounds}; futures dropped {} of {}",
            round.load(SeqCst),
            futures.dropped(),
            futures.created()
        )
    });
    let mut rng = Rng::new(seed);
    for r in 0..rounds {
        round.store(r, SeqCst);
        storm_once(&mut rng, &futures, &outputs);
    }
}

fn storm_once(rng: &mut Rng, futures: &Drops, outputs: &Drops) {
    let workers = 1 + rng.below(3) as usize;
    let rt = Runtime::builder()
        .worker_threads(workers)
        .build()
        .expect("runtime starts");
    let (handles, received) = mpsc::channel();
    let storm = Storm {
        futures: futures.clone(),
        outputs: outputs.clone(),
        parked: Arc::default(),
        handles,
        started: Latch::new(2),
        threshold: 1 + rng.below(50) as usize,
        cap: 100 + rng.below(200) as usize,
    };
    let spawned_inside = Arc::new(AtomicUsize::new(0));
    let spawners: Vec<_> = (0..2)
        .map(|_| rt.spawn(spawner(storm.clone(), spawned_inside.clone(), rng.fork())))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let outside = {
        let (storm, handle, stop, mut rng) =
            (storm.clone(), rt.handle().clone(), stop.clone(), rng.fork());
        thread::spawn(move || plain_thread(storm, handle, stop, &mut rng))
    };
    storm.started.wait();
    drop(rt);
    stop.store(true, SeqCst);
    outside.join().expect("the plain thread panicked");
    let parked = std::mem::take(&mut *storm.parked.lock().unwrap());
    drop((storm, parked));
    // Every sender is gone now (the spawners' went with their futures), so this ends.
    for handle in received {
        assert!(
            handle.is_finished(),
            "a handle of a dropped runtime is finished"
        );
        if let Err(error) = futures::executor::block_on(handle) {
            assert!(error.is_cancelled(), "{error:?}");
        }
    }
    for spawner in spawners {
        let result = futures::executor::block_on(spawner);
        assert!(
            result.unwrap_err().is_cancelled(),
            "spawners run until dropped"
        );
    }
    futures.assert_all_dropped_once();
    outputs.assert_all_dropped_once();
}

/// A task that spawns children (sending their handles to the test) until it is dropped.
async fn spawner(storm: Storm, spawned: Arc<AtomicUsize>, mut rng: Rng) {
    loop {
        if storm.full() {
            // Until the plain thread wakes it, as it wakes the children.
            parked_once(&storm.parked).await;
            continue;
        }
        let child = corun::spawn(child(&storm, rng.below(4)));
        if storm.handles.send(child).is_err() {
            return;
        }
        if spawned.fetch_add(1, SeqCst) + 1 == storm.threshold {
            storm.started.count_down();
        }
        corun::yield_now().await;
    }
}

/// Spawns children through `handle` and wakes the parked ones until `stop`, then does
/// both once more against the dropped runtime.
fn plain_thread(storm: Storm, handle: Handle, stop: Arc<AtomicBool>, rng: &mut Rng) {
    let mut spawned = 0;
    loop {
        let stopping = stop.load(SeqCst);
        if !storm.full() {
            let child = handle.spawn(child(&storm, rng.below(4)));
            let _ = storm.handles.send(child);
            spawned += 1;
            if spawned == storm.threshold {
                storm.started.count_down();
            }
        }
        let parked = std::mem::take(&mut *storm.parked.lock().unwrap());
        if parked.is_empty() {
            // Nothing to wake: let the workers run the children.
            thread::yield_now();
        }
        for waker in parked {
            waker.wake();
        }
        if stopping {
            return;
        }
    }
}

/// A child that parks `wakes` times, each time waiting for the plain thread to wake it,
/// and returns an output counter. Its future's counter exists from the spawn on.
fn child(storm: &Storm, wakes: u64) -> impl Future<Output = DropCounter> + Send + 'static {
    let (counter, outputs) = (storm.futures.counter(), storm.outputs.clone());
    let parked = storm.parked.clone();
    async move {
        let _counter = counter;
        for _ in 0..wakes {
            parked_once(&parked).await;
        }
        outputs.counter()
    }
}

/// Leaves this task's waker in `parked` and waits for one wake.
async fn parked_once(parked: &Mutex<Vec<Waker>>) {
    let mut woken = false;
    poll_fn(|cx| {
        if std::mem::replace(&mut woken, true) {
            return Poll::Ready(());
        }
        parked.lock().unwrap().push(cx.waker().clone());
        Poll::Pending
    })
    .await;
}
