//! A wake that races with the task's own poll re-schedules it exactly once after the poll,
//! never runs it on two threads at once, and is never lost.

use super::loom_support::{Gate, TestScheduler, WaitGate};
use crate::sync::atomic::Ordering::SeqCst;
use crate::task;

#[test]
fn wake_racing_with_poll_is_neither_lost_nor_doubled() {
    loom::model(|| {
        let scheduler = TestScheduler::new();
        let gate = Gate::new(false);
        let (owner, notified, join) = task::new(
            WaitGate(gate.clone()),
            scheduler.clone(),
            task::Spawn::here(),
        );
        drop(owner);
        // First poll: registers the waker, gate closed.
        notified.run();
        // Queue the task again, so the second poll below races with the opener's wake.
        gate.wake_registered();

        let opener = {
            let gate = gate.clone();
            loom::thread::spawn(move || gate.open())
        };
        scheduler.run_queued();
        opener.join().unwrap();
        scheduler.run_queued();

        // `TestScheduler::push` asserted that no second `Notified` was ever queued, and
        // `WaitGate::poll` that no two polls overlapped. The wake was not lost:
        assert!(
            join.is_finished(),
            "the wake after the gate opened was lost"
        );
        assert!(gate.polls.load(SeqCst) <= 3);
        assert_eq!(gate.future_drops.load(SeqCst), 1);
        drop(join);
        assert_eq!(gate.output_drops.load(SeqCst), 1);
    });
}
