//! `corun::net` when things go wrong: a port already in use, a closed port, sockets that
//! outlive their runtime, a socket made outside any runtime, reads, accepts and receives
//! dropped before their data arrives (or woken for it, but never polled again), and a
//! peer that resets the connection while data is moving.
//!
//! Every body runs under `corun::timeout` (and the process under a watchdog), so a lost
//! wake-up shows as a failure naming what hung, never as a hung test run.
// corun::net needs mio, which loom cannot model: no sockets in a loom build.
#![cfg(not(corun_loom))]
#![allow(clippy::disallowed_types)]

mod common;

use common::net::{bind_local, connected_pair, within};
use common::{panic_message, runtime, watchdog, LIMIT};
use corun::net::{TcpListener, TcpStream, UdpSocket};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::StreamExt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

#[test]
fn binding_a_port_in_use_is_addr_in_use() {
    let _watchdog = watchdog(LIMIT, "net_errors::addr_in_use");
    runtime(1).block_on(within("bind twice", async {
        let first = bind_local().await;
        let addr = first.local_addr().unwrap();
        let error = TcpListener::bind(addr)
            .await
            .expect_err("a second listener on a port in use");
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse, "{error}");
        // The first listener is unaffected.
        assert_eq!(first.local_addr().unwrap(), addr);
    }));
}

#[test]
fn connecting_to_a_closed_port_is_connection_refused() {
    let _watchdog = watchdog(LIMIT, "net_errors::connection_refused");
    // A port that was just bound and released: nothing listens on it.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    runtime(1).block_on(within("connect to a closed port", async {
        let error = TcpStream::connect(addr)
            .await
            .expect_err("nothing listens on the port");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused, "{error}");
    }));
}

#[test]
fn bind_and_connect_try_each_address_in_turn() {
    let _watchdog = watchdog(LIMIT, "net_errors::each_address");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    runtime(1).block_on(within("several addresses", async {
        let taken = bind_local().await;
        let taken_addr = taken.local_addr().unwrap();
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        // The first address is in use, the second is free.
        let listener = TcpListener::bind(&[taken_addr, any][..]).await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert_ne!(addr, taken_addr);
        // Nothing listens on the first address; the second accepts.
        let client = TcpStream::connect(&[closed, addr][..]).await.unwrap();
        assert_eq!(client.peer_addr().unwrap(), addr);
        // With every address failing, the error is the last one's.
        let error = TcpStream::connect(&[closed][..]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused, "{error}");
    }));
}

#[test]
fn peer_addr_of_an_unconnected_udp_socket_is_an_error() {
    let _watchdog = watchdog(LIMIT, "net_errors::udp_not_connected");
    runtime(1).block_on(within("udp peer_addr", async {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let error = socket.peer_addr().expect_err("no peer before connect");
        assert_eq!(error.kind(), io::ErrorKind::NotConnected, "{error}");
    }));
}

/// What a socket from a runtime that has shut down gives when used in a new one.
fn outcome_on_a_new_runtime<T, F>(what: &str, future: F) -> io::Error
where
    T: std::fmt::Debug,
    F: Future<Output = io::Result<T>>,
{
    let rt = runtime(1);
    let short = Duration::from_secs(10);
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async { corun::timeout(short, future).await })
    }));
    match result {
        Ok(Ok(Err(error))) => error,
        Ok(Ok(Ok(value))) => panic!("{what}: succeeded ({value:?}) though nothing was sent"),
        Ok(Err(_)) => panic!("{what}: still pending after {short:?}; it hangs"),
        Err(payload) => panic!("{what}: panicked: {}", panic_message(&*payload)),
    }
}

#[test]
fn sockets_whose_runtime_shut_down_return_errors_in_a_new_runtime() {
    let _watchdog = watchdog(LIMIT, "net_errors::after_shutdown");
    let old = runtime(2);
    let (listener, mut client, mut server, udp) = old.block_on(within("setup", async {
        let listener = bind_local().await;
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        (listener, client, server, udp)
    }));
    drop(old);

    // Nothing was sent and nobody connects: only an error (or a hang) can come back.
    let error = outcome_on_a_new_runtime("accept", listener.accept());
    eprintln!("accept after shutdown: {error}");
    let mut buf = [0u8; 16];
    let error = outcome_on_a_new_runtime("read", client.read(&mut buf));
    eprintln!("read after shutdown: {error}");
    let error = outcome_on_a_new_runtime("read (server side)", server.read(&mut buf));
    eprintln!("server read after shutdown: {error}");
    let error = outcome_on_a_new_runtime("recv_from", udp.recv_from(&mut buf));
    eprintln!("recv_from after shutdown: {error}");

    // And they drop quietly outside any runtime.
    drop((listener, client, server, udp));
}

#[test]
fn dropping_a_runtime_whose_tasks_wait_on_sockets_drops_them() {
    let _watchdog = watchdog(LIMIT, "net_errors::drop_runtime_with_waiters");
    let rt = runtime(2);
    let (waiting_tx, waiting_rx) = std::sync::mpsc::channel::<()>();
    let handles: Vec<_> = rt.block_on(within("setup", async {
        let listener = bind_local().await;
        let (client, server) = connected_pair().await;
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut handles = Vec::new();
        handles.push(corun::spawn({
            let waiting = waiting_tx.clone();
            async move {
                let mut accept = pin!(listener.accept());
                // Polled once (so filed as a waiter) before the runtime goes.
                let first = std::future::poll_fn(|cx| Poll::Ready(accept.as_mut().poll(cx))).await;
                assert!(first.is_pending());
                waiting.send(()).unwrap();
                accept.await.map(drop)
            }
        }));
        for mut stream in [client, server] {
            let waiting = waiting_tx.clone();
            handles.push(corun::spawn(async move {
                let mut buf = [0u8; 8];
                let mut read = pin!(stream.read(&mut buf));
                let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
                assert!(first.is_pending());
                waiting.send(()).unwrap();
                read.await.map(drop)
            }));
        }
        handles.push(corun::spawn(async move {
            let mut buf = [0u8; 8];
            let mut recv = pin!(udp.recv_from(&mut buf));
            let first = std::future::poll_fn(|cx| Poll::Ready(recv.as_mut().poll(cx))).await;
            assert!(first.is_pending());
            waiting_tx.send(()).unwrap();
            recv.await.map(drop)
        }));
        handles
    }));
    for _ in 0..handles.len() {
        waiting_rx.recv().unwrap();
    }
    // Every task is parked on a socket; the drop must not wait for them.
    drop(rt);
    for handle in handles {
        match futures::executor::block_on(handle) {
            Err(error) => assert!(error.is_cancelled(), "{error:?}"),
            // A task that saw the shutdown's error before it was dropped.
            Ok(result) => {
                let error = result.expect_err("nothing was sent or connected");
                assert!(error.to_string().contains("runtime"), "{error}");
            }
        }
    }
}

#[test]
fn from_std_outside_a_runtime_panics_naming_the_runtime() {
    let _watchdog = watchdog(LIMIT, "net_errors::outside_runtime");
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let payload = std::thread::spawn(move || TcpListener::from_std(std_listener).map(drop))
        .join()
        .expect_err("TcpListener::from_std outside a runtime panics");
    let message = panic_message(&*payload);
    assert!(
        message.contains("runtime"),
        "the panic says what to do: {message:?}"
    );
}

#[test]
fn a_read_dropped_by_a_timeout_loses_no_bytes() {
    let _watchdog = watchdog(LIMIT, "net_errors::read_dropped_by_timeout");
    runtime(2).block_on(within("dropped read", async {
        let (mut client, mut server) = connected_pair().await;
        let mut buf = [0u8; 64];
        // Nothing has been sent, so the read can only time out; the timeout drops it.
        let first = corun::timeout(Duration::from_millis(20), server.read(&mut buf)).await;
        assert!(
            first.is_err(),
            "a read with nothing sent returned {first:?}"
        );
        client.write_all(b"hello world").await.unwrap();
        server.read_exact(&mut buf[..11]).await.unwrap();
        assert_eq!(&buf[..11], b"hello world");
    }));
}

/// Sends `()` on each wake.
struct WakeSignal(futures::channel::mpsc::UnboundedSender<()>);

impl futures::task::ArcWake for WakeSignal {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        let _ = arc_self.0.unbounded_send(());
    }
}

/// Polls `operation` once (it must be pending), runs `trigger` (which makes it ready),
/// waits until the driver wakes the operation's waker, and drops the operation without
/// polling it again: the readiness it was woken for must stay for the next operation.
/// Returns what `trigger` returned.
async fn drop_after_its_wake<F, T>(operation: F, trigger: impl Future<Output = T>) -> T
where
    F: Future,
    F::Output: std::fmt::Debug,
{
    let mut operation = pin!(operation);
    let (wake_tx, mut woken) = futures::channel::mpsc::unbounded();
    let waker = futures::task::waker(Arc::new(WakeSignal(wake_tx)));
    let mut cx = Context::from_waker(&waker);
    if let Poll::Ready(output) = operation.as_mut().poll(&mut cx) {
        panic!("ready before anything was sent: {output:?}");
    }
    let triggered = trigger.await;
    woken.next().await.expect("the operation is woken");
    triggered
}

#[test]
fn a_read_woken_by_data_but_dropped_unpolled_loses_no_bytes() {
    let _watchdog = watchdog(LIMIT, "net_errors::read_dropped_after_wake");
    runtime(2).block_on(within("read dropped after its wake", async {
        let (mut client, mut server) = connected_pair().await;
        let mut buf = [0u8; 64];
        drop_after_its_wake(server.read(&mut buf), async {
            client.write_all(b"hello").await.unwrap();
        })
        .await;
        server.read_exact(&mut buf[..5]).await.unwrap();
        assert_eq!(&buf[..5], b"hello");
        // The readiness consumed by that read does not leave a later one stuck either.
        client.write_all(b" again").await.unwrap();
        server.read_exact(&mut buf[..6]).await.unwrap();
        assert_eq!(&buf[..6], b" again");
    }));
}

#[test]
fn an_accept_woken_by_a_connection_but_dropped_unpolled_loses_no_connection() {
    let _watchdog = watchdog(LIMIT, "net_errors::accept_dropped_after_wake");
    runtime(2).block_on(within("accept dropped after its wake", async {
        let listener = bind_local().await;
        let addr = listener.local_addr().unwrap();
        let client = drop_after_its_wake(listener.accept(), async {
            TcpStream::connect(addr).await.unwrap()
        })
        .await;
        let (_server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
    }));
}

#[test]
fn a_recv_from_woken_by_a_datagram_but_dropped_unpolled_loses_no_datagram() {
    let _watchdog = watchdog(LIMIT, "net_errors::recv_from_dropped_after_wake");
    runtime(2).block_on(within("recv_from dropped after its wake", async {
        let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = receiver.local_addr().unwrap();
        let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0u8; 64];
        drop_after_its_wake(receiver.recv_from(&mut buf), async {
            sender.send_to(b"datagram", addr).await.unwrap();
        })
        .await;
        let (n, from) = receiver.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"datagram");
        assert_eq!(from, sender.local_addr().unwrap());
    }));
}

#[test]
fn an_accept_dropped_by_a_timeout_loses_no_connection() {
    let _watchdog = watchdog(LIMIT, "net_errors::accept_dropped");
    runtime(2).block_on(within("dropped accept", async {
        let listener = bind_local().await;
        let addr = listener.local_addr().unwrap();
        let first = corun::timeout(Duration::from_millis(20), listener.accept()).await;
        assert!(
            first.is_err(),
            "an accept with nobody connecting returned {first:?}"
        );
        let client = TcpStream::connect(addr).await.unwrap();
        let (_server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
    }));
}

/// Makes dropping `stream` reset the connection (RST) instead of closing it (FIN).
#[cfg(unix)]
fn reset_on_drop(stream: &std::net::TcpStream) {
    use std::os::unix::io::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the fd is open (owned by `stream`), and `linger` is a valid `struct linger`
    // of the size passed.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(
        rc,
        0,
        "setsockopt(SO_LINGER): {}",
        io::Error::last_os_error()
    );
}

/// A peer's last bytes and its close, reported in one event (both arrived before the
/// worker polled): the short read of the bytes clears readiness at that event's tick,
/// and the next read must still find the end (`CLOSED` outlives that clear).
#[test]
fn the_end_reported_with_the_last_bytes_survives_the_short_read_of_them() {
    let _watchdog = watchdog(LIMIT, "net_errors::end_with_the_last_bytes");
    runtime(1).block_on(within("the end reported with the last bytes", async {
        use std::io::Write;
        let listener = bind_local().await;
        let addr = listener.local_addr().unwrap();
        let mut peer = std::net::TcpStream::connect(addr).unwrap();
        let (mut stream, _) = listener.accept().await.unwrap();
        peer.write_all(b"last words").unwrap();
        peer.shutdown(std::net::Shutdown::Write).unwrap();
        // The worker parks in the poller meanwhile: one event reports the bytes and the end.
        corun::sleep(Duration::from_millis(10)).await;
        let mut buf = [0u8; 64];
        let n = stream.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"last words");
        assert_eq!(stream.read(&mut buf).await.unwrap(), 0, "then the end");
    }));
}

#[cfg(unix)]
#[test]
fn a_peer_reset_while_the_reader_waits_is_an_error_or_eof() {
    let _watchdog = watchdog(LIMIT, "net_errors::reset_while_reading");
    const SENT: usize = 256 * 1024;
    runtime(2).block_on(within("reset while reading", async {
        let listener = bind_local().await;
        let addr = listener.local_addr().unwrap();
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        // A blocking peer: sends part of a transfer, waits until the reader has some of
        // it, then resets.
        let peer = corun::spawn_blocking(move || {
            use std::io::Write;
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream.write_all(&vec![7u8; SENT]).unwrap();
            started_rx.recv().unwrap();
            reset_on_drop(&stream);
            drop(stream);
        });
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 16 * 1024];
        let mut received = 0;
        let mut started = Some(started_tx);
        let end = loop {
            match stream.read(&mut buf).await {
                Ok(0) => break Ok(0),
                Ok(n) => {
                    assert!(buf[..n].iter().all(|&b| b == 7));
                    received += n;
                    if let Some(started) = started.take() {
                        started.send(()).unwrap();
                    }
                }
                Err(error) => break Err(error),
            }
        };
        peer.await.unwrap();
        assert!(received > 0, "the reader got data before the reset");
        assert!(received <= SENT);
        match end {
            Err(error) => assert_eq!(error.kind(), io::ErrorKind::ConnectionReset, "{error}"),
            // Everything sent had been read before the reset arrived.
            Ok(_) => assert_eq!(received, SENT, "EOF only once everything was read"),
        }
    }));
}

#[cfg(unix)]
#[test]
fn a_peer_reset_while_the_writer_waits_is_an_error() {
    let _watchdog = watchdog(LIMIT, "net_errors::reset_while_writing");
    runtime(2).block_on(within("reset while writing", async {
        let listener = bind_local().await;
        let addr = listener.local_addr().unwrap();
        // A blocking peer that reads a little of an endless transfer, then resets.
        let peer = corun::spawn_blocking(move || {
            use std::io::Read;
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            let mut buf = vec![0u8; 64 * 1024];
            stream.read_exact(&mut buf).unwrap();
            reset_on_drop(&stream);
            drop(stream);
            buf.len()
        });
        let (mut stream, _) = listener.accept().await.unwrap();
        let chunk = vec![1u8; 64 * 1024];
        let mut sent = 0usize;
        // Writes until the socket buffers are full and the writer waits; the reset must
        // end the wait with an error.
        let error = loop {
            match stream.write(&chunk).await {
                Ok(n) => sent += n,
                Err(error) => break error,
            }
        };
        let peer_read = peer.await.unwrap();
        assert!(sent >= peer_read, "sent {sent}, the peer read {peer_read}");
        assert!(
            matches!(
                error.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ),
            "{error}"
        );
    }));
}
