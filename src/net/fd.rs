//! The descriptor behind each corun socket, lent out (`AsFd`, `AsRawFd`; Unix), so that
//! `socket2::SockRef`, `libc` or another library can read and set what `corun::net` has no
//! method for (keep-alive, buffer sizes, `SO_REUSEPORT`, ...).

/// `AsFd` and `AsRawFd` for `$socket`, whose mio socket `$this => $mio` reaches; invoked
/// next to each socket type (its fields are its module's).
macro_rules! lend_fd {
    ($socket:ty, $this:ident => $mio:expr) => {
        impl std::os::fd::AsFd for $socket {
            /// The socket's descriptor, still registered with the runtime: set options
            /// through it, but leave reading, writing and closing to the socket (an
            /// operation behind the runtime's back can take the data, or the readiness,
            /// a waiting task was promised).
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                let $this = self;
                std::os::fd::AsFd::as_fd($mio)
            }
        }

        impl std::os::fd::AsRawFd for $socket {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                let $this = self;
                std::os::fd::AsRawFd::as_raw_fd($mio)
            }
        }
    };
}
pub(crate) use lend_fd;
