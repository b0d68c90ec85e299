//! `Done`: how a combinator's children report that they finished, and how the combinator
//! learns it (see `children.rs` for why).
//!
//! Each child reports once, when its future is dropped. An *urgent* child is listed (its
//! index appended, in the order they went) and wakes the combinator; any other child only
//! counts itself, and the last one to count wakes it. The combinator takes listed
//! children one by one, and once every child has counted and every listed one was taken,
//! it sweeps the rest.
//!
//! An urgent child lists and counts itself in one critical section of the list's lock,
//! and the combinator reads the count under that lock: so a full count, seen there, means
//! every urgent child is listed, and the sweep never starts before a failure it should
//! have seen first. A waker registered under the lock is taken by the last child to
//! count (who takes the lock after counting) or the count it would wait for is seen:
//! no wake is lost. Checked by the loom model `combinators_done`.

use crate::sync::atomic::{AtomicUsize, Ordering::*};
use crate::sync::Mutex;
use std::task::{Context, Waker};

/// Shared by a combinator and its children.
pub(super) struct Done {
    /// How many children report.
    children: usize,
    /// Children that reported.
    finished: AtomicUsize,
    listed: Mutex<Listed>,
}

struct Listed {
    /// Urgent children, in the order they reported.
    urgent: Vec<usize>,
    /// The combinator's task, while it waits.
    waker: Option<Waker>,
}

/// What the combinator should do next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Poll this listed child.
    Child(usize),
    /// Every child has reported and every listed one was taken: sweep the rest.
    Sweep,
    /// Nothing new: the combinator's waker is registered.
    Wait,
}

impl Done {
    /// For `children` children, of which about `urgent` will be listed.
    pub(super) fn new(children: usize, urgent: usize) -> Done {
        Done {
            children,
            finished: AtomicUsize::new(0),
            listed: Mutex::new(Listed {
                urgent: Vec::with_capacity(urgent),
                waker: None,
            }),
        }
    }

    /// Child `index` finished: listed if `urgent`. Returns the waker to wake (outside any
    /// lock), if this report must wake the combinator.
    pub(super) fn report(&self, index: usize, urgent: bool) -> Option<Waker> {
        if urgent {
            let mut listed = self.listed.lock();
            listed.urgent.push(index);
            self.finished.fetch_add(1, Relaxed);
            return listed.waker.take();
        }
        // Relaxed: the lock orders this count with the combinator's read, as above.
        let finished = self.finished.fetch_add(1, Relaxed) + 1;
        if finished < self.children {
            return None;
        }
        self.listed.lock().waker.take()
    }

    /// The next listed child after the `taken` ones, or `Sweep`; if neither, registers
    /// `cx`'s waker for the next report that wakes.
    pub(super) fn next(&self, taken: &mut usize, cx: &mut Context<'_>) -> Next {
        let replaced = {
            let mut listed = self.listed.lock();
            if let Some(&index) = listed.urgent.get(*taken) {
                *taken += 1;
                return Next::Child(index);
            }
            if self.finished.load(Relaxed) == self.children {
                return Next::Sweep;
            }
            match &listed.waker {
                Some(waker) if waker.will_wake(cx.waker()) => None,
                _ => listed.waker.replace(cx.waker().clone()),
            }
        };
        // Outside the lock: dropping a waker may run user code.
        crate::task::drop_any_waker(replaced);
        Next::Wait
    }
}
