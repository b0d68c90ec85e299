//! The tokio side of `benches/http.sh`: corun's `examples/http_server.rs` written for
//! tokio, the way hyper-util's own examples do it (`TokioIo`, `TokioTimer`, and
//! `GracefulShutdown` on Ctrl-C), with the same response and the same flags.
//!
//! ```sh
//! cargo run --release -p corun-benches --bin http_tokio -- --workers 4 --addr 127.0.0.1:3000
//! ```
//!
//! `--workers` sets the number of worker threads (default: one per core) and `--addr` the
//! address to listen on (default 127.0.0.1:3000; port 0 picks a free one). The server
//! prints the address it listens on. On Ctrl-C it stops accepting and gives the
//! connections 5 seconds to finish their requests.

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::io;
use std::pin::pin;
use std::process::ExitCode;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long the connections may take to finish their requests once the shutdown started.
const GRACE: Duration = Duration::from_secs(5);

/// How long the accept loop waits after an accept error.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(1);

const USAGE: &str = "usage: http_tokio [--workers N] [--addr HOST:PORT]";

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
            eprintln!("http_tokio: {error}");
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
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = args.workers {
        builder.worker_threads(workers);
    }
    let runtime = builder.enable_all().build()?;
    // The server runs in a task, on the workers, rather than on this thread.
    runtime.block_on(async move {
        let listener = TcpListener::bind(args.addr.as_str()).await?;
        println!("listening on http://{}", listener.local_addr()?);
        tokio::spawn(serve(listener))
            .await
            .expect("the server task panicked")
    })
}

/// Serves every connection `listener` accepts until Ctrl-C, then shuts down gracefully.
async fn serve(listener: TcpListener) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut ctrl_c = pin!(tokio::signal::ctrl_c());
    loop {
        let (stream, peer) = tokio::select! {
            signal = ctrl_c.as_mut() => break signal?,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    eprintln!("accept failed: {error}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        if let Err(error) = stream.set_nodelay(true) {
            eprintln!("{peer}: cannot set TCP_NODELAY: {error}");
        }
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .serve_connection(TokioIo::new(stream), service_fn(hello));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                eprintln!("{peer}: {error}");
            }
        });
    }
    eprintln!("shutting down: waiting for the connections to close");
    drop(listener);
    if tokio::time::timeout(GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("connections still busy after {GRACE:?}, cancelled");
    }
    Ok(())
}

async fn hello(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}
