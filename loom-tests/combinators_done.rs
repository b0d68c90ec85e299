//! A combinator's children reporting (`done.rs`) while the combinator waits: one child
//! that only counts itself and one urgent (failed) child, on two threads, and the
//! combinator taking what they report until it may sweep. The urgent child must be taken
//! before the sweep begins (a gather must see the failure, not sweep past it), and the
//! combinator's waker must not be lost (a lost wake-up leaves `block_on` parked for ever,
//! which loom reports as a deadlock).

use super::done::{Done, Next};
use crate::sync::Arc;
use std::future::poll_fn;
use std::task::Poll;

#[test]
fn an_urgent_child_is_taken_before_the_sweep() {
    loom::model(|| {
        let done = Arc::new(Done::new(2, 1));
        let reporters: Vec<_> = [(0, false), (1, true)]
            .into_iter()
            .map(|(index, urgent)| {
                let done = done.clone();
                loom::thread::spawn(move || {
                    if let Some(waker) = done.report(index, urgent) {
                        waker.wake();
                    }
                })
            })
            .collect();
        let mut taken = 0;
        let mut seen = Vec::new();
        loom::future::block_on(poll_fn(|cx| loop {
            match done.next(&mut taken, cx) {
                Next::Child(index) => seen.push(index),
                Next::Sweep => return Poll::Ready(()),
                Next::Wait => return Poll::Pending,
            }
        }));
        assert_eq!(
            seen,
            [1],
            "the sweep began before the failed child was taken"
        );
        for reporter in reporters {
            reporter.join().unwrap();
        }
    });
}
