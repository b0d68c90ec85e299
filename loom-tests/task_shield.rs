//! `abort()` racing with a shield on the task state word. A shield that was entered runs
//! its future to the end before the task is cancelled; the cancellation is never lost,
//! whether the poll that leaves the shield or the abort comes last, or the shield ends on
//! another thread (its future was moved off the task); and the task is queued at most
//! once at a time (`TestScheduler` checks).

use super::loom_support::{Gate, TestScheduler, WaitGate};
use crate::sync::atomic::Ordering::SeqCst;
use crate::sync::{Arc, Mutex};
use crate::task::{self, shield, Shield};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// `shield(first).await; second.await`: the section, then an await outside it.
struct ShieldThenWait {
    section: Option<Shield<WaitGate>>,
    after: WaitGate,
}

impl Future for ShieldThenWait {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if let Some(section) = &mut this.section {
            let output = std::task::ready!(Pin::new(section).poll(cx));
            drop(output);
            this.section = None;
        }
        Pin::new(&mut this.after).poll(cx).map(drop)
    }
}

#[test]
fn abort_waits_for_the_shielded_section() {
    loom::model(|| {
        let scheduler = TestScheduler::new();
        let section = Gate::new(false);
        let after = Gate::new(false);
        let future = ShieldThenWait {
            section: Some(shield(WaitGate(section.clone()))),
            after: WaitGate(after.clone()),
        };
        let (owner, notified, join) = task::new(future, scheduler.clone(), task::Spawn::here());
        drop(owner);
        let abort = join.abort_handle();

        let aborter = loom::thread::spawn(move || abort.abort());
        let opener = {
            let section = section.clone();
            loom::thread::spawn(move || section.open())
        };
        // The first poll, racing with both: it enters the shield, unless the abort came
        // first and the task is cancelled before the section starts.
        notified.run();
        aborter.join().unwrap();
        opener.join().unwrap();
        scheduler.run_queued();

        if section.polls.load(SeqCst) > 0 {
            assert_eq!(
                section.outputs_made.load(SeqCst),
                1,
                "a section that started was cut short"
            );
        }
        assert_eq!(section.future_drops.load(SeqCst), 1);
        let result = futures::executor::block_on(join);
        assert!(result.unwrap_err().is_cancelled(), "the abort was lost");
        section.drop_waker();
        after.drop_waker();
        assert_eq!(Arc::strong_count(&scheduler), 1, "the task was leaked");
    });
}

/// A shielded section that can move between tasks.
type Section = Pin<Box<Shield<WaitGate>>>;

/// Polls a shield once inside the task, then hands it out, so that it ends elsewhere.
struct HandsOut {
    section: Option<Section>,
    out: Arc<Mutex<Option<Section>>>,
}

impl Future for HandsOut {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if let Some(mut section) = this.section.take() {
            assert!(section.as_mut().poll(cx).is_pending(), "its gate is shut");
            *this.out.lock() = Some(section);
        }
        Poll::Pending
    }
}

#[test]
fn a_shield_ending_off_the_task_lets_the_abort_through() {
    loom::model(|| {
        let scheduler = TestScheduler::new();
        let gate = Gate::new(false);
        let out = Arc::new(Mutex::new(None));
        let future = HandsOut {
            section: Some(Box::pin(shield(WaitGate(gate.clone())))),
            out: out.clone(),
        };
        let (owner, notified, join) = task::new(future, scheduler.clone(), task::Spawn::here());
        drop(owner);
        let abort = join.abort_handle();
        // Polled once: idle, shielded, the shield handed out.
        notified.run();
        gate.drop_waker();

        let dropper = loom::thread::spawn(move || drop(out.lock().take()));
        abort.abort();
        dropper.join().unwrap();
        scheduler.run_queued();

        assert!(join.is_finished(), "the cancellation was lost");
        let result = futures::executor::block_on(join);
        assert!(result.unwrap_err().is_cancelled());
        drop(abort);
        assert_eq!(Arc::strong_count(&scheduler), 1, "the task was leaked");
    });
}
