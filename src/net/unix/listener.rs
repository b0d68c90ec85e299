//! `UnixListener`: accepts connections on a Unix socket path (asyncio's
//! `start_unix_server`).

use super::UnixStream;
use crate::io::{Direction, IoFuture, PollIo, Waiter};
use futures_core::Stream;
use std::fmt;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// A Unix stream socket listening for connections.
///
/// ```
/// use corun::net::{UnixListener, UnixStream};
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
///
/// corun::run(async {
///     let path = std::env::temp_dir().join(format!("corun-doc-{}.sock", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path)?;
///     let mut client = UnixStream::connect(&path).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     std::fs::remove_file(&path)
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixListener {
    io: PollIo<mio::net::UnixListener>,
}

crate::net::fd::lend_fd!(UnixListener, this => this.io.get_ref());

impl UnixListener {
    /// Binds to `path`, which must not exist yet (remove a stale socket file first).
    ///
    /// # Errors
    /// The operating system's: `AddrInUse` if the path exists.
    ///
    /// # Panics
    /// Outside a corun runtime.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::register(mio::net::UnixListener::bind(path)?)
    }

    fn register(listener: mio::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: PollIo::new(listener)?,
        })
    }

    /// A listener from a standard one, which is made non-blocking.
    ///
    /// # Errors
    /// If the socket cannot be made non-blocking or registered.
    ///
    /// # Panics
    /// Outside a corun runtime: call it inside one, or after `Runtime::enter`.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        UnixListener::register(mio::net::UnixListener::from_std(listener))
    }

    /// Waits for a connection: the stream and the peer's address (usually unnamed).
    ///
    /// # Errors
    /// The operating system's, or an error once the runtime shut down.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) =
            IoFuture::new(&self.io, Direction::Read, |listener| listener.accept()).await?;
        Ok((UnixStream::register(stream)?, addr))
    }

    /// The connections, as a [`Stream`]: `accept` in a loop.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming {
            listener: self,
            waiter: Waiter::default(),
        }
    }

    /// The path this listener is bound to.
    ///
    /// # Errors
    /// The operating system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// The connections a [`UnixListener`] accepts, as a `Stream` (from
/// [`UnixListener::incoming`]). It never ends; an accept error is an item.
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a UnixListener,
    waiter: Waiter,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<UnixStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let accepted =
            ready!(this
                .listener
                .io
                .poll_io(Direction::Read, cx, &mut this.waiter, |listener| {
                    listener.accept()
                }));
        Poll::Ready(Some(
            accepted.and_then(|(stream, _)| UnixStream::register(stream)),
        ))
    }
}

impl Drop for Incoming<'_> {
    fn drop(&mut self) {
        self.listener.io.forget(Direction::Read, &mut self.waiter);
    }
}

impl fmt::Debug for Incoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("listener", self.listener)
            .finish()
    }
}
