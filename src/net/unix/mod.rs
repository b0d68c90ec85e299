//! Unix domain sockets: [`UnixListener`] and [`UnixStream`], and a stream's owned
//! halves.

mod listener;
mod stream;

pub use listener::{Incoming, UnixListener};
pub use stream::{OwnedReadHalf, OwnedWriteHalf, UnixStream};
