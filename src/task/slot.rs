//! `NotifiedSlot`: an atomic cell holding at most one [`Notified`], so that the task in it
//! can be taken by the thread that put it there or by another one (the LIFO slot, which a
//! worker may steal from a busy one).
//!
//! The cell holds a task pointer or null. Whoever swaps a pointer out owns that `Notified`
//! reference; each put and take is one `AcqRel` swap, so the taker sees everything the
//! putter did before it (the reference was published with the pointer).

use super::raw::{Header, RawTask};
use super::{Notified, Task};
use crate::sync::atomic::{AtomicPtr, Ordering::*};
use std::fmt;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

pub(crate) struct NotifiedSlot<S: 'static> {
    /// Null, or a task pointer whose `Notified` reference the slot owns.
    task: AtomicPtr<Header>,
    _scheduler: PhantomData<S>,
}

impl<S: 'static> NotifiedSlot<S> {
    pub(crate) fn new() -> NotifiedSlot<S> {
        NotifiedSlot {
            task: AtomicPtr::new(ptr::null_mut()),
            _scheduler: PhantomData,
        }
    }

    /// Puts `task` in, handing back the one it displaces.
    #[inline]
    pub(crate) fn put(&self, task: Notified<S>) -> Option<Notified<S>> {
        let raw = task.0.raw;
        std::mem::forget(task);
        // AcqRel: publishes the reference to whoever takes it, and acquires the one taken.
        let displaced = self.task.swap(raw.as_ptr().as_ptr(), AcqRel);
        // SAFETY: a non-null pointer in the slot is a `Notified<S>` reference the slot
        // owned, and the swap moved that ownership to us.
        unsafe { Self::claim(displaced) }
    }

    /// Takes the task out, if there is one.
    #[inline]
    pub(crate) fn take(&self) -> Option<Notified<S>> {
        // Relaxed: a hint, to skip the swap when empty; a task put in meanwhile is found by
        // the next take, or by whoever the putter notified.
        if self.task.load(Relaxed).is_null() {
            return None;
        }
        // AcqRel: pairs with the swap in `put`.
        let taken = self.task.swap(ptr::null_mut(), AcqRel);
        // SAFETY: as in `put`: the swap moved the slot's reference to us.
        unsafe { Self::claim(taken) }
    }

    /// True if a task is in the slot (a hint: it may be taken at any moment).
    #[inline]
    pub(crate) fn is_occupied(&self) -> bool {
        // Relaxed: a hint, as documented.
        !self.task.load(Relaxed).is_null()
    }

    /// # Safety
    /// `ptr` is null or a `Notified<S>` reference that the caller now owns.
    unsafe fn claim(ptr: *mut Header) -> Option<Notified<S>> {
        let ptr = NonNull::new(ptr)?;
        // SAFETY: the caller's contract: a live task the caller holds a reference to.
        let raw = unsafe { RawTask::from_raw(ptr) };
        Some(Notified(Task::from_raw(raw)))
    }
}

impl<S: 'static> Drop for NotifiedSlot<S> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

impl<S: 'static> fmt::Debug for NotifiedSlot<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifiedSlot")
            .field("occupied", &self.is_occupied())
            .finish()
    }
}
