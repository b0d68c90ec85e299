//! axum on corun: [`serve`] an axum [`Router`] on a corun [`TcpListener`], as
//! `axum::serve` does on tokio's.
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
//! Each accepted connection is served by hyper's HTTP/1.1 server (upgrades included) in a
//! task of its own, with hyper's defaults and its 30 s header-read timeout on corun's
//! timer. An error on one connection (a client that hangs up mid-request) ends that
//! connection only. An error accepting one (out of file descriptors, say) does not end
//! the server: it tries again 1 ms later, so the connections it is serving can close and
//! give descriptors back. A server with [`Serve::with_graceful_shutdown`] stops when its
//! signal fires; one without runs until its future is dropped, which stops accepting and
//! leaves the connections it started running, as `axum::serve` does.
//!
//! axum's `tokio` feature, and with it `ConnectInfo` and `axum::serve`, stays off: depend
//! on axum with `default-features = false` and the features you use (`json`, `query`,
//! ...), or tokio comes back in with its defaults.
#![forbid(unsafe_code)]

mod graceful;

use self::graceful::{Drain, Watcher};
use crate::hyper::{Io, Timer};
use crate::net::{TcpListener, TcpStream};
use ::axum::Router;
use ::hyper::server::conn::http1;
use hyper_util::service::TowerToHyperService;
use std::fmt;
use std::future::{pending, poll_fn, Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

/// How long the server waits before accepting again after an error that is not one
/// connection's own (too many open files, no memory for buffers).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(1);

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
pub fn serve(listener: TcpListener, router: Router) -> Serve {
    Serve { listener, router }
}

/// A server that [`serve`] made: await it to run it.
///
/// ```no_run
/// corun::run(async {
///     let listener = corun::net::TcpListener::bind("127.0.0.1:0").await?;
///     let server: corun::axum::Serve = corun::axum::serve(listener, axum::Router::new());
///     println!("listening on {}", server.local_addr()?);
///     server.await
/// })
/// # ;
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "a server does nothing unless you `.await` it"]
pub struct Serve {
    listener: TcpListener,
    router: Router,
}

impl Serve {
    /// Runs the server until `signal` completes, then shuts it down gracefully: it stops
    /// accepting (closing the listener), tells every connection to finish the request it
    /// is serving and close (hyper's `graceful_shutdown`: an idle keep-alive connection
    /// closes at once), and waits for all of them. The future's output is then `Ok(())`.
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
    pub fn with_graceful_shutdown<F>(self, signal: F) -> WithGracefulShutdown<F>
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
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

impl fmt::Debug for Serve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("router", &self.router)
            .finish()
    }
}

impl IntoFuture for Serve {
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
pub struct WithGracefulShutdown<F> {
    serve: Serve,
    signal: F,
}

impl<F> WithGracefulShutdown<F> {
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
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.serve.local_addr()
    }
}

impl<F> fmt::Debug for WithGracefulShutdown<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithGracefulShutdown")
            .field("serve", &self.serve)
            .finish_non_exhaustive()
    }
}

impl<F> IntoFuture for WithGracefulShutdown<F>
where
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
    /// Boxed so that the server's type does not carry the signal's.
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
async fn run<S>(listener: TcpListener, router: Router, signal: S) -> io::Result<()>
where
    S: Future<Output = ()>,
{
    let mut signal = pin!(signal);
    let drain = Drain::new();
    while let Some(accepted) = unless(signal.as_mut(), listener.accept()).await {
        match accepted {
            Ok((stream, _peer)) => {
                drop(crate::spawn(serve_connection(
                    stream,
                    router.clone(),
                    drain.watcher(),
                )));
            }
            // That connection's own failure (reset before it was accepted): next one.
            Err(error) if is_connection_error(&error) => {}
            Err(_) => {
                if unless(signal.as_mut(), crate::sleep(ACCEPT_BACKOFF))
                    .await
                    .is_none()
                {
                    break;
                }
            }
        }
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

/// An accept error that belongs to the connection being accepted, not to the listener.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves one connection to its end, starting hyper's graceful shutdown when the
/// watcher says so.
async fn serve_connection(stream: TcpStream, router: Router, mut watcher: Watcher) {
    let connection = http1::Builder::new()
        .timer(Timer::new())
        .serve_connection(Io::new(stream), TowerToHyperService::new(router))
        .with_upgrades();
    let mut connection = pin!(connection);
    let mut shutting_down = false;
    let served = poll_fn(|cx| {
        if !shutting_down && watcher.poll_shutdown(cx).is_ready() {
            connection.as_mut().graceful_shutdown();
            shutting_down = true;
        }
        connection.as_mut().poll(cx)
    })
    .await;
    // An error is the client's doing (it hung up mid-request, sent garbage, timed out):
    // the connection is over either way, and there is nobody to report it to.
    drop(served);
}

#[cfg(test)]
mod tests {
    use super::serve;
    use crate::net::{TcpListener, TcpStream};
    use ::axum::routing::get;
    use ::axum::Router;
    use futures::channel::{mpsc, oneshot};
    use futures::{AsyncReadExt, AsyncWriteExt, FutureExt, StreamExt};

    /// Reads from `stream` until what it read ends with `end`.
    async fn read_until(stream: &mut TcpStream, end: &str) -> String {
        let mut read = Vec::new();
        let mut chunk = [0; 1024];
        while !read.ends_with(end.as_bytes()) {
            let n = stream.read(&mut chunk).await.expect("the server answers");
            assert!(n > 0, "the server closed before {end:?}");
            read.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8(read).expect("the response is text")
    }

    /// On the signal the listener closes, an idle keep-alive connection closes at once,
    /// and a request in flight is answered, and its connection closed, before the server
    /// returns.
    #[test]
    fn graceful_shutdown_finishes_requests_in_flight() {
        crate::run(async {
            let (entered_tx, mut entered) = mpsc::unbounded::<()>();
            let (release_tx, release) = oneshot::channel::<()>();
            let release = release.shared();
            let slow = move || {
                let entered_tx = entered_tx.clone();
                let release = release.clone();
                async move {
                    entered_tx.unbounded_send(()).expect("the test waits");
                    release.await.expect("the test releases the request");
                    "done"
                }
            };
            let app = Router::new()
                .route("/", get(|| async { "hello" }))
                .route("/slow", get(slow));
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("an address");
            let (stop, stopped) = oneshot::channel::<()>();
            let server = crate::spawn(async move {
                let signal = async move { stopped.await.expect("the test stops the server") };
                serve(listener, app).with_graceful_shutdown(signal).await
            });

            let mut idle = TcpStream::connect(addr).await.expect("connect");
            idle.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
                .await
                .expect("write");
            read_until(&mut idle, "hello").await;
            let mut busy = TcpStream::connect(addr).await.expect("connect");
            busy.write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
                .await
                .expect("write");
            entered.next().await.expect("the slow request started");

            stop.send(()).expect("the server waits for the signal");
            let mut rest = Vec::new();
            idle.read_to_end(&mut rest)
                .await
                .expect("the idle connection closes");
            assert!(rest.is_empty(), "nothing more on the idle connection");
            assert!(!server.is_finished(), "a request is still in flight");

            release_tx.send(()).expect("the slow request waits");
            let response = read_until(&mut busy, "done").await;
            assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
            let mut rest = Vec::new();
            busy.read_to_end(&mut rest)
                .await
                .expect("the busy connection closes");
            assert!(rest.is_empty(), "nothing more on the busy connection");
            server.await.expect("the server task").expect("the server");
            assert!(
                TcpStream::connect(addr).await.is_err(),
                "the listener is closed"
            );
        });
    }
}
