//! The impls TCP's and Unix's stream types share but for their types, written once as
//! macros over `Stream<S>` (`stream.rs`): `stream_traits!`, the `futures-io` impls of a
//! stream and its halves and their `Debug`s; and `stream_api!`, their inherent methods
//! (the readiness API, `reunite`).

/// `futures_io::AsyncRead` for `$ty`, reading through its field `$side` (a `Stream` or a
/// `ReadSide`).
macro_rules! async_read {
    ($ty:ident, $side:ident) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.get_mut().$side.poll_read(cx, buf)
            }
        }
    };
}
pub(crate) use async_read;

/// `futures_io::AsyncWrite` for `$ty`, writing through its field `$side` (a `Stream` or a
/// `WriteSide`).
macro_rules! async_write {
    ($ty:ident, $side:ident) => {
        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let bufs = [std::io::IoSlice::new(buf)];
                self.get_mut().$side.poll_write_vectored(cx, &bufs)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.get_mut().$side.poll_write_vectored(cx, bufs)
            }

            /// Nothing to do: writes go straight to the socket.
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            /// Shuts the write direction down: the peer reads end of file.
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::net::stream::close_write(self.$side.socket())
            }
        }
    };
}
pub(crate) use async_write;

/// The `futures-io` impls of a stream type (a `stream: Stream<_>` field) and its halves
/// (`read: ReadSide<_>`, `write: WriteSide<_>`), the halves' addresses (`$addr`), and the
/// three `Debug`s: TCP's and Unix's are the same but for the types.
macro_rules! stream_traits {
    ($stream:ident, $read_half:ident, $write_half:ident, $addr:ty) => {
        $crate::net::stream_impls::async_read!($stream, stream);
        $crate::net::stream_impls::async_write!($stream, stream);
        $crate::net::stream_impls::async_read!($read_half, read);
        $crate::net::stream_impls::async_write!($write_half, write);

        impl $read_half {
            /// The address of the other end.
            ///
            /// # Errors
            /// The operating system's.
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.read.socket().peer_addr()
            }

            /// This end's address.
            ///
            /// # Errors
            /// The operating system's.
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.read.socket().local_addr()
            }
        }

        impl $write_half {
            /// The address of the other end.
            ///
            /// # Errors
            /// The operating system's.
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.write.socket().peer_addr()
            }

            /// This end's address.
            ///
            /// # Errors
            /// The operating system's.
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.write.socket().local_addr()
            }
        }

        impl std::fmt::Debug for $stream {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($stream))
                    .field("local_addr", &self.local_addr().ok())
                    .field("peer_addr", &self.peer_addr().ok())
                    .finish()
            }
        }

        impl std::fmt::Debug for $read_half {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($read_half))
                    .field("peer_addr", &self.peer_addr().ok())
                    .finish()
            }
        }

        impl std::fmt::Debug for $write_half {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($write_half))
                    .field("peer_addr", &self.peer_addr().ok())
                    .finish()
            }
        }
    };
}
pub(crate) use stream_traits;

/// The inherent methods TCP's and Unix's streams share: the readiness API on the stream
/// and on its halves (`readable`, `try_read` and friends) and `reunite` on the halves. `$pair` is the
/// doc examples' first lines, which make `a` and `b`, two connected streams.
macro_rules! stream_api {
    ($stream:ident, $read_half:ident, $write_half:ident, $pair:literal) => {
        impl $stream {
            /// Waits until the stream is readable: data arrived, the peer closed its end
            /// or the socket failed (a read then returns the data, the end or the
            /// error). Returns at once if it already is. Readiness is a hint: a
            /// [`try_read`](Self::try_read) after it may still find nothing, and the
            /// caller waits again.
            ///
            /// Takes `&self`: any number of tasks may wait at once, and all are woken.
            /// Dropping the future before it resolves loses nothing.
            ///
            /// # Errors
            /// An `io::Error` once the stream's runtime has shut down.
            ///
            /// ```
            /// corun::run(async {
            #[doc = $pair]
            ///     a.writable().await?;
            ///     a.try_write(b"ping")?;
            ///     let mut buf = [0; 16];
            ///     let n = loop {
            ///         b.readable().await?;
            ///         match b.try_read(&mut buf) {
            ///             Ok(n) => break n,
            ///             Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
            ///             Err(err) => return Err(err),
            ///         }
            ///     };
            ///     assert_eq!(&buf[..n], b"ping");
            ///     std::io::Result::Ok(())
            /// })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub async fn readable(&self) -> std::io::Result<()> {
                self.stream.ready($crate::io::Direction::Read).await
            }

            /// Waits until the stream is writable: the socket has room, or the peer is
            /// gone or the socket failed (a write then returns the error). Returns at
            /// once if it already is; as with [`readable`](Self::readable), any number
            /// of tasks may wait at once, and a [`try_write`](Self::try_write) after it
            /// may still find no room.
            ///
            /// # Errors
            /// An `io::Error` once the stream's runtime has shut down.
            ///
            /// ```
            /// corun::run(async {
            #[doc = $pair]
            ///     a.writable().await?;
            ///     let n = a.try_write(b"ping")?;
            ///     assert_eq!(n, 4, "a new connection has room for four bytes");
            ///     std::io::Result::Ok(())
            /// })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub async fn writable(&self) -> std::io::Result<()> {
                self.stream.ready($crate::io::Direction::Write).await
            }

            /// Reads into `buf` if data is there, without waiting: the byte count (0 at
            /// the end of the stream), or `WouldBlock` if there is nothing to read yet.
            /// A `WouldBlock` marks the stream not readable, so that
            /// [`readable`](Self::readable) waits for the next arrival (one that races
            /// with the try is not missed).
            ///
            /// # Errors
            /// `WouldBlock`; the operating system's; an `io::Error` once the stream's
            /// runtime has shut down.
            ///
            /// ```
            /// corun::run(async {
            #[doc = $pair]
            ///     let mut buf = [0; 16];
            ///     let err = b.try_read(&mut buf).unwrap_err();
            ///     assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
            ///     std::io::Result::Ok(())
            /// })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.stream.try_read(buf)
            }

            /// Writes from `buf` if the socket has room, without waiting: the byte count
            /// (perhaps less than `buf`), or `WouldBlock` if there is no room. A
            /// `WouldBlock` marks the stream not writable, so that
            /// [`writable`](Self::writable) waits until the peer reads; it has an
            /// example.
            ///
            /// # Errors
            /// `WouldBlock`; the operating system's; an `io::Error` once the stream's
            /// runtime has shut down.
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.try_write_vectored(&[std::io::IoSlice::new(buf)])
            }

            /// Writes from `bufs`, in order, in one system call, if the socket has room:
            /// [`try_write`](Self::try_write) for several buffers.
            ///
            /// # Errors
            /// As `try_write`'s.
            ///
            /// ```
            /// use std::io::IoSlice;
            ///
            /// corun::run(async {
            #[doc = $pair]
            ///     a.writable().await?;
            ///     let n = a.try_write_vectored(&[IoSlice::new(b"pi"), IoSlice::new(b"ng")])?;
            ///     assert_eq!(n, 4, "a new connection has room for four bytes");
            ///     std::io::Result::Ok(())
            /// })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn try_write_vectored(
                &self,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::io::Result<usize> {
                self.stream.try_write_vectored(bufs)
            }
        }

        impl $read_half {
            /// Waits until the stream is readable, as
            #[doc = concat!("[`", stringify!($stream), "::readable`]")]
            /// does: the task holding the write half may wait for `writable` meanwhile.
            ///
            /// # Errors
            /// An `io::Error` once the stream's runtime has shut down.
            pub async fn readable(&self) -> std::io::Result<()> {
                self.read.readable().await
            }

            /// Reads into `buf` if data is there, without waiting, as
            #[doc = concat!("[`", stringify!($stream), "::try_read`]")]
            /// does.
            ///
            /// # Errors
            /// `WouldBlock`; the operating system's; an `io::Error` once the stream's
            /// runtime has shut down.
            ///
            /// ```
            /// corun::run(async {
            #[doc = $pair]
            ///     let (read, _write) = b.split();
            ///     a.try_write(b"ping")?;
            ///     read.readable().await?;
            ///     let mut buf = [0; 16];
            ///     let n = read.try_read(&mut buf)?;
            ///     assert_eq!(&buf[..n], b"ping");
            ///     std::io::Result::Ok(())
            /// })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.read.try_read(buf)
            }

            /// Puts the stream back together from the halves
            #[doc = concat!("[`split`](", stringify!($stream), "::split)")]
            /// made, `self` and `other`.
            ///
            /// # Errors
            /// If the halves come from different streams: a
            /// [`ReuniteError`]($crate::net::ReuniteError) that gives both back.
            ///
            /// ```
            /// corun::run(async {
            #[doc = $pair]
            ///     let (read, write) = a.split();
            ///     let a = read.reunite(write).expect("the halves of one stream");
            ///     a.writable().await?;
            ///     std::io::Result::Ok(())
            /// })?;
            /// # std::io::Result::Ok(())
            /// ```
            pub fn reunite(
                self,
                other: $write_half,
            ) -> Result<$stream, $crate::net::ReuniteError<$read_half, $write_half>> {
                match $crate::net::stream::Stream::reunite(self.read, other.write) {
                    Ok(stream) => Ok($stream { stream }),
                    Err((read, write)) => Err($crate::net::ReuniteError(
                        $read_half { read },
                        $write_half { write },
                    )),
                }
            }
        }

        impl $write_half {
            /// Waits until the stream is writable, as
            #[doc = concat!("[`", stringify!($stream), "::writable`]")]
            /// does.
            ///
            /// # Errors
            /// An `io::Error` once the stream's runtime has shut down.
            pub async fn writable(&self) -> std::io::Result<()> {
                self.write.writable().await
            }

            /// Writes from `buf` if the socket has room, without waiting, as
            #[doc = concat!("[`", stringify!($stream), "::try_write`]")]
            /// does.
            ///
            /// # Errors
            /// `WouldBlock`; the operating system's; an `io::Error` once the stream's
            /// runtime has shut down.
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.try_write_vectored(&[std::io::IoSlice::new(buf)])
            }

            /// Writes from `bufs`, in order, in one system call, if the socket has room.
            ///
            /// # Errors
            /// As `try_write`'s.
            pub fn try_write_vectored(
                &self,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::io::Result<usize> {
                self.write.try_write_vectored(bufs)
            }

            /// Puts the stream back together:
            #[doc = concat!("[`", stringify!($read_half), "::reunite`]")]
            /// from this side.
            ///
            /// # Errors
            /// If the halves come from different streams: a
            /// [`ReuniteError`]($crate::net::ReuniteError) that gives both back.
            pub fn reunite(
                self,
                other: $read_half,
            ) -> Result<$stream, $crate::net::ReuniteError<$read_half, $write_half>> {
                other.reunite(self)
            }
        }
    };
}
pub(crate) use stream_api;
