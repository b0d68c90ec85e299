//! `abort()`, the task completing, and the `JoinHandle` being dropped, all at once: the
//! future and the output are each dropped exactly once and the task is freed.

use super::loom_support::{Gate, TestScheduler, WaitGate};
use crate::sync::atomic::Ordering::SeqCst;
use crate::sync::Arc;
use crate::task;

#[test]
fn abort_complete_and_join_drop_race() {
    loom::model(|| {
        let scheduler = TestScheduler::new();
        let gate = Gate::new(true);
        let (owner, notified, join) = task::new(
            WaitGate(gate.clone()),
            scheduler.clone(),
            task::Spawn::here(),
        );
        drop(owner);
        let abort = join.abort_handle();

        let runner = loom::thread::spawn(move || notified.run());
        let aborter = loom::thread::spawn(move || abort.abort());
        drop(join);
        runner.join().unwrap();
        aborter.join().unwrap();

        assert_eq!(
            gate.future_drops.load(SeqCst),
            1,
            "the future is dropped exactly once"
        );
        let made = gate.outputs_made.load(SeqCst);
        assert!(made <= 1);
        assert_eq!(
            gate.output_drops.load(SeqCst),
            made,
            "the output is dropped exactly once"
        );
        // Every task reference is gone: the cell (which holds a scheduler clone) was freed.
        assert_eq!(Arc::strong_count(&scheduler), 1, "the task was leaked");
    });
}

#[test]
fn abort_racing_with_completion_yields_value_or_cancellation() {
    loom::model(|| {
        let scheduler = TestScheduler::new();
        let gate = Gate::new(true);
        let (owner, notified, join) = task::new(
            WaitGate(gate.clone()),
            scheduler.clone(),
            task::Spawn::here(),
        );
        drop(owner);
        let abort = join.abort_handle();

        let runner = loom::thread::spawn(move || notified.run());
        abort.abort();
        runner.join().unwrap();

        let result = futures::executor::block_on(join);
        match result {
            Ok(output) => {
                assert_eq!(gate.outputs_made.load(SeqCst), 1);
                drop(output);
            }
            Err(err) => {
                assert!(err.is_cancelled());
                assert_eq!(gate.outputs_made.load(SeqCst), 0);
            }
        }
        assert_eq!(gate.future_drops.load(SeqCst), 1);
        assert_eq!(
            gate.output_drops.load(SeqCst),
            gate.outputs_made.load(SeqCst)
        );
        drop(abort);
        assert_eq!(Arc::strong_count(&scheduler), 1, "the task was leaked");
    });
}
