//! `Inject::close` racing with a push: the value is either refused or drained, never
//! left behind in a closed queue.

use crate::executor::inject::Inject;
use crate::sync::Arc;

#[test]
fn push_racing_with_close_is_refused_or_drained() {
    loom::model(|| {
        let inject = Arc::new(Inject::new());
        let pusher = {
            let inject = inject.clone();
            loom::thread::spawn(move || inject.push(1_u32).is_ok())
        };
        inject.close();
        let mut drained = 0;
        while inject.pop().is_some() {
            drained += 1;
        }
        let accepted = pusher.join().unwrap();
        assert_eq!(
            drained,
            usize::from(accepted),
            "an accepted push was left in the queue"
        );
        assert!(inject.pop().is_none());
    });
}
