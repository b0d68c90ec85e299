//! Addresses: corun's [`ToSocketAddrs`], which looks host names up on the blocking pool
//! instead of on a worker, [`lookup_host`], and trying each address in turn, as
//! `std::net` does.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::vec;

/// What corun's sockets bind, connect and send to: a socket address (or a list of
/// them), or a host name and a port to look up.
///
/// The same types as `std::net::ToSocketAddrs` takes (`SocketAddr` and its V4/V6 forms,
/// `(IpAddr, u16)` and its V4/V6 forms, `"host:port"` as `&str` or `String`, `(&str, u16)`,
/// `(String, u16)`, a slice of `SocketAddr`, and references to any of these), with one
/// difference: a host name is looked up on the runtime's blocking pool, as asyncio runs
/// `getaddrinfo` in its executor, so a slow DNS server holds up only its own task,
/// never a worker. A text that parses as an address (`"127.0.0.1:8080"`, `("::1", 80)`)
/// is used as it is, with no look-up.
///
/// The trait is sealed: its method is corun's own.
pub trait ToSocketAddrs: sealed::Resolve {}

mod sealed {
    /// The resolution of one [`ToSocketAddrs`](super::ToSocketAddrs) value.
    #[allow(unreachable_pub)]
    pub trait Resolve {
        fn resolve(&self) -> super::Addrs;
    }
}

/// Addresses at hand, or a `host:port` for the system's resolver. (`pub` for the sealed
/// trait's signature; not reachable from outside.)
#[allow(unreachable_pub)]
#[derive(Debug)]
pub enum Addrs {
    /// One address: no allocation, for the common case (a `send_to` per datagram).
    One(SocketAddr),
    Many(Vec<SocketAddr>),
    Lookup(String),
}

/// The addresses a [`ToSocketAddrs`] value resolved to.
enum AddrIter {
    One(Option<SocketAddr>),
    Many(vec::IntoIter<SocketAddr>),
}

impl Iterator for AddrIter {
    type Item = SocketAddr;

    fn next(&mut self) -> Option<SocketAddr> {
        match self {
            AddrIter::One(addr) => addr.take(),
            AddrIter::Many(addrs) => addrs.next(),
        }
    }
}

impl Addrs {
    /// The addresses, looked up on the blocking pool if need be.
    async fn resolved(self) -> io::Result<AddrIter> {
        match self {
            Addrs::One(addr) => Ok(AddrIter::One(Some(addr))),
            Addrs::Many(addrs) => Ok(AddrIter::Many(addrs.into_iter())),
            Addrs::Lookup(host_port) => crate::spawn_blocking(move || {
                std::net::ToSocketAddrs::to_socket_addrs(&host_port)
                    .map(|addrs| AddrIter::Many(addrs.collect::<Vec<_>>().into_iter()))
            })
            .await
            .map_err(|err| io::Error::other(format!("the name look-up task failed: {err}")))?,
        }
    }
}

/// `host` and `port` as an address if `host` is one, else as a name to look up.
fn host_and_port(host: &str, port: u16) -> Addrs {
    match host.parse::<IpAddr>() {
        Ok(ip) => Addrs::One(SocketAddr::new(ip, port)),
        // A bracketed IPv6 literal, or a name: the resolver knows both forms.
        Err(_) if host.contains(':') && !host.starts_with('[') => {
            Addrs::Lookup(format!("[{host}]:{port}"))
        }
        Err(_) => Addrs::Lookup(format!("{host}:{port}")),
    }
}

/// `Resolve` and `ToSocketAddrs` for types that are addresses already.
macro_rules! ready_addrs {
    ($($ty:ty => |$this:ident| $addrs:expr;)*) => {$(
        impl sealed::Resolve for $ty {
            fn resolve(&self) -> Addrs {
                let $this = self;
                $addrs
            }
        }
        impl ToSocketAddrs for $ty {}
    )*};
}

ready_addrs! {
    SocketAddr => |addr| Addrs::One(*addr);
    SocketAddrV4 => |addr| Addrs::One(SocketAddr::V4(*addr));
    SocketAddrV6 => |addr| Addrs::One(SocketAddr::V6(*addr));
    (IpAddr, u16) => |pair| Addrs::One(SocketAddr::new(pair.0, pair.1));
    (Ipv4Addr, u16) => |pair| Addrs::One(SocketAddr::new(IpAddr::V4(pair.0), pair.1));
    (Ipv6Addr, u16) => |pair| Addrs::One(SocketAddr::new(IpAddr::V6(pair.0), pair.1));
    [SocketAddr] => |addrs| Addrs::Many(addrs.to_vec());
}

impl sealed::Resolve for str {
    fn resolve(&self) -> Addrs {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Addrs::One(addr),
            Err(_) => Addrs::Lookup(self.to_owned()),
        }
    }
}
impl ToSocketAddrs for str {}

impl sealed::Resolve for String {
    fn resolve(&self) -> Addrs {
        self.as_str().resolve()
    }
}
impl ToSocketAddrs for String {}

impl sealed::Resolve for (&str, u16) {
    fn resolve(&self) -> Addrs {
        host_and_port(self.0, self.1)
    }
}
impl ToSocketAddrs for (&str, u16) {}

impl sealed::Resolve for (String, u16) {
    fn resolve(&self) -> Addrs {
        host_and_port(&self.0, self.1)
    }
}
impl ToSocketAddrs for (String, u16) {}

impl<T: ToSocketAddrs + ?Sized> sealed::Resolve for &T {
    fn resolve(&self) -> Addrs {
        (**self).resolve()
    }
}
impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}

/// The addresses `host` resolves to: asyncio's `loop.getaddrinfo`. A name is looked up on
/// the runtime's blocking pool (see [`ToSocketAddrs`]); an address is returned as it is.
///
/// # Errors
/// The resolver's: the name is unknown, or has no port (`"example.com"` without `:80`).
///
/// # Panics
/// Outside a corun runtime, for a name (an address needs no runtime).
///
/// ```
/// corun::run(async {
///     let addrs: Vec<_> = corun::net::lookup_host("localhost:80").await?.collect();
///     assert!(addrs.iter().all(|addr| addr.ip().is_loopback() && addr.port() == 80));
///     let literal: Vec<_> = corun::net::lookup_host(("::1", 443)).await?.collect();
///     assert_eq!(literal, ["[::1]:443".parse().unwrap()]);
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<impl Iterator<Item = SocketAddr>> {
    host.resolve().resolved().await
}

/// Calls `f` with each address `addr` resolves to, until one succeeds; the last error
/// otherwise.
pub(crate) async fn each_addr<A, T, F, Fut>(addr: A, mut f: F) -> io::Result<T>
where
    A: ToSocketAddrs,
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in addr.resolve().resolved().await? {
        match f(addr).await {
            Ok(value) => return Ok(value),
            Err(err) => last = Some(err),
        }
    }
    Err(last.unwrap_or_else(no_address))
}

/// The first address `addr` resolves to.
pub(crate) async fn first_addr(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    addr.resolve()
        .resolved()
        .await?
        .next()
        .ok_or_else(no_address)
}

fn no_address() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any address",
    )
}

#[cfg(test)]
mod tests {
    use super::sealed::Resolve;
    use super::*;

    fn ready(addrs: Addrs) -> Vec<SocketAddr> {
        match addrs {
            Addrs::One(addr) => vec![addr],
            Addrs::Many(addrs) => addrs,
            Addrs::Lookup(name) => panic!("{name:?} would be looked up"),
        }
    }

    #[test]
    fn addresses_are_used_as_they_are_and_names_are_looked_up() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(ready("127.0.0.1:80".resolve()), [v4]);
        assert_eq!(ready(String::from("[::1]:80").resolve()), [v6]);
        assert_eq!(ready(("127.0.0.1", 80).resolve()), [v4]);
        assert_eq!(ready(("::1", 80).resolve()), [v6]);
        assert_eq!(ready((v4.ip(), 80).resolve()), [v4]);
        assert_eq!(ready([v4, v6][..].resolve()), [v4, v6]);
        assert_eq!(ready((&&v6).resolve()), [v6]);
        for (name, expected) in [
            (("localhost", 80).resolve(), "localhost:80"),
            ("example.com:443".resolve(), "example.com:443"),
            (("fe80::1%eth0", 80).resolve(), "[fe80::1%eth0]:80"),
        ] {
            match name {
                Addrs::Lookup(name) => assert_eq!(name, expected),
                ready => panic!("{expected}: resolved to {ready:?} at once"),
            }
        }
    }
}
