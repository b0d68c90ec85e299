//! I/O beyond sockets: [`AsyncFd`], for waiting on a file descriptor of your own (a pipe,
//! a terminal, an eventfd, inotify, a device) with the same driver that serves
//! [`corun::net`](crate::net). (Unix only.)

// The I/O driver: readiness events from the operating system's poller, delivered to the
// tasks that wait for them, by the workers themselves.
//
// Layering: this module uses `executor` (the `Poller` hook a parked worker sleeps in, and
// `Handle` to find the current runtime) and `sync`; `net` and `signal` build on it. Files,
// one concept each:
//
// - `readiness`: one direction's readiness word and waiters, and the tick that keeps a
//   report racing with a `WouldBlock` from being lost (no mio: loom models it);
// - `driver`: `IoDriver`, mio's poller, the slab of sources, dispatch and shutdown;
// - `poll_io`: `PollIo<S>`, a registered socket and the try/clear loop of its operations;
// - `async_fd`: `AsyncFd<T>`, any descriptor as a `PollIo` source.

#[cfg(all(unix, not(corun_loom)))]
mod async_fd;
#[cfg(not(corun_loom))]
mod driver;
#[cfg(not(corun_loom))]
mod poll_io;
// Compiled under loom too, for its model (`loom-tests/io_readiness.rs`); outside the
// model's test build nothing uses it there.
#[cfg_attr(all(corun_loom, not(test)), allow(dead_code))]
mod readiness;

#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/io_readiness.rs"]
mod loom_io_readiness;

#[cfg(all(unix, not(corun_loom)))]
pub use async_fd::AsyncFd;
#[cfg(not(corun_loom))]
pub(crate) use driver::IoDriver;
#[cfg(not(corun_loom))]
pub(crate) use poll_io::{Direction, IoFuture, PollIo};
#[cfg(not(corun_loom))]
pub(crate) use readiness::Waiter;
