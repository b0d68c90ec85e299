//! `PollIo<S>`: a non-blocking mio socket registered with its runtime's I/O driver, and
//! the loop every operation on it runs: check readiness, try, clear on `WouldBlock`; and
//! the single try without the wait (`try_read`), which clears the same way.

use super::driver::{IoDriver, Source};
use super::readiness::{Drained, Readiness, Tick, Waiter};
use crate::executor::Handle;
use crate::sync::Arc;
use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Which way an operation moves bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Direction {
    Read,
    Write,
}

pub(crate) struct PollIo<S: mio::event::Source> {
    /// `None` only after `into_inner` took it.
    io: Option<S>,
    key: usize,
    source: Arc<Source>,
    driver: Arc<IoDriver>,
}

const NO_RUNTIME_FOR_IO: &str = "there is no corun runtime on this thread: create sockets \
     and `AsyncFd`s inside `corun::run`, `Runtime::block_on` or a task spawned on a runtime, \
     or after `Runtime::enter`";

impl<S: mio::event::Source> PollIo<S> {
    /// Registers `io` with the current runtime's I/O driver, for reading and writing.
    ///
    /// # Panics
    /// Outside a corun runtime.
    pub(crate) fn new(mut io: S) -> io::Result<PollIo<S>> {
        let handle = Handle::try_current().unwrap_or_else(|_| panic!("{NO_RUNTIME_FOR_IO}"));
        let driver = crate::drivers::Drivers::of(&handle).io().clone();
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        let (key, source) = driver.register(&mut io, interest)?;
        Ok(PollIo {
            io: Some(io),
            key,
            source,
            driver,
        })
    }

    pub(crate) fn get_ref(&self) -> &S {
        self.io
            .as_ref()
            .expect("a PollIo's socket is only taken by into_inner")
    }

    pub(crate) fn get_mut(&mut self) -> &mut S {
        self.io
            .as_mut()
            .expect("a PollIo's socket is only taken by into_inner")
    }

    fn readiness(&self, direction: Direction) -> &Readiness {
        match direction {
            Direction::Read => &self.source.read,
            Direction::Write => &self.source.write,
        }
    }

    /// Runs `op` once `direction` is ready, until it does not return `WouldBlock`;
    /// `waiter` is the caller's slot in the direction's waiter list.
    pub(crate) fn poll_io<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        waiter: &mut Waiter,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_op(direction, cx, waiter, op, |_| false)
    }

    /// The loop of every waiting operation: wait until `direction` is ready, try `op`,
    /// and again after a `WouldBlock` (which clears readiness, see [`Self::attempt`]).
    fn poll_op<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        waiter: &mut Waiter,
        mut op: impl FnMut(&S) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        let readiness = self.readiness(direction);
        loop {
            let tick = ready!(readiness.poll_ready(cx, waiter))?;
            match self.attempt(readiness, tick, &mut op, &drained) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
        }
    }

    /// One try of `op` without waiting: `WouldBlock` at once if `direction` is not
    /// ready, else `op`'s result, clearing readiness as a waiting operation would. A
    /// report that races with the try moves the tick and survives, so the caller's next
    /// wait ends at once.
    fn try_op<R>(
        &self,
        direction: Direction,
        op: impl FnOnce(&S) -> io::Result<R>,
        drained: impl FnOnce(&R) -> bool,
    ) -> io::Result<R> {
        let readiness = self.readiness(direction);
        let tick = readiness
            .ready()
            .unwrap_or_else(|| Err(io::ErrorKind::WouldBlock.into()))?;
        self.attempt(readiness, tick, op, drained)
    }

    /// Runs `op`, `readiness` having been found ready at `tick`, and clears it at that
    /// tick if the result shows the socket has nothing more to give: a `WouldBlock`, or
    /// a value that is `drained`.
    fn attempt<R>(
        &self,
        readiness: &Readiness,
        tick: Tick,
        op: impl FnOnce(&S) -> io::Result<R>,
        drained: impl FnOnce(&R) -> bool,
    ) -> io::Result<R> {
        let result = op(self.get_ref());
        let clear = match &result {
            Ok(value) => drained(value).then_some(Drained::Short),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Some(Drained::WouldBlock),
            Err(_) => None,
        };
        if let Some(how) = clear {
            readiness.clear(tick, how);
        }
        result
    }

    /// Waits until `direction` is ready (or the runtime is gone), without an operation.
    pub(crate) fn poll_ready(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        waiter: &mut Waiter,
    ) -> Poll<io::Result<()>> {
        self.readiness(direction)
            .poll_ready(cx, waiter)
            .map_ok(|_| ())
    }

    /// The readiness was a false alarm (a connect not finished yet): wait for the next
    /// report.
    pub(crate) fn clear_ready(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        waiter: &mut Waiter,
    ) {
        if let Poll::Ready(Ok(tick)) = self.readiness(direction).poll_ready(cx, waiter) {
            self.readiness(direction).clear(tick, Drained::WouldBlock);
        }
    }

    /// Hands `waiter`'s slot in `direction` back: whoever held it waits no more.
    pub(crate) fn forget(&self, direction: Direction, waiter: &mut Waiter) {
        self.readiness(direction).forget(waiter);
    }

    /// Deregisters the socket and gives it back, still non-blocking.
    pub(crate) fn into_inner(mut self) -> S {
        let mut io = self.io.take().expect("into_inner takes the socket once");
        self.driver.deregister(&mut io, self.key);
        io
    }
}

impl<S: mio::event::Source> PollIo<S>
where
    for<'a> &'a S: Read + Write,
{
    /// Reads into `buf`, waiting for the socket to be readable.
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        waiter: &mut Waiter,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let drained = short_of(buf.len());
        self.poll_op(Direction::Read, cx, waiter, |mut io| io.read(buf), drained)
    }

    /// One read into `buf` if the socket is readable, else `WouldBlock`.
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let drained = short_of(buf.len());
        self.try_op(Direction::Read, |mut io| io.read(buf), drained)
    }

    /// Writes from `bufs` (one system call), waiting for the socket to be writable.
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        waiter: &mut Waiter,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let drained = short_of(bufs.iter().map(|buf| buf.len()).sum());
        self.poll_op(
            Direction::Write,
            cx,
            waiter,
            |mut io| io.write_vectored(bufs),
            drained,
        )
    }

    /// One write from `bufs` if the socket is writable, else `WouldBlock`.
    pub(crate) fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let drained = short_of(bufs.iter().map(|buf| buf.len()).sum());
        self.try_op(Direction::Write, |mut io| io.write_vectored(bufs), drained)
    }
}

/// Whether a transfer of `n` bytes, asked to move `len`, left the socket with nothing
/// more to give: a read that fills less than its buffer emptied the socket's buffer (a
/// write short of its bytes filled it), so readiness is cleared without the `WouldBlock`
/// round trip that would prove it: with edge-triggered readiness, the next arrival
/// reports again (tokio does the same on epoll and kqueue). Not for operations that
/// take nothing (`peek`): the bytes they saw are still there.
fn short_of(len: usize) -> impl Fn(&usize) -> bool {
    move |&n| n > 0 && n < len
}

impl<S: mio::event::Source> Drop for PollIo<S> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            self.driver.deregister(&mut io, self.key);
        }
    }
}

/// A future that runs one operation on a `PollIo` with a waiter slot of its own, handed
/// back when it is dropped: what `accept`, `recv_from`, `send_to`, a stream's `peek` and
/// `readable` (an operation that does nothing) and friends await.
pub(crate) struct IoFuture<'a, S: mio::event::Source, F> {
    io: &'a PollIo<S>,
    direction: Direction,
    waiter: Waiter,
    op: F,
}

impl<'a, S: mio::event::Source, R, F: FnMut(&S) -> io::Result<R>> IoFuture<'a, S, F> {
    pub(crate) fn new(io: &'a PollIo<S>, direction: Direction, op: F) -> Self {
        IoFuture {
            io,
            direction,
            waiter: Waiter::default(),
            op,
        }
    }
}

impl<S, R, F> Future for IoFuture<'_, S, F>
where
    S: mio::event::Source,
    F: FnMut(&S) -> io::Result<R> + Unpin,
{
    type Output = io::Result<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let this = self.get_mut();
        this.io
            .poll_io(this.direction, cx, &mut this.waiter, &mut this.op)
    }
}

impl<S: mio::event::Source, F> Drop for IoFuture<'_, S, F> {
    fn drop(&mut self) {
        self.io.forget(self.direction, &mut self.waiter);
    }
}
