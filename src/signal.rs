//! Signals: [`ctrl_c`], for graceful shutdown (asyncio's `loop.add_signal_handler`).
//!
//! A signal handler may do almost nothing (only async-signal-safe calls), so the handler
//! writes a byte to a socket pair and the waiting task reads it through corun's I/O
//! driver: the self-pipe trick, with `signal-hook`'s handler doing the write.

use crate::net::UnixStream;
use futures_io::AsyncRead;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;

/// Waits for the process to receive `SIGINT` (Ctrl-C in a terminal).
///
/// The handler is installed when the future is first polled, and a `SIGINT` that arrives
/// before that is not seen. From then on `SIGINT` no longer ends the process: the
/// process-wide handler stays installed (as with tokio's and asyncio's), and a `SIGINT`
/// with no `ctrl_c` future waiting does nothing. Any number of futures can wait at once;
/// each sees every signal that arrives while it waits.
///
/// # Errors
/// If the handler cannot be installed, or the runtime shuts down while waiting.
///
/// # Panics
/// Outside a corun runtime.
///
/// ```no_run
/// corun::run(async {
///     let server = corun::spawn(async { /* serve */ });
///     corun::signal::ctrl_c().await.expect("SIGINT handler");
///     server.abort(); // or shut down gracefully
/// });
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let (mut read, write) = UnixStream::pair()?;
    let write = write.into_std()?;
    let registration = Registration(signal_hook::low_level::pipe::register(
        signal_hook::consts::SIGINT,
        write,
    )?);
    let mut byte = [0];
    let read = poll_fn(|cx| Pin::new(&mut read).poll_read(cx, &mut byte)).await?;
    drop(registration);
    match read {
        1 => Ok(()),
        // The handler's end closed: only unregistering closes it.
        _ => Err(io::Error::other("the SIGINT handler's pipe closed")),
    }
}

/// Unregisters the handler's write (closing its end of the pair) when dropped.
struct Registration(signal_hook::SigId);

impl Drop for Registration {
    fn drop(&mut self) {
        signal_hook::low_level::unregister(self.0);
    }
}
