//! `Drivers`: the runtime's driver stack — the timer and the I/O driver behind the
//! executor's one [`Driver`] hook.
//!
//! The executor calls one `Driver`; this is it. The timer owns the driving protocol (which
//! parked worker drives, and until when); the I/O driver owns the wait: the driving
//! worker's parker sleeps in its poller ([`Driver::poller`]), with the timer's deadline
//! as the timeout. Between tasks both do what is due ([`Driver::maintain`]): the timer
//! fires, the poller is polled with a zero timeout. Under loom there is no poller (mio
//! cannot be modelled); the models give a parker a poller of their own.

use crate::executor::{BeforePark, Driver, Handle, Parker, Poller};
#[cfg(not(corun_loom))]
use crate::io::IoDriver;
use crate::sync::Arc;
use crate::timer::Timer;
use std::any::Any;
use std::io;
use std::time::Instant;

pub(crate) struct Drivers {
    timer: Timer,
    #[cfg(not(corun_loom))]
    io: Arc<IoDriver>,
}

impl Drivers {
    /// A timer with a shard per worker (its clock paused from the start if
    /// `start_paused`) and a poller.
    ///
    /// # Errors
    /// The operating system's, if it cannot make a poller.
    pub(crate) fn new(workers: usize, start_paused: bool) -> io::Result<Drivers> {
        Ok(Drivers {
            timer: Timer::new(workers, start_paused),
            #[cfg(not(corun_loom))]
            io: Arc::new(IoDriver::new()?),
        })
    }

    /// The drivers of `handle`'s runtime.
    pub(crate) fn of(handle: &Handle) -> &Drivers {
        handle
            .driver()
            .as_any()
            .downcast_ref()
            .expect("every corun runtime is built with Drivers as its driver")
    }

    pub(crate) fn timer(&self) -> &Timer {
        &self.timer
    }

    #[cfg(not(corun_loom))]
    pub(crate) fn io(&self) -> &Arc<IoDriver> {
        &self.io
    }

    /// True if the I/O driver woke something (polling with a zero timeout, as a busy
    /// worker's check at `now` if given).
    fn maintain_io(&self, now: Option<Instant>) -> bool {
        #[cfg(not(corun_loom))]
        return match now {
            Some(now) => self.io.maintain(now),
            None => self.io.poll_idle(),
        };
        #[cfg(corun_loom)]
        return {
            let _ = now;
            false
        };
    }

    fn has_io(&self) -> bool {
        #[cfg(not(corun_loom))]
        return self.io.has_sources();
        #[cfg(corun_loom)]
        return false;
    }
}

impl Driver for Drivers {
    fn maintain(&self, now: Instant) {
        self.timer.maintain(now);
        self.maintain_io(Some(now));
    }

    fn before_park(&self, unparker: &Arc<Parker>) -> BeforePark {
        self.timer.before_park(unparker)
    }

    fn after_park(&self) {
        self.timer.after_park();
    }

    fn has_pending(&self) -> bool {
        // A registered socket is pending too: its events wait for a polling worker.
        self.timer.has_pending() || self.has_io()
    }

    fn pending(&self) -> usize {
        self.timer.pending()
    }

    fn on_idle(&self, still_idle: &dyn Fn() -> bool) -> bool {
        // Events already in are not "nothing will happen": take them before a paused
        // clock jumps (tokio's paused clock does the same).
        self.maintain_io(None) || self.timer.on_idle(still_idle)
    }

    fn poller(&self) -> Option<Arc<dyn Poller>> {
        #[cfg(not(corun_loom))]
        return Some(self.io.clone());
        #[cfg(corun_loom)]
        return None;
    }

    fn shutdown(&self) {
        self.timer.shutdown();
        #[cfg(not(corun_loom))]
        self.io.shutdown();
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
