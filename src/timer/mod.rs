//! Time: `sleep`, `timeout`, `move_on_after` and `interval`, served by one hierarchical timing wheel per
//! runtime, sharded per worker and driven by the workers themselves.
//!
//! Layering: `wheel` and `level` are a pure data structure (ticks and wakers); `clock` maps
//! `Instant`s to nanoseconds since the runtime started; `driver` is the runtime's `Timer` (the shards, and the executor's
//! `Driver` hook through which parked workers fire timers); `sleep`, `timeout`,
//! `move_on` and `interval` are the public futures built on it.

mod clock;
mod driver;
mod interval;
mod level;
mod move_on;
mod sleep;
mod timeout;
mod wheel;

#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/timer_driver_handoff.rs"]
mod loom_timer_driver_handoff;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/timer_earliest_hint.rs"]
mod loom_timer_earliest_hint;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/timer_fire_cancel.rs"]
mod loom_timer_fire_cancel;
#[cfg(all(test, corun_loom))]
#[path = "../../loom-tests/timer_park_deadline.rs"]
mod loom_timer_park_deadline;

pub(crate) use driver::Timer;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use move_on::{move_on_after, move_on_at, MoveOn};
#[cfg(feature = "hyper")]
pub(crate) use sleep::{after, clock_now};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};
