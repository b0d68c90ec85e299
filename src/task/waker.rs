//! The task's `Waker`: a pointer to the header whose clone takes a reference.

use super::raw::{Header, RawTask};
use super::state::Wake;
use crate::unwind::{self, UserCode};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::{self, NonNull};
use std::task::{RawWaker, RawWakerVTable, Waker};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake_by_val, wake_by_ref, drop_waker);

/// A waker borrowed from a reference the poller already holds: making it costs no atomic
/// operation, and only clones take a reference of their own.
pub(super) struct WakerRef<'a> {
    waker: ManuallyDrop<Waker>,
    _header: PhantomData<&'a Header>,
}

pub(super) fn waker_ref(header: &Header) -> WakerRef<'_> {
    let raw = RawWaker::new(NonNull::from(header).as_ptr().cast::<()>(), &VTABLE);
    // SAFETY: `VTABLE`'s functions uphold the `RawWaker` contract for task headers, and the
    // `ManuallyDrop` keeps this borrowed waker from releasing a reference it does not own.
    let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
    WakerRef {
        waker,
        _header: PhantomData,
    }
}

impl Deref for WakerRef<'_> {
    type Target = Waker;
    fn deref(&self) -> &Waker {
        &self.waker
    }
}

/// # Safety
/// `ptr` must come from `waker_ref` or `clone`, so it points to a live task header.
unsafe fn task(ptr: *const ()) -> RawTask {
    // SAFETY: the caller's contract; wakers are never made from a null pointer.
    unsafe { RawTask::from_raw(NonNull::new_unchecked(ptr.cast_mut().cast::<Header>())) }
}

unsafe fn clone(ptr: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned keeps the task alive while we take a new reference.
    unsafe { task(ptr) }.ref_inc();
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake_by_val(ptr: *const ()) {
    // SAFETY: this waker owns a reference, which the transition consumes or hands on.
    let task = unsafe { task(ptr) };
    match task.state().wake_by_val() {
        Wake::Submit => task.schedule(),
        // SAFETY: the transition released the last reference.
        Wake::Free => unsafe { task.dealloc() },
        Wake::Nothing => {}
    }
}

unsafe fn wake_by_ref(ptr: *const ()) {
    // SAFETY: the borrowed waker keeps the task alive; a submit takes its own reference.
    let task = unsafe { task(ptr) };
    match task.state().wake_by_ref() {
        Wake::Submit => task.schedule(),
        Wake::Free => unreachable!("wake_by_ref releases no reference"),
        Wake::Nothing => {}
    }
}

unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: this waker owns the reference it releases.
    unsafe { task(ptr) }.drop_reference();
}

/// True for the waker of a corun task: its wake and drop run no user code (they queue the
/// task or release a reference), so they need no unwind boundary.
#[inline]
fn is_task_waker(waker: &Waker) -> bool {
    ptr::eq(waker.vtable(), &VTABLE)
}

/// Wakes a waker corun did not make, or did: a foreign one behind the unwind boundary.
#[inline]
pub(crate) fn wake_any(waker: Waker) {
    if is_task_waker(&waker) {
        waker.wake();
    } else {
        unwind::call(UserCode::Wake, move || waker.wake());
    }
}

/// `wake_any` by reference.
#[inline]
pub(crate) fn wake_any_by_ref(waker: &Waker) {
    if is_task_waker(waker) {
        waker.wake_by_ref();
    } else {
        unwind::call(UserCode::Wake, || waker.wake_by_ref());
    }
}

/// Drops a waker there may be: a foreign one behind the unwind boundary.
#[inline]
pub(crate) fn drop_any_waker(waker: Option<Waker>) {
    match waker {
        Some(waker) if !is_task_waker(&waker) => unwind::drop_quietly(UserCode::WakerDrop, waker),
        waker => drop(waker),
    }
}
