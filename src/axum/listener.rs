//! [`Listener`]: where [`serve`](super::serve) gets its connections, axum's
//! `serve::Listener` for corun's sockets.
//!
//! The trait has axum's shape, so a listener written for axum ports by swapping tokio's
//! stream type for a corun (`futures-io`) one. Its `accept` cannot fail: retrying after
//! an error is the listener's own business, and corun's listeners do it as axum's do
//! (see [`accept`](super::accept): skip the connection's own errors, sleep a second
//! after the others). A listener wrapping one of them inherits that by calling its
//! [`Listener::accept`].

use super::accept;
use crate::net::{TcpListener, TcpStream};
#[cfg(unix)]
use crate::net::{UnixListener, UnixStream};
use futures_io::{AsyncRead, AsyncWrite};
use std::future::Future;
use std::io;
use std::net::SocketAddr;

/// A source of connections for [`serve`](super::serve): axum's `serve::Listener`, with
/// corun's streams. Implemented by [`TcpListener`], by (on Unix)
/// [`UnixListener`](crate::net::UnixListener), and by listeners of your own.
///
/// A listener of your own that wraps a TCP one, turning `TCP_NODELAY` on for every
/// connection:
///
/// ```
/// use corun::axum::Listener;
/// use corun::net::{TcpListener, TcpStream};
/// use std::net::SocketAddr;
///
/// struct NoDelay(TcpListener);
///
/// impl Listener for NoDelay {
///     type Io = TcpStream;
///     type Addr = SocketAddr;
///
///     async fn accept(&mut self) -> (TcpStream, SocketAddr) {
///         loop {
///             // The TCP listener's own `accept` retries, and backs off, after errors.
///             let (stream, peer) = Listener::accept(&mut self.0).await;
///             if stream.set_nodelay(true).is_ok() {
///                 return (stream, peer);
///             }
///         }
///     }
///
///     fn local_addr(&self) -> std::io::Result<SocketAddr> {
///         self.0.local_addr()
///     }
/// }
///
/// corun::run(async {
///     let listener = NoDelay(TcpListener::bind("127.0.0.1:0").await?);
///     let server = corun::axum::serve(listener, axum::Router::new());
///     assert!(server.local_addr()?.port() != 0);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait Listener: Send + 'static {
    /// A connection's stream.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// The address of a peer, and of the listener itself.
    type Addr: Send;

    /// Waits for the next connection: its stream and its peer's address.
    ///
    /// It does not fail: a listener retries after an error itself, backing off when the
    /// next try would fail the same way (out of file descriptors), so that the server
    /// neither spins nor stops.
    ///
    /// ```
    /// use corun::axum::Listener;
    ///
    /// corun::run(async {
    ///     let mut listener = corun::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = corun::net::TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_stream, peer) = Listener::accept(&mut listener).await;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn accept(&mut self) -> impl Future<Output = (Self::Io, Self::Addr)> + Send;

    /// The address this listener is bound to.
    ///
    /// # Errors
    /// The operating system's.
    ///
    /// ```
    /// use corun::axum::Listener;
    ///
    /// corun::run(async {
    ///     let listener = corun::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     assert!(Listener::local_addr(&listener)?.port() != 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn local_addr(&self) -> io::Result<Self::Addr>;
}

impl Listener for TcpListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        let listener = &*self;
        accept::retrying(|| TcpListener::accept(listener)).await
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        TcpListener::local_addr(self)
    }
}

#[cfg(unix)]
impl Listener for UnixListener {
    type Io = UnixStream;
    type Addr = std::os::unix::net::SocketAddr;

    async fn accept(&mut self) -> (UnixStream, Self::Addr) {
        let listener = &*self;
        accept::retrying(|| UnixListener::accept(listener)).await
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        UnixListener::local_addr(self)
    }
}
