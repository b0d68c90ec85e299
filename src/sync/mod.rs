//! The loom shim: every atomic, cell, lock, queue and thread spawn corun uses.
//!
//! This module is the only place that switches on `cfg(corun_loom)`. In a normal build it
//! re-exports `std`, `parking_lot` and `crossbeam-deque`; in a loom build it re-exports
//! `loom`'s instrumented types and small mocks with the same API, so that the models in
//! `loom-tests/` explore corun's own protocols around them. Direct use of the real types
//! elsewhere is banned by `clippy.toml` (`disallowed-types`).
//!
//! The std side mirrors loom's API where the two differ (`UnsafeCell::with_mut`,
//! `Mutex::lock` returning a guard directly).

#[cfg(not(corun_loom))]
mod std_impl;
#[cfg(not(corun_loom))]
pub(crate) use std_impl::*;

#[cfg(corun_loom)]
mod loom_impl;
#[cfg(corun_loom)]
pub(crate) use loom_impl::*;
