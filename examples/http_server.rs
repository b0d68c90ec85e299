//! A hyper 1.x "Hello, World!" HTTP/1.1 server on corun, which shuts down gracefully on
//! Ctrl-C.
//!
//! ```sh
//! cargo run --release --features hyper --example http_server -- --workers 4 --addr 127.0.0.1:3000
//! curl http://127.0.0.1:3000/
//! ```
//!
//! Every connection is a child task of one `task_group`, whose body is the accept loop.
//! On Ctrl-C the body stops accepting and closes the listener, and every connection is
//! told to finish the request it is serving and close (an idle keep-alive connection
//! closes at once). Each gets 5 seconds for it; a connection still busy then is cancelled.
//! The group returns once every connection is gone, and so does `main`.
//!
//! `--workers` sets the number of worker threads (default: one per core) and `--addr` the
//! address to listen on (default 127.0.0.1:3000; port 0 picks a free one). The server
//! prints the address it listens on. This is the corun server of `benches/http.sh`.

use corun::hyper::{Io, Timer};
use corun::net::{TcpListener, TcpStream};
use futures::channel::oneshot;
use futures::future::{self, Either, FutureExt, Shared};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::process::ExitCode;
use std::time::Duration;

/// How long a connection may take to finish its request once the shutdown started.
const GRACE: Duration = Duration::from_secs(5);

/// How long the accept loop waits after an accept error that is not one connection's
/// own (out of file descriptors, say), so that connections can close meanwhile.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(1);

const USAGE: &str = "usage: http_server [--workers N] [--addr HOST:PORT]";

/// The shutdown signal every connection watches: it completes when the accept loop drops
/// the sender.
type Stopped = Shared<oneshot::Receiver<()>>;

struct Args {
    /// `None`: one worker per core.
    workers: Option<usize>,
    addr: String,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("http_server: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        workers: None,
        addr: "127.0.0.1:3000".to_owned(),
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--workers" => {
                let workers = value()?;
                match workers.parse() {
                    Ok(n) if n > 0 => parsed.workers = Some(n),
                    _ => return Err(format!("--workers {workers}: not a positive integer")),
                }
            }
            "--addr" => parsed.addr = value()?,
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(parsed)
}

fn run(args: Args) -> io::Result<()> {
    let mut builder = corun::Runtime::builder();
    if let Some(workers) = args.workers {
        builder.worker_threads(workers);
    }
    let runtime = builder.build()?;
    // The server runs in a task, on the workers, rather than on this thread.
    runtime.block_on(async move {
        let listener = TcpListener::bind(args.addr.as_str()).await?;
        println!("listening on http://{}", listener.local_addr()?);
        corun::spawn(serve(listener))
            .await
            .expect("the server task panicked")
    })
}

/// Serves every connection `listener` accepts until Ctrl-C, then shuts down gracefully.
async fn serve(listener: TcpListener) -> io::Result<()> {
    let (stop, stopped) = oneshot::channel::<()>();
    let stopped = stopped.shared();
    corun::task_group(|tg| async move {
        let mut ctrl_c = pin!(corun::signal::ctrl_c());
        loop {
            let accepted = match future::select(ctrl_c.as_mut(), pin!(listener.accept())).await {
                Either::Left((signal, _)) => break signal?,
                Either::Right((accepted, _)) => accepted,
            };
            match accepted {
                Ok((stream, peer)) => drop(tg.spawn(connection(stream, peer, stopped.clone()))),
                Err(error) => {
                    eprintln!("accept failed: {error}");
                    corun::sleep(ACCEPT_BACKOFF).await;
                }
            }
        }
        eprintln!("shutting down: waiting for the connections to close");
        drop(listener);
        drop(stop);
        Ok(())
    })
    .await
    .map_err(io::Error::other)
}

/// Serves one connection until the client closes it, or until the shutdown: then it
/// finishes the request in flight, within [`GRACE`].
///
/// Never fails: a connection's error is its own, and must not cancel its siblings.
async fn connection(stream: TcpStream, peer: SocketAddr, stopped: Stopped) -> io::Result<()> {
    if let Err(error) = stream.set_nodelay(true) {
        eprintln!("{peer}: cannot set TCP_NODELAY: {error}");
    }
    let mut connection = pin!(http1::Builder::new()
        .timer(Timer::new())
        .serve_connection(Io::new(stream), service_fn(hello)));
    let served = match future::select(connection.as_mut(), stopped).await {
        Either::Left((served, _)) => served,
        Either::Right((_stopped, mut connection)) => {
            connection.as_mut().graceful_shutdown();
            match corun::timeout(GRACE, connection).await {
                Ok(served) => served,
                Err(_elapsed) => {
                    eprintln!("{peer}: still busy after {GRACE:?}, cancelled");
                    return Ok(());
                }
            }
        }
    };
    if let Err(error) = served {
        eprintln!("{peer}: {error}");
    }
    Ok(())
}

async fn hello(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}
