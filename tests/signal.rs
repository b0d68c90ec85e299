//! `corun::signal::ctrl_c`: a future polled once completes when the process then receives
//! SIGINT. The only test in this binary, so no other test sees the signal.
#![cfg(all(unix, not(corun_loom)))]

mod common;

use common::{watchdog, LIMIT};
use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

#[test]
fn ctrl_c_completes_when_sigint_arrives_after_its_first_poll() {
    let _watchdog = watchdog(LIMIT, "signal::ctrl_c");
    let rt = common::runtime(2);
    let raised = rt.block_on(async {
        let mut ctrl_c = pin!(corun::signal::ctrl_c());
        // The first poll installs the handler; until then SIGINT would kill the process,
        // so nothing is raised before it.
        let first = std::future::poll_fn(|cx| Poll::Ready(ctrl_c.as_mut().poll(cx))).await;
        assert!(
            first.is_pending(),
            "no SIGINT has been raised yet: {first:?}"
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut raised = 0u32;
        loop {
            // SAFETY: `raise` has no memory-safety preconditions.
            let rc = unsafe { libc::raise(libc::SIGINT) };
            assert_eq!(rc, 0, "raise(SIGINT): {}", std::io::Error::last_os_error());
            raised += 1;
            // Waits a little for the signal to be noticed; raises again if it was not.
            match corun::timeout(Duration::from_millis(50), ctrl_c.as_mut()).await {
                Ok(result) => {
                    result.expect("ctrl_c reports the signal");
                    break raised;
                }
                Err(_) => assert!(
                    std::time::Instant::now() < deadline,
                    "ctrl_c still pending after {raised} SIGINTs"
                ),
            }
        }
    });
    assert!(raised >= 1);
}
