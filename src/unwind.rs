//! The boundary where corun calls code it does not own, outside a task's poll: wakers
//! (`wake`, and their drops), the drops of futures, outputs and panic payloads, and the
//! slow-poll callback.
//!
//! # Policy
//! A panic there is caught right where corun made the call, reported on stderr once per
//! process (the panic hook has already printed the panic itself), and corun goes on with its
//! own state consistent: the call was the last thing done under any lock or state
//! transition it belongs to, so no worker dies, no lock or driver token stays held, no
//! counter stays half-updated, and no user panic ever aborts the process. What the panic
//! cost is only what the user's code did not do (a waker that panicked did not wake its
//! task). A panic inside a task's poll is not this module's: the harness turns it into the
//! task's [`JoinError`](crate::JoinError).

use std::any::Any;
use std::io::Write;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// The user code corun was calling, for the report.
#[derive(Clone, Copy, Debug)]
pub(crate) enum UserCode {
    Wake,
    WakerDrop,
    FutureDrop,
    OutputDrop,
    SlowPollCallback,
}

impl UserCode {
    fn describe(self) -> &'static str {
        match self {
            UserCode::Wake => "a waker's wake",
            UserCode::WakerDrop => "a waker's drop",
            UserCode::FutureDrop => "a task future's drop",
            UserCode::OutputDrop => "a task output's drop",
            UserCode::SlowPollCallback => "a slow-poll callback (`Builder::on_slow_poll`)",
        }
    }
}

/// Runs `f`, catching a panic; `None` if it panicked.
pub(crate) fn call<R>(what: UserCode, f: impl FnOnce() -> R) -> Option<R> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(payload) => {
            report(what);
            discard(payload);
            None
        }
    }
}

/// Drops `value`, catching a panic from its `Drop`.
pub(crate) fn drop_quietly<T>(what: UserCode, value: T) {
    call(what, move || drop(value));
}

/// Drops a panic payload. Its own `Drop` is user code too; if that panics as well, the
/// payload of that second panic is leaked rather than risk a third.
pub(crate) fn discard(payload: Box<dyn Any + Send>) {
    if let Err(again) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        mem::forget(again);
    }
}

fn report(what: UserCode) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Straight to stderr: a report must not depend on the caller's output capture.
        let _ = writeln!(
            std::io::stderr(),
            "corun: caught a panic in {}, called by the runtime; the runtime carries on \
             (reported once per process)",
            what.describe()
        );
    });
}

#[cfg(all(test, not(corun_loom)))]
mod tests {
    use super::*;

    struct PanicsOnDrop;

    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("drop panics");
        }
    }

    #[test]
    fn a_panicking_call_is_caught() {
        assert_eq!(call(UserCode::Wake, || 5), Some(5));
        assert_eq!(call(UserCode::Wake, || panic!("no")), None::<()>);
    }

    #[test]
    fn a_payload_whose_drop_panics_is_not_a_double_panic() {
        drop_quietly(UserCode::OutputDrop, PanicsOnDrop);
        // The payload itself panics when dropped.
        call(UserCode::FutureDrop, || {
            std::panic::panic_any(PanicsOnDrop);
        });
    }
}
