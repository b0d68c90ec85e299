//! `TcpStream`: a TCP connection (asyncio's `open_connection`), and its owned halves.

use crate::net::stream::{ReadSide, Stream, WriteSide};
use crate::net::ToSocketAddrs;
use std::io;
use std::net::{Shutdown, SocketAddr};

/// A TCP connection: [`AsyncRead`](futures_io::AsyncRead) and
/// [`AsyncWrite`](futures_io::AsyncWrite) (the `futures` crate's traits; use
/// `futures::io::{AsyncReadExt, AsyncWriteExt}` for `read`, `write_all` and friends).
///
/// Dropping a read or write future before it completes loses nothing: the bytes stay in
/// the socket for the next read. [`split`](TcpStream::split) gives two halves that two
/// tasks can use at once. See [`TcpListener`](super::TcpListener) for an example.
pub struct TcpStream {
    stream: Stream<mio::net::TcpStream>,
}

#[cfg(unix)]
crate::net::fd::lend_fd!(TcpStream, this => this.stream.socket());

impl TcpStream {
    /// Connects to `addr` (each address it resolves to, in turn, until one accepts; a
    /// name is looked up on the blocking pool, see [`ToSocketAddrs`]).
    ///
    /// # Errors
    /// The operating system's: `ConnectionRefused` if nothing listens there.
    ///
    /// # Panics
    /// Outside a corun runtime.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        crate::net::addr::each_addr(addr, |addr| async move {
            let stream = TcpStream::register(mio::net::TcpStream::connect(addr)?)?;
            stream.stream.connected().await?;
            Ok(stream)
        })
        .await
    }

    pub(crate) fn register(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            stream: Stream::new(stream)?,
        })
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
        self.stream.socket()
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

    /// Reads into `buf` what has arrived, waiting for data if there is none, but leaves
    /// it in the socket: the next read or peek returns the same bytes. Returns the byte
    /// count, 0 at the end of the stream. Takes `&self`, as
    /// [`readable`](TcpStream::readable) does.
    ///
    /// # Errors
    /// The operating system's; an `io::Error` once the stream's runtime has shut down.
    ///
    /// ```
    /// use corun::net::{TcpListener, TcpStream};
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// corun::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut a = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut b, _) = listener.accept().await?;
    ///     a.write_all(b"ping").await?;
    ///     let mut peeked = [0; 4];
    ///     let n = b.peek(&mut peeked).await?;
    ///     let mut read = [0; 4];
    ///     b.read_exact(&mut read[..n]).await?;
    ///     assert_eq!(peeked[..n], read[..n]);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read_with(|socket| socket.peek(buf)).await
    }

    /// Splits the stream into a reading and a writing half, each its own value, for two
    /// tasks to use at once. The socket closes when both are dropped.
    pub fn split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let (read, write) = self.stream.split();
        (OwnedReadHalf { read }, OwnedWriteHalf { write })
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

crate::net::stream_impls::stream_traits!(TcpStream, OwnedReadHalf, OwnedWriteHalf, SocketAddr);
crate::net::stream_impls::stream_api!(
    TcpStream,
    OwnedReadHalf,
    OwnedWriteHalf,
    "    use corun::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind(\"127.0.0.1:0\").await?;
    let a = TcpStream::connect(listener.local_addr()?).await?;
    let (b, _) = listener.accept().await?;"
);
