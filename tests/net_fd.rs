//! Every corun socket lends its descriptor (`AsFd`, `AsRawFd`): an option set through a
//! duplicate of it is the socket's own, and each duplicate names the same address.
#![cfg(all(unix, not(corun_loom)))]
#![allow(clippy::disallowed_types)]

mod common;

use common::net::{connected_pair, within};
use common::{runtime, watchdog, LIMIT};
use corun::net::{TcpListener, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use futures::io::AsyncReadExt;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// A duplicate of `socket`'s descriptor (`dup`: the same open socket).
fn duplicate(socket: &impl AsFd) -> OwnedFd {
    socket
        .as_fd()
        .try_clone_to_owned()
        .expect("dup the socket's descriptor")
}

#[test]
fn tcp_sockets_lend_their_own_descriptor() {
    let _watchdog = watchdog(LIMIT, "tcp_sockets_lend_their_own_descriptor");
    runtime(1).block_on(within("TCP descriptors", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let std_listener = std::net::TcpListener::from(duplicate(&listener));
        assert_eq!(
            std_listener.local_addr().ok(),
            listener.local_addr().ok(),
            "the listener's descriptor"
        );
        let (client, server) = connected_pair().await;
        assert_eq!(client.as_raw_fd(), client.as_fd().as_raw_fd());
        assert_ne!(client.as_raw_fd(), server.as_raw_fd());
        // An option set through the duplicate is the socket's.
        let std_client = std::net::TcpStream::from(duplicate(&client));
        for nodelay in [true, false] {
            std_client.set_nodelay(nodelay).expect("TCP_NODELAY");
            assert_eq!(client.nodelay().expect("TCP_NODELAY"), nodelay);
        }
        assert_eq!(std_client.peer_addr().ok(), client.peer_addr().ok());
    }));
}

#[test]
fn udp_and_unix_sockets_lend_their_own_descriptor() {
    let _watchdog = watchdog(LIMIT, "udp_and_unix_sockets_lend_their_own_descriptor");
    runtime(1).block_on(within("UDP and Unix descriptors", async {
        let udp = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let std_udp = std::net::UdpSocket::from(duplicate(&udp));
        assert_eq!(std_udp.local_addr().ok(), udp.local_addr().ok());
        std_udp.set_ttl(42).expect("IP_TTL");
        assert_eq!(udp.ttl().expect("IP_TTL"), 42);

        // What goes into a pair's one end through the duplicate comes out of the other.
        let (a, mut b) = UnixStream::pair().expect("a socket pair");
        let std_a = std::os::unix::net::UnixStream::from(duplicate(&a));
        (&std_a).write_all(b"via a dup").expect("the pair has room");
        let mut buf = [0; 9];
        b.read_exact(&mut buf).await.expect("read the other end");
        assert_eq!(&buf, b"via a dup");
        let (c, d) = UnixDatagram::pair().expect("a datagram pair");
        let std_c = std::os::unix::net::UnixDatagram::from(duplicate(&c));
        std_c.send(b"datagram").expect("the pair has room");
        let n = d.recv(&mut buf).await.expect("receive at the other end");
        assert_eq!(&buf[..n], b"datagram");

        let dir = std::env::temp_dir().join(format!("corun-net-fd-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let listener = UnixListener::bind(&dir).expect("bind a socket path");
        let std_listener = std::os::unix::net::UnixListener::from(duplicate(&listener));
        assert_eq!(
            std_listener
                .local_addr()
                .ok()
                .and_then(|addr| addr.as_pathname().map(|path| path.to_owned())),
            Some(dir.clone())
        );
        std::fs::remove_file(&dir).expect("remove the socket path");
    }));
}
