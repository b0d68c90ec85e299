//! A global allocator that counts the bytes live in the process, for the binaries that
//! measure memory (`tests/leak.rs`, `tests/memory.rs`, `benches/memory.rs`). Each declares
//! `#[global_allocator] static ALLOCATOR: Counting = Counting;` itself, and is a binary of
//! its own, with a single test, because the count covers every allocation of the process.
#![allow(clippy::disallowed_types)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::SeqCst};

pub struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

/// Bytes allocated and not yet freed, by every thread.
pub fn live_bytes() -> isize {
    LIVE_BYTES.load(SeqCst)
}

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
