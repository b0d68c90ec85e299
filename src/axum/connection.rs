//! One connection, served to its end by hyper-util's `auto` server, the one
//! `axum::serve` uses: it reads the first bytes and speaks HTTP/2 if they are HTTP/2's
//! connection preface, HTTP/1.1 otherwise.
//!
//! HTTP/2 is on because axum's `serve` has it on: a client may speak HTTP/2 over plain
//! TCP from its first byte ("prior knowledge", h2c: gRPC clients, proxies such as
//! Envoy talking to their backends, `curl --http2-prior-knowledge`), and an app moved
//! from tokio keeps serving them. The HTTP/1.1 `Upgrade: h2c` dance is not supported
//! (nor is it by hyper or axum). As in axum, HTTP/2's extended CONNECT (RFC 8441,
//! WebSockets over HTTP/2) is on.
//!
//! Both protocols get corun's [`Timer`]: HTTP/1's 30 s header-read timeout runs on it.
//! The `auto` server reads the first bytes before it knows the protocol, and that first
//! read has no timeout, in axum too.

use super::graceful::Watcher;
use crate::hyper::{Executor, Io, Timer};
use ::axum::Router;
use futures_io::{AsyncRead, AsyncWrite};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::future::{poll_fn, Future};
use std::pin::pin;

/// The server's settings, made once per server and cloned into each connection: both
/// protocols on corun's timer, HTTP/2's streams spawned as corun tasks.
pub(super) fn builder() -> Builder<Executor> {
    let timer = Timer::new();
    let mut builder = Builder::new(Executor::new());
    builder.http1().timer(timer.clone());
    builder.http2().timer(timer).enable_connect_protocol();
    builder
}

/// Serves one connection to its end, starting hyper's graceful shutdown when the
/// watcher says so: an HTTP/1 connection finishes the request it is serving, an HTTP/2
/// one sends GOAWAY and finishes its open streams, and one whose protocol is not known
/// yet closes.
pub(super) async fn serve<I>(
    builder: Builder<Executor>,
    io: I,
    router: Router,
    mut watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connection =
        builder.serve_connection_with_upgrades(Io::new(io), TowerToHyperService::new(router));
    let mut connection = pin!(connection);
    let mut shutting_down = false;
    let served = poll_fn(|cx| {
        if !shutting_down && watcher.poll_shutdown(cx).is_ready() {
            connection.as_mut().graceful_shutdown();
            shutting_down = true;
        }
        connection.as_mut().poll(cx)
    })
    .await;
    // An error is the client's doing (it hung up mid-request, sent garbage, timed out):
    // the connection is over either way, and there is nobody to report it to.
    drop(served);
}
