//! The loom shim: every atomic, cell, lock, queue, thread spawn and thread-local corun
//! uses.
//!
//! This module is the only place that switches on `cfg(corun_loom)`. In a normal build it
//! re-exports `std`, `parking_lot` and `crossbeam-deque`; in a loom build it re-exports
//! `loom`'s instrumented types and small mocks with the same API, so that the models in
//! `loom-tests/` explore corun's own protocols around them. Direct use of the real types
//! elsewhere is banned by `clippy.toml` (`disallowed-types`).
//!
//! The std side mirrors loom's API where the two differ (`UnsafeCell::with_mut`,
//! `Mutex::lock` returning a guard directly).
//!
//! Thread-locals go through `thread_local!` here: loom runs all of a model's threads on
//! one OS thread, so a `std` thread-local would be shared by them, while loom's gives each
//! loom thread its own. `ScopedKey` (`scoped_thread_local!`) is the `scoped-tls` crate's
//! idea rebuilt on it: a thread-local reference to a value lent for a closure's duration.

#[cfg(not(corun_loom))]
mod std_impl;
#[cfg(not(corun_loom))]
pub(crate) use std_impl::*;

#[cfg(corun_loom)]
mod loom_impl;
#[cfg(corun_loom)]
pub(crate) use loom_impl::*;

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr;

/// A thread-local reference to a value lent for the duration of a closure, as the
/// `scoped-tls` crate's `ScopedKey`, but over the shim's `thread_local!`, so that under
/// loom each loom thread has its own. Declared with [`scoped_thread_local!`].
///
/// The cell holds null, or the value lent by the innermost [`ScopedKey::set`] still
/// running on this thread: `set` stores the pointer while it borrows the value and puts
/// the previous one back when it returns or unwinds. That is the invariant every read
/// relies on; the cell is reachable only through its key (the macro hides it).
pub(crate) struct ScopedKey<T> {
    inner: &'static LocalKey<Cell<*const ()>>,
    /// Neither owns nor shares a `T` across threads: `with` hands the value only to the
    /// thread that lent it.
    _marker: PhantomData<fn(&T)>,
}

impl<T> ScopedKey<T> {
    /// Use [`scoped_thread_local!`] instead.
    ///
    /// # Safety
    /// `inner` must start null and be used by this key only.
    #[doc(hidden)]
    pub(crate) const unsafe fn new(inner: &'static LocalKey<Cell<*const ()>>) -> Self {
        ScopedKey {
            inner,
            _marker: PhantomData,
        }
    }

    /// Lends `value` to [`with`](ScopedKey::with) on this thread while `f` runs.
    pub(crate) fn set<R>(&'static self, value: &T, f: impl FnOnce() -> R) -> R {
        /// Puts the previous value back, on unwind too.
        struct Reset {
            inner: &'static LocalKey<Cell<*const ()>>,
            prev: *const (),
        }
        impl Drop for Reset {
            fn drop(&mut self) {
                self.inner.with(|cell| cell.set(self.prev));
            }
        }
        let prev = self
            .inner
            .with(|cell| cell.replace(ptr::from_ref(value).cast()));
        let _reset = Reset {
            inner: self.inner,
            prev,
        };
        f()
    }

    /// Runs `f` with the value lent on this thread, or `None` outside every `set`: one
    /// thread-local read and a null check.
    #[inline]
    pub(crate) fn with<R>(&'static self, f: impl FnOnce(Option<&T>) -> R) -> R {
        let value = self.inner.with(Cell::get).cast::<T>();
        // SAFETY: by the invariant at the type, a non-null pointer was stored by a `set`
        // still running on this thread, which borrows the value (shared) until it
        // restores the cell: the value is alive and only shared borrows of it exist. `f`
        // takes the reference for any lifetime, so it cannot keep it past this call, which
        // returns before that `set` does. The cell is thread-local, so no other thread
        // reaches the value this way (`T` need not be `Sync`).
        f(unsafe { value.as_ref() })
    }
}

/// Declares a [`ScopedKey`]: `scoped_thread_local!(static NAME: Type);`.
macro_rules! scoped_thread_local {
    ($(#[$attr:meta])* static $name:ident: $ty:ty) => {
        $(#[$attr])*
        static $name: $crate::sync::ScopedKey<$ty> = {
            $crate::sync::thread_local! {
                static INNER: ::std::cell::Cell<*const ()> =
                    const { ::std::cell::Cell::new(::std::ptr::null()) };
            }
            // SAFETY: `INNER` starts null and, declared in this block, is reachable only
            // through this key.
            unsafe { $crate::sync::ScopedKey::new(&INNER) }
        };
    };
}
pub(crate) use scoped_thread_local;

/// Reserves `count` consecutive numbers, never handed out before in this process; the
/// first is returned (never 0). For ids that only need to be distinct: not a
/// synchronisation point, so it is the same plain atomic under loom.
pub(crate) fn reserve_unique(count: u64) -> u64 {
    #[allow(clippy::disallowed_types)]
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    // Relaxed: uniqueness needs only the atomicity of the RMW.
    NEXT.fetch_add(count, std::sync::atomic::Ordering::Relaxed)
}
