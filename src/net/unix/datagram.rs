//! `UnixDatagram`: datagrams on a Unix socket path, or between the two ends of a pair;
//! `UdpSocket`'s twin (the methods that differ only in their types come from
//! `datagram_methods!` in `net/udp.rs`).

use crate::io::{Direction, IoFuture, PollIo};
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix datagram socket: bound to a path, unbound, or one end of a connected
/// [`pair`](UnixDatagram::pair). Datagrams arrive whole and in order, and a sender whose
/// peer's queue is full waits instead of dropping one. Every operation takes `&self`:
/// share it (in an `Arc`) between a task that sends and one that receives.
///
/// ```
/// use corun::net::UnixDatagram;
///
/// corun::run(async {
///     let (a, b) = UnixDatagram::pair()?;
///     a.send(b"ping").await?;
///     let mut buf = [0; 16];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"ping");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixDatagram {
    io: PollIo<mio::net::UnixDatagram>,
}

crate::net::fd::lend_fd!(UnixDatagram, this => this.io.get_ref());

impl UnixDatagram {
    /// Binds to `path`, which must not exist yet (remove a stale socket file first).
    ///
    /// # Errors
    /// The operating system's: `AddrInUse` if the path exists.
    ///
    /// # Panics
    /// Outside a corun runtime.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        UnixDatagram::register(mio::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no path: it can send (to a path, or after
    /// [`connect`](UnixDatagram::connect)), but its datagrams' sender is unnamed, so
    /// nobody can answer them.
    ///
    /// # Errors
    /// The operating system's.
    ///
    /// # Panics
    /// Outside a corun runtime.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::register(mio::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of unnamed sockets (`socketpair(2)`).
    ///
    /// # Errors
    /// The operating system's.
    ///
    /// # Panics
    /// Outside a corun runtime.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::register(a)?, UnixDatagram::register(b)?))
    }

    /// Sets the peer `send` sends to and `recv` receives from (other senders' datagrams
    /// are dropped). Unlike UDP's, a Unix connect finishes at once.
    ///
    /// # Errors
    /// The operating system's: `NotFound` if nothing is bound at `path`,
    /// `ConnectionRefused` if the socket file is stale.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends `buf` as one datagram to the socket bound at `path`.
    ///
    /// # Errors
    /// The operating system's: `NotFound` if nothing is bound at `path`,
    /// `ConnectionRefused` if the socket file is stale.
    pub async fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        IoFuture::new(&self.io, Direction::Write, |socket| {
            socket.send_to(buf, path)
        })
        .await
    }

    /// Shuts down receiving, sending or both: after `Shutdown::Write` this socket's
    /// sends fail with `BrokenPipe`, after `Shutdown::Read` so do its peer's.
    ///
    /// # Errors
    /// The operating system's.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }
}

crate::net::udp::datagram_methods!(
    UnixDatagram,
    mio::net::UnixDatagram,
    std::os::unix::net::UnixDatagram,
    SocketAddr
);
