//! `wake_by_ref` on a task that is already `SCHEDULED` must still write the state word: the
//! write is the release that makes the waker's earlier writes visible to the run that the
//! pending `SCHEDULED` promises. With a plain load instead, that run can read stale data,
//! return `Pending`, and no wake is left to come (invariant 3).

use super::loom_support::TestScheduler;
use crate::sync::atomic::{AtomicBool, Ordering::Relaxed};
use crate::sync::{Arc, Mutex};
use crate::task;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Ready once it sees `flag`, read `Relaxed`: only the task's own synchronisation (the
/// state word) can make the waker's store visible. Keeps the last waker it was given.
struct ReadsFlag {
    flag: Arc<AtomicBool>,
    waker: Arc<Mutex<Option<Waker>>>,
}

impl Future for ReadsFlag {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.flag.load(Relaxed) {
            return Poll::Ready(());
        }
        *self.waker.lock() = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[test]
fn wake_by_ref_of_a_scheduled_task_publishes_the_wakers_writes() {
    loom::model(|| {
        let scheduler = TestScheduler::new();
        let flag = Arc::new(AtomicBool::new(false));
        let slot = Arc::new(Mutex::new(None));
        let future = ReadsFlag {
            flag: flag.clone(),
            waker: slot.clone(),
        };
        let (owner, notified, join) = task::new(future, scheduler.clone(), task::Spawn::here());
        drop(owner);
        notified.run();
        let waker = slot.lock().take().expect("the first poll stored its waker");
        // Queue the task, so the wake below finds SCHEDULED set (unless the run below
        // has already started and cleared it).
        waker.wake_by_ref();

        let setter = loom::thread::spawn(move || {
            flag.store(true, Relaxed);
            waker.wake_by_ref();
        });
        scheduler.run_queued();
        setter.join().unwrap();
        scheduler.run_queued();
        assert!(
            join.is_finished(),
            "the wake after the flag was set was lost"
        );
        drop(slot.lock().take());
    });
}
