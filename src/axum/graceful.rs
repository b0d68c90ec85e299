//! The graceful shutdown of a server's connections: one signal to all of them, and the
//! wait until the last one has finished.
//!
//! Each connection task holds a [`Watcher`] for as long as it runs. [`Drain::shutdown`]
//! sets one flag, wakes every watcher that is waiting for it, and waits until no watcher
//! is left.
//!
//! A connection polls its watcher at every wake-up, next to the connection itself, so a
//! repeated poll takes no lock: it reads the flag and finds the waker it registered last
//! time still right (`will_wake`). The lock is taken when a watcher joins, registers a
//! new waker, or leaves, and by the shutdown. The two sides cannot miss each other: the
//! shutdown sets the flag before it takes the lock to collect the wakers, and a watcher
//! checks the flag again under the lock before it registers. So a registration either
//! comes first, and its waker is collected and woken, or comes second, and sees the flag.
//! A lock-free poll that misses a flag set meanwhile returns `Pending` with a waker
//! already registered, which the shutdown wakes.

use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{Arc, Mutex};
use slab::Slab;
use std::future::poll_fn;
use std::task::{Context, Poll, Waker};

/// The server's side: hands out watchers, then shuts them down.
pub(super) struct Drain {
    shared: Arc<Shared>,
}

/// One connection's side: ready once the shutdown started. Dropping it (the connection
/// finished) counts the connection out.
pub(super) struct Watcher {
    shared: Arc<Shared>,
    /// This watcher's slot in `Synced::watchers`.
    key: usize,
    /// A clone of the waker in the slot, so that a poll with the same waker can skip the
    /// lock. `None` until the first registration.
    registered: Option<Waker>,
}

struct Shared {
    /// Set once, by `Drain::shutdown`, before it takes the lock; never cleared.
    draining: AtomicBool,
    synced: Mutex<Synced>,
}

struct Synced {
    /// One slot per live watcher: the waker to wake when the shutdown starts.
    watchers: Slab<Option<Waker>>,
    /// `Drain::shutdown`'s waker, woken by the last watcher to leave. Set only once the
    /// shutdown has started.
    drained: Option<Waker>,
}

impl Drain {
    pub(super) fn new() -> Drain {
        Drain {
            shared: Arc::new(Shared {
                draining: AtomicBool::new(false),
                synced: Mutex::new(Synced {
                    watchers: Slab::new(),
                    drained: None,
                }),
            }),
        }
    }

    /// A watcher for one more connection.
    pub(super) fn watcher(&self) -> Watcher {
        let key = self.shared.synced.lock().watchers.insert(None);
        Watcher {
            shared: self.shared.clone(),
            key,
            registered: None,
        }
    }

    /// Tells every watcher that the shutdown started, then waits until every watcher has
    /// been dropped.
    pub(super) async fn shutdown(self) {
        // Release, and the lock below: a watcher that registers after this sees the flag
        // (see the module docs); one polling lock-free sees it after its wake-up.
        self.shared.draining.store(true, Ordering::Release);
        let wakers: Vec<Waker> = {
            let mut synced = self.shared.synced.lock();
            synced
                .watchers
                .iter_mut()
                .filter_map(|(_, slot)| slot.take())
                .collect()
        };
        for waker in wakers {
            crate::task::wake_any(waker);
        }
        poll_fn(|cx| self.poll_drained(cx)).await;
    }

    fn poll_drained(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut synced = self.shared.synced.lock();
        if synced.watchers.is_empty() {
            return Poll::Ready(());
        }
        let replaced = match &synced.drained {
            Some(waker) if waker.will_wake(cx.waker()) => None,
            _ => synced.drained.replace(cx.waker().clone()),
        };
        drop(synced);
        crate::task::drop_any_waker(replaced);
        Poll::Pending
    }
}

impl Watcher {
    /// Ready once the shutdown has started.
    pub(super) fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // Acquire: pairs with the shutdown's Release store.
        if self.shared.draining.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        if let Some(registered) = &self.registered {
            if registered.will_wake(cx.waker()) {
                return Poll::Pending;
            }
        }
        let mut synced = self.shared.synced.lock();
        // Relaxed: the lock orders this load after a shutdown's store that came before it.
        if self.shared.draining.load(Ordering::Relaxed) {
            return Poll::Ready(());
        }
        let replaced = synced.watchers[self.key].replace(cx.waker().clone());
        drop(synced);
        crate::task::drop_any_waker(replaced);
        crate::task::drop_any_waker(self.registered.replace(cx.waker().clone()));
        Poll::Pending
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let (slot, drained) = {
            let mut synced = self.shared.synced.lock();
            let slot = synced.watchers.remove(self.key);
            let drained = if synced.watchers.is_empty() {
                synced.drained.take()
            } else {
                None
            };
            (slot, drained)
        };
        crate::task::drop_any_waker(slot);
        crate::task::drop_any_waker(self.registered.take());
        if let Some(drained) = drained {
            crate::task::wake_any(drained);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Drain;
    use crate::sync::atomic::{AtomicUsize, Ordering};
    use crate::sync::Arc;
    use futures::channel::oneshot;
    use std::future::poll_fn;

    /// A shutdown wakes the watchers waiting in other tasks, and returns only once each
    /// has been dropped.
    #[test]
    fn shutdown_wakes_watchers_and_waits_for_them() {
        crate::run(async {
            let drain = Drain::new();
            let woken = Arc::new(AtomicUsize::new(0));
            for _ in 0..4 {
                let mut watcher = drain.watcher();
                let woken = woken.clone();
                let (polled, polled_rx) = oneshot::channel();
                drop(crate::spawn(async move {
                    let mut polled = Some(polled);
                    poll_fn(|cx| {
                        let ready = watcher.poll_shutdown(cx);
                        if let Some(polled) = polled.take() {
                            polled.send(()).expect("the test waits for the first poll");
                        }
                        ready
                    })
                    .await;
                    // Before the watcher drops, at the end of the task.
                    woken.fetch_add(1, Ordering::SeqCst);
                }));
                polled_rx.await.expect("the watcher task polls once");
            }
            drain.shutdown().await;
            assert_eq!(woken.load(Ordering::SeqCst), 4);
        });
    }

    /// With no watcher left the shutdown returns at once, and a watcher never polled
    /// before the shutdown is ready at its first poll.
    #[test]
    fn late_and_gone_watchers() {
        crate::run(async {
            let drain = Drain::new();
            drop(drain.watcher());
            drain.shutdown().await;

            let drain = Drain::new();
            let mut watcher = drain.watcher();
            let (started, start) = oneshot::channel::<()>();
            let waiting = crate::spawn(async move {
                start.await.expect("the test starts the watcher");
                poll_fn(|cx| watcher.poll_shutdown(cx)).await;
            });
            let shutdown = crate::spawn(drain.shutdown());
            started.send(()).expect("the watcher task waits for it");
            waiting.await.expect("the watcher task finishes");
            shutdown.await.expect("the shutdown finishes");
        });
    }
}
