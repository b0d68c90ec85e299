//! Helpers the `corun::net` tests share: a time limit that turns a hung body into a
//! failure naming it, and loopback listeners and pairs.

use corun::net::{TcpListener, TcpStream};
use std::future::Future;
use std::time::Duration;

/// How long any one body may run before it counts as hung.
pub const BODY_LIMIT: Duration = Duration::from_secs(30);

/// Awaits `future`, failing the test (not hanging it) if it takes longer than
/// [`BODY_LIMIT`].
pub async fn within<F: Future>(what: &str, future: F) -> F::Output {
    match corun::timeout(BODY_LIMIT, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: still running after {BODY_LIMIT:?}; it hangs"),
    }
}

/// A listener on a free loopback port.
pub async fn bind_local() -> TcpListener {
    TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0")
}

/// A connected (client, server-side) pair over loopback.
pub async fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = bind_local().await;
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = futures::join!(TcpStream::connect(addr), listener.accept());
    (client.expect("connect"), accepted.expect("accept").0)
}
