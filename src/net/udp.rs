//! `UdpSocket`: datagrams (asyncio's `create_datagram_endpoint`, without the protocol
//! class).

use crate::io::{Direction, IoFuture, PollIo};
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// A UDP socket. Every operation takes `&self`: share it (in an `Arc`) between a task
/// that sends and one that receives, or among several of each.
///
/// ```
/// use corun::net::UdpSocket;
///
/// corun::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"ping", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct UdpSocket {
    io: PollIo<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (each address it resolves to, in turn, until one binds).
    ///
    /// # Errors
    /// The operating system's: `AddrInUse` if another socket is bound there.
    ///
    /// # Panics
    /// Outside a corun runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        crate::net::addr::each_addr(addr, |addr| async move {
            UdpSocket::register(mio::net::UdpSocket::bind(addr)?)
        })
        .await
    }

    fn register(socket: mio::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            io: PollIo::new(socket)?,
        })
    }

    /// A socket from a standard one, which is made non-blocking.
    ///
    /// # Errors
    /// If the socket cannot be made non-blocking or registered.
    ///
    /// # Panics
    /// Outside a corun runtime: call it inside one, or after `Runtime::enter`.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        UdpSocket::register(mio::net::UdpSocket::from_std(socket))
    }

    /// The standard socket, deregistered, still non-blocking.
    ///
    /// # Errors
    /// None today; a `Result` for symmetry with `from_std`.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(self.io.into_inner().into())
    }

    /// Sends `buf` as one datagram to `target` (its first address).
    ///
    /// # Errors
    /// The operating system's (a datagram too large for the path: `EMSGSIZE`).
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = crate::net::addr::first_addr(target)?;
        IoFuture::new(&self.io, Direction::Write, |socket| {
            socket.send_to(buf, target)
        })
        .await
    }

    /// Receives one datagram into `buf` (the rest of a longer one is lost, as with
    /// `recv_from(2)`): its length and sender.
    ///
    /// # Errors
    /// The operating system's.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        IoFuture::new(&self.io, Direction::Read, |socket| socket.recv_from(buf)).await
    }

    /// Sets the peer `send` sends to and `recv` receives from (other senders' datagrams
    /// are dropped).
    ///
    /// # Errors
    /// The operating system's.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        crate::net::addr::each_addr(addr, |addr| async move { self.io.get_ref().connect(addr) })
            .await
    }

    /// Sends `buf` as one datagram to the connected peer.
    ///
    /// # Errors
    /// The operating system's (`ConnectionRefused` can report an earlier datagram's ICMP
    /// error).
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        IoFuture::new(&self.io, Direction::Write, |socket| socket.send(buf)).await
    }

    /// Receives one datagram from the connected peer into `buf`.
    ///
    /// # Errors
    /// The operating system's.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        IoFuture::new(&self.io, Direction::Read, |socket| socket.recv(buf)).await
    }

    /// This socket's address.
    ///
    /// # Errors
    /// The operating system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    /// `NotConnected` before [`connect`](UdpSocket::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Lets this socket send to broadcast addresses.
    ///
    /// # Errors
    /// The operating system's.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
