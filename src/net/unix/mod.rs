//! Unix domain sockets: [`UnixListener`] and [`UnixStream`], a stream's owned halves,
//! and [`UnixDatagram`].

mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::{Incoming, UnixListener};
pub use stream::{OwnedReadHalf, OwnedWriteHalf, UnixStream};
