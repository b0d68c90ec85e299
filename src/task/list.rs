//! `OwnedTasks`: every live task of a runtime, so shutdown can cancel the ones that only
//! wakers still reach.
//!
//! Shards of intrusive doubly linked lists, each behind a mutex: the links live in the task
//! header ([`Links`]), so listing a task allocates nothing and costs two pointers of the
//! task's own allocation (a slab beside the list cost a key in the header plus a slab slot,
//! 29 bytes a task on average). A task's shard is a hash of its address, so nothing needs
//! storing to find it again, and spawns from every worker spread over all the shards.
//! Closing takes every shard's lock; a spawn that finds its shard closed cancels the new
//! task at once, so no task can slip in after shutdown began.
//!
//! The list holds one reference to each listed task (the `Task` that `bind` is given):
//! it keeps every linked neighbour alive, so the links can be followed under the lock.

use super::raw::{Header, RawTask};
use super::{Notified, Schedule, Task};
use crate::sync::{Mutex, UnsafeCell};
use crossbeam_utils::CachePadded;
use std::marker::PhantomData;
use std::ptr::NonNull;

pub(crate) struct OwnedTasks<S: 'static> {
    shards: Box<[CachePadded<Mutex<Shard>>]>,
    _scheduler: PhantomData<S>,
}

/// A task's place in its shard's list: read and written only under that shard's lock.
pub(super) struct Links {
    prev: UnsafeCell<Option<NonNull<Header>>>,
    next: UnsafeCell<Option<NonNull<Header>>>,
}

struct Shard {
    head: Option<NonNull<Header>>,
    /// Tasks listed, and tasks ever listed: counted here, under the lock that linking
    /// takes anyway, so that counting live and spawned tasks costs no shared atomic.
    len: usize,
    bound: u64,
    closed: bool,
}

// SAFETY: the pointers are only followed under the shard's lock, and each points to a task
// the list holds a reference to; tasks are `Send`.
unsafe impl Send for Shard {}

impl Links {
    pub(super) fn new() -> Links {
        Links {
            prev: UnsafeCell::new(None),
            next: UnsafeCell::new(None),
        }
    }
}

impl<S: Schedule> OwnedTasks<S> {
    /// `shards` is rounded up to a power of two.
    pub(crate) fn new(shards: usize) -> OwnedTasks<S> {
        let shards = shards.max(1).next_power_of_two();
        let shards = (0..shards)
            .map(|_| {
                CachePadded::new(Mutex::new(Shard {
                    head: None,
                    len: 0,
                    bound: 0,
                    closed: false,
                }))
            })
            .collect::<Box<[_]>>();
        OwnedTasks {
            shards,
            _scheduler: PhantomData,
        }
    }

    /// Adds a new task (the list takes over `task`'s reference) and hands back its first
    /// `Notified` to schedule. If the runtime is shutting down, the task is cancelled
    /// instead and its `JoinHandle` will report that.
    pub(crate) fn bind(&self, task: Task<S>, notified: Notified<S>) -> Option<Notified<S>> {
        let mut shard = self.shard_of(task.raw).lock();
        if shard.closed {
            drop(shard);
            task.shutdown();
            return None;
        }
        // SAFETY: we hold the lock; the task is new, so it is in no list, and the list
        // keeps the reference `forget` leaves behind.
        unsafe { shard.push_front(task.raw.as_ptr()) };
        task.forget();
        Some(notified)
    }

    /// Removes a completed task. True if it was listed: the list's reference then passes
    /// to the caller. False if shutdown already took it out (and holds that reference).
    pub(crate) fn release(&self, task: &Task<S>) -> bool {
        let mut shard = self.shard_of(task.raw).lock();
        // SAFETY: we hold the lock of the task's shard, and the caller's reference keeps
        // the task alive.
        unsafe { shard.unlink(task.raw.as_ptr()) }
    }

    /// Refuses new tasks and cancels every listed one. Futures are dropped on this thread,
    /// outside the locks (their drops may spawn or wake other tasks).
    pub(crate) fn close_and_cancel_all(&self) {
        for shard in self.shards.iter() {
            shard.lock().closed = true;
            loop {
                let first = shard.lock().pop_front();
                let Some(first) = first else { break };
                // SAFETY: `pop_front` hands over the list's reference to a live task.
                let task = Task::<S>::from_raw(unsafe { RawTask::from_raw(first) });
                task.shutdown();
            }
        }
    }

    /// Calls `f` with each listed task, one shard at a time under its lock: the list's
    /// references keep every task alive while `f` reads it, and a task is seen once (it
    /// cannot move between shards). `f` must not spawn or complete tasks of this list.
    pub(super) fn for_each(&self, mut f: impl FnMut(&RawTask)) {
        for shard in self.shards.iter() {
            let shard = shard.lock();
            let mut next = shard.head;
            while let Some(task) = next {
                // SAFETY: `task` is listed: the list's reference keeps it alive while we
                // hold its shard's lock, and `f` gets it only by reference, for its call.
                f(&unsafe { RawTask::from_raw(task) });
                // SAFETY: as above.
                next = unsafe { links(task).next.with(|next| *next) };
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.shards.iter().all(|shard| shard.lock().head.is_none())
    }

    /// Tasks listed now, and tasks bound since the list was made, summed one shard at a
    /// time under its lock.
    pub(crate) fn counts(&self) -> (usize, u64) {
        self.shards.iter().fold((0, 0), |(len, bound), shard| {
            let shard = shard.lock();
            (len + shard.len, bound + shard.bound)
        })
    }

    fn shard_of(&self, task: RawTask) -> &Mutex<Shard> {
        // Fibonacci hashing of the address: neighbouring allocations land in different
        // shards. The high half of the product is the well-mixed part.
        const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
        let hash = (task.as_ptr().as_ptr() as usize as u64).wrapping_mul(GOLDEN) >> 32;
        // Under loom, one shard: addresses change from one explored execution to the
        // next, and a model must take the same locks each time it replays a schedule.
        let hash = if cfg!(corun_loom) { 0 } else { hash };
        &self.shards[hash as usize & (self.shards.len() - 1)]
    }
}

/// The links of `task`.
///
/// # Safety
/// `task` must be live for `'a`.
unsafe fn links<'a>(task: NonNull<Header>) -> &'a Links {
    // SAFETY: the caller's contract.
    unsafe { &task.as_ref().owned }
}

impl Shard {
    /// # Safety
    /// The caller holds this shard's lock (`&mut self` is its guard), `task` is live and in
    /// no list, and the caller hands the list a reference to it.
    unsafe fn push_front(&mut self, task: NonNull<Header>) {
        // SAFETY: the links of listed tasks are only touched under the lock we hold, and
        // the list's references keep `task` and the old head alive.
        unsafe {
            let own = links(task);
            own.prev.with_mut(|prev| *prev = None);
            own.next.with_mut(|next| *next = self.head);
            if let Some(head) = self.head {
                links(head).prev.with_mut(|prev| *prev = Some(task));
            }
        }
        self.head = Some(task);
        self.len += 1;
        self.bound += 1;
    }

    /// Takes `task` out of the list; the list's reference passes to the caller. False if
    /// it was not listed.
    ///
    /// # Safety
    /// The caller holds this shard's lock and a reference to `task`, which hashes to this
    /// shard.
    unsafe fn unlink(&mut self, task: NonNull<Header>) -> bool {
        // SAFETY: the links of listed tasks, and of tasks of this shard that left it, are
        // only touched under the lock we hold; neighbours are kept alive by the list.
        unsafe {
            let own = links(task);
            let prev = own.prev.with_mut(|prev| (*prev).take());
            let next = own.next.with_mut(|next| (*next).take());
            match prev {
                Some(prev) => links(prev).next.with_mut(|link| *link = next),
                // A task with no predecessor is the head, or not listed at all.
                None if self.head == Some(task) => self.head = next,
                None => return false,
            }
            if let Some(next) = next {
                links(next).prev.with_mut(|link| *link = prev);
            }
        }
        self.len -= 1;
        true
    }

    /// Takes the first task out; the list's reference passes to the caller.
    fn pop_front(&mut self) -> Option<NonNull<Header>> {
        let head = self.head?;
        // SAFETY: `&mut self` is the lock's guard; the head is listed, so the list's
        // reference keeps it alive while we unlink it.
        let unlinked = unsafe { self.unlink(head) };
        debug_assert!(unlinked);
        Some(head)
    }
}

#[cfg(all(test, not(corun_loom)))]
mod tests {
    use super::OwnedTasks;
    use crate::sync::{Arc, Mutex};
    use crate::task::{self, Notified, Schedule, Task};

    /// Completed tasks leave the list; scheduled ones wait in `queue`.
    struct Listed {
        owned: OwnedTasks<Arc<Listed>>,
        queue: Mutex<Vec<Notified<Arc<Listed>>>>,
    }

    impl Schedule for Arc<Listed> {
        fn schedule(&self, task: Notified<Self>) {
            self.queue.lock().push(task);
        }
        fn yield_now(&self, task: Notified<Self>) {
            self.queue.lock().push(task);
        }
        fn release(&self, task: &Task<Self>) -> bool {
            self.owned.release(task)
        }
    }

    fn listed(shards: usize) -> Arc<Listed> {
        Arc::new(Listed {
            owned: OwnedTasks::new(shards),
            queue: Mutex::new(Vec::new()),
        })
    }

    /// Binds a task that completes with `value` when run.
    fn bind(scheduler: &Arc<Listed>, value: u32) -> (Notified<Arc<Listed>>, task::JoinHandle<u32>) {
        let (task, notified, join) =
            task::new(async move { value }, scheduler.clone(), task::Spawn::here());
        let notified = scheduler
            .owned
            .bind(task, notified)
            .expect("the list is open");
        (notified, join)
    }

    #[test]
    fn tasks_leave_from_the_head_the_middle_and_the_tail() {
        // One shard, so every task shares one list, listed head first: 4, 3, 2, 1, 0.
        let scheduler = listed(1);
        let mut bound: Vec<_> = (0..5).map(|value| Some(bind(&scheduler, value))).collect();
        // Complete the middle, the head, then the tail.
        for value in [2, 4, 0] {
            let (notified, join) = bound[value as usize].take().unwrap();
            notified.run();
            assert_eq!(futures::executor::block_on(join).unwrap(), value);
        }
        assert_eq!(scheduler.owned.counts(), (2, 5));
        scheduler.owned.close_and_cancel_all();
        assert!(scheduler.owned.is_empty());
        assert_eq!(scheduler.owned.counts(), (0, 5));
        for (notified, join) in bound.into_iter().flatten() {
            drop(notified);
            assert!(futures::executor::block_on(join)
                .unwrap_err()
                .is_cancelled());
        }
        // A closed list cancels what is bound to it.
        let (task, notified, join) = task::new(async { 9 }, scheduler.clone(), task::Spawn::here());
        assert!(scheduler.owned.bind(task, notified).is_none());
        assert!(futures::executor::block_on(join)
            .unwrap_err()
            .is_cancelled());
        assert_eq!(Arc::strong_count(&scheduler), 1, "a task was leaked");
    }
}
