//! TCP echo throughput over loopback: corun's sockets (`corun::net`), tokio's
//! (`tokio::net`) and async-io's (`Async<TcpStream>`, on async-executor) side by side, with
//! ids `tcp_echo/corun`, `tcp_echo/tokio`, `tcp_echo/async-executor`.
//!
//! Each runtime runs an echo server: an accept loop that spawns a task per connection,
//! which reads up to 16 KiB and writes it back until the client hangs up. One iteration
//! opens 8 connections at once, each a task that writes 1 MiB in 16 KiB chunks while it
//! reads the echo back (the two halves joined in the one task, so that neither side's
//! socket buffers fill up and stall the other), and waits for all 8. Criterion's
//! throughput is the 8 MiB echoed per iteration. So the bench measures accepting and
//! connecting once per connection and then, mostly, reads and writes that keep running
//! into a full or empty socket buffer: readiness events, wake-ups and system calls.
//!
//! Every socket has `TCP_NODELAY` set: otherwise Nagle's algorithm holds a chunk's tail
//! back until the peer's delayed acknowledgement, and the bench measures that timer.
//! Every runtime has `BENCH_WORKERS` workers (default: one per core). tokio's runtime has
//! its I/O driver on here (the other benches leave it off); async-io's sockets are driven
//! by async-io's reactor thread, as in the timer benches.
//!
//! ```text
//! cargo bench -p corun-benches --bench echo
//! cargo bench -p corun-benches --bench echo -- --test        # run each runtime once
//! ```
#![allow(clippy::disallowed_types)]

use async_io::Async;
use corun_benches::{worker_count, AsyncExecutor, Corun, Executor, Tokio};
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use futures::{AsyncReadExt, AsyncWriteExt};
use std::future::Future;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

const CONNECTIONS: usize = 8;
const BYTES_PER_CONNECTION: usize = 1024 * 1024;
const CHUNK: usize = 16 * 1024;

/// The bytes one client sends: a pattern, so that a mixed-up echo would be noticed.
fn payload() -> Vec<u8> {
    (0..BYTES_PER_CONNECTION).map(|i| (i % 251) as u8).collect()
}

/// Writes the payload in chunks while reading the echo back; checks the echo.
async fn exchange<R, W>(mut reader: R, mut writer: W, payload: Arc<Vec<u8>>)
where
    R: futures::AsyncRead + Unpin,
    W: futures::AsyncWrite + Unpin,
{
    let send = async {
        for chunk in payload.chunks(CHUNK) {
            writer
                .write_all(chunk)
                .await
                .expect("the echo server hung up");
        }
        writer.flush().await.expect("the echo server hung up");
    };
    let receive = async {
        let mut echoed = vec![0; BYTES_PER_CONNECTION];
        reader
            .read_exact(&mut echoed)
            .await
            .expect("the echo server hung up early");
        echoed
    };
    let ((), echoed) = futures::join!(send, receive);
    assert!(echoed == *payload, "the echo differs from what was sent");
}

/// Echoes everything `reader` reads back through `writer`, until end of file or an error
/// (the client may reset the connection once it has read its echo).
async fn echo<R, W>(mut reader: R, mut writer: W)
where
    R: futures::AsyncRead + Unpin,
    W: futures::AsyncWrite + Unpin,
{
    let mut buffer = vec![0; CHUNK];
    while let Ok(read @ 1..) = reader.read(&mut buffer).await {
        if writer.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
}

mod corun_side {
    use super::*;
    use corun::net::{TcpListener, TcpStream};

    pub(super) fn start_server(exec: &Corun) -> SocketAddr {
        let listener = exec
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("cannot bind the corun echo server");
        let addr = listener.local_addr().expect("the listener has an address");
        exec.spawn(async move {
            while let Ok((stream, _peer)) = listener.accept().await {
                stream.set_nodelay(true).expect("TCP_NODELAY");
                drop(corun::spawn(async move {
                    let (reader, writer) = stream.split();
                    echo(reader, writer).await;
                }));
            }
        });
        addr
    }

    pub(super) async fn client(addr: SocketAddr, payload: Arc<Vec<u8>>) {
        let stream = TcpStream::connect(addr).await.expect("cannot connect");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        let (reader, writer) = stream.split();
        exchange(reader, writer, payload).await;
    }
}

mod tokio_side {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::{TcpListener, TcpStream};

    pub(super) fn start_server(exec: &Tokio) -> SocketAddr {
        let listener = exec
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("cannot bind the tokio echo server");
        let addr = listener.local_addr().expect("the listener has an address");
        exec.spawn(async move {
            while let Ok((mut stream, _peer)) = listener.accept().await {
                stream.set_nodelay(true).expect("TCP_NODELAY");
                tokio::spawn(async move {
                    let (mut reader, mut writer) = stream.split();
                    let mut buffer = vec![0; CHUNK];
                    while let Ok(read @ 1..) = reader.read(&mut buffer).await {
                        if writer.write_all(&buffer[..read]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    pub(super) async fn client(addr: SocketAddr, payload: Arc<Vec<u8>>) {
        let mut stream = TcpStream::connect(addr).await.expect("cannot connect");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        let (mut reader, mut writer) = stream.split();
        let send = async {
            for chunk in payload.chunks(CHUNK) {
                writer
                    .write_all(chunk)
                    .await
                    .expect("the echo server hung up");
            }
            writer.flush().await.expect("the echo server hung up");
        };
        let receive = async {
            let mut echoed = vec![0; BYTES_PER_CONNECTION];
            reader
                .read_exact(&mut echoed)
                .await
                .expect("the echo server hung up early");
            echoed
        };
        let ((), echoed) = futures::join!(send, receive);
        assert!(echoed == *payload, "the echo differs from what was sent");
    }
}

mod async_io_side {
    use super::*;

    pub(super) fn start_server(exec: &AsyncExecutor) -> SocketAddr {
        let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0))
            .expect("cannot bind the async-io echo server");
        let addr = listener
            .get_ref()
            .local_addr()
            .expect("the listener has an address");
        let spawner = exec.clone();
        exec.spawn(async move {
            while let Ok((stream, _peer)) = listener.accept().await {
                stream.get_ref().set_nodelay(true).expect("TCP_NODELAY");
                spawner.spawn(async move {
                    // `&Async<TcpStream>` reads and writes: one reference for each half.
                    echo(&stream, &stream).await;
                });
            }
        });
        addr
    }

    pub(super) async fn client(addr: SocketAddr, payload: Arc<Vec<u8>>) {
        let stream = Async::<TcpStream>::connect(addr)
            .await
            .expect("cannot connect");
        stream.get_ref().set_nodelay(true).expect("TCP_NODELAY");
        exchange(&stream, &stream, payload).await;
    }
}

/// Starts a runtime and its echo server for this bench only, then measures iterations of
/// [`CONNECTIONS`] clients at once.
fn run_on<E, C, Fut>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    (runtime, exec): (impl Sized, E),
    start_server: fn(&E) -> SocketAddr,
    client: C,
) where
    E: Executor,
    C: Fn(SocketAddr, Arc<Vec<u8>>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addr = start_server(&exec);
    let payload = Arc::new(payload());
    group.bench_function(E::NAME, |b| {
        b.iter(|| {
            let clients: Vec<_> = (0..CONNECTIONS)
                .map(|_| exec.spawn_joined(client(addr, payload.clone())))
                .collect();
            exec.block_on(futures::future::join_all(clients));
        })
    });
    drop(runtime);
}

fn bench_tcp_echo(c: &mut Criterion) {
    let workers = worker_count();
    eprintln!("worker threads per runtime: {workers}");
    let mut group = c.benchmark_group("tcp_echo");
    group.throughput(Throughput::Bytes(
        (CONNECTIONS * BYTES_PER_CONNECTION) as u64,
    ));
    run_on(
        &mut group,
        Corun::start(workers),
        corun_side::start_server,
        corun_side::client,
    );
    run_on(
        &mut group,
        Tokio::start_with_io(workers),
        tokio_side::start_server,
        tokio_side::client,
    );
    run_on(
        &mut group,
        AsyncExecutor::start(workers),
        async_io_side::start_server,
        async_io_side::client,
    );
    group.finish();
}

criterion_group! {
    name = benches;
    // Three runtimes of about 5 s each.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench_tcp_echo
}
criterion_main!(benches);
