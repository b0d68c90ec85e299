//! `Stream<S>`: what TCP and Unix streams share — reads and writes through a `PollIo`,
//! with one waiter slot per direction, the wait for a non-blocking connect, readiness
//! waits and single tries for callers that share the stream (`&self`), and the split into
//! halves that two tasks can use at once, and back; and [`ReuniteError`]. The macros that
//! write each stream type's impls on top of it are in `stream_impls.rs`.

use crate::io::{Direction, IoFuture, PollIo, Waiter};
use crate::sync::Arc;
use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::task::{ready, Context, Poll};

/// A mio stream socket: what `Stream` needs beyond reading and writing.
pub(crate) trait StreamSocket {
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
    fn take_error(&self) -> io::Result<Option<io::Error>>;
    /// Whether a non-blocking connect has finished: `Err(NotConnected)` while it has not.
    fn check_connected(&self) -> io::Result<()>;
}

impl StreamSocket for mio::net::TcpStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        mio::net::TcpStream::shutdown(self, how)
    }
    fn take_error(&self) -> io::Result<Option<io::Error>> {
        mio::net::TcpStream::take_error(self)
    }
    fn check_connected(&self) -> io::Result<()> {
        self.peer_addr().map(drop)
    }
}

#[cfg(unix)]
impl StreamSocket for mio::net::UnixStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        mio::net::UnixStream::shutdown(self, how)
    }
    fn take_error(&self) -> io::Result<Option<io::Error>> {
        mio::net::UnixStream::take_error(self)
    }
    fn check_connected(&self) -> io::Result<()> {
        self.peer_addr().map(drop)
    }
}

/// A registered stream socket and the slots of its reader and its writer. (`&mut self`
/// methods: one reader and one writer at a time, so one slot each.)
pub(crate) struct Stream<S: mio::event::Source> {
    io: PollIo<S>,
    reader: Waiter,
    writer: Waiter,
}

impl<S> Stream<S>
where
    S: mio::event::Source + StreamSocket,
    for<'a> &'a S: Read + Write,
{
    pub(crate) fn new(io: S) -> io::Result<Stream<S>> {
        Ok(Stream {
            io: PollIo::new(io)?,
            reader: Waiter::default(),
            writer: Waiter::default(),
        })
    }

    pub(crate) fn socket(&self) -> &S {
        self.io.get_ref()
    }

    /// Waits for a non-blocking connect to finish (mio's recipe: writable, then no
    /// pending error and a peer).
    pub(crate) async fn connected(&self) -> io::Result<()> {
        let io = &self.io;
        let mut waiter = Waiter::default();
        let result = poll_fn(|cx| loop {
            ready!(io.poll_ready(Direction::Write, cx, &mut waiter))?;
            if let Some(err) = io.get_ref().take_error()? {
                return Poll::Ready(Err(err));
            }
            match io.get_ref().check_connected() {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(err) if err.kind() == io::ErrorKind::NotConnected => {
                    // Not yet: wait for the next report.
                    io.clear_ready(Direction::Write, cx, &mut waiter);
                }
                Err(err) => return Poll::Ready(Err(err)),
            }
        })
        .await;
        io.forget(Direction::Write, &mut waiter);
        result
    }

    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, &mut self.reader, buf)
    }

    pub(crate) fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, &mut self.writer, bufs)
    }

    /// Waits until `direction` is ready. Each call has a waiter of its own (the stream's
    /// two slots belong to `poll_read` and `poll_write_vectored`), handed back when the
    /// wait ends or its future is dropped: any number may wait at once.
    pub(crate) async fn ready(&self, direction: Direction) -> io::Result<()> {
        IoFuture::new(&self.io, direction, |_: &S| Ok(())).await
    }

    /// Runs `op` once the socket is readable, until it does not return `WouldBlock`,
    /// with a waiter of its own as in [`Self::ready`]. Only a `WouldBlock` clears
    /// readiness, so it suits reads that take nothing (`peek`): after a short one the
    /// bytes are still there.
    pub(crate) async fn read_with<R>(
        &self,
        op: impl FnMut(&S) -> io::Result<R> + Unpin,
    ) -> io::Result<R> {
        IoFuture::new(&self.io, Direction::Read, op).await
    }

    /// One read, without waiting: `WouldBlock` if the socket is not readable.
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read(buf)
    }

    /// One write, without waiting: `WouldBlock` if the socket is not writable.
    pub(crate) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_write_vectored(bufs)
    }

    /// Deregisters the socket and gives it back.
    pub(crate) fn into_inner(self) -> S {
        self.io.into_inner()
    }

    /// Splits into a reading and a writing side, each with its own slot.
    pub(crate) fn split(self) -> (ReadSide<S>, WriteSide<S>) {
        let io = Arc::new(self.io);
        (
            ReadSide {
                io: io.clone(),
                waiter: self.reader,
            },
            WriteSide {
                io,
                waiter: self.writer,
            },
        )
    }

    /// The stream `read` and `write` were split from, if they are its two sides; else
    /// both back, untouched.
    pub(crate) fn reunite(
        mut read: ReadSide<S>,
        mut write: WriteSide<S>,
    ) -> Result<Stream<S>, (ReadSide<S>, WriteSide<S>)> {
        if !Arc::ptr_eq(&read.io, &write.io) {
            return Err((read, write));
        }
        // The sides' slots become the stream's again; the sides, dropped with empty
        // waiters, hand nothing back.
        let reader = std::mem::take(&mut read.waiter);
        let writer = std::mem::take(&mut write.waiter);
        let io = read.io.clone();
        drop((read, write));
        let io = Arc::into_inner(io)
            .expect("a split stream's two sides hold the only references to its socket");
        Ok(Stream { io, reader, writer })
    }
}

/// The error of `reunite` on halves of two different streams: both halves, given back
/// (`R` is the read half, `W` the write half).
///
/// ```
/// use corun::net::{ReuniteError, TcpListener, TcpStream};
///
/// corun::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let (read, _) = TcpStream::connect(addr).await?.split();
///     let (_, write) = TcpStream::connect(addr).await?.split();
///     let ReuniteError(read, write) = read.reunite(write).unwrap_err();
///     assert_ne!(read.local_addr()?, write.local_addr()?);
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct ReuniteError<R, W>(pub R, pub W);

impl<R, W> fmt::Display for ReuniteError<R, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl<R: fmt::Debug, W: fmt::Debug> std::error::Error for ReuniteError<R, W> {}

/// Shuts the write direction down, as `AsyncWrite::poll_close` does: the peer reads end
/// of file. A socket whose peer is gone already has nothing to shut.
pub(crate) fn close_write<S: StreamSocket>(socket: &S) -> Poll<io::Result<()>> {
    match socket.shutdown(Shutdown::Write) {
        Err(err) if err.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
        result => Poll::Ready(result),
    }
}

/// The reading side of a split stream.
pub(crate) struct ReadSide<S: mio::event::Source> {
    io: Arc<PollIo<S>>,
    waiter: Waiter,
}

/// The writing side of a split stream.
pub(crate) struct WriteSide<S: mio::event::Source> {
    io: Arc<PollIo<S>>,
    waiter: Waiter,
}

impl<S> ReadSide<S>
where
    S: mio::event::Source,
    for<'a> &'a S: Read + Write,
{
    pub(crate) fn socket(&self) -> &S {
        self.io.get_ref()
    }

    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, &mut self.waiter, buf)
    }

    /// Waits until the socket is readable, with a waiter of its own (as
    /// [`Stream::ready`]).
    pub(crate) async fn readable(&self) -> io::Result<()> {
        IoFuture::new(&*self.io, Direction::Read, |_: &S| Ok(())).await
    }

    /// One read, without waiting: `WouldBlock` if the socket is not readable.
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read(buf)
    }
}

impl<S> WriteSide<S>
where
    S: mio::event::Source,
    for<'a> &'a S: Read + Write,
{
    pub(crate) fn socket(&self) -> &S {
        self.io.get_ref()
    }

    pub(crate) fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, &mut self.waiter, bufs)
    }

    /// Waits until the socket is writable, with a waiter of its own.
    pub(crate) async fn writable(&self) -> io::Result<()> {
        IoFuture::new(&*self.io, Direction::Write, |_: &S| Ok(())).await
    }

    /// One write, without waiting: `WouldBlock` if the socket is not writable.
    pub(crate) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_write_vectored(bufs)
    }
}

impl<S: mio::event::Source> Drop for ReadSide<S> {
    fn drop(&mut self) {
        self.io.forget(Direction::Read, &mut self.waiter);
    }
}

impl<S: mio::event::Source> Drop for WriteSide<S> {
    fn drop(&mut self) {
        self.io.forget(Direction::Write, &mut self.waiter);
    }
}
