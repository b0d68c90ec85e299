//! What a listener does when accepting a connection fails: axum's policy, and hyper
//! 0.14's before it.
//!
//! An accept error is one of two kinds. Some belong to the connection being accepted:
//! the client reset or aborted it between the handshake and the accept
//! (`ECONNABORTED`, `ECONNRESET`, and `ECONNREFUSED` where a system reports that). The
//! next connection has nothing to do with it, so the listener accepts again at once.
//!
//! Every other error belongs to the process or the system, and the next accept would
//! fail the same way: out of file descriptors (`EMFILE`, `ENFILE`), out of memory for a
//! socket (`ENOBUFS`, `ENOMEM`). Retrying at once would spin a worker while the one
//! thing that can help, connections closing and giving their descriptors back, waits
//! for it; giving up would take a whole server down for a passing overload. So the
//! listener sleeps [`ACCEPT_BACKOFF`] and tries again. The connection it could not
//! accept waits in the kernel's backlog meanwhile, and is accepted on a later try.
//!
//! No error ends the accept loop, as in axum, whose `Listener::accept` cannot fail: the
//! errors that would mean a broken listener (`EBADF`, `EINVAL`, `ENOTSOCK`) cannot
//! happen to one corun made, which is bound and listening for its whole life. Nothing
//! is logged either (axum logs through `tracing`; corun has no logger), so an overload
//! shows only as connections waiting in the backlog.

use std::future::Future;
use std::io;
use std::time::Duration;

/// How long a listener sleeps after an accept error that is not the connection's own:
/// axum's second, long enough for connections being served to close.
pub(super) const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// What to do after an accept failed.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Retry {
    /// The connection's own failure: accept the next one at once.
    Now,
    /// The process's or the system's: sleep [`ACCEPT_BACKOFF`] first.
    AfterBackoff,
}

impl Retry {
    /// The policy for `error` (see the module docs).
    pub(super) fn after(error: &io::Error) -> Retry {
        match error.kind() {
            io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused => Retry::Now,
            _ => Retry::AfterBackoff,
        }
    }
}

/// Calls `accept` until it succeeds, retrying each error as [`Retry::after`] says.
pub(super) async fn retrying<F, A, T>(mut accept: F) -> T
where
    F: FnMut() -> A,
    A: Future<Output = io::Result<T>>,
{
    loop {
        match accept().await {
            Ok(accepted) => return accepted,
            Err(error) => match Retry::after(&error) {
                Retry::Now => {}
                Retry::AfterBackoff => crate::sleep(ACCEPT_BACKOFF).await,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{retrying, Retry, ACCEPT_BACKOFF};
    use std::collections::VecDeque;
    use std::io;

    /// A reset or aborted connection is skipped; running out of descriptors, buffers or
    /// memory, and anything else, backs off.
    #[test]
    fn the_connections_own_errors_are_skipped_and_the_rest_back_off() {
        for kind in [
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::ConnectionRefused,
        ] {
            assert_eq!(Retry::after(&kind.into()), Retry::Now, "{kind:?}");
        }
        assert_eq!(
            Retry::after(&io::ErrorKind::OutOfMemory.into()),
            Retry::AfterBackoff
        );
        assert_eq!(
            Retry::after(&io::Error::other("the runtime shut down")),
            Retry::AfterBackoff
        );
        #[cfg(unix)]
        for errno in [
            libc::EMFILE,
            libc::ENFILE,
            libc::ENOBUFS,
            libc::ENOMEM,
            libc::ECONNABORTED,
        ] {
            let expected = if errno == libc::ECONNABORTED {
                Retry::Now
            } else {
                Retry::AfterBackoff
            };
            let error = io::Error::from_raw_os_error(errno);
            assert_eq!(Retry::after(&error), expected, "{error}");
        }
    }

    /// On a paused clock: the skipped error costs no time, each backed-off one exactly
    /// one `ACCEPT_BACKOFF`, and the first success is returned.
    #[test]
    fn retrying_sleeps_only_after_errors_that_back_off() {
        let rt = crate::Runtime::builder()
            .worker_threads(1)
            .start_paused(true)
            .build()
            .expect("a runtime");
        rt.block_on(async {
            let mut attempts: VecDeque<io::Result<u32>> = VecDeque::from([
                Err(io::ErrorKind::ConnectionAborted.into()),
                Err(io::ErrorKind::OutOfMemory.into()),
                Err(io::ErrorKind::ConnectionReset.into()),
                Err(io::Error::other("out of descriptors")),
                Ok(7),
                Ok(8),
            ]);
            let start = crate::time::now();
            let accepted = retrying(|| {
                let attempt = attempts.pop_front().expect("the test scripts enough");
                std::future::ready(attempt)
            })
            .await;
            assert_eq!(accepted, 7);
            assert_eq!(attempts.len(), 1, "stopped at the first success");
            assert_eq!(crate::time::now() - start, 2 * ACCEPT_BACKOFF);
        });
    }
}
