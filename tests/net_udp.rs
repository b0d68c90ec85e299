//! UDP through `corun::net`: an echo over `send_to`/`recv_from` with a receiver that is
//! already waiting, a socket shared by a sending and a receiving task, two tasks
//! receiving on one socket, and connected sockets (`connect`/`send`/`recv`, `peer_addr`).
//!
//! Every body runs under `corun::timeout` (and the process under a watchdog), so a lost
//! wake-up shows as a failure naming what hung, never as a hung test run. Loopback does
//! not drop datagrams sent one at a time, each answered before the next.
// corun::net needs mio, which loom cannot model: no sockets in a loom build.
#![cfg(not(corun_loom))]
#![allow(clippy::disallowed_types)]

mod common;

use common::net::within;
use common::{runtime, watchdog, LIMIT};
use corun::net::UdpSocket;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

async fn bind_local() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0")
}

#[test]
fn send_to_and_recv_from_echo_100_datagrams() {
    let _watchdog = watchdog(LIMIT, "net_udp::echo");
    const N: usize = 100;
    runtime(2).block_on(within("udp echo", async {
        let server = bind_local().await;
        let server_addr = server.local_addr().unwrap();
        let client = bind_local().await;
        let client_addr = client.local_addr().unwrap();
        // The server task is waiting in `recv_from` before the first datagram is sent.
        let echo = corun::spawn(async move {
            let mut buf = [0u8; 1500];
            for _ in 0..N {
                let (n, from) = server.recv_from(&mut buf).await?;
                assert_eq!(from, client_addr, "the datagram's source");
                assert_eq!(server.send_to(&buf[..n], from).await?, n);
            }
            io::Result::Ok(N)
        });
        let mut buf = [0u8; 1500];
        for i in 0..N {
            let request = format!("datagram {i}");
            let sent = client
                .send_to(request.as_bytes(), server_addr)
                .await
                .unwrap();
            assert_eq!(sent, request.len());
            let (n, from) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, server_addr);
            assert_eq!(&buf[..n], request.as_bytes(), "echo of datagram {i}");
        }
        assert_eq!(echo.await.unwrap().unwrap(), N);
    }));
}

#[test]
fn one_socket_is_shared_by_a_receiving_task_and_a_sending_task() {
    let _watchdog = watchdog(LIMIT, "net_udp::shared_socket");
    const N: u32 = 50;
    runtime(2).block_on(within("shared udp socket", async {
        let shared = Arc::new(bind_local().await);
        let shared_addr = shared.local_addr().unwrap();
        let peer = bind_local().await;
        let peer_addr = peer.local_addr().unwrap();
        // The peer answers each datagram with its number plus one.
        let answerer = corun::spawn(async move {
            let mut buf = [0u8; 4];
            for _ in 0..N {
                let (n, from) = peer.recv_from(&mut buf).await?;
                assert_eq!((n, from), (4, shared_addr));
                let answer = u32::from_le_bytes(buf) + 1;
                peer.send_to(&answer.to_le_bytes(), from).await?;
            }
            io::Result::Ok(())
        });
        let receiver = corun::spawn({
            let shared = shared.clone();
            async move {
                let mut answers = Vec::new();
                let mut buf = [0u8; 4];
                while answers.len() < N as usize {
                    let (n, from) = shared.recv_from(&mut buf).await?;
                    assert_eq!((n, from), (4, peer_addr));
                    answers.push(u32::from_le_bytes(buf));
                }
                io::Result::Ok(answers)
            }
        });
        for i in 0..N {
            shared.send_to(&i.to_le_bytes(), peer_addr).await.unwrap();
        }
        answerer.await.unwrap().unwrap();
        let mut answers = receiver.await.unwrap().unwrap();
        answers.sort_unstable();
        assert_eq!(answers, (1..=N).collect::<Vec<_>>());
    }));
}

#[test]
fn two_tasks_receiving_on_one_socket_share_the_datagrams() {
    let _watchdog = watchdog(LIMIT, "net_udp::two_receivers");
    const N: u32 = 100;
    const STOP: u32 = u32::MAX;
    runtime(2).block_on(within("two receivers", async {
        let shared = Arc::new(bind_local().await);
        let addr = shared.local_addr().unwrap();
        // Both wait in `recv_from` on the same socket, each with a waker of its own, and
        // acknowledge each datagram, so that at most one is in flight (none is dropped).
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let shared = shared.clone();
                corun::spawn(async move {
                    let mut got = Vec::new();
                    let mut buf = [0u8; 4];
                    loop {
                        let (n, from) = shared.recv_from(&mut buf).await?;
                        assert_eq!(n, 4);
                        shared.send_to(&buf, from).await?;
                        match u32::from_le_bytes(buf) {
                            STOP => return io::Result::Ok(got),
                            i => got.push(i),
                        }
                    }
                })
            })
            .collect();
        let sender = bind_local().await;
        let mut ack = [0u8; 4];
        // One stop for each receiver: a receiver returns at its first.
        for i in (0..N).chain([STOP, STOP]) {
            sender.send_to(&i.to_le_bytes(), addr).await.unwrap();
            let (n, from) = sender.recv_from(&mut ack).await.unwrap();
            assert_eq!((n, from, u32::from_le_bytes(ack)), (4, addr, i));
        }
        let mut all = Vec::new();
        for receiver in receivers {
            all.extend(receiver.await.unwrap().unwrap());
        }
        all.sort_unstable();
        assert_eq!(
            all,
            (0..N).collect::<Vec<_>>(),
            "each datagram exactly once"
        );
    }));
}

#[test]
fn connected_sockets_send_and_recv() {
    let _watchdog = watchdog(LIMIT, "net_udp::connected");
    runtime(2).block_on(within("connected udp", async {
        let a = bind_local().await;
        let b = bind_local().await;
        let a_addr = a.local_addr().unwrap();
        let b_addr = b.local_addr().unwrap();
        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b_addr);
        assert_eq!(b.peer_addr().unwrap(), a_addr);

        // `b` waits in `recv` before `a` sends.
        let b_task = corun::spawn(async move {
            let mut buf = [0u8; 64];
            let mut seen = Vec::new();
            for _ in 0..10 {
                let n = b.recv(&mut buf).await?;
                seen.push(String::from_utf8(buf[..n].to_vec()).unwrap());
                b.send(b"pong").await?;
            }
            io::Result::Ok(seen)
        });
        let mut buf = [0u8; 64];
        for i in 0..10 {
            let ping = format!("ping {i}");
            assert_eq!(a.send(ping.as_bytes()).await.unwrap(), ping.len());
            let n = a.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"pong");
        }
        let seen = b_task.await.unwrap().unwrap();
        let expected: Vec<String> = (0..10).map(|i| format!("ping {i}")).collect();
        assert_eq!(seen, expected, "every ping, in order");
    }));
}

#[test]
fn a_std_socket_converts_with_from_std() {
    let _watchdog = watchdog(LIMIT, "net_udp::from_std");
    runtime(1).block_on(within("udp from_std", async {
        let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        std_socket.set_nonblocking(true).unwrap();
        let addr = std_socket.local_addr().unwrap();
        let socket = UdpSocket::from_std(std_socket).unwrap();
        assert_eq!(socket.local_addr().unwrap(), addr);
        let sender = bind_local().await;
        sender.send_to(b"hello", addr).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = socket.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from, sender.local_addr().unwrap());
    }));
}

#[test]
fn peek_from_returns_the_datagram_that_recv_from_then_returns() {
    let _watchdog = watchdog(LIMIT, "net_udp::peek");
    runtime(2).block_on(within("udp peek", async {
        let receiver = bind_local().await;
        let addr = receiver.local_addr().unwrap();
        let sender = bind_local().await;
        let sender_addr = sender.local_addr().unwrap();
        // The receiver waits in `peek_from` before anything is sent.
        let peeking = corun::spawn(async move {
            let mut peeked = [0u8; 64];
            let (n, from) = receiver.peek_from(&mut peeked).await?;
            let mut received = [0u8; 64];
            let (m, from_again) = receiver.recv_from(&mut received).await?;
            assert_eq!((&received[..m], from_again), (&peeked[..n], from));
            io::Result::Ok((peeked[..n].to_vec(), from, receiver))
        });
        sender.send_to(b"first", addr).await.unwrap();
        let (peeked, from, receiver) = peeking.await.unwrap().unwrap();
        assert_eq!((&peeked[..], from), (&b"first"[..], sender_addr));

        // Connected, `peek` and `recv` the same way; the first datagram is gone.
        receiver.connect(sender_addr).await.unwrap();
        sender.send_to(b"second", addr).await.unwrap();
        let mut buf = [0u8; 64];
        let n = receiver.peek(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"second");
        let n = receiver.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"second");
    }));
}

#[test]
fn ttl_and_multicast_options_pass_through() {
    let _watchdog = watchdog(LIMIT, "net_udp::options");
    runtime(1).block_on(within("udp options", async {
        let socket = bind_local().await;
        socket.set_ttl(42).unwrap();
        assert_eq!(socket.ttl().unwrap(), 42);
        socket.set_multicast_loop_v4(false).unwrap();
        let not_multicast = std::net::Ipv4Addr::LOCALHOST;
        let any = std::net::Ipv4Addr::UNSPECIFIED;
        socket
            .join_multicast_v4(not_multicast, any)
            .expect_err("127.0.0.1 is no multicast group");
        socket
            .leave_multicast_v4(not_multicast, any)
            .expect_err("127.0.0.1 is no multicast group");
        assert!(socket.take_error().unwrap().is_none());
        let debug = format!("{socket:?}");
        assert!(debug.starts_with("UdpSocket"), "{debug}");
    }));
}

/// An ICMP error (the driver reports it to the waiting `recv` as a failure, which marks
/// the socket closed) is returned once; the next `recv` finds `WouldBlock` and must wait, not try again and
/// again inside one poll: on one worker the timer that ends the wait only fires if the
/// worker is free.
#[test]
fn a_recv_after_an_icmp_error_waits_instead_of_spinning() {
    let _watchdog = watchdog(LIMIT, "net_udp::icmp_error");
    runtime(1).block_on(within("recv after an ICMP error", async {
        let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let closed_addr = closed.local_addr().unwrap();
        drop(closed);
        let socket = bind_local().await;
        socket.connect(closed_addr).await.unwrap();
        let mut buf = [0u8; 16];
        let refused = {
            // Waiting already when the error comes, so that the driver is the one to see it.
            let mut recv = pin!(socket.recv(&mut buf));
            assert!(futures::poll!(recv.as_mut()).is_pending());
            socket.send(b"anyone?").await.unwrap();
            recv.await.unwrap_err()
        };
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
        let again = corun::timeout(Duration::from_millis(20), socket.recv(&mut buf)).await;
        assert!(
            again.is_err(),
            "nothing to receive, yet recv gave {again:?}"
        );
        // The socket still works: a datagram from its peer's address arrives.
        let peer = UdpSocket::bind(closed_addr).await.unwrap();
        peer.send_to(b"here", socket.local_addr().unwrap())
            .await
            .unwrap();
        let n = socket.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"here");
    }));
}
