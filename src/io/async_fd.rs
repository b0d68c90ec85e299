//! `AsyncFd<T>`: a file descriptor of the caller's own (a pipe, a terminal, an eventfd,
//! inotify, a character device), registered with the runtime's I/O driver like corun's
//! sockets, with the same readiness protocol (`readiness.rs`) and the same try/clear loop
//! (`poll_io.rs`). The descriptor becomes a mio source through `mio::unix::SourceFd`, for
//! the span of each registry call only.

use super::{Direction, IoFuture, PollIo, Waiter};
use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A file descriptor whose readiness the runtime watches, so that tasks can wait for it
/// to become readable or writable instead of blocking a worker: asyncio's
/// `loop.add_reader` / `add_writer`, as futures.
///
/// `T` owns or borrows the descriptor (`OwnedFd`, `File`, a pipe end, a device's
/// handle: anything [`AsFd`]). [`AsyncFd::new`] makes it non-blocking and registers it
/// for both directions; [`read_with`](AsyncFd::read_with) and
/// [`write_with`](AsyncFd::write_with) run an operation when the descriptor is ready, and
/// again each time it returns `WouldBlock`, until it does something. If `&T` reads and
/// writes (as `&File` and `&UnixStream` do), `AsyncFd<T>` is also a `futures-io`
/// [`AsyncRead`](futures_io::AsyncRead) and [`AsyncWrite`](futures_io::AsyncWrite).
///
/// The descriptor must be one the operating system's poller accepts: pipes, sockets,
/// terminals, eventfd, inotify and most character devices do; regular files do not
/// (epoll refuses them, and they never block anyway: use
/// [`spawn_blocking`](crate::spawn_blocking)), and `new` returns the poller's error.
///
/// Like corun's sockets, an `AsyncFd` belongs to the runtime it was created in: creating
/// one outside a runtime panics, and once that runtime has shut down every wait returns
/// an `io::Error` (kind `Other`).
///
/// ```
/// use corun::io::AsyncFd;
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use std::io::Write;
/// use std::os::unix::net::UnixStream;
///
/// corun::run(async {
///     let (a, b) = UnixStream::pair()?;
///     let (mut a, mut b) = (AsyncFd::new(a)?, AsyncFd::new(b)?);
///     a.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     // Or one operation of your own, retried until it does not block:
///     let n = a.write_with(|fd| (&*fd).write(b"pong")).await?;
///     assert_eq!(n, 4);
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct AsyncFd<T: AsFd> {
    io: PollIo<Fd<T>>,
    /// The slots of `poll_read` and `poll_write` (one reader and one writer at a time,
    /// through `&mut self`), freed with the registration; `read_with` and friends take
    /// one each as they wait, and hand it back when they end.
    reader: Waiter,
    writer: Waiter,
}

// Nothing here pins `T`: the futures-io impls take `&mut self` out of the `Pin`.
impl<T: AsFd> Unpin for AsyncFd<T> {}

/// `T` as a mio source: its descriptor, for the registry calls.
struct Fd<T>(T);

impl<T: AsFd> Fd<T> {
    fn raw(&self) -> std::os::fd::RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

impl<T: AsFd> mio::event::Source for Fd<T> {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.raw()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.raw()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        mio::unix::SourceFd(&self.raw()).deregister(registry)
    }
}

impl<T: AsFd> AsyncFd<T> {
    /// Makes `inner`'s descriptor non-blocking and registers it with the current
    /// runtime's I/O driver, for reading and writing.
    ///
    /// Non-blocking is a flag of the open file, not of the descriptor: every descriptor
    /// duplicated from it (a shared terminal's, say) sees it too, and it stays after
    /// [`into_inner`](AsyncFd::into_inner).
    ///
    /// # Errors
    /// The operating system's: the poller refuses the descriptor (a regular file: kind
    /// `PermissionDenied` on Linux), or the flag cannot be set; an `io::Error` if the
    /// runtime has shut down.
    ///
    /// # Panics
    /// Outside a corun runtime.
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        set_nonblocking(inner.as_fd())?;
        Ok(AsyncFd {
            io: PollIo::new(Fd(inner))?,
            reader: Waiter::default(),
            writer: Waiter::default(),
        })
    }

    /// The wrapped descriptor's owner.
    pub fn get_ref(&self) -> &T {
        &self.io.get_ref().0
    }

    /// The wrapped descriptor's owner, mutably: what it reads or writes through it does
    /// not go through the readiness checks, so a `WouldBlock` it sees is its own to handle.
    /// It must keep the same descriptor open: the registration is the descriptor's, and
    /// one put in its place would never be reported ready.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io.get_mut().0
    }

    /// Deregisters the descriptor and gives its owner back, still non-blocking.
    pub fn into_inner(self) -> T {
        self.io.into_inner().0
    }

    /// Waits until the descriptor is readable (or hung up, or failed: a read then says
    /// so). Returns at once if the last operation did not see `WouldBlock`; any number of
    /// tasks may wait at once.
    ///
    /// # Errors
    /// An `io::Error` once the runtime has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        IoFuture::new(&self.io, Direction::Read, |_: &Fd<T>| Ok(())).await
    }

    /// Waits until the descriptor is writable, as [`readable`](AsyncFd::readable) does for
    /// reading.
    ///
    /// # Errors
    /// An `io::Error` once the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        IoFuture::new(&self.io, Direction::Write, |_: &Fd<T>| Ok(())).await
    }

    /// Runs `op` once the descriptor is readable, and again each time it returns
    /// `WouldBlock` (which marks the descriptor not readable until the poller reports it
    /// again), until it returns anything else: that is the result. `op` must not block.
    ///
    /// Dropped before it completes, the future has not run `op` to success: a read that
    /// returned data is never lost.
    ///
    /// # Errors
    /// `op`'s; an `io::Error` once the runtime has shut down.
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        IoFuture::new(&self.io, Direction::Read, |fd: &Fd<T>| op(&fd.0)).await
    }

    /// Runs `op` once the descriptor is writable, until it does not return `WouldBlock`,
    /// as [`read_with`](AsyncFd::read_with) does for reading.
    ///
    /// # Errors
    /// `op`'s; an `io::Error` once the runtime has shut down.
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        IoFuture::new(&self.io, Direction::Write, |fd: &Fd<T>| op(&fd.0)).await
    }
}

impl<T: AsFd> futures_io::AsyncRead for AsyncFd<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // Readiness clears on `WouldBlock` only: a short read of an arbitrary descriptor
        // does not prove it drained, as it does a stream socket's.
        this.io
            .poll_io(Direction::Read, cx, &mut this.reader, |fd| {
                (&fd.0).read(buf)
            })
    }
}

impl<T: AsFd> futures_io::AsyncWrite for AsyncFd<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.io
            .poll_io(Direction::Write, cx, &mut this.writer, |fd| {
                (&fd.0).write(buf)
            })
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.io
            .poll_io(Direction::Write, cx, &mut this.writer, |fd| {
                (&fd.0).write_vectored(bufs)
            })
    }

    /// `T`'s own flush, retried while it returns `WouldBlock`.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.io
            .poll_io(Direction::Write, cx, &mut this.writer, |fd| (&fd.0).flush())
    }

    /// Flushes; the descriptor itself closes when the `AsyncFd` (or its owner) is
    /// dropped, since a descriptor in general has no half-close.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", self.get_ref())
            .finish_non_exhaustive()
    }
}

/// Sets `O_NONBLOCK` on `fd`'s open file, if it is not set already.
fn set_nonblocking(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // SAFETY: `fd` is open for the whole call (borrowed from its owner above);
    // `F_GETFL` takes no argument and touches no memory of ours.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    if flags & libc::O_NONBLOCK != 0 {
        return Ok(());
    }
    // SAFETY: as above; `F_SETFL` takes an integer of flags.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
