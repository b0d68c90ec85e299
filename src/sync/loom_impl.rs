//! loom's instrumented types, and mocks with the real API for what loom cannot see.

pub(crate) use loom::sync::Arc;

pub(crate) mod atomic {
    pub(crate) use loom::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering,
    };
}

pub(crate) use loom::cell::UnsafeCell;

/// `loom::sync::Mutex` with parking_lot's API (no poisoning).
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

/// A loom guard in an `Option`, so that `Condvar::wait` can take it by `&mut` as
/// parking_lot's does while loom's takes it by value; and its mutex, so that a timed wait
/// can let go of the lock and take it again.
#[derive(Debug)]
pub(crate) struct MutexGuard<'a, T>(
    Option<loom::sync::MutexGuard<'a, T>>,
    &'a loom::sync::Mutex<T>,
);

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        MutexGuard(Some(self.0.lock().expect("loom mutex poisoned")), &self.0)
    }
}

impl<T> std::ops::Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0
            .as_ref()
            .expect("guard is present outside Condvar::wait")
    }
}

impl<T> std::ops::DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0
            .as_mut()
            .expect("guard is present outside Condvar::wait")
    }
}

/// `loom::sync::Condvar` with parking_lot's API.
#[derive(Debug, Default)]
pub(crate) struct Condvar(loom::sync::Condvar);

impl Condvar {
    pub(crate) fn new() -> Self {
        Self(loom::sync::Condvar::new())
    }

    pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        let inner = guard
            .0
            .take()
            .expect("guard is present outside Condvar::wait");
        guard.0 = Some(self.0.wait(inner).expect("loom mutex poisoned"));
    }

    pub(crate) fn notify_one(&self) -> bool {
        self.0.notify_one();
        true
    }

    pub(crate) fn notify_all(&self) -> usize {
        self.0.notify_all();
        0
    }
}

/// loom does not model time, so a timed wait is modelled as the wait that ends by timing
/// out: it lets go of the lock, lets every other thread run (loom explores what they do
/// meanwhile, a notify included, which then finds no waiter), takes the lock again and
/// reports a timeout. Callers see both outcomes of a real timed wait: the condition they
/// wait for came true meanwhile, or it did not and the time ran out.
pub(crate) fn wait_timeout<T>(
    _condvar: &Condvar,
    guard: &mut MutexGuard<'_, T>,
    _timeout: std::time::Duration,
) -> bool {
    drop(
        guard
            .0
            .take()
            .expect("guard is present outside Condvar::wait"),
    );
    loom::thread::yield_now();
    guard.0 = Some(guard.1.lock().expect("loom mutex poisoned"));
    true
}

/// `loom::thread_local!`: loom runs a model's threads on one OS thread, so a std
/// thread-local would be shared by all of them; loom's gives each loom thread its own.
/// Accepts std's `const { .. }` initialiser too (loom's macro takes any expression but,
/// an edition-2018 macro, cannot match an inline `const` block), as an ordinary one.
macro_rules! loom_thread_local {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = const $init:block;) => {
        loom::thread_local!($(#[$attr])* $vis static $name: $t = $init;);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr;) => {
        loom::thread_local!($(#[$attr])* $vis static $name: $t = $init;);
    };
}
pub(crate) use loom::thread::LocalKey;
pub(crate) use loom_thread_local as thread_local;

/// crossbeam-deque, rebuilt from loom's atomics with crossbeam's orderings (see the file).
#[path = "loom_deque.rs"]
pub(crate) mod deque;

pub(crate) mod thread {
    pub(crate) use loom::thread::{current, yield_now, JoinHandle};

    /// `std::thread::Builder` with loom threads behind it (names and stack sizes are
    /// accepted and ignored).
    #[derive(Debug, Default)]
    pub(crate) struct Builder;

    impl Builder {
        pub(crate) fn new() -> Self {
            Self
        }
        pub(crate) fn name(self, _name: String) -> Self {
            self
        }
        pub(crate) fn stack_size(self, _size: usize) -> Self {
            self
        }
        pub(crate) fn spawn<F, T>(self, f: F) -> std::io::Result<JoinHandle<T>>
        where
            F: FnOnce() -> T + Send + 'static,
            T: Send + 'static,
        {
            Ok(loom::thread::spawn(f))
        }
    }
}
