//! Driving one future on the calling thread: poll, and park the thread until its waker
//! fires.

use super::park::Parker;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

/// `std::task::Wake` requires std's `Arc`; the parker inside comes from the sync shim.
#[allow(clippy::disallowed_types)]
type WakerArc<T> = std::sync::Arc<T>;

struct ThreadWaker(Parker);

impl Wake for ThreadWaker {
    fn wake(self: WakerArc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &WakerArc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread until it completes. The caller has entered the runtime.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let thread_waker = WakerArc::new(ThreadWaker(Parker::new()));
    let waker = Waker::from(thread_waker.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) =
            crate::task::budgeted_block_on(|| future.as_mut().poll(&mut cx))
        {
            return output;
        }
        thread_waker.0.park();
    }
}
