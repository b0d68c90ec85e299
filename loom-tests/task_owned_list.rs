//! The owner list (`list.rs`) racing with shutdown: a task bound and run while the list is
//! closed and emptied. The task is either refused at bind (and cancelled there) or listed;
//! a listed task is cancelled by shutdown if idle, or completes and leaves the list, handing
//! the list's reference to the completer (the two-reference release); either way its
//! future is dropped exactly once and the allocation freed.

use super::list::OwnedTasks;
use super::loom_support::{Gate, WaitGate};
use super::{Notified, Schedule, Task};
use crate::sync::atomic::Ordering::SeqCst;
use crate::sync::{Arc, Mutex};
use crate::task;
use std::collections::VecDeque;

/// A scheduler whose completed tasks leave a real owner list.
struct ListScheduler {
    owned: OwnedTasks<Arc<ListScheduler>>,
    queue: Mutex<VecDeque<Notified<Arc<ListScheduler>>>>,
}

impl Schedule for Arc<ListScheduler> {
    fn schedule(&self, task: Notified<Self>) {
        self.queue.lock().push_back(task);
    }

    fn yield_now(&self, task: Notified<Self>) {
        self.queue.lock().push_back(task);
    }

    fn release(&self, task: &Task<Self>) -> bool {
        self.owned.release(task)
    }
}

fn bind_and_run_while_closing(gate_open: bool) {
    loom::model(move || {
        let scheduler = Arc::new(ListScheduler {
            owned: OwnedTasks::new(1),
            queue: Mutex::new(VecDeque::new()),
        });
        let gate = Gate::new(gate_open);
        let (task, notified, join) = task::new(
            WaitGate(gate.clone()),
            scheduler.clone(),
            task::Spawn::here(),
        );
        let binder = {
            let scheduler = scheduler.clone();
            loom::thread::spawn(move || {
                if let Some(notified) = scheduler.owned.bind(task, notified) {
                    notified.run();
                }
            })
        };
        scheduler.owned.close_and_cancel_all();
        binder.join().unwrap();

        assert!(join.is_finished(), "shutdown left a listed task alive");
        assert!(scheduler.owned.is_empty());
        assert_eq!(gate.future_drops.load(SeqCst), 1, "dropped exactly once");
        match futures::executor::block_on(join) {
            Ok(output) => {
                assert!(gate_open);
                drop(output);
            }
            Err(error) => assert!(error.is_cancelled()),
        }
        gate.drop_waker();
        assert_eq!(
            gate.output_drops.load(SeqCst),
            gate.outputs_made.load(SeqCst)
        );
        assert_eq!(Arc::strong_count(&scheduler), 1, "the task was leaked");
    });
}

#[test]
fn bind_and_complete_racing_with_close() {
    bind_and_run_while_closing(true);
}

#[test]
fn bind_and_park_racing_with_close() {
    bind_and_run_while_closing(false);
}

/// Two tasks in one shard, so that they are linked to each other: the first completes and
/// unlinks itself (fixing up its neighbour's links) while shutdown pops the list from the
/// head. Each future is dropped once, each task freed, and the list ends empty.
#[test]
fn neighbours_unlink_racing_with_close() {
    loom::model(|| {
        let scheduler = Arc::new(ListScheduler {
            owned: OwnedTasks::new(1),
            queue: Mutex::new(VecDeque::new()),
        });
        let finishing = Gate::new(true);
        let parking = Gate::new(false);
        let (task, notified, first) = task::new(
            WaitGate(finishing.clone()),
            scheduler.clone(),
            task::Spawn::here(),
        );
        let first_notified = scheduler.owned.bind(task, notified).unwrap();
        let (task, notified, second) = task::new(
            WaitGate(parking.clone()),
            scheduler.clone(),
            task::Spawn::here(),
        );
        let second_notified = scheduler.owned.bind(task, notified).unwrap();
        let runner = loom::thread::spawn(move || first_notified.run());
        scheduler.owned.close_and_cancel_all();
        runner.join().unwrap();
        // Shutdown cancels what is idle; the queued first run of the second is released.
        drop(second_notified);

        assert!(scheduler.owned.is_empty());
        assert!(first.is_finished() && second.is_finished());
        for gate in [&finishing, &parking] {
            assert_eq!(gate.future_drops.load(SeqCst), 1, "dropped exactly once");
        }
        drop(futures::executor::block_on(first));
        assert!(matches!(futures::executor::block_on(second), Err(error) if error.is_cancelled()));
        finishing.drop_waker();
        parking.drop_waker();
        assert_eq!(Arc::strong_count(&scheduler), 1, "a task was leaked");
    });
}
