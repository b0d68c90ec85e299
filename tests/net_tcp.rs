//! TCP through `corun::net`: an echo server under many clients, a 64 MiB transfer checked
//! byte for byte, small reads of one buffered write, half-close, split halves driven from
//! two tasks, `incoming()`, the addresses and options a stream reports,
//! `from_std`/`into_std`, an accept loop that its task group cancels (its port is free
//! again afterwards), a thousand connections open at once, and the readiness API
//! (`readable`/`writable` with `try_read`/`try_write`, `peek`, `reunite`).
//!
//! Every body runs under `corun::timeout` (and the process under a watchdog), so a lost
//! wake-up shows as a failure naming what hung, never as a hung test run.
// corun::net needs mio, which loom cannot model: no sockets in a loom build.
#![cfg(not(corun_loom))]
#![allow(clippy::disallowed_types)]

mod common;

use common::net::{bind_local, connected_pair, within};
use common::{runtime, watchdog, LIMIT};
use corun::net::{TcpListener, TcpStream};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::StreamExt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

/// Echoes everything it reads until EOF; returns how many bytes it echoed.
async fn echo(mut stream: TcpStream) -> io::Result<usize> {
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

/// splitmix64: a deterministic, non-repeating word sequence for the transfer pattern.
fn splitmix64(n: u64) -> u64 {
    let mut z = n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fills `buf` with the pattern's bytes starting at stream offset `offset` (a multiple
/// of 8): byte `i` of the stream is byte `i % 8` of `splitmix64(i / 8)`.
fn fill_pattern(offset: usize, buf: &mut [u8]) {
    assert_eq!(offset % 8, 0);
    for (k, word) in buf.chunks_mut(8).enumerate() {
        let bytes = splitmix64((offset / 8 + k) as u64).to_le_bytes();
        word.copy_from_slice(&bytes[..word.len()]);
    }
}

/// Writes `total` pattern bytes in `chunk`-sized writes, then closes the write side.
async fn write_pattern<W: futures::io::AsyncWrite + Unpin>(
    mut writer: W,
    total: usize,
    chunk: usize,
) -> io::Result<()> {
    let mut buf = vec![0u8; chunk];
    let mut offset = 0;
    while offset < total {
        let len = chunk.min(total - offset);
        fill_pattern(offset, &mut buf[..len]);
        writer.write_all(&buf[..len]).await?;
        offset += len;
    }
    writer.close().await
}

/// Reads the pattern to EOF in `chunk`-sized pieces, checking every byte; returns the
/// number of bytes read.
async fn check_pattern<R: futures::io::AsyncRead + Unpin>(
    mut reader: R,
    total: usize,
    chunk: usize,
) -> io::Result<usize> {
    let mut got = vec![0u8; chunk];
    let mut expected = vec![0u8; chunk];
    let mut offset = 0;
    while offset < total {
        let len = chunk.min(total - offset);
        reader.read_exact(&mut got[..len]).await?;
        fill_pattern(offset, &mut expected[..len]);
        if got[..len] != expected[..len] {
            let at = (0..len).find(|&i| got[i] != expected[i]).unwrap();
            panic!(
                "byte {} of the stream is {:#04x}, expected {:#04x}",
                offset + at,
                got[at],
                expected[at]
            );
        }
        offset += len;
    }
    let mut extra = [0u8; 1];
    assert_eq!(reader.read(&mut extra).await?, 0, "EOF after {total} bytes");
    Ok(offset)
}

#[test]
fn an_echo_server_answers_100_clients_sending_100_messages_each() {
    let _watchdog = watchdog(LIMIT, "net_tcp::echo_100x100");
    const CLIENTS: usize = 100;
    const MESSAGES: usize = 100;
    runtime(2).block_on(within("echo 100 x 100", async {
        let listener = bind_local().await;
        let addr = listener.local_addr().unwrap();
        let server = corun::spawn(async move {
            let mut sessions = Vec::with_capacity(CLIENTS);
            for _ in 0..CLIENTS {
                let (stream, _) = listener.accept().await?;
                sessions.push(corun::spawn(echo(stream)));
            }
            let mut echoed = Vec::with_capacity(CLIENTS);
            for session in sessions {
                echoed.push(session.await.expect("echo session")?);
            }
            io::Result::Ok(echoed)
        });
        let replies = corun::gather((0..CLIENTS).map(|client| async move {
            let mut stream = TcpStream::connect(addr).await?;
            let mut reply = Vec::new();
            for message in 0..MESSAGES {
                let request = format!("client {client:03} message {message:03}\n");
                stream.write_all(request.as_bytes()).await?;
                reply.resize(request.len(), 0);
                stream.read_exact(&mut reply).await?;
                assert_eq!(reply, request.as_bytes(), "client {client}'s reply");
            }
            stream.close().await?;
            io::Result::Ok(MESSAGES)
        }))
        .await;
        let replies: usize = replies.into_iter().map(|r| r.expect("client")).sum();
        assert_eq!(replies, CLIENTS * MESSAGES);
        let echoed = server.await.unwrap().expect("server");
        assert_eq!(echoed.len(), CLIENTS);
        let message_len = "client 000 message 000\n".len();
        assert!(
            echoed.iter().all(|&n| n == MESSAGES * message_len),
            "{echoed:?}"
        );
    }));
}

#[test]
fn a_64_mib_transfer_arrives_byte_for_byte() {
    let _watchdog = watchdog(LIMIT, "net_tcp::transfer_64_mib");
    const TOTAL: usize = 64 << 20;
    runtime(2).block_on(within("64 MiB transfer", async {
        let (client, server) = connected_pair().await;
        // Different chunk sizes on each side, so writes and reads do not line up.
        let writer = corun::spawn(write_pattern(client, TOTAL, 96 * 1024));
        let reader = corun::spawn(check_pattern(server, TOTAL, 64 * 1024));
        writer.await.unwrap().expect("write 64 MiB");
        assert_eq!(reader.await.unwrap().expect("read 64 MiB"), TOTAL);
    }));
}

/// The client sends a request and closes its write side (`how`), the server reads to EOF
/// and still answers, and the client reads the whole answer.
fn half_close_round_trip(how: &'static str) {
    runtime(2).block_on(within(how, async move {
        let listener = bind_local().await;
        let addr = listener.local_addr().unwrap();
        let server = corun::spawn(async move {
            let (mut stream, _) = listener.accept().await?;
            let mut request = Vec::new();
            stream.read_to_end(&mut request).await?;
            let reply = format!(
                "got {} bytes: {}",
                request.len(),
                String::from_utf8_lossy(&request)
            );
            stream.write_all(reply.as_bytes()).await?;
            stream.close().await?;
            io::Result::Ok(request)
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(b"request").await.unwrap();
        match how {
            "shutdown(Write)" => client.shutdown(Shutdown::Write).unwrap(),
            "close()" => client.close().await.unwrap(),
            _ => unreachable!(),
        }
        let mut reply = String::new();
        client.read_to_string(&mut reply).await.unwrap();
        assert_eq!(reply, "got 7 bytes: request");
        assert_eq!(server.await.unwrap().unwrap(), b"request");
        assert!(
            client.write_all(b"more").await.is_err(),
            "writing after {how} fails"
        );
    }));
}

#[test]
fn after_shutdown_write_the_server_reads_eof_and_still_replies() {
    let _watchdog = watchdog(LIMIT, "net_tcp::half_close_shutdown");
    half_close_round_trip("shutdown(Write)");
}

#[test]
fn after_close_the_server_reads_eof_and_still_replies() {
    let _watchdog = watchdog(LIMIT, "net_tcp::half_close_close");
    half_close_round_trip("close()");
}

#[test]
fn split_halves_read_and_write_from_two_tasks_at_once() {
    let _watchdog = watchdog(LIMIT, "net_tcp::split");
    // More than the socket buffers hold: the echo stalls unless both client halves run
    // at the same time.
    const TOTAL: usize = 8 << 20;
    runtime(2).block_on(within("split halves", async {
        let (client, server) = connected_pair().await;
        // The server echoes through its own halves: one task reads, another writes.
        let (mut server_read, mut server_write) = server.split();
        let (chunks_tx, mut chunks_rx) = futures::channel::mpsc::channel::<Vec<u8>>(4);
        let server_reader = corun::spawn(async move {
            let mut chunks_tx = chunks_tx;
            let mut buf = vec![0u8; 32 * 1024];
            loop {
                let n = server_read.read(&mut buf).await?;
                if n == 0 {
                    return io::Result::Ok(());
                }
                futures::SinkExt::send(&mut chunks_tx, buf[..n].to_vec())
                    .await
                    .expect("the writer task is alive");
            }
        });
        let server_writer = corun::spawn(async move {
            while let Some(chunk) = chunks_rx.next().await {
                server_write.write_all(&chunk).await?;
            }
            server_write.close().await
        });

        let (client_read, client_write) = client.split();
        let writer = corun::spawn(write_pattern(client_write, TOTAL, 40_000));
        let reader = corun::spawn(check_pattern(client_read, TOTAL, 24 * 1024));
        writer.await.unwrap().expect("client writer");
        assert_eq!(reader.await.unwrap().expect("client reader"), TOTAL);
        server_reader.await.unwrap().expect("server reader");
        server_writer.await.unwrap().expect("server writer");
    }));
}

#[test]
fn small_reads_drain_what_arrived_in_one_write() {
    let _watchdog = watchdog(LIMIT, "net_tcp::small_reads");
    runtime(2).block_on(within("small reads", async {
        let (mut client, mut server) = connected_pair().await;
        let message: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        // One write, and the connection stays open: no later arrival reports the socket
        // readable again, so each read that fills its buffer must leave it readable.
        client.write_all(&message).await.unwrap();
        let mut received = Vec::new();
        let mut piece = [0u8; 10];
        while received.len() < message.len() {
            server.read_exact(&mut piece).await.unwrap();
            received.extend_from_slice(&piece);
        }
        assert_eq!(received, message);
    }));
}

#[test]
fn incoming_yields_every_connection() {
    let _watchdog = watchdog(LIMIT, "net_tcp::incoming");
    const N: usize = 16;
    runtime(2).block_on(within("incoming", async {
        let listener = bind_local().await;
        let addr = listener.local_addr().unwrap();
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
        let clients = corun::gather((0..N).map(|id| async move {
            let mut stream = TcpStream::connect(addr).await?;
            stream.write_all(&[id as u8]).await?;
            stream.close().await
        }))
        .await;
        for client in clients {
            client.expect("client");
        }
        let mut ids = server.await.unwrap().expect("incoming");
        ids.sort_unstable();
        assert_eq!(ids, (0..N).collect::<Vec<_>>());
    }));
}

#[test]
fn both_ends_agree_on_their_addresses() {
    let _watchdog = watchdog(LIMIT, "net_tcp::addresses");
    runtime(2).block_on(within("addresses", async {
        let listener = bind_local().await;
        let server_addr = listener.local_addr().unwrap();
        assert!(server_addr.ip().is_loopback());
        assert_ne!(server_addr.port(), 0, "bound to a real port");
        let (client, accepted) = futures::join!(TcpStream::connect(server_addr), listener.accept());
        let client = client.unwrap();
        let (server, peer) = accepted.unwrap();
        assert_eq!(client.peer_addr().unwrap(), server_addr);
        assert_eq!(client.local_addr().unwrap(), peer);
        assert_eq!(server.peer_addr().unwrap(), peer);
        assert_eq!(server.local_addr().unwrap(), server_addr);
    }));
}

#[test]
fn nodelay_reads_back_what_was_set() {
    let _watchdog = watchdog(LIMIT, "net_tcp::nodelay");
    runtime(1).block_on(within("nodelay", async {
        let (client, _server) = connected_pair().await;
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        client.set_nodelay(false).unwrap();
        assert!(!client.nodelay().unwrap());
    }));
}

#[test]
fn std_sockets_convert_to_corun_and_back() {
    let _watchdog = watchdog(LIMIT, "net_tcp::std_conversions");
    runtime(2).block_on(within("from_std/into_std", async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        assert_eq!(listener.local_addr().unwrap(), addr);

        // A std stream, connected before conversion, carries data both ways.
        let std_client = std::net::TcpStream::connect(addr).unwrap();
        std_client.set_nonblocking(true).unwrap();
        let mut client = TcpStream::from_std(std_client).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let session = corun::spawn(echo(server));
        client.write_all(b"via from_std").await.unwrap();
        let mut reply = [0u8; 12];
        client.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"via from_std");

        // And back to std: the same connection, now driven by blocking calls.
        let mut std_client = client.into_std().unwrap();
        std_client.set_nonblocking(false).unwrap();
        let std_client = corun::spawn_blocking(move || {
            use std::io::{Read, Write};
            std_client.write_all(b"via into_std").unwrap();
            let mut reply = [0u8; 12];
            std_client.read_exact(&mut reply).unwrap();
            assert_eq!(&reply, b"via into_std");
            std_client.shutdown(Shutdown::Write).unwrap();
            std_client
        })
        .await
        .unwrap();
        assert_eq!(session.await.unwrap().unwrap(), 24);
        drop(std_client);

        // The listener converts back too, still bound to the same address.
        let std_listener = listener.into_std().unwrap();
        assert_eq!(std_listener.local_addr().unwrap(), addr);
    }));
}

/// Accepts connections forever, answering each one's single byte; counts the sessions.
async fn accept_loop(listener: TcpListener, served: Arc<AtomicUsize>) -> Result<(), String> {
    loop {
        let (mut stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut byte = [0u8; 1];
        stream
            .read_exact(&mut byte)
            .await
            .map_err(|e| e.to_string())?;
        stream.write_all(&byte).await.map_err(|e| e.to_string())?;
        // Wait for the client to close first, so the TIME_WAIT is on its side.
        let mut rest = Vec::new();
        stream
            .read_to_end(&mut rest)
            .await
            .map_err(|e| e.to_string())?;
        served.fetch_add(1, SeqCst);
    }
}

async fn one_round_trip(addr: SocketAddr, byte: u8) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(&[byte]).await?;
    let mut reply = [0u8; 1];
    stream.read_exact(&mut reply).await?;
    assert_eq!(reply, [byte]);
    Ok(())
}

#[test]
fn an_accept_loop_cancelled_by_a_failing_sibling_frees_its_port() {
    let _watchdog = watchdog(LIMIT, "net_tcp::accept_loop_sibling_fails");
    runtime(2).block_on(within("group with an accept loop", async {
        let listener = bind_local().await;
        let addr = listener.local_addr().unwrap();
        let served = Arc::new(AtomicUsize::new(0));
        let result = corun::task_group(|tg| {
            let served = served.clone();
            async move {
                tg.spawn(accept_loop(listener, served));
                tg.spawn(async move {
                    one_round_trip(addr, 7).await.map_err(|e| e.to_string())?;
                    Err::<(), String>("the client is done".to_owned())
                });
                Ok(())
            }
        })
        .await;
        let error = result.unwrap_err();
        assert_eq!(error.errors(), ["the client is done"]);
        assert_eq!(error.cancelled(), 1, "the accept loop was cancelled");
        assert!(served.load(SeqCst) <= 1);
        // The group joined its children, so the listener is closed: the port is free.
        let again = TcpListener::bind(addr)
            .await
            .expect("rebind the cancelled listener's port");
        assert_eq!(again.local_addr().unwrap(), addr);
    }));
}

#[test]
fn an_accept_loop_cancelled_at_its_group_deadline_frees_its_port() {
    let _watchdog = watchdog(LIMIT, "net_tcp::accept_loop_cancel_after");
    runtime(2).block_on(within("group with a deadline", async {
        let listener = bind_local().await;
        let addr = listener.local_addr().unwrap();
        let served = Arc::new(AtomicUsize::new(0));
        let result = corun::task_group(|tg| {
            let served = served.clone();
            async move {
                tg.spawn(accept_loop(listener, served));
                // Cut short by the deadline if it has not finished by then.
                one_round_trip(addr, 9).await.map_err(|e| e.to_string())?;
                std::future::pending::<Result<(), String>>().await
            }
        })
        .cancel_after(Duration::from_millis(50))
        .await;
        let error = result.unwrap_err();
        assert!(error.is_cancelled(), "{error:?}");
        assert!(error.errors().is_empty(), "{error:?}");
        assert_eq!(error.cancelled(), 1, "the accept loop was cancelled");
        let again = TcpListener::bind(addr)
            .await
            .expect("rebind the cancelled listener's port");
        assert_eq!(again.local_addr().unwrap(), addr);
    }));
}

/// Raises the soft limit on open files to `want` (at most the hard limit); false if it
/// stays below `need`.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // `rlim_t` is not `u64` on every target.
fn raise_fd_limit(want: u64, need: u64) -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        eprintln!("getrlimit: {}", io::Error::last_os_error());
        return false;
    }
    if limit.rlim_cur as u64 >= need {
        return true;
    }
    let target = want.min(limit.rlim_max as u64);
    if target < need {
        eprintln!(
            "skipped: RLIMIT_NOFILE's hard limit {} is below {need}",
            limit.rlim_max
        );
        return false;
    }
    limit.rlim_cur = target as libc::rlim_t;
    // SAFETY: `limit` is a valid rlimit whose soft limit does not exceed its hard one.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        eprintln!("skipped: setrlimit: {}", io::Error::last_os_error());
        return false;
    }
    true
}

#[cfg(unix)]
#[test]
fn a_thousand_connections_are_open_at_once_and_each_echoes() {
    let _watchdog = watchdog(LIMIT, "net_tcp::thousand_connections");
    const N: usize = 1000;
    // Two descriptors per connection, plus some room for the other tests of this binary.
    if !raise_fd_limit(4096, 2 * N as u64 + 200) {
        eprintln!("skipped: cannot raise RLIMIT_NOFILE enough for {N} connections");
        return;
    }
    runtime(2).block_on(within("1000 connections", async {
        let listener = bind_local().await;
        let addr = listener.local_addr().unwrap();
        let server = corun::spawn(async move {
            let mut accepted = Vec::with_capacity(N);
            while accepted.len() < N {
                accepted.push(listener.accept().await?.0);
            }
            io::Result::Ok(accepted)
        });
        // Connect in waves that fit the listen backlog, keeping every stream open.
        let mut clients = Vec::with_capacity(N);
        for _ in 0..N / 100 {
            let wave = corun::gather((0..100).map(|_| TcpStream::connect(addr))).await;
            for client in wave {
                clients.push(client.expect("connect"));
            }
        }
        let accepted = server.await.unwrap().expect("accept 1000");
        assert_eq!(accepted.len(), N);
        assert_eq!(clients.len(), N);

        // Every connection is open now; each carries one message and its echo.
        let sessions: Vec<_> = accepted
            .into_iter()
            .map(|mut stream| {
                corun::spawn(async move {
                    let mut message = [0u8; 8];
                    stream.read_exact(&mut message).await?;
                    stream.write_all(&message).await?;
                    io::Result::Ok(())
                })
            })
            .collect();
        let echoed = corun::gather(clients.into_iter().enumerate().map(
            |(i, mut stream)| async move {
                let message = (i as u64).to_le_bytes();
                stream.write_all(&message).await?;
                let mut reply = [0u8; 8];
                stream.read_exact(&mut reply).await?;
                assert_eq!(reply, message, "connection {i}'s echo");
                io::Result::Ok(())
            },
        ))
        .await;
        let mut checked = 0;
        for result in echoed {
            result.expect("client echo");
            checked += 1;
        }
        assert_eq!(checked, N);
        for session in sessions {
            session.await.unwrap().expect("server session");
        }
    }));
}

// The readiness API: `readable`/`writable`, single tries, `peek`, `reunite`.

/// Makes `stream` not readable: a try on the empty socket sees `WouldBlock`, which clears
/// its readiness, so the next `readable()` must wait for a report.
fn clear_readable(stream: &TcpStream) {
    let mut buf = [0u8; 16];
    let error = stream.try_read(&mut buf).expect_err("nothing was sent");
    assert_eq!(error.kind(), io::ErrorKind::WouldBlock, "{error}");
}

/// Waits for `stream` to be readable and tries until a try reads something (or the end).
async fn read_when_readable(stream: &TcpStream, buf: &mut [u8]) -> usize {
    loop {
        stream.readable().await.expect("readable");
        match stream.try_read(buf) {
            Ok(n) => return n,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            Err(error) => panic!("try_read: {error}"),
        }
    }
}

#[test]
fn readable_resolves_once_the_peer_writes_and_try_read_reads_the_bytes() {
    let _watchdog = watchdog(LIMIT, "net_tcp::readable_then_try_read");
    runtime(2).block_on(within("readable, then try_read", async {
        let (mut client, server) = connected_pair().await;
        client.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 16];
        let mut received = Vec::new();
        while received.len() < 5 {
            let n = read_when_readable(&server, &mut buf).await;
            assert_ne!(n, 0, "no end before the bytes");
            received.extend_from_slice(&buf[..n]);
        }
        assert_eq!(received, b"hello");
    }));
}

#[test]
fn a_write_after_try_read_saw_would_block_wakes_a_readable_waiter() {
    let _watchdog = watchdog(LIMIT, "net_tcp::would_block_then_readable");
    runtime(2).block_on(within("WouldBlock, then readable", async {
        let (mut client, server) = connected_pair().await;
        clear_readable(&server);
        let server = Arc::new(server);
        let (waiting_tx, waiting_rx) = futures::channel::oneshot::channel();
        let reader = corun::spawn({
            let server = server.clone();
            async move {
                // Filed as a waiter before the peer writes.
                let mut readable = std::pin::pin!(server.readable());
                // Nothing was reported since the `WouldBlock` cleared readiness.
                assert!(futures::poll!(readable.as_mut()).is_pending());
                waiting_tx.send(()).unwrap();
                readable.await.expect("readable");
                let mut buf = [0u8; 16];
                let n = read_when_readable(&server, &mut buf).await;
                buf[..n].to_vec()
            }
        });
        waiting_rx.await.unwrap();
        client.write_all(b"late").await.unwrap();
        let got = reader.await.unwrap();
        assert!(!got.is_empty() && b"late".starts_with(&got), "{got:?}");
    }));
}

#[test]
fn writable_resolves_on_a_fresh_connection() {
    let _watchdog = watchdog(LIMIT, "net_tcp::writable_fresh");
    runtime(1).block_on(within("writable", async {
        let (client, server) = connected_pair().await;
        client.writable().await.unwrap();
        server.writable().await.unwrap();
        assert_eq!(client.try_write(b"x").unwrap(), 1);
    }));
}

#[test]
fn try_write_fills_the_socket_then_writable_waits_until_the_peer_drains() {
    let _watchdog = watchdog(LIMIT, "net_tcp::try_write_then_writable");
    // Sent after the socket first filled up: more than its buffers hold, so the writer
    // waits on `writable` while the reader drains, again and again.
    const MORE: usize = 4 << 20;
    runtime(2).block_on(within("try_write until full, then writable", async {
        let (client, mut server) = connected_pair().await;
        let chunk = vec![7u8; 64 * 1024];
        let mut filled = 0;
        loop {
            match client.try_write(&chunk) {
                Ok(n) => filled += n,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) => panic!("try_write: {error}"),
            }
        }
        assert!(filled > 0, "a fresh connection takes some bytes");
        let total = filled + MORE;
        let reader = corun::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            let mut received = 0;
            while received < total {
                let n = server.read(&mut buf).await?;
                assert_ne!(n, 0, "no end before {total} bytes");
                assert!(buf[..n].iter().all(|&b| b == 7));
                received += n;
            }
            io::Result::Ok(received)
        });
        let mut sent = 0;
        while sent < MORE {
            client.writable().await.unwrap();
            let len = chunk.len().min(MORE - sent);
            match client.try_write(&chunk[..len]) {
                Ok(n) => sent += n,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => panic!("try_write: {error}"),
            }
        }
        assert_eq!(reader.await.unwrap().unwrap(), total);
    }));
}

#[test]
fn try_write_vectored_sends_the_buffers_in_order() {
    let _watchdog = watchdog(LIMIT, "net_tcp::try_write_vectored");
    runtime(2).block_on(within("try_write_vectored", async {
        let (client, mut server) = connected_pair().await;
        client.writable().await.unwrap();
        let bufs = [io::IoSlice::new(b"hello, "), io::IoSlice::new(b"world")];
        assert_eq!(client.try_write_vectored(&bufs).unwrap(), 12);
        let mut got = [0u8; 12];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"hello, world");
    }));
}

#[test]
fn peek_waits_for_data_and_leaves_it_for_the_next_read() {
    let _watchdog = watchdog(LIMIT, "net_tcp::peek");
    runtime(2).block_on(within("peek", async {
        let (mut client, mut server) = connected_pair().await;
        let message = b"peek at me";
        // The peek starts before anything is sent: it waits, then sees the bytes.
        let mut peeked = [0u8; 64];
        let (n, sent) = futures::join!(server.peek(&mut peeked), client.write_all(message));
        sent.unwrap();
        let n = n.unwrap();
        assert!(n > 0 && message.starts_with(&peeked[..n]), "{n}");
        // Again: nothing was taken.
        let mut again = [0u8; 64];
        let m = server.peek(&mut again).await.unwrap();
        assert!(m >= n && message.starts_with(&again[..m]), "{m}");
        // The read gets the same bytes, all of them.
        let mut read = [0u8; 10];
        server.read_exact(&mut read).await.unwrap();
        assert_eq!(&read, message);
        // And they are gone now.
        clear_readable(&server);
    }));
}

#[test]
fn two_tasks_waiting_on_readable_are_both_woken() {
    let _watchdog = watchdog(LIMIT, "net_tcp::two_readable_waiters");
    runtime(2).block_on(within("two readable waiters", async {
        let (mut client, server) = connected_pair().await;
        clear_readable(&server);
        let server = Arc::new(server);
        let mut waiting = Vec::new();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (waiting_tx, waiting_rx) = futures::channel::oneshot::channel();
                waiting.push(waiting_rx);
                let server = server.clone();
                corun::spawn(async move {
                    let mut readable = std::pin::pin!(server.readable());
                    assert!(futures::poll!(readable.as_mut()).is_pending());
                    waiting_tx.send(()).unwrap();
                    readable.await
                })
            })
            .collect();
        for waiting in waiting {
            waiting.await.unwrap();
        }
        client.write_all(b"both").await.unwrap();
        for waiter in waiters {
            waiter.await.unwrap().expect("readable");
        }
    }));
}

#[test]
fn a_readable_future_dropped_mid_wait_leaves_the_stream_usable() {
    let _watchdog = watchdog(LIMIT, "net_tcp::readable_dropped");
    runtime(2).block_on(within("readable dropped", async {
        let (mut client, mut server) = connected_pair().await;
        clear_readable(&server);
        {
            let mut readable = std::pin::pin!(server.readable());
            assert!(futures::poll!(readable.as_mut()).is_pending());
        }
        client.write_all(b"still here").await.unwrap();
        server.readable().await.unwrap();
        let mut got = [0u8; 10];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"still here");
        // The other direction too.
        server.writable().await.unwrap();
        server.write_all(b"ok").await.unwrap();
        let mut reply = [0u8; 2];
        client.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"ok");
    }));
}

#[test]
fn reunite_gives_back_the_stream_or_both_mismatched_halves() {
    let _watchdog = watchdog(LIMIT, "net_tcp::reunite");
    runtime(2).block_on(within("reunite", async {
        let (one, mut one_peer) = connected_pair().await;
        let (two, two_peer) = connected_pair().await;
        let one_addr = one.local_addr().unwrap();
        let (one_read, one_write) = one.split();
        let (two_read, two_write) = two.split();

        // Halves of different streams: both come back, unchanged.
        let error = one_read.reunite(two_write).expect_err("different streams");
        assert!(!error.to_string().is_empty());
        let corun::net::ReuniteError(one_read, two_write) = error;
        assert_eq!(one_read.local_addr().unwrap(), one_addr);
        assert_eq!(
            two_write.local_addr().unwrap(),
            two_peer.peer_addr().unwrap()
        );
        // From the write half's side too.
        let corun::net::ReuniteError(two_read, one_write) =
            one_write.reunite(two_read).expect_err("different streams");

        // Matching halves: the stream, whole again, from either side.
        let mut one = one_read
            .reunite(one_write)
            .expect("the halves of one stream");
        let two = two_write
            .reunite(two_read)
            .expect("the halves of one stream");
        assert_eq!(one.local_addr().unwrap(), one_addr);
        assert_eq!(two.peer_addr().unwrap(), two_peer.local_addr().unwrap());
        one.write_all(b"whole").await.unwrap();
        let mut got = [0u8; 5];
        one_peer.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"whole");
        one_peer.write_all(b"again").await.unwrap();
        one.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"again");
    }));
}

#[test]
fn readiness_waits_and_tries_after_the_runtime_shut_down_are_errors() {
    let _watchdog = watchdog(LIMIT, "net_tcp::readiness_after_shutdown");
    let old = runtime(2);
    let (client, server) = old.block_on(within("setup", async {
        let (client, server) = connected_pair().await;
        clear_readable(&server);
        (client, server)
    }));
    drop(old);

    // Tries need no runtime: they fail at once, and not with `WouldBlock`.
    let mut buf = [0u8; 16];
    for (what, result) in [
        ("try_read", server.try_read(&mut buf)),
        ("try_write", client.try_write(b"x")),
    ] {
        let error = result.expect_err(what);
        assert_eq!(error.kind(), io::ErrorKind::Other, "{what}: {error}");
    }
    // The waits end with the same error instead of waiting for reports nobody polls.
    runtime(1).block_on(within("waits after shutdown", async {
        let error = server.readable().await.expect_err("readable");
        assert_eq!(error.kind(), io::ErrorKind::Other, "{error}");
        let error = client.writable().await.expect_err("writable");
        assert_eq!(error.kind(), io::ErrorKind::Other, "{error}");
        let error = server.peek(&mut buf).await.expect_err("peek");
        assert_eq!(error.kind(), io::ErrorKind::Other, "{error}");
    }));
}

#[test]
fn split_halves_wait_and_try_in_their_own_direction() {
    let _watchdog = watchdog(LIMIT, "net_tcp::halves_readiness");
    runtime(2).block_on(within("halves' readiness", async {
        let (client, mut server) = connected_pair().await;
        let (read, write) = client.split();
        let mut buf = [0u8; 16];
        let empty = read.try_read(&mut buf).unwrap_err();
        assert_eq!(empty.kind(), io::ErrorKind::WouldBlock);
        server.write_all(b"to the reader").await.unwrap();
        read.readable().await.unwrap();
        let n = read.try_read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"to the reader");
        write.writable().await.unwrap();
        assert_eq!(write.try_write(b"to the peer").unwrap(), 11);
        let mut got = [0u8; 11];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"to the peer");
    }));
}

#[test]
fn a_name_is_looked_up_on_the_blocking_pool_and_an_address_is_not() {
    let _watchdog = watchdog(LIMIT, "a_name_is_looked_up_on_the_blocking_pool");
    let rt = runtime(1);
    let handle = rt.handle().clone();
    let blocking_threads = || {
        let metrics = handle.metrics();
        metrics.blocking_threads_busy() + metrics.blocking_threads_idle()
    };
    rt.block_on(within("connect by name", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (client, accepted) =
            futures::join!(TcpStream::connect(("127.0.0.1", port)), listener.accept());
        assert_eq!(client?.peer_addr()?, listener.local_addr()?);
        drop(accepted?);
        assert_eq!(blocking_threads(), 0, "an address is used as it is");
        // `localhost` may resolve to ::1 first, where nothing listens: the next address.
        let (client, accepted) =
            futures::join!(TcpStream::connect(("localhost", port)), listener.accept());
        assert_eq!(client?.peer_addr()?.port(), port);
        drop(accepted?);
        assert!(
            blocking_threads() >= 1,
            "the name was looked up off the worker"
        );
        io::Result::Ok(())
    }))
    .expect("connect failed");
}
