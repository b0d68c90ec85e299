//! `UdpSocket`: datagrams (asyncio's `create_datagram_endpoint`, without the protocol
//! class); and `datagram_methods!`, what it shares with `UnixDatagram`.

use crate::io::{Direction, IoFuture, PollIo};
use crate::net::ToSocketAddrs;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};

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

#[cfg(unix)]
crate::net::fd::lend_fd!(UdpSocket, this => this.io.get_ref());

impl UdpSocket {
    /// Binds to `addr` (each address it resolves to, in turn, until one binds; a name is
    /// looked up on the blocking pool, see [`ToSocketAddrs`]).
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

    /// Sends `buf` as one datagram to `target` (its first address).
    ///
    /// # Errors
    /// The operating system's (a datagram too large for the path: `EMSGSIZE`).
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = crate::net::addr::first_addr(target).await?;
        IoFuture::new(&self.io, Direction::Write, |socket| {
            socket.send_to(buf, target)
        })
        .await
    }

    /// Receives the next datagram into `buf` as [`recv_from`](UdpSocket::recv_from)
    /// does, but leaves it queued: the next `recv_from` (or `peek_from`) returns it
    /// again.
    ///
    /// ```
    /// use corun::net::UdpSocket;
    ///
    /// corun::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"ping", b.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let (n, _) = b.peek_from(&mut buf).await?;
    ///     assert_eq!(b.recv_from(&mut buf).await?.0, n);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    /// The operating system's.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        IoFuture::new(&self.io, Direction::Read, |socket| socket.peek_from(buf)).await
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

    /// Receives the next datagram from the connected peer into `buf` as
    /// [`recv`](UdpSocket::recv) does, but leaves it queued for the next `recv`.
    ///
    /// # Errors
    /// The operating system's.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        IoFuture::new(&self.io, Direction::Read, |socket| socket.peek(buf)).await
    }

    /// Lets this socket send to broadcast addresses (`SO_BROADCAST`).
    ///
    /// # Errors
    /// The operating system's.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// Whether this socket's own multicast datagrams come back to it
    /// (`IP_MULTICAST_LOOP`; on by default).
    ///
    /// # Errors
    /// The operating system's.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with address
    /// `interface` (`Ipv4Addr::UNSPECIFIED`: the system picks one).
    ///
    /// # Errors
    /// The operating system's (`InvalidInput` if `multiaddr` is not a multicast
    /// address).
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves the multicast group that [`join_multicast_v4`](UdpSocket::join_multicast_v4)
    /// joined with the same arguments.
    ///
    /// # Errors
    /// The operating system's.
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&multiaddr, &interface)
    }

    /// Sets the time to live of the datagrams this socket sends (`IP_TTL`): how many
    /// hops they may take.
    ///
    /// # Errors
    /// The operating system's.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The time to live of the datagrams this socket sends (`IP_TTL`).
    ///
    /// # Errors
    /// The operating system's.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }
}

/// The methods `UdpSocket` and `UnixDatagram` share but for their types: `$socket` has
/// an `io: PollIo<$mio>` field, converts to and from `$std`, and names its peers with
/// `$addr`. What differs (binding, `connect`, `send_to`'s target, socket options) each
/// type writes itself.
macro_rules! datagram_methods {
    ($socket:ident, $mio:ty, $std:ty, $addr:ty) => {
        impl $socket {
            fn register(socket: $mio) -> std::io::Result<$socket> {
                Ok($socket {
                    io: $crate::io::PollIo::new(socket)?,
                })
            }

            /// A socket from a standard one, which is made non-blocking.
            ///
            /// # Errors
            /// If the socket cannot be made non-blocking or registered.
            ///
            /// # Panics
            /// Outside a corun runtime: call it inside one, or after `Runtime::enter`.
            pub fn from_std(socket: $std) -> std::io::Result<$socket> {
                socket.set_nonblocking(true)?;
                $socket::register(<$mio>::from_std(socket))
            }

            /// The standard socket, deregistered, still non-blocking.
            ///
            /// # Errors
            /// None today; a `Result` for symmetry with `from_std`.
            pub fn into_std(self) -> std::io::Result<$std> {
                Ok(self.io.into_inner().into())
            }

            /// Receives one datagram into `buf` (the rest of a longer one is lost, as
            /// with `recv_from(2)`): its length and sender.
            ///
            /// # Errors
            /// The operating system's.
            pub async fn recv_from(&self, buf: &mut [u8]) -> std::io::Result<(usize, $addr)> {
                $crate::io::IoFuture::new(&self.io, $crate::io::Direction::Read, |socket| {
                    socket.recv_from(buf)
                })
                .await
            }

            /// Sends `buf` as one datagram to the connected peer.
            ///
            /// # Errors
            /// The operating system's: `ConnectionRefused` if nothing receives at the
            /// peer's address (UDP learns that from an earlier datagram's ICMP error).
            pub async fn send(&self, buf: &[u8]) -> std::io::Result<usize> {
                $crate::io::IoFuture::new(&self.io, $crate::io::Direction::Write, |socket| {
                    socket.send(buf)
                })
                .await
            }

            /// Receives one datagram from the connected peer into `buf`.
            ///
            /// # Errors
            /// The operating system's.
            pub async fn recv(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                $crate::io::IoFuture::new(&self.io, $crate::io::Direction::Read, |socket| {
                    socket.recv(buf)
                })
                .await
            }

            /// This socket's address.
            ///
            /// # Errors
            /// The operating system's.
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.io.get_ref().local_addr()
            }

            /// The connected peer's address.
            ///
            /// # Errors
            /// `NotConnected` before `connect`.
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.io.get_ref().peer_addr()
            }

            /// Takes the socket's pending error (`SO_ERROR`), leaving none: how an
            /// earlier datagram's failure is reported without failing a later call.
            ///
            /// # Errors
            /// If the option cannot be read.
            pub fn take_error(&self) -> std::io::Result<Option<std::io::Error>> {
                self.io.get_ref().take_error()
            }
        }

        impl std::fmt::Debug for $socket {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($socket))
                    .field("local_addr", &self.local_addr().ok())
                    .field("peer_addr", &self.peer_addr().ok())
                    .finish()
            }
        }
    };
}
// Used from outside this file by `UnixDatagram` alone.
#[cfg(unix)]
pub(crate) use datagram_methods;

datagram_methods!(
    UdpSocket,
    mio::net::UdpSocket,
    std::net::UdpSocket,
    SocketAddr
);
