//! The group's future registering its waker while the last child finishes on another
//! thread: either the future sees no members left, or the child's exit wakes it.

use super::state::{Abort, Ending, GroupState};
use crate::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct NoAbort;

impl Abort for NoAbort {
    fn abort(&self) {
        unreachable!("nothing fails in this model");
    }
}

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

#[test]
fn last_child_finishing_racing_with_waker_registration() {
    loom::model(|| {
        let group = Arc::new(GroupState::<(), NoAbort>::new(false));
        let child = group.reserve().expect("the group is open");
        group.register(child, NoAbort);

        let finisher = {
            let group = group.clone();
            loom::thread::spawn(move || group.child_done(child, Ending::Completed))
        };
        let woken = std::sync::Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(woken.clone());
        let joined = group.poll_joined(&mut Context::from_waker(&waker));
        finisher.join().unwrap();

        if joined == Poll::Pending {
            assert!(
                woken.0.load(SeqCst),
                "the last child's exit was not signalled"
            );
        }
        assert_eq!(
            group.poll_joined(&mut Context::from_waker(&waker)),
            Poll::Ready(())
        );
        group.finish();
    });
}
