//! [`Io`]: the `futures-io` traits and hyper's, each for the other; the small reads'
//! buffer and the read size that bounds how much of hyper's buffer a read zeroes (see
//! the [parent module](super)).

use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::{ReadBuf, ReadBufCursor};
use pin_project_lite::pin_project;
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// How many bytes an [`Io`] asks its reader for next, and so zeroes first: adapted to the
/// reads so far (see the [module docs](super)).
#[derive(Clone, Copy, Debug)]
struct ReadSize(usize);

impl ReadSize {
    /// Where a connection starts, and the least it asks for: most HTTP requests fit. Reads
    /// of this size go through the [`Io`]'s own buffer, with no zeroing.
    const MIN: usize = 2 * 1024;
    /// The most: a bulk transfer's reads, and the most one read zeroes.
    const MAX: usize = 16 * 1024;

    /// The next read's size, within the `room` the buffer has.
    fn next(self, room: usize) -> usize {
        self.0.min(room)
    }

    /// After a read of `read` bytes out of the `asked`: grows if it filled them, shrinks
    /// if it filled less than half. A read that ended the stream (0) changes nothing.
    fn update(&mut self, asked: usize, read: usize) {
        if read == asked && asked == self.0 {
            self.0 = (self.0 * 2).min(ReadSize::MAX);
        } else if read > 0 && read < asked / 2 {
            self.0 = (self.0 / 2).max(ReadSize::MIN);
        }
    }
}

pin_project! {
    /// A reader or writer in the other I/O world: hyper's [`Read`](hyper::rt::Read) and
    /// [`Write`](hyper::rt::Write) for a `futures-io` [`AsyncRead`] and [`AsyncWrite`],
    /// such as [`corun::net::TcpStream`](crate::net::TcpStream), and the `futures-io`
    /// traits for a hyper reader and writer, such as `hyper::upgrade::Upgraded`.
    ///
    /// Reads zero 2 to 16 KiB of hyper's buffer before handing it to the reader, as much
    /// as the reads have been using (see the [module docs](super)). hyper is told that
    /// writes are vectored ([`is_write_vectored`](hyper::rt::Write::is_write_vectored)),
    /// so it hands a response's head and body over as separate slices instead of copying
    /// them into one: right for corun's sockets, which write them with one system call.
    /// `futures-io` has no way to ask a writer, so a writer whose `poll_write_vectored`
    /// writes only the first slice costs hyper a call per slice.
    ///
    /// A client request over a corun socket, to a server (here, in the same program):
    ///
    /// ```
    /// use corun::hyper::Io;
    /// use http_body_util::{BodyExt, Empty, Full};
    /// use hyper::body::Bytes;
    /// use hyper::service::service_fn;
    /// use hyper::{Request, Response};
    ///
    /// corun::run(async {
    ///     let listener = corun::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let server = corun::spawn(async move {
    ///         let (stream, _peer) = listener.accept().await.unwrap();
    ///         let hello = service_fn(|_request| async {
    ///             Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from("hello"))))
    ///         });
    ///         hyper::server::conn::http1::Builder::new()
    ///             .serve_connection(Io::new(stream), hello)
    ///             .await
    ///             .unwrap();
    ///     });
    ///
    ///     let stream = corun::net::TcpStream::connect(addr).await?;
    ///     let (mut sender, connection) =
    ///         hyper::client::conn::http1::handshake(Io::new(stream)).await.unwrap();
    ///     let client = corun::spawn(connection);
    ///     let request = Request::get("/").header("host", "localhost").body(Empty::<Bytes>::new());
    ///     let response = sender.send_request(request.unwrap()).await.unwrap();
    ///     let body = response.into_body().collect().await.unwrap().to_bytes();
    ///     assert_eq!(body, "hello");
    ///
    ///     drop(sender); // the client's connection closes, and then the server's
    ///     client.await.unwrap().unwrap();
    ///     server.await.unwrap();
    ///     Ok::<(), std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub struct Io<T> {
        #[pin]
        inner: T,
        read_size: ReadSize,
        // The small reads' buffer (`ReadSize::MIN` bytes), zeroed once, on the first read.
        small: Option<Box<[u8]>>,
    }
}

impl<T> Io<T> {
    /// Wraps `inner`.
    ///
    /// ```
    /// let io = corun::hyper::Io::new(futures::io::Cursor::new(vec![1, 2, 3]));
    /// assert_eq!(io.inner().get_ref(), &[1, 2, 3]);
    /// ```
    pub fn new(inner: T) -> Io<T> {
        Io {
            inner,
            read_size: ReadSize(ReadSize::MIN),
            small: None,
        }
    }

    /// The wrapped reader or writer.
    ///
    /// ```
    /// let io = corun::hyper::Io::new(futures::io::Cursor::new(vec![1, 2, 3]));
    /// assert_eq!(io.inner().position(), 0);
    /// ```
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped reader or writer, mutably.
    ///
    /// ```
    /// let mut io = corun::hyper::Io::new(futures::io::Cursor::new(vec![1, 2, 3]));
    /// io.inner_mut().set_position(2);
    /// assert_eq!(io.inner().position(), 2);
    /// ```
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the reader or writer.
    ///
    /// ```
    /// let io = corun::hyper::Io::new(futures::io::Cursor::new(vec![1, 2, 3]));
    /// assert_eq!(io.into_inner().into_inner(), [1, 2, 3]);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for Io<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Io").field(&self.inner).finish()
    }
}

impl<T: AsyncRead> hyper::rt::Read for Io<T> {
    #[allow(unsafe_code)]
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let asked = this.read_size.next(buf.remaining());
        let read = if asked == ReadSize::MIN {
            // Small: into our own buffer, then copy what came (see the module docs).
            let small = this
                .small
                .get_or_insert_with(|| vec![0; ReadSize::MIN].into_boxed_slice());
            let read = ready!(this.inner.poll_read(cx, small))?;
            buf.put_slice(&small[..read]);
            read
        } else {
            let read = ready!(this.inner.poll_read(cx, buf.initialize_unfilled_to(asked)))?;
            // A reader that claims more than it was given breaks its contract; refuse to
            // pass the claim on to hyper as initialized memory.
            assert!(
                read <= asked,
                "AsyncRead::poll_read returned more bytes than it was given"
            );
            // SAFETY: `initialize_unfilled_to(asked)` initialized the first `asked` bytes
            // of the unfilled part, and the reader wrote `read <= asked` of them, so the
            // `read` bytes the cursor advances over are initialized (and hold the data).
            unsafe { buf.advance(read) };
            read
        };
        this.read_size.update(asked, read);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> hyper::rt::Write for Io<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }
}

impl<T: hyper::rt::Read> AsyncRead for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        // `buf` is initialized already: nothing to zero in this direction.
        let mut read = ReadBuf::new(buf);
        ready!(self.project().inner.poll_read(cx, read.unfilled()))?;
        Poll::Ready(Ok(read.filled().len()))
    }
}

impl<T: hyper::rt::Write> AsyncWrite for Io<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::Io;
    use futures::io::Cursor;
    use futures::{AsyncReadExt, AsyncWriteExt};
    use hyper::rt::{Read, ReadBuf};
    use std::future::poll_fn;
    use std::mem::MaybeUninit;
    use std::pin::Pin;

    /// One hyper read from `io` with `room` bytes of buffer: the bytes it filled.
    fn read_bytes(io: &mut Io<Cursor<Vec<u8>>>, room: usize) -> Vec<u8> {
        let mut storage = vec![MaybeUninit::uninit(); room];
        let mut buf = ReadBuf::uninit(&mut storage);
        futures::executor::block_on(poll_fn(|cx| {
            Pin::new(&mut *io).poll_read(cx, buf.unfilled())
        }))
        .expect("a cursor reads");
        buf.filled().to_vec()
    }

    /// How many bytes one hyper read with `room` bytes of buffer filled.
    fn read_once(io: &mut Io<Cursor<Vec<u8>>>, room: usize) -> usize {
        read_bytes(io, room).len()
    }

    /// Small reads (through the `Io`'s own buffer) and direct ones (into hyper's) hand
    /// hyper the stream's bytes in order, none lost or repeated at a switch.
    #[test]
    fn small_and_direct_reads_keep_the_bytes_in_order() {
        let data: Vec<u8> = (0..=250).cycle().take(40 * 1024 + 7).collect();
        let mut io = Io::new(Cursor::new(data.clone()));
        let mut got = Vec::new();
        loop {
            let read = read_bytes(&mut io, 64 * 1024);
            if read.is_empty() {
                break;
            }
            got.extend_from_slice(&read);
        }
        assert_eq!(got, data);
    }

    /// Reads ask for twice as much while they fill what they asked for, up to 16 KiB
    /// however much room hyper offers, and half as much after one fills less than half.
    #[test]
    fn read_sizes_adapt() {
        let data: Vec<u8> = (0..=255).cycle().take(64 * 1024).collect();
        let mut io = Io::new(Cursor::new(data[..30 * 1024 + 100].to_vec()));
        let sizes: Vec<usize> = (0..5).map(|_| read_once(&mut io, 64 * 1024)).collect();
        assert_eq!(sizes, [2048, 4096, 8192, 16384, 100]);
        assert_eq!(io.read_size.0, 8192, "halved after the short read");
        assert_eq!(read_once(&mut io, 64 * 1024), 0, "the end of the data");
        assert_eq!(io.read_size.0, 8192, "the end changes nothing");
        assert_eq!(
            read_once(&mut Io::new(Cursor::new(data)), 100),
            100,
            "within the room"
        );
    }

    /// `Io<Io<T>>` is `T` again: futures-io to hyper and back, for reads and writes.
    #[test]
    fn both_directions_round_trip() {
        futures::executor::block_on(async {
            let mut reader = Io::new(Io::new(Cursor::new(b"hello, hyper".to_vec())));
            let mut read = String::new();
            reader
                .read_to_string(&mut read)
                .await
                .expect("a cursor reads");
            assert_eq!(read, "hello, hyper");

            let mut writer = Io::new(Io::new(Cursor::new(Vec::new())));
            writer.write_all(b"hello, ").await.expect("a cursor writes");
            let slices = [
                std::io::IoSlice::new(b"vec"),
                std::io::IoSlice::new(b"tored"),
            ];
            let written = writer
                .write_vectored(&slices)
                .await
                .expect("a cursor writes");
            assert_eq!(written, 8, "a cursor writes every slice");
            writer.close().await.expect("a cursor closes");
            assert_eq!(
                writer.into_inner().into_inner().into_inner(),
                b"hello, vectored"
            );
        });
    }
}
