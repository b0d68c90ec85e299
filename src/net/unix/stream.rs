//! `UnixStream`: a Unix stream connection (asyncio's `open_unix_connection`), and its
//! owned halves.

use crate::net::stream::{ReadSide, Stream, WriteSide};
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix stream connection: [`AsyncRead`](futures_io::AsyncRead) and
/// [`AsyncWrite`](futures_io::AsyncWrite) (the `futures` crate's traits; use
/// `futures::io::{AsyncReadExt, AsyncWriteExt}` for `read`, `write_all` and friends).
///
/// Dropping a read or write future before it completes loses nothing: the bytes stay in
/// the socket for the next read. [`split`](UnixStream::split) gives two halves that two
/// tasks can use at once. See [`UnixListener`](super::UnixListener) for an example.
pub struct UnixStream {
    stream: Stream<mio::net::UnixStream>,
}

crate::net::fd::lend_fd!(UnixStream, this => this.stream.socket());

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// # Errors
    /// The operating system's: `NotFound` if nothing is bound there, `ConnectionRefused`
    /// if the socket file is stale.
    ///
    /// # Panics
    /// Outside a corun runtime.
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let stream = UnixStream::register(mio::net::UnixStream::connect(path)?)?;
        stream.stream.connected().await?;
        Ok(stream)
    }

    /// A connected pair of streams (`socketpair(2)`).
    ///
    /// # Errors
    /// The operating system's.
    ///
    /// # Panics
    /// Outside a corun runtime.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::register(a)?, UnixStream::register(b)?))
    }

    pub(crate) fn register(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
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
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::register(mio::net::UnixStream::from_std(stream))
    }

    /// The standard stream, deregistered, still non-blocking.
    ///
    /// # Errors
    /// None today; a `Result` for symmetry with `from_std`.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        Ok(self.stream.into_inner().into())
    }

    fn socket(&self) -> &mio::net::UnixStream {
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

/// The reading half of a [`UnixStream`], from [`UnixStream::split`].
pub struct OwnedReadHalf {
    read: ReadSide<mio::net::UnixStream>,
}

/// The writing half of a [`UnixStream`], from [`UnixStream::split`]. Closing it shuts the
/// write direction down (the peer reads end of file); the socket closes when both
/// halves are dropped.
pub struct OwnedWriteHalf {
    write: WriteSide<mio::net::UnixStream>,
}

crate::net::stream_impls::stream_traits!(UnixStream, OwnedReadHalf, OwnedWriteHalf, SocketAddr);
crate::net::stream_impls::stream_api!(
    UnixStream,
    OwnedReadHalf,
    OwnedWriteHalf,
    "    let (a, b) = corun::net::UnixStream::pair()?;"
);
