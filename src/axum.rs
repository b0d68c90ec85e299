//! axum on corun: [`serve`] an axum [`Router`] on a corun listener, as `axum::serve`
//! does on tokio's.
//!
//! Moving an axum server from tokio to corun changes two lines, the listener's and
//! `serve`'s (and `#[tokio::main]` becomes `#[corun::main]`, or `corun::run` as here):
//!
//! ```no_run
//! use axum::{routing::get, Router};
//!
//! fn main() -> std::io::Result<()> {
//!     corun::run(async {
//!         let app = Router::new().route("/", get(|| async { "Hello, World!" }));
//!         let listener = corun::net::TcpListener::bind("0.0.0.0:3000").await?;
//!         corun::axum::serve(listener, app).await
//!     })
//! }
//! ```
//!
//! Each accepted connection is served in a task of its own by hyper-util's `auto`
//! server, as `axum::serve` does: HTTP/1.1 (upgrades included) or HTTP/2 over plain TCP
//! from the first byte (prior knowledge, h2c), whichever the client speaks, with
//! hyper's defaults, its 30 s HTTP/1 header-read timeout on corun's timer, and HTTP/2's
//! streams as corun tasks. An error on one connection (a client that hangs up
//! mid-request) ends that connection only.
//!
//! The listener is a [`TcpListener`](crate::net::TcpListener), a
//! [`UnixListener`](crate::net::UnixListener), or one of your own ([`Listener`], axum's
//! trait of that name). An error accepting a connection does not end the server either:
//! one that is the connection's own (reset before it was accepted) is skipped, and after
//! any other (out of file descriptors, say) the listener sleeps a second before it tries
//! again, so the connections it is serving can close and give descriptors back, as
//! axum's does. A server with [`Serve::with_graceful_shutdown`] stops when its signal
//! fires; one without runs until its future is dropped, which stops accepting and leaves
//! the connections it started running, as `axum::serve` does.
//!
//! axum's `tokio` feature, and with it `ConnectInfo` and `axum::serve`, stays off: depend
//! on axum with `default-features = false` and the features you use (`json`, `query`,
//! ...), or tokio comes back in with its defaults. (HTTP/2 brings in the `h2` crate,
//! which uses tokio's I/O traits only: tokio's runtime is not built.)
// The EMFILE test lowers its process's descriptor limit, through libc.
#![cfg_attr(not(test), forbid(unsafe_code))]
#![cfg_attr(test, deny(unsafe_code))]

mod accept;
mod connection;
mod graceful;
mod listener;
#[cfg(test)]
mod tests;

pub use self::listener::Listener;

use self::graceful::Drain;
use ::axum::Router;
use std::fmt;
use std::future::{pending, poll_fn, Future, IntoFuture};
use std::io;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

/// Serves `router` on every connection `listener` accepts: `axum::serve` for corun.
///
/// The result is a future ([`IntoFuture`]) that runs until it is dropped, or, with
/// [`Serve::with_graceful_shutdown`], until a signal. Its output is an
/// `io::Result<()>`, as `axum::serve`'s, so `?` works the same.
///
/// # Panics
/// When awaited outside a corun runtime (it spawns a task per connection).
///
/// ```no_run
/// use axum::{routing::get, Router};
///
/// corun::run(async {
///     let app = Router::new().route("/", get(|| async { "Hello, World!" }));
///     let listener = corun::net::TcpListener::bind("127.0.0.1:3000").await?;
///     corun::axum::serve(listener, app).await
/// })
/// # ;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// On a Unix socket:
///
/// ```no_run
/// # #[cfg(unix)]
/// corun::run(async {
///     let listener = corun::net::UnixListener::bind("/tmp/app.sock")?;
///     corun::axum::serve(listener, axum::Router::new()).await
/// })
/// # ?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn serve<L: Listener>(listener: L, router: Router) -> Serve<L> {
    Serve { listener, router }
}

/// A server that [`serve`] made: await it to run it.
///
/// ```no_run
/// use corun::net::TcpListener;
///
/// corun::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let server: corun::axum::Serve<TcpListener> =
///         corun::axum::serve(listener, axum::Router::new());
///     println!("listening on {}", server.local_addr()?);
///     server.await
/// })
/// # ;
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "a server does nothing unless you `.await` it"]
pub struct Serve<L> {
    listener: L,
    router: Router,
}

impl<L: Listener> Serve<L> {
    /// Runs the server until `signal` completes, then shuts it down gracefully: it stops
    /// accepting (closing the listener), tells every connection to finish what it is
    /// serving and close (hyper's `graceful_shutdown`: an idle HTTP/1 keep-alive
    /// connection closes at once, an HTTP/2 one sends GOAWAY and closes once its open
    /// streams are answered), and waits for all of them. The future's output is then
    /// `Ok(())`.
    ///
    /// To give the connections a deadline, put a [`timeout`](crate::timeout) around the
    /// server's future after the signal, or run the server in a task and abort it.
    ///
    /// ```
    /// use axum::{routing::get, Router};
    /// use futures::channel::oneshot;
    /// use futures::{AsyncReadExt, AsyncWriteExt};
    ///
    /// corun::run(async {
    ///     let app = Router::new().route("/", get(|| async { "Hello, World!" }));
    ///     let listener = corun::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let (stop, stopped) = oneshot::channel::<()>();
    ///     let server = corun::spawn(async move {
    ///         let signal = async move { stopped.await.unwrap_or(()) };
    ///         corun::axum::serve(listener, app).with_graceful_shutdown(signal).await
    ///     });
    ///
    ///     let mut client = corun::net::TcpStream::connect(addr).await?;
    ///     let request = "GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n";
    ///     client.write_all(request.as_bytes()).await?;
    ///     let mut response = String::new();
    ///     client.read_to_string(&mut response).await?;
    ///     assert!(response.starts_with("HTTP/1.1 200 OK"));
    ///     assert!(response.ends_with("Hello, World!"));
    ///
    ///     stop.send(()).unwrap();
    ///     server.await.unwrap() // Ok(()): every connection has closed
    /// })
    /// .unwrap();
    /// ```
    pub fn with_graceful_shutdown<F>(self, signal: F) -> WithGracefulShutdown<L, F>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        WithGracefulShutdown {
            serve: self,
            signal,
        }
    }

    /// The address the server listens on.
    ///
    /// ```no_run
    /// corun::run(async {
    ///     let listener = corun::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let server = corun::axum::serve(listener, axum::Router::new());
    ///     assert!(server.local_addr()?.port() != 0);
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// # ;
    /// ```
    pub fn local_addr(&self) -> io::Result<L::Addr> {
        self.listener.local_addr()
    }
}

impl<L: fmt::Debug> fmt::Debug for Serve<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("router", &self.router)
            .finish()
    }
}

impl<L: Listener> IntoFuture for Serve<L> {
    type Output = io::Result<()>;
    type IntoFuture = ServeFuture;

    fn into_future(self) -> ServeFuture {
        ServeFuture::new(run(self.listener, self.router, pending::<()>()))
    }
}

/// A server that stops on a signal: [`Serve::with_graceful_shutdown`]. Await it to run
/// it.
///
/// ```no_run
/// corun::run(async {
///     let listener = corun::net::TcpListener::bind("127.0.0.1:0").await?;
///     let server = corun::axum::serve(listener, axum::Router::new())
///         .with_graceful_shutdown(async { corun::signal::ctrl_c().await.unwrap() });
///     println!("listening on {}", server.local_addr()?);
///     server.await
/// })
/// # ;
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "a server does nothing unless you `.await` it"]
pub struct WithGracefulShutdown<L, F> {
    serve: Serve<L>,
    signal: F,
}

impl<L: Listener, F> WithGracefulShutdown<L, F> {
    /// The address the server listens on.
    ///
    /// ```no_run
    /// corun::run(async {
    ///     let listener = corun::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let server = corun::axum::serve(listener, axum::Router::new())
    ///         .with_graceful_shutdown(std::future::pending());
    ///     assert!(server.local_addr()?.port() != 0);
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// # ;
    /// ```
    pub fn local_addr(&self) -> io::Result<L::Addr> {
        self.serve.local_addr()
    }
}

impl<L: fmt::Debug, F> fmt::Debug for WithGracefulShutdown<L, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithGracefulShutdown")
            .field("serve", &self.serve)
            .finish_non_exhaustive()
    }
}

impl<L, F> IntoFuture for WithGracefulShutdown<L, F>
where
    L: Listener,
    F: Future<Output = ()> + Send + 'static,
{
    type Output = io::Result<()>;
    type IntoFuture = ServeFuture;

    fn into_future(self) -> ServeFuture {
        let Serve { listener, router } = self.serve;
        ServeFuture::new(run(listener, router, self.signal))
    }
}

/// The future of a running server: what [`Serve`] and [`WithGracefulShutdown`] turn into
/// when awaited.
///
/// ```no_run
/// corun::run(async {
///     let listener = corun::net::TcpListener::bind("127.0.0.1:0").await?;
///     let server = corun::axum::serve(listener, axum::Router::new());
///     let running: corun::axum::ServeFuture = std::future::IntoFuture::into_future(server);
///     running.await
/// })
/// # ;
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ServeFuture {
    /// Boxed so that the server's type does not carry the listener's or the signal's.
    server: Pin<Box<dyn Future<Output = io::Result<()>> + Send>>,
}

impl ServeFuture {
    fn new(server: impl Future<Output = io::Result<()>> + Send + 'static) -> ServeFuture {
        ServeFuture {
            server: Box::pin(server),
        }
    }
}

impl Future for ServeFuture {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.server.as_mut().poll(cx)
    }
}

impl fmt::Debug for ServeFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeFuture").finish_non_exhaustive()
    }
}

/// The accept loop: spawns a task per connection until `signal` fires, then drains them.
/// Its `Ok(())` is the only output: the listener retries after accept errors itself
/// ([`Listener::accept`]).
async fn run<L, S>(mut listener: L, router: Router, signal: S) -> io::Result<()>
where
    L: Listener,
    S: Future<Output = ()>,
{
    let mut signal = pin!(signal);
    let drain = Drain::new();
    let builder = connection::builder();
    while let Some((io, _peer)) = unless(signal.as_mut(), listener.accept()).await {
        drop(crate::spawn(connection::serve(
            builder.clone(),
            io,
            router.clone(),
            drain.watcher(),
        )));
    }
    // Refuse new connections while the others finish.
    drop(listener);
    drain.shutdown().await;
    Ok(())
}

/// Runs `future` unless `signal` completes first; `None` if it did. `signal` is polled
/// first, so a server that was told to stop does not accept one more connection.
async fn unless<S, F>(mut signal: Pin<&mut S>, future: F) -> Option<F::Output>
where
    S: Future<Output = ()>,
    F: Future,
{
    let mut future = pin!(future);
    poll_fn(|cx| {
        if signal.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        future.as_mut().poll(cx).map(Some)
    })
    .await
}
