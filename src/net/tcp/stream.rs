//! `TcpStream`: a TCP connection (asyncio's `open_connection`), and its owned halves.

use crate::io::{Direction, Waiter};
use crate::net::stream::{close_write, ReadSide, Stream, WriteSide};
use futures_io::{AsyncRead, AsyncWrite};
use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// A TCP connection: [`AsyncRead`] and [`AsyncWrite`] (the `futures` crate's traits; use
/// `futures::io::{AsyncReadExt, AsyncWriteExt}` for `read`, `write_all` and friends).
///
/// Dropping a read or write future before it completes loses nothing: the bytes stay in
/// the socket for the next read. [`split`](TcpStream::split) gives two halves that two
/// tasks can use at once. See [`TcpListener`](super::TcpListener) for an example.
pub struct TcpStream {
    stream: Stream<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr` (each address it resolves to, in turn, until one accepts).
    ///
    /// # Errors
    /// The operating system's: `ConnectionRefused` if nothing listens there.
    ///
    /// # Panics
    /// Outside a corun runtime.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        crate::net::addr::each_addr(addr, |addr| async move {
            let stream = TcpStream::register(mio::net::TcpStream::connect(addr)?)?;
            stream.connected().await?;
            Ok(stream)
        })
        .await
    }

    pub(crate) fn register(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            stream: Stream::new(stream)?,
        })
    }

    /// Waits for a non-blocking connect to finish (mio's recipe: writable, then no
    /// pending error and a peer).
    async fn connected(&self) -> io::Result<()> {
        let io = self.stream.io();
        let mut waiter = Waiter::default();
        let result = poll_fn(|cx| loop {
            ready!(io.poll_ready(Direction::Write, cx, &mut waiter))?;
            if let Some(err) = io.get_ref().take_error()? {
                return Poll::Ready(Err(err));
            }
            match io.get_ref().peer_addr() {
                Ok(_) => return Poll::Ready(Ok(())),
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

    /// A stream from a standard one, which is made non-blocking.
    ///
    /// # Errors
    /// If the socket cannot be made non-blocking or registered.
    ///
    /// # Panics
    /// Outside a corun runtime: call it inside one, or after `Runtime::enter`.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::register(mio::net::TcpStream::from_std(stream))
    }

    /// The standard stream, deregistered, still non-blocking.
    ///
    /// # Errors
    /// None today; a `Result` for symmetry with `from_std`.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(self.stream.into_inner().into())
    }

    fn socket(&self) -> &mio::net::TcpStream {
        self.stream.io().get_ref()
    }

    /// The address of the other end.
    ///
    /// # Errors
    /// The operating system's (`NotConnected` once the peer is gone).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.socket().peer_addr()
    }

    /// This end's address.
    ///
    /// # Errors
    /// The operating system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket().local_addr()
    }

    /// Sets `TCP_NODELAY`: small writes go out at once instead of waiting to be merged
    /// (Nagle's algorithm). Request/response protocols want it.
    ///
    /// # Errors
    /// The operating system's.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.socket().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    /// The operating system's.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.socket().nodelay()
    }

    /// Shuts down reading, writing or both: after `Shutdown::Write` the peer reads end
    /// of file, and this end can still read its reply (a half-close).
    ///
    /// # Errors
    /// The operating system's.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.socket().shutdown(how)
    }

    /// Splits the stream into a reading and a writing half, each its own value, for two
    /// tasks to use at once. The socket closes when both are dropped.
    pub fn split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let (read, write) = self.stream.split();
        (OwnedReadHalf { read }, OwnedWriteHalf { write })
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().stream.poll_read(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .stream
            .poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().stream.poll_write_vectored(cx, bufs)
    }

    /// Nothing to do: writes go straight to the socket.
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Shuts the write direction down: the peer reads end of file.
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        close_write(self.socket())
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

/// The reading half of a [`TcpStream`], from [`TcpStream::split`].
pub struct OwnedReadHalf {
    read: ReadSide<mio::net::TcpStream>,
}

/// The writing half of a [`TcpStream`], from [`TcpStream::split`]. Closing it shuts the
/// write direction down (the peer reads end of file); the socket closes when both
/// halves are dropped.
pub struct OwnedWriteHalf {
    write: WriteSide<mio::net::TcpStream>,
}

impl OwnedReadHalf {
    /// The address of the other end.
    ///
    /// # Errors
    /// The operating system's.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.read.socket().peer_addr()
    }

    /// This end's address.
    ///
    /// # Errors
    /// The operating system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.read.socket().local_addr()
    }
}

impl OwnedWriteHalf {
    /// The address of the other end.
    ///
    /// # Errors
    /// The operating system's.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.write.socket().peer_addr()
    }

    /// This end's address.
    ///
    /// # Errors
    /// The operating system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.write.socket().local_addr()
    }
}

impl AsyncRead for OwnedReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().read.poll_read(cx, buf)
    }
}

impl AsyncWrite for OwnedWriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .write
            .poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        close_write(self.write.socket())
    }
}

impl fmt::Debug for OwnedReadHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedReadHalf")
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

impl fmt::Debug for OwnedWriteHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedWriteHalf")
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}
