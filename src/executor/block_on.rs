//! Driving one future on the calling thread: poll, and park the thread until its waker
//! fires.
//!
//! On a runtime whose clock can be paused (built with `Builder::start_paused(true)`), the
//! thread counts as *busy* in the runtime's idle word (`idle.rs`) while it polls, so
//! that a paused clock does not jump ahead while the future can run (see
//! `Shared::went_idle`). Three states in one atomic decide who counts it: `POLLING`
//! (counted), `WOKEN` (woken while polling, or by the wake that ended a park: counted)
//! and `PARKED` (not counted). The thread uncounts itself only on `POLLING` → `PARKED`;
//! a wake that finds `PARKED` counts the thread again *before* unparking it, so the
//! thread is counted whenever its future can run, and the waker (itself counted: a task,
//! a blocking job, a timer's driver) counts it before it uncounts itself.

use super::park::Parker;
use super::shared::Shared;
use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::Arc;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

/// The thread polls the future (counted busy).
const POLLING: usize = 0;
/// A wake came while polling, or ended the park (counted busy): poll again.
const WOKEN: usize = 1;
/// The thread parks (or is about to) and is not counted.
const PARKED: usize = 2;

/// `std::task::Wake` requires std's `Arc`; the parker inside comes from the sync shim.
#[allow(clippy::disallowed_types)]
type WakerArc<T> = std::sync::Arc<T>;

struct ThreadWaker {
    parker: Parker,
    /// On a runtime whose clock can be paused: the thread's busy count.
    busy: Option<Busy>,
}

/// Whether the `block_on` thread is counted busy, and where.
struct Busy {
    state: AtomicUsize,
    shared: Arc<Shared>,
}

impl ThreadWaker {
    fn wake_thread(&self) {
        match &self.busy {
            None => self.parker.unpark(),
            // SeqCst: the count is read with the idle word's snapshot (see `idle.rs`).
            Some(busy) => {
                if busy.state.swap(WOKEN, SeqCst) == PARKED {
                    busy.shared.begin_busy();
                    self.parker.unpark();
                }
            }
        }
    }

    /// Parks unless woken while polling. Returns once the future should be polled again.
    fn park(&self) {
        let Some(busy) = &self.busy else {
            return self.parker.park();
        };
        // SeqCst: as in `wake_thread`.
        if busy
            .state
            .compare_exchange(POLLING, PARKED, SeqCst, SeqCst)
            .is_ok()
        {
            busy.shared.end_busy();
            // Only `wake_thread` unparks, after leaving PARKED; loop in case of a
            // spurious return.
            while busy.state.load(SeqCst) == PARKED {
                self.parker.park();
            }
        }
        // A swap, not a store: a read-modify-write reads the latest wake, so the next
        // poll sees what every waker wrote before waking.
        busy.state.swap(POLLING, SeqCst);
    }
}

impl Wake for ThreadWaker {
    fn wake(self: WakerArc<Self>) {
        self.wake_thread();
    }

    fn wake_by_ref(self: &WakerArc<Self>) {
        self.wake_thread();
    }
}

/// Uncounts the thread when `block_on` returns or unwinds (it is counted then: polling).
struct EndBusy<'a>(&'a Shared);

impl Drop for EndBusy<'_> {
    fn drop(&mut self) {
        self.0.end_busy();
    }
}

/// Polls `future` on this thread until it completes. The caller has entered the runtime
/// `shared`.
pub(crate) fn block_on<F: Future>(shared: &Arc<Shared>, future: F) -> F::Output {
    // Only a runtime whose clock can be paused counts the thread (and so its waker keeps
    // the runtime's state alive); on the others the waker is a parker and nothing more.
    let busy = shared.clock_control.then(|| Busy {
        state: AtomicUsize::new(POLLING),
        shared: shared.clone(),
    });
    let thread_waker = WakerArc::new(ThreadWaker {
        parker: Parker::new(),
        busy,
    });
    shared.begin_busy();
    let _end_busy = EndBusy(shared);
    let waker = Waker::from(thread_waker.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) =
            crate::task::budgeted_block_on(|| future.as_mut().poll(&mut cx))
        {
            return output;
        }
        thread_waker.park();
    }
}
