//! `NotifiedSlot` (the stealable LIFO slot): the owner puts a task in and takes it back
//! while another worker tries to steal it. Exactly one of them gets the task, it runs
//! exactly once, and nothing is leaked; the taker sees the task as the putter left it.

use super::loom_support::{Gate, TestScheduler, WaitGate};
use super::NotifiedSlot;
use crate::sync::atomic::Ordering::SeqCst;
use crate::sync::Arc;
use crate::task;

#[test]
fn owner_take_racing_with_a_steal_delivers_the_task_once() {
    loom::model(|| {
        let scheduler = TestScheduler::new();
        let gate = Gate::new(true);
        let (owner, notified, join) = task::new(
            WaitGate(gate.clone()),
            scheduler.clone(),
            task::Spawn::here(),
        );
        drop(owner);
        let slot = Arc::new(NotifiedSlot::new());
        let thief = {
            let slot = slot.clone();
            loom::thread::spawn(move || match slot.take() {
                Some(task) => {
                    task.run();
                    true
                }
                None => false,
            })
        };
        assert!(slot.put(notified).is_none(), "the slot was empty");
        let kept = match slot.take() {
            Some(task) => {
                task.run();
                true
            }
            None => false,
        };
        let stolen = thief.join().unwrap();

        assert!(kept ^ stolen, "the task must go to exactly one taker");
        assert_eq!(gate.polls.load(SeqCst), 1, "polled exactly once");
        assert!(join.is_finished());
        drop(join);
        assert_eq!(gate.future_drops.load(SeqCst), 1);
        assert_eq!(gate.output_drops.load(SeqCst), 1);
        drop(slot);
        assert_eq!(Arc::strong_count(&scheduler), 1, "the task was leaked");
    });
}
