//! Shared pieces of the task models: a scheduler whose queue the model drains by hand, and
//! a future that waits for a gate, counting its polls and drops.

use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use crate::sync::{Arc, Mutex};
use crate::task::{Notified, Schedule, Task};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Queues notified tasks; asserts that a task is never queued twice at once.
pub(super) struct TestScheduler {
    queue: Mutex<VecDeque<Notified<Arc<TestScheduler>>>>,
}

impl TestScheduler {
    pub(super) fn new() -> Arc<TestScheduler> {
        Arc::new(TestScheduler {
            queue: Mutex::new(VecDeque::new()),
        })
    }

    fn push(&self, task: Notified<Arc<TestScheduler>>) {
        let mut queue = self.queue.lock();
        assert!(
            queue.is_empty(),
            "a task was scheduled while a Notified was still queued"
        );
        queue.push_back(task);
    }

    /// Runs queued tasks until the queue is empty.
    pub(super) fn run_queued(&self) {
        loop {
            let task = self.queue.lock().pop_front();
            match task {
                Some(task) => task.run(),
                None => return,
            }
        }
    }
}

impl Schedule for Arc<TestScheduler> {
    fn schedule(&self, task: Notified<Self>) {
        self.push(task);
    }

    fn yield_now(&self, task: Notified<Self>) {
        self.push(task);
    }

    fn release(&self, _task: &Task<Self>) -> bool {
        false
    }
}

/// A one-shot event a `WaitGate` future waits for.
pub(super) struct Gate {
    open: AtomicBool,
    waker: Mutex<Option<Waker>>,
    in_poll: AtomicBool,
    pub(super) polls: AtomicUsize,
    pub(super) future_drops: AtomicUsize,
    pub(super) outputs_made: AtomicUsize,
    pub(super) output_drops: AtomicUsize,
}

impl Gate {
    pub(super) fn new(open: bool) -> Arc<Gate> {
        Arc::new(Gate {
            open: AtomicBool::new(open),
            waker: Mutex::new(None),
            in_poll: AtomicBool::new(false),
            polls: AtomicUsize::new(0),
            future_drops: AtomicUsize::new(0),
            outputs_made: AtomicUsize::new(0),
            output_drops: AtomicUsize::new(0),
        })
    }

    /// Opens the gate and wakes the waiting task (register-then-check on the other side).
    pub(super) fn open(&self) {
        self.open.store(true, SeqCst);
        let waker = self.waker.lock().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Drops the waker the task registered, so the task holds no reference through it.
    pub(super) fn drop_waker(&self) {
        drop(self.waker.lock().take());
    }

    /// Wakes the registered waker without opening the gate.
    pub(super) fn wake_registered(&self) {
        let waker = self.waker.lock().clone();
        waker.expect("the task registered a waker").wake();
    }
}

/// Resolves to an `Output` once its gate is open.
pub(super) struct WaitGate(pub(super) Arc<Gate>);

/// Counts its drops on the gate.
pub(super) struct Output(Arc<Gate>);

impl Future for WaitGate {
    type Output = Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        let gate = &self.0;
        assert!(
            !gate.in_poll.swap(true, SeqCst),
            "polled on two threads at once"
        );
        gate.polls.fetch_add(1, SeqCst);
        // Register, then check: an opener either sees this waker or we see its flag.
        *gate.waker.lock() = Some(cx.waker().clone());
        let ready = gate.open.load(SeqCst);
        if ready {
            // Not needed any more; holding it would keep the task alive.
            gate.waker.lock().take();
        }
        gate.in_poll.store(false, SeqCst);
        if ready {
            gate.outputs_made.fetch_add(1, SeqCst);
            Poll::Ready(Output(gate.clone()))
        } else {
            Poll::Pending
        }
    }
}

impl Drop for WaitGate {
    fn drop(&mut self) {
        self.0.future_drops.fetch_add(1, SeqCst);
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        self.0.output_drops.fetch_add(1, SeqCst);
    }
}
