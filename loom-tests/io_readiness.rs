//! `Readiness` (`io/readiness.rs`): the driver's reports racing with a task's
//! check, try, clear loop on one direction of a socket.
//!
//! The socket is simulated: one atomic word the "kernel" (the driver's thread) fills
//! before it reports and the reader's operation takes from with a read-modify-write, which
//! sees the latest state as a system call does. The reader runs the loop of
//! `PollIo::poll_read` (`io/poll_io.rs`, which needs mio and is not compiled under loom)
//! under `loom::future::block_on`, whose waker is the one filed in the waiter slab: a
//! report that is lost (cleared, or set with no waker to wake and no re-check to see it)
//! leaves the reader blocked with nobody to wake it, which loom reports as a deadlock.
//!
//! - `a_report_racing_with_a_would_block_is_not_cleared`: the report lands between the
//!   reader's `WouldBlock` and its clear, or between its filing the waker and its
//!   re-check; the reader gets the data.
//! - `a_closing_report_survives_the_clear_after_a_short_read`: data and the peer's close,
//!   reported one after the other; a short read clears readiness, perhaps at the tick of
//!   the closing report, and the reader must still find the end (`CLOSED` survives the
//!   clear of a short read; only a `WouldBlock` clears it).
//! - `shutdown_racing_with_a_waiter_ends_the_wait_with_an_error`: the runtime shuts down
//!   while the reader files its waker; the reader gets `RUNTIME_GONE`.
//! - `a_report_racing_with_a_try_read_is_kept_for_the_next_wait`: the loop a user of
//!   `try_read` writes (try; on `WouldBlock` wait for `readable`, try again), whose try
//!   takes its tick from `Readiness::ready` and files no waker; the report lands between
//!   the try's `WouldBlock` and its clear, or while the wait files its waker; the reader
//!   gets the data.
//!
//! Preemption bound 3 (the suite's): 231, 2,113, 119 and 244 iterations, each under half
//! a second in release on 2 cores.

use super::readiness::{Drained, Readiness, Waiter, RUNTIME_GONE};
use crate::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use crate::sync::Arc;
use std::future::poll_fn;
use std::io;
use std::task::{ready, Context, Poll, Waker};

/// The kernel's side of a socket, one direction: bytes buffered (above bit 0) and whether
/// the peer closed (bit 0). Read-modify-writes only, so an operation sees the latest
/// state whatever the orderings: the kernel's own locking gives a system call that much,
/// and the model gives it no more (no happens-before for the readiness word to borrow).
struct Socket(AtomicUsize);

const EOF: usize = 1;
const BYTE: usize = 2;

impl Socket {
    fn new() -> Socket {
        Socket(AtomicUsize::new(0))
    }

    /// Data arrives (the kernel, before the poller reports it).
    fn deliver(&self, bytes: usize) {
        self.0.fetch_add(bytes * BYTE, Relaxed);
    }

    /// The peer closes its end.
    fn close(&self) {
        self.0.fetch_or(EOF, Relaxed);
    }

    /// `read` into a buffer of `len` bytes: what is buffered (at most `len`), the end
    /// (`Ok(0)`) once the buffer is empty and the peer closed, else `WouldBlock`.
    fn read(&self, len: usize) -> io::Result<usize> {
        let mut taken = 0;
        let before = self
            .0
            .fetch_update(Relaxed, Relaxed, |state| {
                taken = (state / BYTE).min(len);
                Some(state - taken * BYTE)
            })
            .expect("the update always applies");
        if taken > 0 || before & EOF != 0 {
            Ok(taken)
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        }
    }
}

/// `PollIo::poll_read`'s loop on the simulated socket: check, try, and clear on
/// `WouldBlock` or after a short read.
fn poll_read(
    readiness: &Readiness,
    socket: &Socket,
    cx: &mut Context<'_>,
    waiter: &mut Waiter,
    len: usize,
) -> Poll<io::Result<usize>> {
    loop {
        let tick = ready!(readiness.poll_ready(cx, waiter))?;
        match socket.read(len) {
            Ok(n) => {
                if n > 0 && n < len {
                    readiness.clear(tick, Drained::Short);
                }
                return Poll::Ready(Ok(n));
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                readiness.clear(tick, Drained::WouldBlock)
            }
            Err(err) => return Poll::Ready(Err(err)),
        }
    }
}

/// `PollIo::try_read` on the simulated socket: one read if the word is ready (else
/// `WouldBlock` at once, no waker filed), clearing at the tick `ready` gave on
/// `WouldBlock` or after a short read.
fn try_read(readiness: &Readiness, socket: &Socket, len: usize) -> io::Result<usize> {
    let tick = readiness
        .ready()
        .unwrap_or_else(|| Err(io::ErrorKind::WouldBlock.into()))?;
    let result = socket.read(len);
    match &result {
        Ok(n) if *n > 0 && *n < len => readiness.clear(tick, Drained::Short),
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
            readiness.clear(tick, Drained::WouldBlock)
        }
        _ => {}
    }
    result
}

/// What the driver does with the wakers a report collected: wakes each outside the lock.
fn wake_all(wakers: Vec<Waker>) {
    for waker in wakers {
        crate::task::wake_any(waker);
    }
}

/// The driver's side of a byte arriving, on its own thread: the socket gets the byte,
/// then the readiness word the report, then the woken waiters run.
fn deliver_one_byte(
    readiness: &Arc<Readiness>,
    socket: &Arc<Socket>,
) -> loom::thread::JoinHandle<()> {
    let (readiness, socket) = (readiness.clone(), socket.clone());
    loom::thread::spawn(move || {
        socket.deliver(1);
        let mut wakers = Vec::new();
        readiness.set_ready(false, &mut wakers);
        wake_all(wakers);
    })
}

#[test]
fn a_report_racing_with_a_would_block_is_not_cleared() {
    loom::model(|| {
        // Ready at tick 0, as a new socket is: the reader's first try may find nothing.
        let readiness = Arc::new(Readiness::new());
        let socket = Arc::new(Socket::new());
        let driver = deliver_one_byte(&readiness, &socket);
        let mut waiter = Waiter::default();
        // A full read (the buffer holds just the one byte): no clear after it.
        let read = loom::future::block_on(poll_fn(|cx| {
            poll_read(&readiness, &socket, cx, &mut waiter, 1)
        }));
        assert_eq!(read.expect("no error is reported"), 1, "the data was read");
        readiness.forget(&mut waiter);
        driver.join().unwrap();
    });
}

#[test]
fn a_closing_report_survives_the_clear_after_a_short_read() {
    loom::model(|| {
        let readiness = Arc::new(Readiness::new());
        let socket = Arc::new(Socket::new());
        let driver = {
            let (readiness, socket) = (readiness.clone(), socket.clone());
            loom::thread::spawn(move || {
                let mut wakers = Vec::new();
                socket.deliver(1);
                readiness.set_ready(false, &mut wakers);
                // The peer closes: the final report, none follows it.
                socket.close();
                readiness.set_ready(true, &mut wakers);
                wake_all(wakers);
            })
        };
        let mut waiter = Waiter::default();
        // Reads of two bytes until the end: the one byte is a short read, which clears.
        let mut total = 0;
        loom::future::block_on(poll_fn(|cx| loop {
            match ready!(poll_read(&readiness, &socket, cx, &mut waiter, 2)) {
                Ok(0) => return Poll::Ready(()),
                Ok(n) => total += n,
                Err(err) => panic!("no error is reported: {err}"),
            }
        }));
        assert_eq!(total, 1, "the byte was read before the end");
        readiness.forget(&mut waiter);
        driver.join().unwrap();
    });
}

#[test]
fn shutdown_racing_with_a_waiter_ends_the_wait_with_an_error() {
    loom::model(|| {
        let readiness = Arc::new(Readiness::new());
        let mut waiter = Waiter::default();
        // A try that saw `WouldBlock` cleared the new socket's readiness.
        let mut cx = Context::from_waker(Waker::noop());
        let Poll::Ready(Ok(tick)) = readiness.poll_ready(&mut cx, &mut waiter) else {
            panic!("a new socket starts ready");
        };
        readiness.clear(tick, Drained::WouldBlock);
        let shutdown = {
            let readiness = readiness.clone();
            loom::thread::spawn(move || {
                let mut wakers = Vec::new();
                readiness.shut_down(&mut wakers);
                wake_all(wakers);
            })
        };
        let result = loom::future::block_on(poll_fn(|cx| readiness.poll_ready(cx, &mut waiter)));
        let err = result.expect_err("a wait after shutdown ends with an error");
        assert_eq!(err.to_string(), RUNTIME_GONE);
        readiness.forget(&mut waiter);
        shutdown.join().unwrap();
    });
}

#[test]
fn a_report_racing_with_a_try_read_is_kept_for_the_next_wait() {
    loom::model(|| {
        // Ready at tick 0, as a new socket is: the first try may find nothing.
        let readiness = Arc::new(Readiness::new());
        let socket = Arc::new(Socket::new());
        let driver = deliver_one_byte(&readiness, &socket);
        // `readable()`'s waiter, filed only while the loop waits.
        let mut waiter = Waiter::default();
        let read = loom::future::block_on(poll_fn(|cx| loop {
            match try_read(&readiness, &socket, 1) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    if let Err(err) = ready!(readiness.poll_ready(cx, &mut waiter)) {
                        return Poll::Ready(Err(err));
                    }
                }
                result => return Poll::Ready(result),
            }
        }));
        assert_eq!(read.expect("no error is reported"), 1, "the data was read");
        readiness.forget(&mut waiter);
        driver.join().unwrap();
    });
}
