//! Sockets on corun's own I/O driver: TCP, UDP and (on Unix) Unix domain streams and
//! datagrams — asyncio's `start_server`, `open_connection` and `sock_*` calls.
//!
//! Streams implement the `futures` crate's [`AsyncRead`](futures_io::AsyncRead) and
//! [`AsyncWrite`](futures_io::AsyncWrite); bring `futures::io::{AsyncReadExt,
//! AsyncWriteExt}` into scope for `read`, `read_exact`, `write_all`, `close`.
//!
//! Streams also have a readiness API for callers that share one (`&self`) or drive a
//! protocol by hand: `readable` and `writable` wait, `try_read` and `try_write` make one
//! non-blocking attempt and return `WouldBlock` when there is nothing to do, and a
//! `WouldBlock` from them means the next `readable` waits for new data.
//!
//! On Unix every socket lends its descriptor (`AsFd`, `AsRawFd`), for the options
//! `corun::net` has no method for: `socket2::SockRef::from(&stream)` sets keep-alive,
//! buffer sizes or `SO_REUSEPORT` on it. Leave reading, writing and closing to the socket.
//!
//! Every socket belongs to the runtime it was created in (its I/O driver delivers the
//! socket's readiness), so creating one outside a runtime panics. Once that runtime has
//! shut down, every operation on the socket returns an `io::Error` (kind `Other`).
//! Operations are cancel-safe in the sense that matters for streams: a read or write
//! future dropped before it completes transfers nothing, so no byte is lost.
//!
//! ```
//! use corun::net::{TcpListener, TcpStream};
//! use futures::io::{AsyncReadExt, AsyncWriteExt};
//!
//! corun::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     corun::spawn(async move {
//!         while let Ok((mut stream, _)) = listener.accept().await {
//!             corun::spawn(async move {
//!                 let mut buf = vec![0; 1024];
//!                 while let Ok(n @ 1..) = stream.read(&mut buf).await {
//!                     let _ = stream.write_all(&buf[..n]).await;
//!                 }
//!             });
//!         }
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"ping").await?;
//!     let mut pong = [0; 4];
//!     client.read_exact(&mut pong).await?;
//!     assert_eq!(&pong, b"ping");
//!     std::io::Result::Ok(())
//! })?;
//! # std::io::Result::Ok(())
//! ```

mod addr;
#[cfg(unix)]
mod fd;
mod stream;
mod stream_impls;
pub mod tcp;
mod udp;
#[cfg(unix)]
pub mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use stream::ReuniteError;
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixDatagram, UnixListener, UnixStream};
