//! Unix-domain stream sockets through `corun::net`: an echo server on a socket path (in a
//! fresh temporary directory, removed afterwards), `incoming()`, `UnixStream::pair`, its
//! half-close, and split halves used from two tasks.
//!
//! Every body runs under `corun::timeout` (and the process under a watchdog), so a lost
//! wake-up shows as a failure naming what hung, never as a hung test run.
#![cfg(all(unix, not(corun_loom)))]
#![allow(clippy::disallowed_types)]

mod common;

use common::net::within;
use common::{runtime, watchdog, LIMIT};
use corun::net::{UnixListener, UnixStream};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::StreamExt;
use std::io;
use std::net::Shutdown;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// A fresh directory under the system's temporary directory, removed with everything in
/// it when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "corun-{test}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, SeqCst)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir(&path).expect("create a temporary directory");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Echoes everything it reads until EOF; returns how many bytes it echoed.
async fn echo(mut stream: UnixStream) -> io::Result<usize> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        stream.write_all(&buf[..n]).await?;
        total += n;
    }
}

#[test]
fn an_echo_server_on_a_socket_path_answers_every_client() {
    let _watchdog = watchdog(LIMIT, "net_unix::echo");
    const CLIENTS: usize = 10;
    const MESSAGES: usize = 20;
    let dir = TempDir::new("unix-echo");
    let path = dir.path().join("echo.sock");
    runtime(2).block_on(within("unix echo", async {
        let listener = UnixListener::bind(&path).expect("bind the socket path");
        let local = listener.local_addr().unwrap();
        assert_eq!(local.as_pathname(), Some(path.as_path()));
        let server = corun::spawn(async move {
            let mut sessions = Vec::new();
            for _ in 0..CLIENTS {
                let (stream, _) = listener.accept().await?;
                sessions.push(corun::spawn(echo(stream)));
            }
            let mut echoed = 0;
            for session in sessions {
                echoed += session.await.expect("echo session")?;
            }
            io::Result::Ok(echoed)
        });
        let clients = corun::gather((0..CLIENTS).map(|client| {
            let path = path.clone();
            async move {
                let mut stream = UnixStream::connect(&path).await?;
                let mut reply = Vec::new();
                for message in 0..MESSAGES {
                    let request = format!("client {client:02} message {message:02}\n");
                    stream.write_all(request.as_bytes()).await?;
                    reply.resize(request.len(), 0);
                    stream.read_exact(&mut reply).await?;
                    assert_eq!(reply, request.as_bytes());
                }
                stream.close().await?;
                io::Result::Ok(MESSAGES)
            }
        }))
        .await;
        let replies: usize = clients.into_iter().map(|r| r.expect("client")).sum();
        assert_eq!(replies, CLIENTS * MESSAGES);
        let message_len = "client 00 message 00\n".len();
        assert_eq!(
            server.await.unwrap().unwrap(),
            CLIENTS * MESSAGES * message_len
        );
    }));
    drop(dir);
    assert!(!path.exists(), "the temporary directory is gone");
}

#[test]
fn incoming_yields_every_unix_connection() {
    let _watchdog = watchdog(LIMIT, "net_unix::incoming");
    const N: usize = 8;
    let dir = TempDir::new("unix-incoming");
    let path = dir.path().join("incoming.sock");
    runtime(2).block_on(within("unix incoming", async {
        let listener = UnixListener::bind(&path).unwrap();
        let server = corun::spawn(async move {
            let mut incoming = std::pin::pin!(listener.incoming().take(N));
            let mut ids = Vec::new();
            while let Some(stream) = incoming.next().await {
                let mut stream = stream?;
                let mut id = [0u8; 1];
                stream.read_exact(&mut id).await?;
                ids.push(id[0] as usize);
            }
            io::Result::Ok(ids)
        });
        for id in 0..N {
            let mut stream = UnixStream::connect(&path).await.unwrap();
            stream.write_all(&[id as u8]).await.unwrap();
        }
        let mut ids = server.await.unwrap().unwrap();
        ids.sort_unstable();
        assert_eq!(ids, (0..N).collect::<Vec<_>>());
    }));
}

#[test]
fn a_pair_talks_both_ways_and_half_closes() {
    let _watchdog = watchdog(LIMIT, "net_unix::pair");
    runtime(2).block_on(within("unix pair", async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        a.write_all(b"hello from a").await.unwrap();
        let mut buf = [0u8; 12];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello from a");

        // `a` stops writing: `b` reads EOF, and can still answer.
        a.shutdown(Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        assert_eq!(b.read_to_end(&mut rest).await.unwrap(), 0);
        b.write_all(b"hello from b").await.unwrap();
        b.close().await.unwrap();
        let mut reply = Vec::new();
        a.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"hello from b");
    }));
}

#[test]
fn unix_split_halves_read_and_write_from_two_tasks_at_once() {
    let _watchdog = watchdog(LIMIT, "net_unix::split");
    // More than the socket buffers hold: the echo stalls unless both halves run at the
    // same time.
    const TOTAL: usize = 4 << 20;
    runtime(2).block_on(within("unix split", async {
        let (client, server) = UnixStream::pair().unwrap();
        let session = corun::spawn(echo(server));
        let (mut read_half, mut write_half) = client.split();
        let writer = corun::spawn(async move {
            let chunk: Vec<u8> = (0..32 * 1024).map(|i| (i % 251) as u8).collect();
            let mut sent = 0;
            while sent < TOTAL {
                write_half.write_all(&chunk).await?;
                sent += chunk.len();
            }
            write_half.close().await?;
            io::Result::Ok(sent)
        });
        let reader = corun::spawn(async move {
            let mut buf = vec![0u8; 20_000];
            let mut received = 0usize;
            loop {
                let n = read_half.read(&mut buf).await?;
                if n == 0 {
                    return io::Result::Ok(received);
                }
                for (k, &byte) in buf[..n].iter().enumerate() {
                    let at = received + k;
                    assert_eq!(byte, ((at % (32 * 1024)) % 251) as u8, "byte {at}");
                }
                received += n;
            }
        });
        assert_eq!(writer.await.unwrap().unwrap(), TOTAL);
        assert_eq!(reader.await.unwrap().unwrap(), TOTAL);
        assert_eq!(session.await.unwrap().unwrap(), TOTAL);
    }));
}
