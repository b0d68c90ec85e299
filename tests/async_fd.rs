//! `corun::io::AsyncFd`: descriptors that are not corun sockets (a pipe, a std Unix socket
//! pair) read and written through the runtime's driver; waits that end when data comes;
//! and the errors: a descriptor the poller refuses, a runtime that shut down, no runtime.
//!
//! Every body runs under `corun::timeout` (and the process under a watchdog), so a lost
//! wake-up shows as a failure naming what hung, never as a hung test run.
#![cfg(all(unix, not(corun_loom)))]
#![allow(clippy::disallowed_types)]

mod common;

use common::net::within;
use common::{runtime, watchdog, LIMIT};
use corun::io::AsyncFd;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

/// A pipe's read and write ends, as files.
fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe` writes.
    let result = unsafe { libc::pipe(fds.as_mut_ptr()) };
    assert_eq!(result, 0, "pipe: {}", io::Error::last_os_error());
    // SAFETY: `pipe` succeeded: both descriptors are open, and nothing else owns them.
    unsafe {
        (
            File::from(OwnedFd::from_raw_fd(fds[0])),
            File::from(OwnedFd::from_raw_fd(fds[1])),
        )
    }
}

#[test]
fn a_pipe_carries_a_mebibyte_in_order_through_full_and_empty_buffers() {
    let _watchdog = watchdog(LIMIT, "a_pipe_carries_a_mebibyte_in_order");
    const BYTES: usize = 1 << 20;
    let rt = runtime(2);
    rt.block_on(within("a mebibyte through a pipe", async {
        let (read, write) = pipe();
        let (mut read, mut write) = (AsyncFd::new(read)?, AsyncFd::new(write)?);
        let payload: Vec<u8> = (0..BYTES).map(|i| (i % 251) as u8).collect();
        let sent = payload.clone();
        // A pipe holds 64 KiB: the writer waits for room, the reader for data, many times.
        let writer = corun::spawn(async move {
            write.write_all(&sent).await?;
            write.close().await?;
            drop(write);
            io::Result::Ok(())
        });
        let mut received = Vec::new();
        read.read_to_end(&mut received).await?;
        writer.await.expect("the writer panicked")?;
        assert!(
            received == payload,
            "the bytes differ from what was written"
        );
        io::Result::Ok(())
    }))
    .expect("the transfer failed");
}

#[test]
fn read_with_waits_for_data_and_write_with_retries_until_there_is_room() {
    let _watchdog = watchdog(LIMIT, "read_with_waits_for_data");
    let rt = runtime(2);
    rt.block_on(within("read_with and write_with", async {
        let (a, b) = UnixStream::pair()?;
        let (a, b) = (Arc::new(AsyncFd::new(a)?), AsyncFd::new(b)?);
        let attempts = Arc::new(AtomicUsize::new(0));
        let reader = corun::spawn({
            let attempts = attempts.clone();
            async move {
                let mut buf = [0; 16];
                let n = b
                    .read_with(|fd| {
                        attempts.fetch_add(1, SeqCst);
                        (&*fd).read(&mut buf)
                    })
                    .await?;
                io::Result::Ok(buf[..n].to_vec())
            }
        });
        // Wait until the reader has tried and found nothing (`WouldBlock`), so that what
        // follows is a wake from the driver, not a first try that happens to succeed.
        while attempts.load(SeqCst) == 0 {
            corun::sleep(std::time::Duration::from_millis(1)).await;
        }
        let n = a.write_with(|fd| (&*fd).write(b"ping")).await?;
        assert_eq!(n, 4);
        assert_eq!(reader.await.expect("the reader panicked")?, b"ping");
        assert!(
            attempts.load(SeqCst) >= 2,
            "the reader tried, waited, and tried again"
        );
        io::Result::Ok(())
    }))
    .expect("the exchange failed");
}

#[test]
fn readable_returns_once_the_other_end_writes() {
    let _watchdog = watchdog(LIMIT, "readable_returns_once_the_other_end_writes");
    let rt = runtime(1);
    rt.block_on(within("readable", async {
        let (a, b) = UnixStream::pair()?;
        let mut b = AsyncFd::new(b)?;
        let err = b.get_ref().read(&mut [0; 1]).unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::WouldBlock,
            "AsyncFd::new set O_NONBLOCK"
        );
        // A read that finds nothing clears the initial readiness, so the wait below ends
        // only on the driver's report of the write.
        assert!(futures::poll!(b.read(&mut [0; 1])).is_pending());
        let written = corun::spawn(async move {
            corun::yield_now().await;
            (&a).write_all(b"x").map(|()| a)
        });
        b.readable().await?;
        let _a = written.await.expect("the writer panicked")?;
        let mut buf = [0; 1];
        assert_eq!(b.read_with(|fd| (&*fd).read(&mut buf)).await?, 1);
        io::Result::Ok(())
    }))
    .expect("readable failed");
}

#[test]
fn a_write_from_another_thread_wakes_the_task_while_the_worker_sleeps_in_the_poller() {
    let _watchdog = watchdog(LIMIT, "a_write_from_another_thread_wakes_the_task");
    let rt = runtime(1);
    let handle = rt.handle().clone();
    let parks = move || handle.metrics().workers()[0].parks();
    let (a, b) = UnixStream::pair().expect("a socket pair");
    let attempts = Arc::new(AtomicUsize::new(0));
    let parked = parks();
    // The reader is a task, so that its wake comes out of the worker's wait in the poller.
    let waiting = rt.spawn({
        let attempts = attempts.clone();
        async move {
            let b = AsyncFd::new(b)?;
            let mut buf = [0; 1];
            let n = b
                .read_with(|fd| {
                    attempts.fetch_add(1, SeqCst);
                    (&*fd).read(&mut buf)
                })
                .await?;
            io::Result::Ok(buf[..n].to_vec())
        }
    });
    // Once the reader has found nothing, the worker runs out of work and parks (in the
    // poller: it is the only worker, so it drives); write after that park, so that the
    // report comes out of the wait. (That park is sure to come, so this cannot hang; in
    // the rare run where the park counted was an earlier one, the write merely lands
    // before the wait.)
    while attempts.load(SeqCst) == 0 || parks() == parked {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    (&a).write_all(b"x").expect("the pair has room");
    let read = rt.block_on(within("the read woken from the poller", waiting));
    assert_eq!(read.expect("the reader panicked").expect("the read"), b"x");
    assert!(
        attempts.load(SeqCst) >= 2,
        "a try before the wait, one after"
    );
}

#[test]
fn into_inner_gives_the_descriptor_back_non_blocking() {
    let _watchdog = watchdog(LIMIT, "into_inner_gives_the_descriptor_back");
    let rt = runtime(1);
    rt.block_on(async {
        let (read, mut write) = pipe();
        let read = AsyncFd::new(read).expect("a pipe registers").into_inner();
        let err = (&read).read(&mut [0; 1]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        // Registered again, it works as before: deregistering left nothing behind.
        let mut read = AsyncFd::new(read).expect("the pipe registers again");
        write.write_all(b"again").expect("the pipe has room");
        let mut buf = [0; 5];
        within("a read after registering again", read.read_exact(&mut buf))
            .await
            .expect("the read failed");
        assert_eq!(&buf, b"again");
    });
}

#[cfg(target_os = "linux")]
#[test]
fn a_regular_file_is_refused_by_the_poller_with_an_error() {
    let rt = runtime(1);
    let path = std::env::temp_dir().join(format!("corun-async-fd-{}", std::process::id()));
    let file = File::create(&path).expect("create a temporary file");
    let result = rt.block_on(async { AsyncFd::new(file) });
    std::fs::remove_file(&path).expect("remove the temporary file");
    let err = result.expect_err("epoll refuses regular files");
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
}

#[test]
fn after_its_runtime_shut_down_a_wait_is_an_error_not_a_hang() {
    let _watchdog = watchdog(LIMIT, "after_its_runtime_shut_down");
    let (read, _write) = pipe();
    let read = runtime(1).block_on(async { AsyncFd::new(read).expect("a pipe registers") });
    // The runtime is gone; drive the wait on this thread.
    let err = futures::executor::block_on(read.readable())
        .expect_err("a wait on a dead runtime's descriptor ends");
    assert_eq!(err.kind(), io::ErrorKind::Other);
    assert!(err.to_string().contains("shut down"), "{err}");
}

#[test]
#[should_panic(expected = "no corun runtime")]
fn outside_a_runtime_new_panics_naming_the_fix() {
    let (read, _write) = pipe();
    let _ = AsyncFd::new(read);
}
