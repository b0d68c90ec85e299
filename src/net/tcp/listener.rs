//! `TcpListener`: accepts TCP connections (asyncio's `start_server`).

use super::TcpStream;
use crate::io::{Direction, IoFuture, PollIo, Waiter};
use crate::net::ToSocketAddrs;
use futures_core::Stream;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// A TCP socket listening for connections.
///
/// ```
/// use corun::net::{TcpListener, TcpStream};
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
///
/// corun::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let server = corun::spawn(async move {
///         let (mut stream, _peer) = listener.accept().await?;
///         let mut line = [0; 5];
///         stream.read_exact(&mut line).await?;
///         stream.write_all(&line).await?; // echo
///         std::io::Result::Ok(())
///     });
///     let mut client = TcpStream::connect(addr).await?;
///     client.write_all(b"hello").await?;
///     let mut echo = [0; 5];
///     client.read_exact(&mut echo).await?;
///     assert_eq!(&echo, b"hello");
///     server.await.unwrap()
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct TcpListener {
    io: PollIo<mio::net::TcpListener>,
}

#[cfg(unix)]
crate::net::fd::lend_fd!(TcpListener, this => this.io.get_ref());

impl TcpListener {
    /// Binds to `addr` (each address it resolves to, in turn, until one binds; a name is
    /// looked up on the blocking pool, see [`ToSocketAddrs`]), with
    /// `SO_REUSEADDR` set so a restarted server can rebind at once.
    ///
    /// # Errors
    /// The operating system's: `AddrInUse` if another socket listens there.
    ///
    /// # Panics
    /// Outside a corun runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        crate::net::addr::each_addr(addr, |addr| async move {
            TcpListener::register(mio::net::TcpListener::bind(addr)?)
        })
        .await
    }

    fn register(listener: mio::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
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
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::register(mio::net::TcpListener::from_std(listener))
    }

    /// The standard listener, deregistered, still non-blocking.
    ///
    /// # Errors
    /// None today; a `Result` for symmetry with `from_std`.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(self.io.into_inner().into())
    }

    /// Waits for a connection: the stream and the peer's address.
    ///
    /// # Errors
    /// The operating system's (out of file descriptors: `EMFILE`, which a server should
    /// survive by backing off), or an error once the runtime shut down.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) =
            IoFuture::new(&self.io, Direction::Read, |listener| listener.accept()).await?;
        Ok((TcpStream::register(stream)?, addr))
    }

    /// The connections, as a [`Stream`]: `accept` in a loop.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming {
            listener: self,
            waiter: Waiter::default(),
        }
    }

    /// The address this listener is bound to (with the port the system chose for 0).
    ///
    /// # Errors
    /// The operating system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets the IP time-to-live of accepted connections.
    ///
    /// # Errors
    /// The operating system's.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// The connections a [`TcpListener`] accepts, as a `Stream` (from
/// [`TcpListener::incoming`]). It never ends; an accept error is an item, and the next
/// poll accepts again.
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
    waiter: Waiter,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

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
            accepted.and_then(|(stream, _)| TcpStream::register(stream)),
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
