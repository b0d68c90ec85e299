//! Resolving `ToSocketAddrs` and trying each address in turn, as `std::net` does.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Calls `f` with each address `addr` resolves to, until one succeeds; the last error
/// otherwise. Names are resolved on the calling thread (as `std::net` does): pass a
/// `SocketAddr` (or resolve in `spawn_blocking`) to keep a slow DNS lookup off a worker.
pub(crate) async fn each_addr<A, T, F, Fut>(addr: A, mut f: F) -> io::Result<T>
where
    A: ToSocketAddrs,
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in addr.to_socket_addrs()? {
        match f(addr).await {
            Ok(value) => return Ok(value),
            Err(err) => last = Some(err),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}

/// The first address `addr` resolves to.
pub(crate) fn first_addr(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    addr.to_socket_addrs()?.next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    })
}
