//! `IoDriver`: the runtime's readiness poller (mio's `Poll`: epoll, kqueue, or IOCP's
//! emulation), driven by the workers themselves.
//!
//! # Who polls
//! The *driving* worker (the one that holds the timer's driving token, see
//! `timer/driver.rs`) parks in the poller: `Parker::park_polling` calls [`Poller::poll`]
//! with the timer's next deadline as the timeout, and an unpark of that worker calls
//! [`Poller::wake`], which writes the poller's waker. So one wait covers the timers, the
//! sockets and the unparks. Busy workers poll with a zero timeout at their checks
//! ([`IoDriver::maintain`], on the executor's time budget), unless a worker is parked in
//! the poller already (then the lock is taken and they skip it) or a busy poll came less
//! than [`BUSY_POLL_INTERVAL`] ago. Either way the tasks the events concern are woken on
//! the polling worker, into its own queue: no hop through the injector.
//!
//! Why a floor of its own, above the ~50 µs between checks: with every worker busy
//! serving sockets (an HTTP server at full load on 2 workers), a poll at every check
//! found 1.4 events on average, and the workers made 3.5 times tokio's `epoll_wait` calls
//! per request. At 250 µs the calls drop about 3 times and the server serves 3–7 % more
//! requests (BENCHMARKS.md, "Network I/O"). An idle worker parked in the poller still sees
//! every event at once; the floor only spaces the polls of workers that have work.
//!
//! The poller's waker is one event for whoever polls next. A busy worker's zero-timeout
//! poll can take it: the driving worker published `POLLING` and an unpark wrote the
//! waker, but the busy worker held the lock first. That wake was the driving worker's, so
//! the busy poll keeps it (`wake_kept`) and the driving worker's wait, finding it, does
//! not sleep (found by loom, with a mock of this sharing; unit test
//! `a_wake_taken_by_a_busy_poll_is_kept_for_the_driver`).
//!
//! # Sources
//! Each registered socket has one [`Source`] (a read and a write [`Readiness`]) in a slab,
//! and its slab key is its mio token. An event whose key was freed (the socket dropped
//! while the event was in flight) finds nothing, or a newer socket in the same slot,
//! which then tries one operation more than it needed to: readiness is only ever a hint
//! to try, so a stale one costs a `WouldBlock`, never a lost or a wrong result.
//!
//! # Shutdown
//! [`IoDriver::shutdown`] closes the slab (no new registrations), sets `SHUTDOWN` in
//! every source's words and wakes every waiter: an operation on a socket whose runtime
//! is gone returns an `io::Error` instead of waiting for events nobody polls.

use super::readiness::{Readiness, RUNTIME_GONE};
use crate::executor::Poller;
use crate::sync::atomic::{AtomicUsize, Ordering::*};
use crate::sync::{Arc, Mutex};
use slab::Slab;
use std::io;
use std::task::Waker;
use std::time::{Duration, Instant};

/// The token of the poller's own waker; never a slab key (the slab would need `usize::MAX`
/// entries first).
const WAKE: mio::Token = mio::Token(usize::MAX);

/// The least time between two zero-timeout polls by busy workers (see "Who polls").
const BUSY_POLL_INTERVAL: Duration = Duration::from_micros(250);

/// Events taken from the poller per wait.
const EVENTS_PER_POLL: usize = 1024;

/// A registered socket's readiness, one word per direction.
pub(crate) struct Source {
    pub(crate) read: Readiness,
    pub(crate) write: Readiness,
}

pub(crate) struct IoDriver {
    /// Held while polling: by the driving worker for its whole wait, by a busy worker
    /// for a zero-timeout poll (which skips when the lock is taken).
    polling: Mutex<Polling>,
    registry: mio::Registry,
    waker: mio::Waker,
    sources: Mutex<Sources>,
    /// How many sources are registered: none, and nobody needs to poll.
    registered: AtomicUsize,
}

struct Polling {
    poll: mio::Poll,
    events: mio::Events,
    /// A zero-timeout poll took the poller's wake-up, which was meant for the driving
    /// worker's wait: that wait must not sleep.
    wake_kept: bool,
    /// When a busy worker last polled.
    busy_polled: Option<Instant>,
}

struct Sources {
    slab: Slab<Arc<Source>>,
    /// Set at shutdown: nothing registers any more.
    closed: bool,
}

impl IoDriver {
    /// A poller and its waker.
    ///
    /// # Errors
    /// The operating system's, if it cannot make them (out of file descriptors).
    pub(crate) fn new() -> io::Result<IoDriver> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(&registry, WAKE)?;
        Ok(IoDriver {
            polling: Mutex::new(Polling {
                busy_polled: None,
                poll,
                events: mio::Events::with_capacity(EVENTS_PER_POLL),
                wake_kept: false,
            }),
            registry,
            waker,
            sources: Mutex::new(Sources {
                slab: Slab::new(),
                closed: false,
            }),
            registered: AtomicUsize::new(0),
        })
    }

    /// Registers `io` for `interest`: edge-triggered events for it will set its source's
    /// words.
    ///
    /// # Errors
    /// If the runtime shut down, or the poller refuses the registration.
    pub(crate) fn register(
        &self,
        io: &mut impl mio::event::Source,
        interest: mio::Interest,
    ) -> io::Result<(usize, Arc<Source>)> {
        let source = Arc::new(Source {
            read: Readiness::new(),
            write: Readiness::new(),
        });
        let key = {
            let mut sources = self.sources.lock();
            if sources.closed {
                return Err(io::Error::other(RUNTIME_GONE));
            }
            sources.slab.insert(source.clone())
        };
        // Outside the lock: the system call must not hold up a poller dispatching events.
        if let Err(err) = self.registry.register(io, mio::Token(key), interest) {
            self.remove(key);
            return Err(err);
        }
        // Relaxed: a hint for `maintain` and `has_sources`; the registration itself is
        // ordered by the poller.
        self.registered.fetch_add(1, Relaxed);
        Ok((key, source))
    }

    /// Deregisters `io`, registered under `key`, and frees its source.
    pub(crate) fn deregister(&self, io: &mut impl mio::event::Source, key: usize) {
        // An error means the poller dropped it already (it was closed elsewhere); the
        // slot is freed either way.
        let _ = self.registry.deregister(io);
        self.registered.fetch_sub(1, Relaxed);
        self.remove(key);
    }

    fn remove(&self, key: usize) {
        let source = {
            let mut sources = self.sources.lock();
            if sources.closed {
                // Shutdown emptied the slab; this key is gone already.
                return;
            }
            sources.slab.try_remove(key)
        };
        // Outside the lock: the source's last waker may be a task's last reference, and
        // dropping the task may drop another socket, which takes this lock.
        drop(source);
    }

    /// True while some socket is registered: someone should be polling.
    pub(crate) fn has_sources(&self) -> bool {
        self.registered.load(Relaxed) != 0
    }

    /// A busy worker's check at `now`: polls with a zero timeout, unless no socket is
    /// registered, a worker is polling already or a busy poll came less than
    /// [`BUSY_POLL_INTERVAL`] ago, and wakes the tasks its events concern. Returns
    /// whether it woke anything.
    pub(crate) fn maintain(&self, now: Instant) -> bool {
        self.poll_without_waiting(Some(now))
    }

    /// Polls with a zero timeout now, as [`IoDriver::maintain`] does but for the floor:
    /// the runtime went idle, and events already in come before a paused clock jumps.
    pub(crate) fn poll_idle(&self) -> bool {
        self.poll_without_waiting(None)
    }

    fn poll_without_waiting(&self, busy_at: Option<Instant>) -> bool {
        if !self.has_sources() {
            return false;
        }
        let Some(mut polling) = self.polling.try_lock() else {
            return false;
        };
        if let Some(now) = busy_at {
            let recent = polling
                .busy_polled
                .is_some_and(|last| now.saturating_duration_since(last) < BUSY_POLL_INTERVAL);
            if recent {
                return false;
            }
            polling.busy_polled = Some(now);
        }
        let mut wakers = Vec::new();
        self.turn(polling, Some(Duration::ZERO), &mut wakers);
        let woke = !wakers.is_empty();
        // Each on its own boundary: a waker that panics must not cost the others their
        // wake, nor this worker its life.
        wakers.into_iter().for_each(crate::task::wake_any);
        woke
    }

    /// One wait on the poller; adds the wakers its events call for to `wakers`, to be
    /// woken outside the lock. A zero-timeout poll keeps the poller's own wake-up for the
    /// driving worker (see "Who polls").
    fn turn(
        &self,
        mut polling: crate::sync::MutexGuard<'_, Polling>,
        timeout: Option<Duration>,
        wakers: &mut Vec<Waker>,
    ) {
        let Polling {
            poll,
            events,
            wake_kept,
            busy_polled: _,
        } = &mut *polling;
        if let Err(err) = poll.poll(events, timeout) {
            // A signal interrupted the wait: the caller re-checks and parks again.
            if err.kind() == io::ErrorKind::Interrupted {
                return;
            }
            panic!("corun: the I/O poller failed, the runtime cannot go on: {err}");
        }
        if events.iter().any(|event| event.token() == WAKE) && timeout == Some(Duration::ZERO) {
            *wake_kept = true;
        }
        if events.iter().any(|event| event.token() != WAKE) {
            let sources = self.sources.lock();
            for event in events.iter() {
                let Some(source) = sources.slab.get(event.token().0) else {
                    // The waker's token, or a socket dropped meanwhile.
                    continue;
                };
                // An error ends both directions' waits for good, a hang-up its own
                // direction's: the next operation returns the end or the error.
                let read_closed = event.is_read_closed() || event.is_error();
                if event.is_readable() || read_closed {
                    source.read.set_ready(read_closed, wakers);
                }
                let write_closed = event.is_write_closed() || event.is_error();
                if event.is_writable() || write_closed {
                    source.write.set_ready(write_closed, wakers);
                }
            }
        }
    }

    /// The runtime shut down and its tasks are gone: see "Shutdown".
    pub(crate) fn shutdown(&self) {
        let sources = {
            let mut sources = self.sources.lock();
            sources.closed = true;
            std::mem::take(&mut sources.slab)
        };
        let mut wakers = Vec::new();
        for (_, source) in &sources {
            source.read.shut_down(&mut wakers);
            source.write.shut_down(&mut wakers);
        }
        drop(sources);
        for waker in wakers {
            crate::task::wake_any(waker);
        }
    }
}

impl Poller for IoDriver {
    fn poll(&self, timeout: Option<Duration>, woken: &mut Vec<Waker>) {
        // Only the driving worker waits here; a busy worker's zero-timeout poll holds
        // the lock for a moment at most.
        let mut polling = self.polling.lock();
        // A busy poll took this wait's wake-up: look at the events, but do not sleep.
        let timeout = if std::mem::take(&mut polling.wake_kept) {
            Some(Duration::ZERO)
        } else {
            timeout
        };
        self.turn(polling, timeout, woken);
    }

    fn wake(&self) {
        if let Err(err) = self.waker.wake() {
            // Writing the poller's eventfd (or pipe) fails only if the system is out of
            // resources; the parked worker would never wake.
            panic!("corun: cannot wake the I/O poller: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_taken_by_a_busy_poll_is_kept_for_the_driver() {
        let driver = IoDriver::new().unwrap();
        // A registered socket, or `maintain` would not poll.
        let mut socket = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let (key, _source) = driver
            .register(&mut socket, mio::Interest::READABLE)
            .unwrap();
        // An unpark of the driving worker, and a busy worker's poll before its wait.
        driver.wake();
        assert!(!driver.maintain(Instant::now()), "the wake-up is no task's");
        assert!(
            driver.polling.lock().wake_kept,
            "the busy poll kept the wake-up"
        );
        // The driving worker's wait returns (without the kept wake it would sleep for
        // good: nothing else will write the poller) and uses the kept wake up.
        let mut woken = Vec::new();
        Poller::poll(&driver, None, &mut woken);
        assert!(woken.is_empty());
        assert!(!driver.polling.lock().wake_kept);
        driver.deregister(&mut socket, key);
    }

    #[test]
    fn busy_polls_come_no_closer_than_the_floor() {
        use super::super::readiness::{Drained, Waiter};
        use std::task::{Context, Poll};
        let driver = IoDriver::new().unwrap();
        let mut socket = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = socket.local_addr().unwrap();
        let (key, source) = driver
            .register(&mut socket, mio::Interest::READABLE)
            .unwrap();
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut cx = Context::from_waker(Waker::noop());
        let mut waiter = Waiter::default();
        // A datagram arrives (loopback delivers it before `send_to` returns) while a
        // reader waits, its readiness cleared by a `WouldBlock`.
        let mut arrive = || {
            if let Poll::Ready(Ok(tick)) = source.read.poll_ready(&mut cx, &mut waiter) {
                source.read.clear(tick, Drained::WouldBlock);
            }
            sender.send_to(b"x", addr).unwrap();
            assert!(source.read.poll_ready(&mut cx, &mut waiter).is_pending());
        };
        let start = Instant::now();
        arrive();
        assert!(driver.maintain(start), "the first busy poll polls");
        arrive();
        assert!(
            !driver.maintain(start + BUSY_POLL_INTERVAL / 2),
            "a busy poll within the floor of the last one is skipped"
        );
        assert!(driver.maintain(start + BUSY_POLL_INTERVAL));
        arrive();
        assert!(
            driver.poll_idle(),
            "an idle runtime's poll ignores the floor"
        );
        source.read.forget(&mut waiter);
        driver.deregister(&mut socket, key);
    }
}
