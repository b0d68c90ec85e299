//! The real types, used by every normal build, behind thin newtypes: `clippy.toml` bans
//! the underlying types everywhere else, and a newtype is what lets the ban see the
//! difference between "through the shim" and "direct".
#![allow(clippy::disallowed_types)]

pub(crate) use std::sync::Arc;

pub(crate) mod atomic {
    #![allow(clippy::disallowed_types)]
    pub(crate) use std::sync::atomic::{fence, Ordering};

    #[derive(Debug, Default)]
    pub(crate) struct AtomicBool(std::sync::atomic::AtomicBool);

    impl AtomicBool {
        pub(crate) const fn new(value: bool) -> Self {
            Self(std::sync::atomic::AtomicBool::new(value))
        }
        #[inline]
        pub(crate) fn load(&self, order: Ordering) -> bool {
            self.0.load(order)
        }
        #[inline]
        pub(crate) fn store(&self, value: bool, order: Ordering) {
            self.0.store(value, order)
        }
        #[inline]
        pub(crate) fn compare_exchange(
            &self,
            current: bool,
            new: bool,
            success: Ordering,
            failure: Ordering,
        ) -> Result<bool, bool> {
            self.0.compare_exchange(current, new, success, failure)
        }
    }

    #[derive(Debug)]
    pub(crate) struct AtomicPtr<T>(std::sync::atomic::AtomicPtr<T>);

    impl<T> AtomicPtr<T> {
        pub(crate) const fn new(value: *mut T) -> Self {
            Self(std::sync::atomic::AtomicPtr::new(value))
        }
        #[inline]
        pub(crate) fn load(&self, order: Ordering) -> *mut T {
            self.0.load(order)
        }
        #[inline]
        pub(crate) fn swap(&self, value: *mut T, order: Ordering) -> *mut T {
            self.0.swap(value, order)
        }
    }

    #[derive(Debug, Default)]
    pub(crate) struct AtomicU64(std::sync::atomic::AtomicU64);

    impl AtomicU64 {
        pub(crate) const fn new(value: u64) -> Self {
            Self(std::sync::atomic::AtomicU64::new(value))
        }
        #[inline]
        pub(crate) fn load(&self, order: Ordering) -> u64 {
            self.0.load(order)
        }
        #[inline]
        pub(crate) fn store(&self, value: u64, order: Ordering) {
            self.0.store(value, order)
        }
        #[inline]
        pub(crate) fn swap(&self, value: u64, order: Ordering) -> u64 {
            self.0.swap(value, order)
        }
        #[inline]
        pub(crate) fn fetch_min(&self, value: u64, order: Ordering) -> u64 {
            self.0.fetch_min(value, order)
        }
        #[inline]
        pub(crate) fn fetch_add(&self, value: u64, order: Ordering) -> u64 {
            self.0.fetch_add(value, order)
        }
        #[inline]
        pub(crate) fn fetch_sub(&self, value: u64, order: Ordering) -> u64 {
            self.0.fetch_sub(value, order)
        }
    }

    #[derive(Debug, Default)]
    pub(crate) struct AtomicUsize(std::sync::atomic::AtomicUsize);

    impl AtomicUsize {
        pub(crate) const fn new(value: usize) -> Self {
            Self(std::sync::atomic::AtomicUsize::new(value))
        }
        #[inline]
        pub(crate) fn load(&self, order: Ordering) -> usize {
            self.0.load(order)
        }
        #[inline]
        pub(crate) fn store(&self, value: usize, order: Ordering) {
            self.0.store(value, order)
        }
        #[inline]
        pub(crate) fn swap(&self, value: usize, order: Ordering) -> usize {
            self.0.swap(value, order)
        }
        #[inline]
        pub(crate) fn compare_exchange(
            &self,
            current: usize,
            new: usize,
            success: Ordering,
            failure: Ordering,
        ) -> Result<usize, usize> {
            self.0.compare_exchange(current, new, success, failure)
        }
        #[inline]
        pub(crate) fn compare_exchange_weak(
            &self,
            current: usize,
            new: usize,
            success: Ordering,
            failure: Ordering,
        ) -> Result<usize, usize> {
            self.0.compare_exchange_weak(current, new, success, failure)
        }
        #[inline]
        pub(crate) fn fetch_add(&self, value: usize, order: Ordering) -> usize {
            self.0.fetch_add(value, order)
        }
        #[inline]
        pub(crate) fn fetch_sub(&self, value: usize, order: Ordering) -> usize {
            self.0.fetch_sub(value, order)
        }
        #[inline]
        pub(crate) fn fetch_or(&self, value: usize, order: Ordering) -> usize {
            self.0.fetch_or(value, order)
        }
        #[inline]
        pub(crate) fn fetch_and(&self, value: usize, order: Ordering) -> usize {
            self.0.fetch_and(value, order)
        }
        #[inline]
        pub(crate) fn fetch_xor(&self, value: usize, order: Ordering) -> usize {
            self.0.fetch_xor(value, order)
        }
    }
}

/// `parking_lot::Mutex`.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(parking_lot::Mutex<T>);

pub(crate) type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

impl<T> Mutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(parking_lot::const_mutex(value))
    }

    #[inline]
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock()
    }

    /// The lock if nobody holds it. (Only the I/O driver, which loom does not model, uses
    /// it.)
    #[inline]
    pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.0.try_lock()
    }
}

/// `parking_lot::Condvar`.
#[derive(Debug, Default)]
pub(crate) struct Condvar(parking_lot::Condvar);

impl Condvar {
    pub(crate) const fn new() -> Self {
        Self(parking_lot::Condvar::new())
    }

    pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        self.0.wait(guard);
    }

    pub(crate) fn notify_one(&self) -> bool {
        self.0.notify_one()
    }

    pub(crate) fn notify_all(&self) -> usize {
        self.0.notify_all()
    }
}

/// Waits on `condvar` for at most `timeout` (or until notified, or spuriously). Returns
/// true if the wait timed out.
pub(crate) fn wait_timeout<T>(
    condvar: &Condvar,
    guard: &mut MutexGuard<'_, T>,
    timeout: std::time::Duration,
) -> bool {
    condvar.0.wait_for(guard, timeout).timed_out()
}

pub(crate) mod deque {
    //! `crossbeam-deque`, re-wrapped so the loom mock can stand in for it.
    #![allow(clippy::disallowed_types)]
    pub(crate) use crossbeam_deque::Steal;

    #[derive(Debug)]
    pub(crate) struct Worker<T>(crossbeam_deque::Worker<T>);
    #[derive(Debug)]
    pub(crate) struct Stealer<T>(crossbeam_deque::Stealer<T>);
    #[derive(Debug)]
    pub(crate) struct Injector<T>(crossbeam_deque::Injector<T>);

    impl<T> Worker<T> {
        pub(crate) fn new_fifo() -> Self {
            Self(crossbeam_deque::Worker::new_fifo())
        }
        pub(crate) fn stealer(&self) -> Stealer<T> {
            Stealer(self.0.stealer())
        }
        #[inline]
        pub(crate) fn push(&self, value: T) {
            self.0.push(value);
        }
        #[inline]
        pub(crate) fn pop(&self) -> Option<T> {
            self.0.pop()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }
    }

    impl<T> Stealer<T> {
        #[inline]
        pub(crate) fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
            self.0.steal_batch_and_pop(&dest.0)
        }
        #[inline]
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }
    }

    impl<T> Injector<T> {
        pub(crate) fn new() -> Self {
            Self(crossbeam_deque::Injector::new())
        }
        #[inline]
        pub(crate) fn push(&self, value: T) {
            self.0.push(value);
        }
        #[inline]
        pub(crate) fn steal(&self) -> Steal<T> {
            self.0.steal()
        }
        #[inline]
        pub(crate) fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
            self.0.steal_batch_and_pop(&dest.0)
        }
        #[inline]
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }
    }
}

pub(crate) mod thread {
    pub(crate) use std::thread::{current, yield_now, Builder, JoinHandle};
}

/// `std::thread_local!` (loom's under `corun_loom`: one value per loom thread).
pub(crate) use std::thread::LocalKey;
pub(crate) use std::thread_local;

/// `std::cell::UnsafeCell` behind loom's closure-based API, so the same code checks under
/// loom that no two threads touch a cell at once.
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
