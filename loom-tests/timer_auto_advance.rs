//! The paused clock's auto-advance on the real worker loop (`worker::run`, two workers):
//! one task sleeps an hour of virtual time while another keeps its worker busy for a
//! moment. The sleep fires only by auto-advance: the park that leaves both workers
//! parked (whichever worker makes it, in whatever order) moves the clock to the deadline
//! and fires it (`Shared::went_idle`, `Driver::on_idle`); if nobody did, both workers
//! would sleep without a timeout, the sleep would never fire, and loom reports a
//! deadlock. After shutdown: both tasks ran once, the idle books balance, nothing keeps
//! the runtime alive.
//!
//! Preemption bound 1 (capped in the model), exhaustive in seconds. At bound 2 loom
//! reports that an execution exceeded its branch limit: on those paths a worker keeps
//! re-parking on the LIFO watch's timed park, which under loom (no clock) returns at
//! once, so the execution does not end; not shown to be a fault of corun's, and not
//! resolved.
//!
//! Mutation log:
//! - `Shared::park_worker` skips `went_idle()`: `deadlock`.

use super::loom_support::paused_test_runtime;
use super::loom_worker_support::{assert_each_ran_once, model, shut_down, start_workers, Gate};
use super::shared::Shared;
use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::Arc;
use std::time::Duration;

#[test]
fn auto_advance_after_the_last_park_two_workers() {
    model(1, || {
        let (shared, queues) = paused_test_runtime(2);
        let workers = start_workers(&shared, queues);
        let runs = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let done = Gate::new();

        let sleeper = {
            let (runs, done) = (runs.clone(), done.clone());
            Shared::spawn(
                &shared,
                async move {
                    crate::timer::sleep(Duration::from_secs(3_600)).await;
                    runs[0].fetch_add(1, SeqCst);
                    done.open();
                },
                crate::task::Spawn::here(),
            )
        };
        let busy = {
            let runs = runs.clone();
            Shared::spawn(
                &shared,
                async move {
                    runs[1].fetch_add(1, SeqCst);
                },
                crate::task::Spawn::here(),
            )
        };
        // A lost auto-advance leaves both workers parked and this thread here: a deadlock.
        done.wait();

        shut_down(&shared, workers);
        assert!(sleeper.is_finished() && busy.is_finished());
        drop((sleeper, busy));
        assert_each_ran_once(&shared, &*runs);
    });
}
