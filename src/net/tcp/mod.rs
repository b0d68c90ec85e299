//! TCP: [`TcpListener`] and [`TcpStream`], and a stream's owned halves.

mod listener;
mod stream;

pub use listener::{Incoming, TcpListener};
pub use stream::{OwnedReadHalf, OwnedWriteHalf, TcpStream};
