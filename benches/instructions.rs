//! Instruction counts per operation, for `valgrind --tool=callgrind` (`benches/instructions.sh`
//! runs it and prints the table): stable where wall-clock benches on a shared machine are not.
//!
//! `instructions <runtime> <workload> <n>` runs `n` operations of one workload on a
//! one-worker runtime and exits; the script runs it with two values of `n` and divides the
//! difference in instructions by the difference in `n`, so start-up, shutdown and the bench
//! thread's own work cancel out. Workloads, each from inside a task on the only worker:
//!
//! - `spawn_join`: spawn an empty task and await its handle;
//! - `gather_child`: one child of a `gather` of 1 000 (the runtime's share: spawning the
//!   child, running it, collecting its output in order);
//! - `yield`: one `yield_now`;
//! - `sleep_ready`: create, poll (arm) and drop a 1-hour sleep;
//! - `tcp_round_trip`: a client task writes 64 bytes over loopback TCP and reads them back
//!   from an echo task on the same worker (each runtime's own sockets: `corun::net`,
//!   `tokio::net`, async-io's `Async<TcpStream>`). Every round trip parks the worker in the
//!   poller twice and wakes a task from each event, so this is the I/O driver's path:
//!   readiness, dispatch, wake-up, and the socket calls' wrappers (the kernel's share is
//!   not counted; async-io's reactor thread is).
#![allow(clippy::disallowed_types)]

use corun_benches::{AsyncExecutor, Corun, Executor, Tokio};
use std::time::Duration;

const GATHER: usize = 1_000;

/// The bytes of one `tcp_round_trip` message.
const MESSAGE: usize = 64;

async fn workload<E: Executor>(exec: E, name: &str, n: usize) {
    match name {
        "spawn_join" => {
            for _ in 0..n {
                exec.spawn_joined(async {}).await;
            }
        }
        "gather_child" => {
            for _ in 0..n / GATHER {
                let children = (0..GATHER).map(|i| async move { i });
                let out = gather::<E, _>(&exec, children).await;
                assert_eq!(out.len(), GATHER);
            }
        }
        "yield" => {
            for _ in 0..n {
                E::yield_now().await;
            }
        }
        "sleep_ready" => {
            for _ in 0..n {
                let mut sleep = std::pin::pin!(E::sleep(Duration::from_secs(3_600)));
                let pending = futures::poll!(sleep.as_mut());
                assert!(pending.is_pending());
            }
        }
        other => panic!(
            "unknown workload {other:?}: spawn_join, gather_child, yield, sleep_ready, \
             tcp_round_trip"
        ),
    }
}

/// An echo task on `listener` and `n` round trips of a [`MESSAGE`] to it from this task:
/// the same text for every runtime's sockets, whose read and write traits differ (so a
/// macro, not a generic function); `$nodelay` sets `TCP_NODELAY` on a stream `$s`.
macro_rules! echo_round_trips {
    (
        $exec:expr, $n:expr, $listener:expr, $addr:expr, $connect:expr,
        |$s:ident| $nodelay:expr
    ) => {{
        let listener = $listener;
        $exec.spawn(async move {
            let (mut $s, _) = listener.accept().await.expect("accept");
            $nodelay.expect("TCP_NODELAY");
            let mut echo = [0u8; MESSAGE];
            while $s.read_exact(&mut echo).await.is_ok() {
                $s.write_all(&echo).await.expect("echo");
            }
        });
        let mut $s = $connect($addr).await.expect("connect");
        $nodelay.expect("TCP_NODELAY");
        let mut message = [7u8; MESSAGE];
        for _ in 0..$n {
            $s.write_all(&message).await.expect("write");
            $s.read_exact(&mut message).await.expect("read");
        }
    }};
}

/// `n` round trips of a [`MESSAGE`] between a client (this task) and an echo task, on
/// the runtime's own sockets.
async fn tcp_round_trips<E: Executor>(exec: &E, n: usize) {
    match E::NAME {
        "corun" => {
            use corun::net::{TcpListener, TcpStream};
            use futures::{AsyncReadExt, AsyncWriteExt};
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("an address");
            echo_round_trips!(exec, n, listener, addr, TcpStream::connect, |s| s
                .set_nodelay(true));
        }
        "tokio" => {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            use tokio::net::{TcpListener, TcpStream};
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("an address");
            echo_round_trips!(exec, n, listener, addr, TcpStream::connect, |s| s
                .set_nodelay(true));
        }
        _ => {
            use async_io::Async;
            use futures::{AsyncReadExt, AsyncWriteExt};
            use std::net::{TcpListener, TcpStream};
            let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0)).expect("bind");
            let addr = listener.get_ref().local_addr().expect("an address");
            echo_round_trips!(exec, n, listener, addr, Async::<TcpStream>::connect, |s| s
                .get_ref()
                .set_nodelay(true));
        }
    }
}

/// Each runtime's gather: corun's `gather`; for the others, spawn each child and await the
/// join handles in order (what `gather` does for them by hand).
async fn gather<E: Executor, F>(exec: &E, children: impl Iterator<Item = F>) -> Vec<usize>
where
    F: std::future::Future<Output = usize> + Send + 'static,
{
    if E::NAME == Corun::NAME {
        return corun::gather(children).await;
    }
    let handles: Vec<_> = children.map(|child| exec.spawn_joined(child)).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await);
    }
    out
}

fn run<E: Executor>(name: &str, n: usize, (runtime, exec): (impl Sized, E)) {
    let (tx, rx) = std::sync::mpsc::channel();
    let inner = exec.clone();
    let name = name.to_owned();
    // The socket workload in a task of its own: in `workload`'s state machine its futures
    // would make every other workload's poll heavier (+4 % to +8 % on spawn_join and yield).
    if name == "tcp_round_trip" {
        exec.spawn(async move {
            tcp_round_trips(&inner, n).await;
            tx.send(()).unwrap();
        });
    } else {
        exec.spawn(async move {
            workload(inner, &name, n).await;
            tx.send(()).unwrap();
        });
    }
    rx.recv().expect("the workload finished");
    drop(runtime);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; run nothing then (the script calls the binary).
    let [runtime, name, n] = args.as_slice() else {
        eprintln!("usage: instructions <corun|tokio|async-executor> <workload> <n>");
        return;
    };
    let n: usize = n.parse().expect("n is a number");
    match runtime.as_str() {
        "corun" => run(name, n, Corun::start(1)),
        // Only the socket workload needs tokio's I/O driver; the others leave it off, as
        // in the wall-clock benches.
        "tokio" if name == "tcp_round_trip" => run(name, n, Tokio::start_with_io(1)),
        "tokio" => run(name, n, Tokio::start(1)),
        "async-executor" => run(name, n, AsyncExecutor::start(1)),
        other => panic!("unknown runtime {other:?}"),
    }
}
