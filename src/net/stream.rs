//! `Stream<S>`: what TCP and Unix streams share — reads and writes through a `PollIo`,
//! with one waiter slot per direction, the wait for a non-blocking connect, and the split
//! into halves that two tasks can use at once; and `stream_traits!`, the `futures-io`
//! impls of a stream type and its halves.

use crate::io::{Direction, PollIo, Waiter};
use crate::sync::Arc;
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
        self.io.forget(Direction::Read, &mut self.waiter);
    }
}

impl<S: mio::event::Source> Drop for WriteSide<S> {
    fn drop(&mut self) {
        self.io.forget(Direction::Write, &mut self.waiter);
    }
}

/// The `futures-io` impls of a stream type (a `stream: Stream<_>` field) and its halves
/// (`read: ReadSide<_>`, `write: WriteSide<_>`), the halves' addresses (`$addr`), and the
/// three `Debug`s: TCP's and Unix's are the same but for the types.
macro_rules! stream_traits {
    ($stream:ident, $read_half:ident, $write_half:ident, $addr:ty) => {
        impl futures_io::AsyncRead for $stream {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.get_mut().stream.poll_read(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $stream {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let bufs = [std::io::IoSlice::new(buf)];
                self.get_mut().stream.poll_write_vectored(cx, &bufs)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.get_mut().stream.poll_write_vectored(cx, bufs)
            }

            /// Nothing to do: writes go straight to the socket.
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            /// Shuts the write direction down: the peer reads end of file.
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::net::stream::close_write(self.stream.socket())
            }
        }

        impl futures_io::AsyncRead for $read_half {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.get_mut().read.poll_read(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $write_half {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let bufs = [std::io::IoSlice::new(buf)];
                self.get_mut().write.poll_write_vectored(cx, &bufs)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.get_mut().write.poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::net::stream::close_write(self.write.socket())
            }
        }

        impl $read_half {
            /// The address of the other end.
            ///
            /// # Errors
            /// The operating system's.
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.read.socket().peer_addr()
            }

            /// This end's address.
            ///
            /// # Errors
            /// The operating system's.
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.read.socket().local_addr()
            }
        }

        impl $write_half {
            /// The address of the other end.
            ///
            /// # Errors
            /// The operating system's.
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.write.socket().peer_addr()
            }

            /// This end's address.
            ///
            /// # Errors
            /// The operating system's.
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.write.socket().local_addr()
            }
        }

        impl std::fmt::Debug for $stream {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($stream))
                    .field("local_addr", &self.local_addr().ok())
                    .field("peer_addr", &self.peer_addr().ok())
                    .finish()
            }
        }

        impl std::fmt::Debug for $read_half {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($read_half))
                    .field("peer_addr", &self.peer_addr().ok())
                    .finish()
            }
        }

        impl std::fmt::Debug for $write_half {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($write_half))
                    .field("peer_addr", &self.peer_addr().ok())
                    .finish()
            }
        }
    };
}
pub(crate) use stream_traits;
