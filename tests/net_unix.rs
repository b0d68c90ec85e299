//! Unix-domain stream sockets through `corun::net`: an echo server on a socket path (in a
//! fresh temporary directory, removed afterwards), `incoming()`, `UnixStream::pair`, its
//! half-close, and split halves used from two tasks.
//!
//! Every body runs under `corun::timeout` (and the process under a watchdog), so a lost
//! wake-up shows as a failure naming what hung, never as a hung test run.
#![cfg(all(unix, not(corun_loom)))]
#![allow(clippy::disallowed_types)]

mod common;

use common::net::within;
use common::{runtime, watchdog, LIMIT};
use corun::net::{UnixListener, UnixStream};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::StreamExt;
use std::io;
use std::net::Shutdown;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// A fresh directory under the system's temporary directory, removed with everything in
/// it when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "corun-{test}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, SeqCst)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir(&path).expect("create a temporary directory");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Echoes everything it reads until EOF; returns how many bytes it echoed.
async fn echo(mut stream: UnixStream) -> io::Result<usize> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        stream.write_all(&buf[..n]).await?;
        total += n;
    }
}

#[test]
fn an_echo_server_on_a_socket_path_answers_every_client() {
    let _watchdog = watchdog(LIMIT, "net_unix::echo");
    const CLIENTS: usize = 10;
    const MESSAGES: usize = 20;
    let dir = TempDir::new("unix-echo");
    let path = dir.path().join("echo.sock");
    runtime(2).block_on(within("unix echo", async {
        let listener = UnixListener::bind(&path).expect("bind the socket path");
        let local = listener.local_addr().unwrap();
        assert_eq!(local.as_pathname(), Some(path.as_path()));
        let server = corun::spawn(async move {
            let mut sessions = Vec::new();
            for _ in 0..CLIENTS {
                let (stream, _) = listener.accept().await?;
                sessions.push(corun::spawn(echo(stream)));
            }
            let mut echoed = 0;
            for session in sessions {
                echoed += session.await.expect("echo session")?;
            }
            io::Result::Ok(echoed)
        });
        let clients = corun::gather((0..CLIENTS).map(|client| {
            let path = path.clone();
            async move {
                let mut stream = UnixStream::connect(&path).await?;
                let mut reply = Vec::new();
                for message in 0..MESSAGES {
                    let request = format!("client {client:02} message {message:02}\n");
                    stream.write_all(request.as_bytes()).await?;
                    reply.resize(request.len(), 0);
                    stream.read_exact(&mut reply).await?;
                    assert_eq!(reply, request.as_bytes());
                }
                stream.close().await?;
                io::Result::Ok(MESSAGES)
            }
        }))
        .await;
        let replies: usize = clients.into_iter().map(|r| r.expect("client")).sum();
        assert_eq!(replies, CLIENTS * MESSAGES);
        let message_len = "client 00 message 00\n".len();
        assert_eq!(
            server.await.unwrap().unwrap(),
            CLIENTS * MESSAGES * message_len
        );
    }));
    drop(dir);
    assert!(!path.exists(), "the temporary directory is gone");
}

#[test]
fn incoming_yields_every_unix_connection() {
    let _watchdog = watchdog(LIMIT, "net_unix::incoming");
    const N: usize = 8;
    let dir = TempDir::new("unix-incoming");
    let path = dir.path().join("incoming.sock");
    runtime(2).block_on(within("unix incoming", async {
        let listener = UnixListener::bind(&path).unwrap();
        let server = corun::spawn(async move {
            let mut incoming = std::pin::pin!(listener.incoming().take(N));
            let mut ids = Vec::new();
            while let Some(stream) = incoming.next().await {
                let mut stream = stream?;
                let mut id = [0u8; 1];
                stream.read_exact(&mut id).await?;
                ids.push(id[0] as usize);
            }
            io::Result::Ok(ids)
        });
        for id in 0..N {
            let mut stream = UnixStream::connect(&path).await.unwrap();
            stream.write_all(&[id as u8]).await.unwrap();
        }
        let mut ids = server.await.unwrap().unwrap();
        ids.sort_unstable();
        assert_eq!(ids, (0..N).collect::<Vec<_>>());
    }));
}

#[test]
fn a_pair_talks_both_ways_and_half_closes() {
    let _watchdog = watchdog(LIMIT, "net_unix::pair");
    runtime(2).block_on(within("unix pair", async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        a.write_all(b"hello from a").await.unwrap();
        let mut buf = [0u8; 12];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello from a");

        // `a` stops writing: `b` reads EOF, and can still answer.
        a.shutdown(Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        assert_eq!(b.read_to_end(&mut rest).await.unwrap(), 0);
        b.write_all(b"hello from b").await.unwrap();
        b.close().await.unwrap();
        let mut reply = Vec::new();
        a.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"hello from b");
    }));
}

#[test]
fn unix_split_halves_read_and_write_from_two_tasks_at_once() {
    let _watchdog = watchdog(LIMIT, "net_unix::split");
    // More than the socket buffers hold: the echo stalls unless both halves run at the
    // same time.
    const TOTAL: usize = 4 << 20;
    runtime(2).block_on(within("unix split", async {
        let (client, server) = UnixStream::pair().unwrap();
        let session = corun::spawn(echo(server));
        let (mut read_half, mut write_half) = client.split();
        let writer = corun::spawn(async move {
            let chunk: Vec<u8> = (0..32 * 1024).map(|i| (i % 251) as u8).collect();
            let mut sent = 0;
            while sent < TOTAL {
                write_half.write_all(&chunk).await?;
                sent += chunk.len();
            }
            write_half.close().await?;
            io::Result::Ok(sent)
        });
        let reader = corun::spawn(async move {
            let mut buf = vec![0u8; 20_000];
            let mut received = 0usize;
            loop {
                let n = read_half.read(&mut buf).await?;
                if n == 0 {
                    return io::Result::Ok(received);
                }
                for (k, &byte) in buf[..n].iter().enumerate() {
                    let at = received + k;
                    assert_eq!(byte, ((at % (32 * 1024)) % 251) as u8, "byte {at}");
                }
                received += n;
            }
        });
        assert_eq!(writer.await.unwrap().unwrap(), TOTAL);
        assert_eq!(reader.await.unwrap().unwrap(), TOTAL);
        assert_eq!(session.await.unwrap().unwrap(), TOTAL);
    }));
}

// -----------------------------------------------------------------------------------------
// `UnixDatagram`: an echo between two sockets bound in a temporary directory, a pair's 100
// datagrams in order, connected sockets, a receive dropped while it waits, sends to a path
// nobody bound, shutdown, the std conversions, and use after the runtime shut down.
// -----------------------------------------------------------------------------------------

/// The `UnixDatagram` tests, in a module of their own so that their imports stay apart
/// from the stream tests'.
mod datagram {
    use super::common::net::within;
    use super::common::{panic_message, runtime, watchdog, LIMIT};
    use super::TempDir;
    use corun::net::UnixDatagram;
    use std::future::Future;
    use std::io;
    use std::net::Shutdown;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::Poll;
    use std::time::Duration;

    #[test]
    fn bound_sockets_echo_and_recv_from_names_the_sender() {
        let _watchdog = watchdog(LIMIT, "net_unix::datagram::echo");
        const N: usize = 20;
        let dir = TempDir::new("dgram-echo");
        let server_path = dir.path().join("server.sock");
        let client_path = dir.path().join("client.sock");
        runtime(2).block_on(within("unix datagram echo", async {
            let server = UnixDatagram::bind(&server_path).expect("bind the server's path");
            let client = UnixDatagram::bind(&client_path).expect("bind the client's path");
            let local = server.local_addr().unwrap();
            assert_eq!(local.as_pathname(), Some(server_path.as_path()));
            let expected_sender = client_path.clone();
            // The server waits in `recv_from` before the first datagram is sent.
            let echo = corun::spawn(async move {
                let mut buf = [0u8; 256];
                for _ in 0..N {
                    let (n, from) = server.recv_from(&mut buf).await?;
                    let from = from.as_pathname().expect("the client is bound to a path");
                    assert_eq!(from, expected_sender, "the datagram's sender");
                    assert_eq!(server.send_to(&buf[..n], from).await?, n);
                }
                io::Result::Ok(N)
            });
            let mut buf = [0u8; 256];
            for i in 0..N {
                let request = format!("datagram {i}");
                let sent = client
                    .send_to(request.as_bytes(), &server_path)
                    .await
                    .unwrap();
                assert_eq!(sent, request.len());
                let (n, from) = client.recv_from(&mut buf).await.unwrap();
                assert_eq!(from.as_pathname(), Some(server_path.as_path()));
                assert_eq!(&buf[..n], request.as_bytes(), "echo of datagram {i}");
            }
            assert_eq!(echo.await.unwrap().unwrap(), N);

            // An unbound sender's datagrams arrive from an unnamed address.
            let receiver = UnixDatagram::bind(dir.path().join("receiver.sock")).unwrap();
            let anonymous = UnixDatagram::unbound().unwrap();
            let receiver_addr = receiver.local_addr().unwrap();
            let receiver_path = receiver_addr.as_pathname().unwrap();
            anonymous.send_to(b"who?", receiver_path).await.unwrap();
            let (n, from) = receiver.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"who?");
            assert!(from.is_unnamed(), "{from:?}");
        }));
        drop(dir);
        assert!(!server_path.exists(), "the temporary directory is gone");
    }

    #[test]
    fn a_pair_echoes_100_datagrams_in_order() {
        let _watchdog = watchdog(LIMIT, "net_unix::datagram::pair");
        const N: u32 = 100;
        runtime(2).block_on(within("unix datagram pair", async {
            let (a, b) = UnixDatagram::pair().unwrap();
            assert!(a.local_addr().unwrap().is_unnamed());
            assert!(a.peer_addr().unwrap().is_unnamed());
            assert!(format!("{a:?}").starts_with("UnixDatagram"), "{a:?}");
            let echo = corun::spawn(async move {
                let mut buf = [0u8; 4];
                for _ in 0..N {
                    let n = b.recv(&mut buf).await?;
                    assert_eq!(b.send(&buf[..n]).await?, n);
                }
                io::Result::Ok(())
            });
            // All 100 are sent without waiting for their echoes: more than a Unix
            // datagram queue holds by default, so senders wait for room on the way.
            let a = Arc::new(a);
            let sender = corun::spawn({
                let a = a.clone();
                async move {
                    for i in 0..N {
                        a.send(&i.to_le_bytes()).await?;
                    }
                    io::Result::Ok(())
                }
            });
            let mut buf = [0u8; 4];
            for i in 0..N {
                assert_eq!(a.recv(&mut buf).await.unwrap(), 4);
                assert_eq!(u32::from_le_bytes(buf), i, "the echoes come in order");
            }
            sender.await.unwrap().unwrap();
            echo.await.unwrap().unwrap();
        }));
    }

    #[test]
    fn connected_sockets_send_and_recv() {
        let _watchdog = watchdog(LIMIT, "net_unix::datagram::connected");
        let dir = TempDir::new("dgram-connected");
        let a_path = dir.path().join("a.sock");
        let b_path = dir.path().join("b.sock");
        runtime(2).block_on(within("connected unix datagrams", async {
            let a = UnixDatagram::bind(&a_path).unwrap();
            let b = UnixDatagram::bind(&b_path).unwrap();
            let error = a.peer_addr().expect_err("no peer before connect");
            assert_eq!(error.kind(), io::ErrorKind::NotConnected, "{error}");
            a.connect(&b_path).unwrap();
            b.connect(&a_path).unwrap();
            let a_peer = a.peer_addr().unwrap();
            let b_peer = b.peer_addr().unwrap();
            assert_eq!(a_peer.as_pathname(), Some(b_path.as_path()));
            assert_eq!(b_peer.as_pathname(), Some(a_path.as_path()));
            assert!(a.take_error().unwrap().is_none());

            let mut buf = [0u8; 64];
            for i in 0..10u8 {
                assert_eq!(a.send(&[i]).await.unwrap(), 1);
                let (n, from) = b.recv_from(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], [i]);
                assert_eq!(from.as_pathname(), Some(a_path.as_path()), "the sender");
                b.send(&buf[..n]).await.unwrap();
                assert_eq!(a.recv(&mut buf).await.unwrap(), 1);
                assert_eq!(buf[0], i, "the answer to datagram {i}");
            }
            // A connected socket takes datagrams from its peer only: others are refused.
            let other = UnixDatagram::unbound().unwrap();
            let error = other
                .send_to(b"not the peer", &b_path)
                .await
                .expect_err("b is connected to a");
            assert_eq!(error.kind(), io::ErrorKind::PermissionDenied, "{error}");
        }));
    }

    #[test]
    fn a_recv_dropped_while_it_waits_loses_no_datagram() {
        let _watchdog = watchdog(LIMIT, "net_unix::datagram::recv_dropped");
        runtime(2).block_on(within("unix datagram recv dropped", async {
            let (a, b) = UnixDatagram::pair().unwrap();
            let mut buf = [0u8; 64];
            {
                let mut recv = pin!(b.recv(&mut buf));
                // Nothing was sent: polled once, it files its waker and waits.
                let first = std::future::poll_fn(|cx| Poll::Ready(recv.as_mut().poll(cx))).await;
                assert!(first.is_pending(), "ready before anything was sent");
                a.send(b"kept").await.unwrap();
                // Dropped while it waits, with the datagram there for it.
            }
            let n = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"kept");
            // The next receive still finds out about the next datagram.
            a.send(b"again").await.unwrap();
            let n = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"again");
        }));
    }

    #[test]
    fn sending_to_a_path_nobody_bound_is_an_error() {
        let _watchdog = watchdog(LIMIT, "net_unix::datagram::nobody_bound");
        let dir = TempDir::new("dgram-nobody");
        let nobody = dir.path().join("nobody.sock");
        let stale = dir.path().join("stale.sock");
        runtime(1).block_on(within("send to nobody", async {
            let socket = UnixDatagram::unbound().unwrap();
            let error = socket
                .send_to(b"hello?", &nobody)
                .await
                .expect_err("nothing is bound there");
            assert_eq!(error.kind(), io::ErrorKind::NotFound, "{error}");
            let error = socket.connect(&nobody).expect_err("nothing is bound there");
            assert_eq!(error.kind(), io::ErrorKind::NotFound, "{error}");
            // A socket file whose socket is gone.
            drop(UnixDatagram::bind(&stale).unwrap());
            assert!(stale.exists(), "a closed socket leaves its file");
            let error = socket
                .send_to(b"hello?", &stale)
                .await
                .expect_err("nobody receives there");
            assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused, "{error}");
        }));
    }

    #[test]
    fn shutdown_ends_sending() {
        let _watchdog = watchdog(LIMIT, "net_unix::datagram::shutdown");
        runtime(1).block_on(within("unix datagram shutdown", async {
            let (a, b) = UnixDatagram::pair().unwrap();
            a.shutdown(Shutdown::Write).unwrap();
            let error = a.send(b"after").await.expect_err("a shut its sending down");
            assert_eq!(error.kind(), io::ErrorKind::BrokenPipe, "{error}");
            // It still receives.
            b.send(b"still").await.unwrap();
            let mut buf = [0u8; 16];
            let n = a.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"still");
            // A socket that stops receiving makes its peer's sends fail.
            let (c, d) = UnixDatagram::pair().unwrap();
            d.shutdown(Shutdown::Read).unwrap();
            let error = c
                .send(b"unheard")
                .await
                .expect_err("d shut its receiving down");
            assert_eq!(error.kind(), io::ErrorKind::BrokenPipe, "{error}");
        }));
    }

    /// Shut for reading, a datagram socket is reported hung up (closed), yet its receives
    /// return `WouldBlock`: a `recv` must wait (here, until its timeout, which on one
    /// worker fires only if the worker is free), not retry inside one poll for ever.
    #[test]
    fn a_recv_after_shutting_reading_down_waits_instead_of_spinning() {
        let _watchdog = watchdog(LIMIT, "net_unix::datagram::recv_after_shutdown");
        runtime(1).block_on(within("unix datagram recv after shutdown", async {
            let (a, _b) = UnixDatagram::pair().unwrap();
            a.shutdown(Shutdown::Read).unwrap();
            let mut buf = [0u8; 16];
            let recv = corun::timeout(Duration::from_millis(20), a.recv(&mut buf)).await;
            assert!(recv.is_err(), "nothing can arrive, yet recv gave {recv:?}");
        }));
    }

    #[test]
    fn std_sockets_convert_both_ways() {
        let _watchdog = watchdog(LIMIT, "net_unix::datagram::std");
        runtime(1).block_on(within("unix datagram std", async {
            let (std_a, std_b) = std::os::unix::net::UnixDatagram::pair().unwrap();
            let a = UnixDatagram::from_std(std_a).unwrap();
            std_b.send(b"to corun").unwrap();
            let mut buf = [0u8; 16];
            let n = a.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"to corun");
            // Back to std, still non-blocking: nothing is waiting, so it would block.
            let a = a.into_std().unwrap();
            let error = a.recv(&mut buf).expect_err("a non-blocking socket");
            assert_eq!(error.kind(), io::ErrorKind::WouldBlock, "{error}");
            a.send(b"to std").unwrap();
            let n = std_b.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"to std");
        }));
    }

    #[test]
    fn a_socket_whose_runtime_shut_down_returns_errors() {
        let _watchdog = watchdog(LIMIT, "net_unix::datagram::after_shutdown");
        let old = runtime(2);
        let (a, b) = old.block_on(async { UnixDatagram::pair().unwrap() });
        drop(old);
        let new = runtime(1);
        let mut buf = [0u8; 16];
        // Nothing was sent: only the error can come back (a hang fails `within`).
        let error = new
            .block_on(within("recv after shutdown", b.recv(&mut buf)))
            .expect_err("the socket's runtime is gone");
        assert!(error.to_string().contains("shut down"), "{error}");
        // A send would go through at once on a live runtime; here it fails as well.
        let error = new
            .block_on(within("send after shutdown", a.send(b"lost")))
            .expect_err("the socket's runtime is gone");
        assert!(error.to_string().contains("shut down"), "{error}");
        // And they drop quietly outside any runtime.
        drop(new);
        drop((a, b));
    }

    #[test]
    fn making_one_outside_a_runtime_panics_naming_the_runtime() {
        let _watchdog = watchdog(LIMIT, "net_unix::datagram::outside_runtime");
        let payload = std::thread::spawn(|| UnixDatagram::pair().map(drop))
            .join()
            .expect_err("UnixDatagram::pair outside a runtime panics");
        let message = panic_message(&*payload);
        assert!(
            message.contains("runtime"),
            "the panic says what to do: {message:?}"
        );
    }
}

// -----------------------------------------------------------------------------------------
// `UnixStream`'s readiness API: `readable` after a `try_read` saw `WouldBlock`, `writable`
// with `try_write`/`try_write_vectored`, `reunite` of the owned halves, and the waits and
// tries after the runtime shut down. (TCP's tests, in `net_tcp.rs`, cover the rest.)
// -----------------------------------------------------------------------------------------

/// The `UnixStream` readiness tests, in a module of their own so that their imports stay
/// apart from the other tests'.
mod stream_readiness {
    use super::common::net::within;
    use super::common::{runtime, watchdog, LIMIT};
    use corun::net::unix::{OwnedReadHalf, OwnedWriteHalf};
    use corun::net::{ReuniteError, UnixStream};
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    use std::io;
    use std::pin::pin;

    #[test]
    fn unix_readable_after_would_block_wakes_for_the_peers_write() {
        let _watchdog = watchdog(LIMIT, "net_unix::stream_readiness::readable");
        runtime(2).block_on(within("unix readable", async {
            let (a, b) = UnixStream::pair().unwrap();
            let mut buf = [0u8; 16];
            let error = b.try_read(&mut buf).expect_err("nothing was sent");
            assert_eq!(error.kind(), io::ErrorKind::WouldBlock, "{error}");
            let mut readable = pin!(b.readable());
            assert!(futures::poll!(readable.as_mut()).is_pending());
            a.writable().await.unwrap();
            assert_eq!(a.try_write(b"ping").unwrap(), 4);
            readable.await.unwrap();
            let n = loop {
                match b.try_read(&mut buf) {
                    Ok(n) => break n,
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                        b.readable().await.unwrap()
                    }
                    Err(error) => panic!("try_read: {error}"),
                }
            };
            assert_eq!(&buf[..n], b"ping");
            let bufs = [io::IoSlice::new(b"po"), io::IoSlice::new(b"ng")];
            assert_eq!(b.try_write_vectored(&bufs).unwrap(), 4);
            let mut a = a;
            let mut reply = [0u8; 4];
            a.read_exact(&mut reply).await.unwrap();
            assert_eq!(&reply, b"pong");
        }));
    }

    #[test]
    fn unix_reunite_gives_back_the_stream_or_both_mismatched_halves() {
        let _watchdog = watchdog(LIMIT, "net_unix::stream_readiness::reunite");
        runtime(2).block_on(within("unix reunite", async {
            let (one, mut one_peer) = UnixStream::pair().unwrap();
            let (two, _two_peer) = UnixStream::pair().unwrap();
            let (one_read, one_write): (OwnedReadHalf, OwnedWriteHalf) = one.split();
            let (two_read, two_write) = two.split();
            let ReuniteError(one_read, two_write) =
                one_read.reunite(two_write).expect_err("different streams");
            let ReuniteError(two_read, one_write) =
                one_write.reunite(two_read).expect_err("different streams");
            let mut one = one_read.reunite(one_write).expect("one stream's halves");
            let _two = two_write.reunite(two_read).expect("one stream's halves");
            one.write_all(b"whole").await.unwrap();
            let mut got = [0u8; 5];
            one_peer.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"whole");
        }));
    }

    #[test]
    fn unix_readiness_waits_and_tries_after_the_runtime_shut_down_are_errors() {
        let _watchdog = watchdog(LIMIT, "net_unix::stream_readiness::after_shutdown");
        let (a, b) = runtime(1).block_on(async { UnixStream::pair().unwrap() });
        let mut buf = [0u8; 16];
        let error = b.try_read(&mut buf).expect_err("try_read after shutdown");
        assert_eq!(error.kind(), io::ErrorKind::Other, "{error}");
        let error = a.try_write(b"x").expect_err("try_write after shutdown");
        assert_eq!(error.kind(), io::ErrorKind::Other, "{error}");
        runtime(1).block_on(within("unix waits after shutdown", async {
            let error = b.readable().await.expect_err("readable after shutdown");
            assert_eq!(error.kind(), io::ErrorKind::Other, "{error}");
            let error = a.writable().await.expect_err("writable after shutdown");
            assert_eq!(error.kind(), io::ErrorKind::Other, "{error}");
        }));
    }
}
