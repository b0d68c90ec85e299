//! hyper 1.x on corun: the runtime pieces hyper asks for, [`Executor`], [`Timer`] and
//! [`Io`]. hyper-util's `TokioExecutor`, `TokioTimer` and `TokioIo`, for corun.
//!
//! hyper owns no runtime: it spawns background work through an [`Executor`] (HTTP/2
//! streams, a client's connection tasks), measures timeouts with a [`Timer`] (an HTTP/1
//! server's header-read timeout, keep-alive pings) and reads and writes through its own
//! [`Read`](hyper::rt::Read) and [`Write`](hyper::rt::Write) traits. corun's sockets
//! implement the `futures-io` traits, so [`Io`] converts between the two.
//!
//! - [`Executor`] spawns on the runtime it was created in, from any thread.
//! - [`Timer`] hands out corun's own [`Sleep`](crate::Sleep), which implements hyper's
//!   [`Sleep`](hyper::rt::Sleep) trait: a reset moves the same timer entry instead of
//!   allocating a new one (hyper resets the header-read timeout on every request). It
//!   reads the runtime's clock, so hyper's timeouts follow a
//!   [paused](crate::time::pause) clock in tests.
//! - [`Io`] turns a `futures-io` reader or writer into a hyper one (serve a
//!   [`TcpStream`](crate::net::TcpStream) with it), and a hyper one, such as an upgraded
//!   connection, back into a `futures-io` one.
//!
//! hyper hands a reader uninitialized memory, which a `futures-io` reader may not be
//! given. Zeroing all of hyper's buffer (8 KiB and up) for every read, including the one
//! that finds the socket empty, showed up in profiles of a hello-world server at 4 % of
//! the samples, and zeroing 2 KiB still at 1 to 2 %. So [`Io`] reads small ones (most
//! requests) into a 2 KiB buffer of its own, zeroed once, and copies only the bytes read
//! into hyper's; once a read fills that, it reads into hyper's buffer directly, zeroing
//! the part it passes on, sized to what the reads have been returning: doubling while
//! reads fill it, up to 16 KiB, and halving after a read that fills less than half, back
//! to the small buffer. A big upload still reads 16 KiB a system call. Telling hyper how
//! many bytes a direct read filled is the one `unsafe` block of the module.
//!
//! An HTTP/1.1 server: every connection is a task, served until the client hangs up.
//!
//! ```no_run
//! use corun::hyper::{Io, Timer};
//! use http_body_util::Full;
//! use hyper::body::{Bytes, Incoming};
//! use hyper::server::conn::http1;
//! use hyper::service::service_fn;
//! use hyper::{Request, Response};
//! use std::convert::Infallible;
//!
//! async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from("Hello, World!"))))
//! }
//!
//! async fn serve(addr: &str) -> std::io::Result<()> {
//!     let listener = corun::net::TcpListener::bind(addr).await?;
//!     loop {
//!         let (stream, _peer) = listener.accept().await?;
//!         let connection = http1::Builder::new()
//!             .timer(Timer::new())
//!             .serve_connection(Io::new(stream), service_fn(hello));
//!         // Detached: the task runs on after its handle is dropped.
//!         drop(corun::spawn(async move {
//!             if let Err(error) = connection.await {
//!                 eprintln!("connection failed: {error}");
//!             }
//!         }));
//!     }
//! }
//!
//! fn main() -> std::io::Result<()> {
//!     corun::run(serve("127.0.0.1:3000"))
//! }
//! ```
#![deny(unsafe_code)]

mod io;

pub use self::io::Io;

use crate::Handle;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// Spawns hyper's background futures as corun tasks: `hyper::rt::Executor` for corun.
///
/// It holds a [`Handle`] to the runtime it was created in, so hyper may call it from any
/// thread. Each future is spawned detached, as hyper expects.
///
/// ```
/// use corun::hyper::Executor;
/// use futures::channel::oneshot;
///
/// corun::run(async {
///     let executor = Executor::new();
///     let (done, finished) = oneshot::channel();
///     hyper::rt::Executor::execute(&executor, async move { done.send(42).unwrap() });
///     assert_eq!(finished.await.unwrap(), 42);
/// });
/// ```
#[derive(Clone, Debug)]
pub struct Executor {
    handle: Handle,
}

impl Executor {
    /// An executor spawning onto the current runtime.
    ///
    /// # Panics
    /// Outside a corun runtime, as [`Handle::current`]; use [`Executor::with_handle`]
    /// there.
    ///
    /// ```
    /// corun::run(async {
    ///     let _executor = corun::hyper::Executor::new();
    /// });
    /// ```
    pub fn new() -> Executor {
        Executor::with_handle(Handle::current())
    }

    /// An executor spawning onto `handle`'s runtime.
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// let _executor = corun::hyper::Executor::with_handle(rt.handle().clone());
    /// ```
    pub fn with_handle(handle: Handle) -> Executor {
        Executor { handle }
    }
}

impl Default for Executor {
    /// [`Executor::new`].
    ///
    /// # Panics
    /// Outside a corun runtime.
    fn default() -> Executor {
        Executor::new()
    }
}

impl<F> hyper::rt::Executor<F> for Executor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        // Dropping the JoinHandle detaches the task.
        drop(self.handle.spawn(future));
    }
}

/// hyper's timeouts on corun's timer wheel: `hyper::rt::Timer` for corun.
///
/// Its sleeps are corun [`Sleep`](crate::Sleep)s on the runtime it was created in, and
/// [`now`](hyper::rt::Timer::now) reads that runtime's clock (see
/// [`corun::time`](crate::time)), so hyper's deadlines and corun's agree even while the
/// clock is paused. A reset of one of its sleeps moves the sleep's timer entry in place.
///
/// ```
/// use corun::hyper::Timer;
/// use std::time::{Duration, Instant};
///
/// corun::run(async {
///     let timer = Timer::new();
///     let start = Instant::now();
///     let mut sleep = hyper::rt::Timer::sleep(&timer, Duration::from_secs(3_600));
///     hyper::rt::Timer::reset(&timer, &mut sleep, start + Duration::from_millis(5));
///     sleep.await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
#[derive(Clone, Debug)]
pub struct Timer {
    handle: Handle,
}

impl Timer {
    /// A timer on the current runtime.
    ///
    /// # Panics
    /// Outside a corun runtime, as [`Handle::current`]; use [`Timer::with_handle`] there.
    ///
    /// ```
    /// corun::run(async {
    ///     let mut builder = hyper::server::conn::http1::Builder::new();
    ///     builder.timer(corun::hyper::Timer::new());
    /// });
    /// ```
    pub fn new() -> Timer {
        Timer::with_handle(Handle::current())
    }

    /// A timer on `handle`'s runtime.
    ///
    /// ```
    /// let rt = corun::Runtime::new().unwrap();
    /// let _timer = corun::hyper::Timer::with_handle(rt.handle().clone());
    /// ```
    pub fn with_handle(handle: Handle) -> Timer {
        Timer { handle }
    }
}

impl Default for Timer {
    /// [`Timer::new`].
    ///
    /// # Panics
    /// Outside a corun runtime.
    fn default() -> Timer {
        Timer::new()
    }
}

impl hyper::rt::Timer for Timer {
    // Each with the handle this timer holds: no look-up of the thread's runtime (hyper
    // asks for the time and a sleep on every request).
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let deadline = crate::timer::after(crate::timer::clock_now(&self.handle), duration);
        Box::pin(crate::Sleep::new(self.handle.clone(), deadline))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(crate::Sleep::new(self.handle.clone(), deadline))
    }

    fn now(&self) -> Instant {
        crate::timer::clock_now(&self.handle)
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<crate::Sleep>() {
            Some(ours) => ours.reset(new_deadline),
            // Not one of ours (another timer made it): start a new one.
            None => *sleep = hyper::rt::Timer::sleep_until(self, new_deadline),
        }
    }
}

/// corun's sleep is hyper's: `Send + Sync`, completing at its deadline, and found again by
/// [`Timer::reset`](hyper::rt::Timer::reset) through hyper's downcast.
impl hyper::rt::Sleep for crate::Sleep {}

#[cfg(test)]
mod tests {
    use super::Timer;
    use hyper::rt::Timer as _;
    use std::pin::Pin;
    use std::time::{Duration, Instant};

    /// A reset moves the timer's own sleep in place, and replaces a foreign one with one
    /// of its own.
    #[test]
    fn reset_reuses_its_own_sleeps() {
        crate::run(async {
            let timer = Timer::new();
            let mut sleep = timer.sleep(Duration::from_secs(3_600));
            let before: *const () = std::ptr::from_ref(&*sleep).cast();
            let soon = Instant::now() + Duration::from_millis(2);
            timer.reset(&mut sleep, soon);
            let after: *const () = std::ptr::from_ref(&*sleep).cast();
            assert_eq!(before, after, "the same allocation");
            let ours = sleep.as_mut().downcast_mut_pin::<crate::Sleep>();
            assert_eq!(ours.expect("a corun sleep").deadline(), soon);
            sleep.await;

            let mut foreign: Pin<Box<dyn hyper::rt::Sleep>> = Box::pin(Foreign);
            timer.reset(&mut foreign, soon);
            assert!(foreign
                .as_mut()
                .downcast_mut_pin::<crate::Sleep>()
                .is_some());
        });
    }

    /// hyper's deadlines are on the runtime's clock, paused or not.
    #[test]
    fn now_follows_a_paused_clock() {
        let rt = crate::Runtime::builder()
            .worker_threads(1)
            .start_paused(true)
            .build()
            .expect("a runtime");
        rt.block_on(async {
            let timer = Timer::new();
            let start = timer.now();
            timer.sleep(Duration::from_secs(3_600)).await;
            assert_eq!(timer.now() - start, Duration::from_secs(3_600));
        });
    }

    /// A sleep some other timer made.
    struct Foreign;

    impl std::future::Future for Foreign {
        type Output = ();

        fn poll(self: Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
            std::task::Poll::Ready(())
        }
    }

    impl hyper::rt::Sleep for Foreign {}
}
