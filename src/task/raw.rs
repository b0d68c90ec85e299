//! The task allocation and its type-erased handle.
//!
//! A task is one heap allocation, a `#[repr(C)]` [`Cell`] whose first field is the
//! [`Header`], or, for a task that keeps its [`Meta`] (the default), a [`Recorded`]: the
//! same cell with the meta after it. The vtable says which (`meta_offset`), so the code
//! that polls and joins a task is the same for both; only reading the meta and freeing
//! differ. Everything that does not depend on the future's type (the state word, the
//! join waker) lives in the header; everything that does is reached through the header's
//! [`Vtable`], monomorphised per future and scheduler type. [`RawTask`] is the
//! `NonNull<Header>` every handle (`Task`, `Notified`, `JoinHandle`, `AbortHandle`, the
//! waker) wraps; its methods are the only place these pointers are dereferenced.
//!
//! # Fields in the task, and who may touch them
//! - `header.state`: atomic, anyone holding a reference.
//! - `header.id`: immutable.
//! - the meta (`RawTask::meta`): immutable after construction, but for its poll
//!   statistics, which only the holder of `RUNNING` writes (`meta.rs`).
//! - `header.owned`: the owner list's links, only touched under the lock of the task's
//!   shard of that list (`list.rs`).
//! - `cell.scheduler`: immutable after construction, shared by every reference.
//! - `cell.stage`: exclusively owned by whoever set `RUNNING` while the task is not
//!   `COMPLETE`. After `COMPLETE`, owned by the `JoinHandle` if `JOIN_INTEREST` was set at
//!   completion, else by the completer (which drops the output at once). Which of the
//!   future and the result it holds is `COMPLETE` itself (`stage.rs`). Whoever frees the
//!   task owns it last.
//! - `header.join_waker`: while not `COMPLETE`, the `JoinHandle` owns it when `JOIN_WAKER`
//!   is clear and the completer may read it when set. After `COMPLETE`, the completer reads
//!   it while `JOIN_WAKER` is set and whoever clears the last of `JOIN_WAKER`/`JOIN_INTEREST`
//!   drops it.

use super::error::JoinError;
use super::harness::Harness;
use super::list::Links;
use super::meta::{Id, Meta, Spawn, Stamp};
use super::stage::Stage;
use super::state::State;
use super::Schedule;
use crate::sync::UnsafeCell;
use std::future::Future;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::task::{Poll, Waker};

#[repr(C)]
pub(crate) struct Header {
    pub(super) state: State,
    pub(super) vtable: &'static Vtable,
    pub(super) owned: Links,
    pub(super) join_waker: UnsafeCell<Option<Waker>>,
    pub(super) id: Id,
}

#[repr(C)]
pub(super) struct Cell<F: Future, S> {
    pub(super) header: Header,
    pub(super) scheduler: S,
    pub(super) stage: UnsafeCell<Stage<F>>,
}

impl<F: Future, S> Cell<F, S> {
    #[inline]
    fn new(future: F, scheduler: S, vtable: &'static Vtable) -> Cell<F, S> {
        Cell {
            header: Header {
                state: State::new(),
                vtable,
                owned: Links::new(),
                join_waker: UnsafeCell::new(None),
                id: Id::next(),
            },
            scheduler,
            stage: UnsafeCell::new(Stage::new(future)),
        }
    }
}

/// A task that keeps its [`Meta`]: the cell, then the meta. `#[repr(C)]`, so the cell is
/// at offset zero (a pointer to it is a pointer to the header) and the meta lies
/// `Vtable::meta_offset` bytes after the header, past the whole cell.
#[repr(C)]
pub(super) struct Recorded<F: Future, S> {
    cell: Cell<F, S>,
    meta: Meta,
}

/// The operations that need the future's or the scheduler's type.
pub(super) struct Vtable {
    /// Runs the task for a `Notified` reference, which it consumes.
    pub(super) poll: unsafe fn(NonNull<Header>, Stamp),
    /// Submits a `Notified` reference the caller already accounted for.
    pub(super) schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation; the reference count is zero.
    pub(super) dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output into `*dst` (a `Poll<Result<T, JoinError>>`) or registers `waker`.
    pub(super) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// The `JoinHandle` is gone: drop what it owned and its reference.
    pub(super) drop_join_handle: unsafe fn(NonNull<Header>),
    /// `abort()`: requests cancellation, queueing an idle task for its worker to cancel.
    pub(super) abort: unsafe fn(NonNull<Header>),
    /// Shutdown: cancels an idle task on the calling thread.
    pub(super) shutdown: unsafe fn(NonNull<Header>),
    /// Where the meta lies after the header; 0 if the task is a bare `Cell`, with none.
    pub(super) meta_offset: usize,
}

/// The two vtables of a future and scheduler type: as constants, so that a reference to
/// one is `'static`.
struct Vtables<F, S>(PhantomData<(F, S)>);

impl<F: Future, S: Schedule> Vtables<F, S> {
    /// Of a bare `Cell<F, S>`.
    const BARE: Vtable = Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle: drop_join_handle::<F, S>,
        abort: abort::<F, S>,
        shutdown: shutdown::<F, S>,
        meta_offset: 0,
    };

    /// Of a `Recorded<F, S>`: the same operations, and where its meta lies.
    const RECORDED: Vtable = Vtable {
        meta_offset: std::mem::offset_of!(Recorded<F, S>, meta),
        ..Self::BARE
    };
}

/// A pointer to a live task. Copying it does not take a reference: the wrapper types that
/// hold one (`Task`, `Notified`, `JoinHandle`, `AbortHandle`, wakers) each own one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: a task is only created from `Send` futures and outputs, and every access to its
// cells is synchronised by the state word (see the field rules above).
unsafe impl Send for RawTask {}
// SAFETY: as above; `&RawTask` only reaches the state word and vtable, which are `Sync`.
unsafe impl Sync for RawTask {}

impl RawTask {
    /// Allocates a task with the initial state (three references: see `state.rs`).
    #[inline]
    pub(super) fn new<F, S>(future: F, scheduler: S, spawn: Spawn) -> RawTask
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        S: Schedule,
    {
        // Each task built in its box, so that the future is moved once.
        let ptr = if spawn.is_recorded() {
            let task = Box::new(Recorded {
                cell: Cell::new(future, scheduler, &Vtables::<F, S>::RECORDED),
                meta: Meta::new(spawn),
            });
            NonNull::from(Box::leak(task)).cast::<Header>()
        } else {
            let task = Box::new(Cell::new(future, scheduler, &Vtables::<F, S>::BARE));
            NonNull::from(Box::leak(task)).cast::<Header>()
        };
        RawTask { ptr }
    }

    /// Frees a task's allocation, dropping its meta if it has one; its stage and join
    /// waker were emptied.
    ///
    /// # Safety
    /// No reference to the task remains, and it is a `Cell<F, S>` (or a `Recorded`).
    #[inline]
    pub(super) unsafe fn free<F: Future, S>(self) {
        if self.header().vtable.meta_offset == 0 {
            // SAFETY: a task without meta is a `Cell<F, S>` from `Box::leak` in `new`.
            drop(unsafe { Box::from_raw(self.ptr.cast::<Cell<F, S>>().as_ptr()) });
        } else {
            // SAFETY: a task with meta is a `Recorded<F, S>` from `Box::leak` in `new`.
            drop(unsafe { Box::from_raw(self.ptr.cast::<Recorded<F, S>>().as_ptr()) });
        }
    }

    /// The task's meta, if it keeps one.
    pub(super) fn meta(&self) -> Option<&Meta> {
        let offset = self.header().vtable.meta_offset;
        if offset == 0 {
            return None;
        }
        // SAFETY: a non-zero offset is only installed in the vtable of a `Recorded`, whose
        // meta lies that far after its header; `ptr` came from the whole allocation, and
        // the caller's reference keeps it alive for as long as `&self` lives.
        Some(unsafe { &*self.ptr.as_ptr().cast::<u8>().add(offset).cast::<Meta>() })
    }

    /// # Safety
    /// `ptr` must point to a live task header.
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(super) fn as_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(super) fn header(&self) -> &Header {
        // SAFETY: a `RawTask` is only made from a live allocation, and its holder owns a
        // reference that keeps it alive for as long as `&self` lives.
        unsafe { self.ptr.as_ref() }
    }

    pub(super) fn state(&self) -> &State {
        &self.header().state
    }

    /// Runs the task; consumes the caller's `Notified` reference.
    pub(super) fn poll(self, stamp: Stamp) {
        // SAFETY: the vtable belongs to this allocation; the caller gives up its reference.
        unsafe { (self.header().vtable.poll)(self.ptr, stamp) }
    }

    /// Submits the caller's reference, already marked `SCHEDULED`, to the scheduler.
    pub(super) fn schedule(self) {
        // SAFETY: as in `poll`.
        unsafe { (self.header().vtable.schedule)(self.ptr) }
    }

    pub(super) fn abort(self) {
        // SAFETY: the vtable belongs to this allocation; the caller holds a reference.
        unsafe { (self.header().vtable.abort)(self.ptr) }
    }

    pub(super) fn shutdown(self) {
        // SAFETY: as in `abort`.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    /// # Safety
    /// `dst` must point to a `Poll<Result<T, JoinError>>` where `T` is this task's output
    /// type, and the caller must be the task's `JoinHandle`.
    pub(super) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: forwarded from the caller's contract.
        unsafe { (self.header().vtable.try_read_output)(self.ptr, dst, waker) }
    }

    /// Called once, by the dropping `JoinHandle`; consumes its reference.
    pub(super) fn drop_join_handle(self) {
        // SAFETY: the vtable belongs to this allocation.
        unsafe { (self.header().vtable.drop_join_handle)(self.ptr) }
    }

    pub(super) fn ref_inc(self) {
        self.state().ref_inc();
    }

    /// Releases the caller's reference, freeing the task if it was the last.
    pub(super) fn drop_reference(self) {
        if self.state().release_refs(1) {
            // SAFETY: the count reached zero, so no other handle can reach the task.
            unsafe { self.dealloc() }
        }
    }

    /// # Safety
    /// The reference count must have reached zero (no handle can reach the task).
    pub(super) unsafe fn dealloc(self) {
        // SAFETY: the vtable belongs to this allocation; the caller's contract.
        unsafe { (self.header().vtable.dealloc)(self.ptr) }
    }
}

unsafe fn poll<F: Future, S: Schedule>(ptr: NonNull<Header>, stamp: Stamp) {
    // SAFETY: the vtable of a `Cell<F, S>` is only installed by `RawTask::new::<F, S>`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.poll(stamp);
}

unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.schedule();
}

unsafe fn dealloc<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`; the caller saw the reference count reach zero.
    unsafe { Harness::<F, S>::from_raw(ptr).dealloc() };
}

unsafe fn try_read_output<F: Future, S: Schedule>(
    ptr: NonNull<Header>,
    dst: *mut (),
    waker: &Waker,
) {
    // SAFETY: the caller (`JoinHandle<F::Output>::poll`) passes a pointer to its
    // `Poll<Result<F::Output, JoinError>>`.
    let dst = unsafe { &mut *dst.cast::<Poll<Result<F::Output, JoinError>>>() };
    // SAFETY: as in `poll`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.try_read_output(dst, waker);
}

unsafe fn drop_join_handle<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.drop_join_handle();
}

unsafe fn abort<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.abort();
}

unsafe fn shutdown<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.shutdown();
}
