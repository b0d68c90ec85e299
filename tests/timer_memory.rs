//! A million pending sleeps: what each costs, and that the memory comes back when they are
//! dropped. Its own test binary, because it counts every allocation of the process.
#![allow(clippy::disallowed_types)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicIsize, Ordering::SeqCst};
use std::task::Poll;
use std::time::Duration;

struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts sizes on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, SeqCst);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, SeqCst);
        // SAFETY: `ptr` was allocated by `System` with `layout` (we forward every alloc).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SLEEPS: usize = 1_000_000;

#[test]
fn a_million_pending_sleeps_are_cheap_and_give_their_memory_back() {
    let rt = corun::Runtime::builder().worker_threads(1).build().unwrap();
    rt.block_on(async {
        let before = LIVE_BYTES.load(SeqCst);
        let mut sleeps: Vec<corun::Sleep> = (0..SLEEPS)
            .map(|i| corun::sleep(Duration::from_secs(3_600) + Duration::from_millis(i as u64)))
            .collect();
        let created = LIVE_BYTES.load(SeqCst);
        // First poll: each registers with the timer.
        poll_fn(|cx| {
            for sleep in &mut sleeps {
                assert!(Pin::new(sleep).poll(cx).is_pending());
            }
            Poll::Ready(())
        })
        .await;
        let registered = LIVE_BYTES.load(SeqCst);
        let in_future = (created - before) as f64 / SLEEPS as f64;
        let in_timer = (registered - created) as f64 / SLEEPS as f64;
        eprintln!(
            "per pending sleep: {in_future:.1} bytes in the Sleep itself, \
             {in_timer:.1} bytes in the timer wheel"
        );
        assert!(
            in_timer > 0.0 && in_timer < 256.0,
            "{in_timer} bytes per entry"
        );

        drop(sleeps);
        let after = LIVE_BYTES.load(SeqCst);
        // The wheel keeps a small slab per shard for reuse; everything else comes back.
        assert!(
            after - before < 1 << 20,
            "{} bytes still held after dropping every sleep",
            after - before
        );
    });
}
