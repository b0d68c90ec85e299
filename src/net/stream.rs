//! `Stream<S>`: what TCP and Unix streams share — reads and writes through a `PollIo`,
//! with one waiter slot per direction, and the split into halves that two tasks can use
//! at once.

use crate::io::{PollIo, Waiter};
use crate::sync::Arc;
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::task::{Context, Poll};

/// A stream socket that can shut down one direction.
pub(crate) trait ShutdownSocket {
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
}

impl ShutdownSocket for mio::net::TcpStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        mio::net::TcpStream::shutdown(self, how)
    }
}

#[cfg(unix)]
impl ShutdownSocket for mio::net::UnixStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        mio::net::UnixStream::shutdown(self, how)
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
    S: mio::event::Source + ShutdownSocket,
    for<'a> &'a S: Read + Write,
{
    pub(crate) fn new(io: S) -> io::Result<Stream<S>> {
        Ok(Stream {
            io: PollIo::new(io)?,
            reader: Waiter::default(),
            writer: Waiter::default(),
        })
    }

    pub(crate) fn io(&self) -> &PollIo<S> {
        &self.io
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
}

/// Shuts the write direction down, as `AsyncWrite::poll_close` does: the peer reads end
/// of file. A socket whose peer is gone already has nothing to shut.
pub(crate) fn close_write<S: ShutdownSocket>(socket: &S) -> Poll<io::Result<()>> {
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
}

impl<S: mio::event::Source> Drop for ReadSide<S> {
    fn drop(&mut self) {
        self.io.forget(crate::io::Direction::Read, &mut self.waiter);
    }
}

impl<S: mio::event::Source> Drop for WriteSide<S> {
    fn drop(&mut self) {
        self.io
            .forget(crate::io::Direction::Write, &mut self.waiter);
    }
}
