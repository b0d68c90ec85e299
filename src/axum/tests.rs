//! [`serve`] end to end: HTTP/1.1 and HTTP/2 on one port, the graceful shutdown of each,
//! and a server that runs out of file descriptors.

use super::serve;
use crate::hyper::{Executor, Io};
use crate::net::{TcpListener, TcpStream};
use crate::JoinHandle;
use ::axum::routing::get;
use ::axum::Router;
use ::hyper::body::Bytes;
use ::hyper::client::conn::http2;
use ::hyper::{Request, Version};
use futures::channel::{mpsc, oneshot};
use futures::{AsyncReadExt, AsyncWriteExt, FutureExt, StreamExt};
use http_body_util::{BodyExt, Empty};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// How long a test may take before it counts as hung.
const WATCHDOG: Duration = Duration::from_secs(60);

/// Runs a test's body on a fresh runtime, failing it if it hangs.
fn run_within<F: Future>(test: F) -> F::Output {
    crate::run(async { crate::timeout(WATCHDOG, test).await.expect("the test hung") })
}

/// An app whose `/` answers "hello" at once and whose `/slow` answers "done" once the
/// test releases it, telling the test when a slow request has started.
struct SlowApp {
    router: Router,
    entered: mpsc::UnboundedReceiver<()>,
    release: oneshot::Sender<()>,
}

fn slow_app() -> SlowApp {
    let (entered_tx, entered) = mpsc::unbounded::<()>();
    let (release, released) = oneshot::channel::<()>();
    let released = released.shared();
    let slow = move || {
        let entered_tx = entered_tx.clone();
        let released = released.clone();
        async move {
            entered_tx.unbounded_send(()).expect("the test waits");
            released.await.expect("the test releases the request");
            "done"
        }
    };
    let router = Router::new()
        .route("/", get(|| async { "hello" }))
        .route("/slow", get(slow));
    SlowApp {
        router,
        entered,
        release,
    }
}

/// A server on a local port, in a task, shut down gracefully by `stop`.
struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    server: JoinHandle<io::Result<()>>,
}

async fn start(router: Router) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("an address");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = crate::spawn(async move {
        let signal = async move { stopped.await.expect("the test stops the server") };
        serve(listener, router).with_graceful_shutdown(signal).await
    });
    Running { addr, stop, server }
}

/// An HTTP/2 client with prior knowledge: its request sender, and its connection's task.
async fn http2_client(
    addr: SocketAddr,
) -> (
    http2::SendRequest<Empty<Bytes>>,
    JoinHandle<::hyper::Result<()>>,
) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (sender, connection) = http2::handshake(Executor::new(), Io::new(stream))
        .await
        .expect("an HTTP/2 handshake");
    (sender, crate::spawn(connection))
}

/// GETs `path` over HTTP/2: the body, once the response is known to be HTTP/2's.
async fn get_http2(sender: &mut http2::SendRequest<Empty<Bytes>>, path: &str) -> String {
    let request = Request::get(format!("http://localhost{path}"))
        .body(Empty::new())
        .expect("a request");
    let response = sender.send_request(request).await.expect("a response");
    assert_eq!(response.version(), Version::HTTP_2);
    assert!(response.status().is_success(), "{}", response.status());
    let body = response.into_body().collect().await.expect("a body");
    String::from_utf8(body.to_bytes().to_vec()).expect("the body is text")
}

/// Reads from `stream` until what it read ends with `end`.
async fn read_until(stream: &mut TcpStream, end: &str) -> String {
    let mut read = Vec::new();
    let mut chunk = [0; 1024];
    while !read.ends_with(end.as_bytes()) {
        let n = stream.read(&mut chunk).await.expect("the server answers");
        assert!(n > 0, "the server closed before {end:?}");
        read.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(read).expect("the response is text")
}

/// Stops the server and waits for it; then nothing listens on its port.
async fn stop(running: Running) {
    running
        .stop
        .send(())
        .expect("the server waits for the signal");
    running
        .server
        .await
        .expect("the server task")
        .expect("the server");
    assert!(
        TcpStream::connect(running.addr).await.is_err(),
        "the listener is closed"
    );
}

/// One port serves an HTTP/1.1 client and an HTTP/2 one (prior knowledge), each in its
/// own protocol.
#[test]
fn serves_http1_and_http2_on_one_port() {
    run_within(async {
        let running = start(slow_app().router).await;

        let mut http1 = TcpStream::connect(running.addr).await.expect("connect");
        http1
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .expect("write");
        let mut response = String::new();
        http1
            .read_to_string(&mut response)
            .await
            .expect("the server answers and closes");
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        assert!(response.ends_with("hello"), "{response}");

        let (mut sender, connection) = http2_client(running.addr).await;
        assert_eq!(get_http2(&mut sender, "/").await, "hello");
        assert_eq!(get_http2(&mut sender, "/").await, "hello", "keep-alive");

        stop(running).await;
        drop(sender);
        connection.await.expect("the client task").expect("closed");
    });
}

/// On the signal the listener closes, an idle keep-alive connection closes at once,
/// and a request in flight is answered, and its connection closed, before the server
/// returns.
#[test]
fn graceful_shutdown_finishes_requests_in_flight() {
    run_within(async {
        let mut app = slow_app();
        let running = start(app.router).await;

        let mut idle = TcpStream::connect(running.addr).await.expect("connect");
        idle.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .expect("write");
        read_until(&mut idle, "hello").await;
        let mut busy = TcpStream::connect(running.addr).await.expect("connect");
        busy.write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .expect("write");
        app.entered.next().await.expect("the slow request started");

        let Running { addr, stop, server } = running;
        stop.send(()).expect("the server waits for the signal");
        let mut rest = Vec::new();
        idle.read_to_end(&mut rest)
            .await
            .expect("the idle connection closes");
        assert!(rest.is_empty(), "nothing more on the idle connection");
        assert!(!server.is_finished(), "a request is still in flight");

        app.release.send(()).expect("the slow request waits");
        let response = read_until(&mut busy, "done").await;
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        let mut rest = Vec::new();
        busy.read_to_end(&mut rest)
            .await
            .expect("the busy connection closes");
        assert!(rest.is_empty(), "nothing more on the busy connection");
        server.await.expect("the server task").expect("the server");
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "the listener is closed"
        );
    });
}

/// HTTP/2's graceful shutdown: on the signal an idle connection is closed (GOAWAY), and
/// one with a stream in flight answers it before it closes and the server returns.
#[test]
fn graceful_shutdown_finishes_http2_streams_in_flight() {
    run_within(async {
        let mut app = slow_app();
        let running = start(app.router).await;

        let (mut idle, idle_connection) = http2_client(running.addr).await;
        assert_eq!(get_http2(&mut idle, "/").await, "hello");
        let (mut busy, busy_connection) = http2_client(running.addr).await;
        let in_flight = crate::spawn(async move { get_http2(&mut busy, "/slow").await });
        app.entered.next().await.expect("the slow request started");

        let Running { addr, stop, server } = running;
        stop.send(()).expect("the server waits for the signal");
        // The client still holds `idle`'s sender: the server closed the connection.
        idle_connection
            .await
            .expect("the idle client task")
            .expect("the idle connection closes cleanly");
        assert!(!server.is_finished(), "a stream is still in flight");

        app.release.send(()).expect("the slow request waits");
        assert_eq!(in_flight.await.expect("the request task"), "done");
        busy_connection
            .await
            .expect("the busy client task")
            .expect("the busy connection closes cleanly");
        server.await.expect("the server task").expect("the server");
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "the listener is closed"
        );
        drop(idle);
    });
}

/// Set in the child process that [`serves_after_running_out_of_descriptors`] starts.
#[cfg(unix)]
const EMFILE_CHILD: &str = "CORUN_AXUM_EMFILE_CHILD";

/// Out of file descriptors the server neither fails nor spins on: accepting fails with
/// `EMFILE`, the server backs off, and once descriptors are free again it accepts the
/// connection that waited in the backlog and serves it. Over a Unix socket, whose
/// `connect` queues the connection before it returns, so the accept certainly finds it.
/// It runs in a child process (this test binary, filtered to this test), since it
/// lowers the process's descriptor limit.
#[cfg(unix)]
#[test]
fn serves_after_running_out_of_descriptors() {
    use crate::net::{UnixListener, UnixStream};
    use futures::future::{self, Either};
    use std::fs::File;
    use std::future::IntoFuture;
    use std::pin::pin;

    if std::env::var_os(EMFILE_CHILD).is_none() {
        return run_in_child("serves_after_running_out_of_descriptors");
    }
    // A thread, since a server that spins on EMFILE never returns from a poll.
    std::thread::spawn(|| {
        std::thread::sleep(WATCHDOG);
        eprintln!("serves_after_running_out_of_descriptors hung");
        std::process::exit(2);
    });
    run_within(async {
        let path = std::env::temp_dir().join(format!("corun-emfile-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("bind");
        let mut server = pin!(serve(listener, slow_app().router).into_future());

        let mut spare = exhaust_descriptors();
        drop(spare.pop()); // one descriptor, for the client
        let mut client = UnixStream::connect(&path).await.expect("connect");
        let full = File::open("/dev/null").expect_err("no descriptor is left");
        assert_eq!(full.raw_os_error(), Some(libc::EMFILE), "{full}");
        client
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .expect("write");

        // Its first poll tries to accept the waiting connection, and gets EMFILE.
        assert!(
            futures::poll!(server.as_mut()).is_pending(),
            "the server survives EMFILE"
        );
        drop(spare);
        let mut response = String::new();
        match future::select(server, pin!(client.read_to_string(&mut response))).await {
            Either::Left((served, _)) => panic!("the server returned: {served:?}"),
            Either::Right((read, _)) => read.expect("the server answers and closes"),
        };
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        assert!(response.ends_with("hello"), "{response}");
        std::fs::remove_file(&path).expect("the socket file is there");
    });
}

/// Runs the test `name` of this module alone in a child process of this test binary,
/// with [`EMFILE_CHILD`] set, and checks that it ran and passed.
#[cfg(unix)]
fn run_in_child(name: &str) {
    let (_crate, module) = module_path!()
        .split_once("::")
        .expect("a module inside the crate");
    let test = format!("{module}::{name}");
    let output = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([test.as_str(), "--exact", "--test-threads=1"])
        .env(EMFILE_CHILD, "1")
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{test} failed in the child:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Lowers the soft limit on open files to a few above the lowest free descriptor, then
/// opens `/dev/null` until none is left: the files, whose drop gives them back.
#[cfg(unix)]
fn exhaust_descriptors() -> Vec<std::fs::File> {
    use std::os::fd::AsRawFd;

    let lowest_free = std::fs::File::open("/dev/null")
        .expect("a descriptor")
        .as_raw_fd();
    lower_descriptor_limit(u64::try_from(lowest_free).expect("descriptors are positive") + 16);
    let mut files = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(file) => files.push(file),
            Err(error) if error.raw_os_error() == Some(libc::EMFILE) => return files,
            Err(error) => panic!("opening /dev/null: {error}"),
        }
    }
}

/// Lowers this process's soft limit on open files to `to`, if it is higher.
#[cfg(unix)]
#[allow(unsafe_code, clippy::unnecessary_cast)] // `rlim_t` is not `u64` on every target.
fn lower_descriptor_limit(to: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit.
    let got = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(got, 0, "getrlimit: {}", io::Error::last_os_error());
    limit.rlim_cur = limit.rlim_cur.min(to as libc::rlim_t);
    // SAFETY: `limit` is a valid rlimit whose soft limit does not exceed its hard one.
    let set = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(set, 0, "setrlimit: {}", io::Error::last_os_error());
}
