//! `gather!` and `try_gather!`: the gather family for futures of different types.
//!
//! Each future's output is boxed as `dyn Any` so the children fit in one [`ChildSet`] (and
//! keep [`gather`]'s cancellation and panic rules); the tuple is unpacked, with the types
//! the compiler already knows, once every child is done. That costs one small allocation
//! per child, which is nothing beside spawning a task.

use super::gather::{gather, try_gather, Gather, TryGather};
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

type Erased = Box<dyn Any + Send>;
type ErasedFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Runs futures of different types as concurrent tasks and returns their outputs as a
/// tuple, in argument order. The rules are [`gather`](fn@crate::gather)'s.
///
/// ```
/// corun::run(async {
///     let (number, text) = corun::gather!(async { 1 }, async { "two" }).await;
///     assert_eq!((number, text), (1, "two"));
/// });
/// ```
#[macro_export]
macro_rules! gather {
    ($($future:expr),+ $(,)?) => {
        $crate::combinators::__private::gather_tuple(($($future,)+))
    };
}

/// Runs futures returning `Result`s with the same error type as concurrent tasks; the
/// first `Err` cancels the others and is returned. The rules are
/// [`try_gather`](fn@crate::try_gather)'s.
///
/// ```
/// corun::run(async {
///     let both = corun::try_gather!(async { Ok::<_, String>(1) }, async { Ok("two") }).await;
///     assert_eq!(both, Ok((1, "two")));
/// });
/// ```
#[macro_export]
macro_rules! try_gather {
    ($($future:expr),+ $(,)?) => {
        $crate::combinators::__private::try_gather_tuple(($($future,)+))
    };
}

/// A tuple of futures that `gather!` can run.
///
/// ```
/// use corun::combinators::GatherTuple;
///
/// fn outputs<G: GatherTuple<Output = (u8, &'static str)>>(futures: G) -> G { futures }
/// corun::run(async {
///     let futures = outputs((async { 1u8 }, async { "two" }));
///     assert_eq!(corun::combinators::__private::gather_tuple(futures).await, (1, "two"));
/// });
/// ```
pub trait GatherTuple {
    /// The tuple of outputs.
    type Output;
    #[doc(hidden)]
    fn into_children(self) -> Vec<ErasedFuture<Erased>>;
    #[doc(hidden)]
    fn unpack(outputs: Vec<Erased>) -> Self::Output;
}

/// A tuple of futures that `try_gather!` can run, all failing with `E`.
///
/// ```
/// use corun::combinators::TryGatherTuple;
///
/// fn fallible<G: TryGatherTuple<String, Output = (u8,)>>(futures: G) -> G { futures }
/// corun::run(async {
///     let futures = fallible((async { Ok::<u8, String>(1) },));
///     assert_eq!(corun::combinators::__private::try_gather_tuple(futures).await, Ok((1,)));
/// });
/// ```
pub trait TryGatherTuple<E> {
    /// The tuple of success values.
    type Output;
    #[doc(hidden)]
    fn into_children(self) -> Vec<ErasedFuture<Result<Erased, E>>>;
    #[doc(hidden)]
    fn unpack(outputs: Vec<Erased>) -> Self::Output;
}

fn unerase<T: 'static>(outputs: &mut impl Iterator<Item = Erased>) -> T {
    *outputs
        .next()
        .expect("one output per child")
        .downcast()
        .expect("outputs come back in the order and types they went in")
}

macro_rules! tuple_impls {
    ($( ($($F:ident $T:ident $f:ident),+) )+) => {$(
        impl<$($F, $T),+> GatherTuple for ($($F,)+)
        where
            $($F: Future<Output = $T> + Send + 'static, $T: Send + 'static,)+
        {
            type Output = ($($T,)+);

            fn into_children(self) -> Vec<ErasedFuture<Erased>> {
                let ($($f,)+) = self;
                vec![$(Box::pin(async move { Box::new($f.await) as Erased })),+]
            }

            fn unpack(outputs: Vec<Erased>) -> Self::Output {
                let mut outputs = outputs.into_iter();
                ($(unerase::<$T>(&mut outputs),)+)
            }
        }

        impl<E, $($F, $T),+> TryGatherTuple<E> for ($($F,)+)
        where
            E: Send + 'static,
            $($F: Future<Output = Result<$T, E>> + Send + 'static, $T: Send + 'static,)+
        {
            type Output = ($($T,)+);

            fn into_children(self) -> Vec<ErasedFuture<Result<Erased, E>>> {
                let ($($f,)+) = self;
                vec![$(Box::pin(async move { $f.await.map(|value| Box::new(value) as Erased) })),+]
            }

            fn unpack(outputs: Vec<Erased>) -> Self::Output {
                let mut outputs = outputs.into_iter();
                ($(unerase::<$T>(&mut outputs),)+)
            }
        }
    )+};
}

tuple_impls! {
    (F1 T1 f1)
    (F1 T1 f1, F2 T2 f2)
    (F1 T1 f1, F2 T2 f2, F3 T3 f3)
    (F1 T1 f1, F2 T2 f2, F3 T3 f3, F4 T4 f4)
    (F1 T1 f1, F2 T2 f2, F3 T3 f3, F4 T4 f4, F5 T5 f5)
    (F1 T1 f1, F2 T2 f2, F3 T3 f3, F4 T4 f4, F5 T5 f5, F6 T6 f6)
    (F1 T1 f1, F2 T2 f2, F3 T3 f3, F4 T4 f4, F5 T5 f5, F6 T6 f6, F7 T7 f7)
    (F1 T1 f1, F2 T2 f2, F3 T3 f3, F4 T4 f4, F5 T5 f5, F6 T6 f6, F7 T7 f7, F8 T8 f8)
    (F1 T1 f1, F2 T2 f2, F3 T3 f3, F4 T4 f4, F5 T5 f5, F6 T6 f6, F7 T7 f7, F8 T8 f8, F9 T9 f9)
    (F1 T1 f1, F2 T2 f2, F3 T3 f3, F4 T4 f4, F5 T5 f5, F6 T6 f6, F7 T7 f7, F8 T8 f8, F9 T9 f9,
     F10 T10 f10)
    (F1 T1 f1, F2 T2 f2, F3 T3 f3, F4 T4 f4, F5 T5 f5, F6 T6 f6, F7 T7 f7, F8 T8 f8, F9 T9 f9,
     F10 T10 f10, F11 T11 f11)
    (F1 T1 f1, F2 T2 f2, F3 T3 f3, F4 T4 f4, F5 T5 f5, F6 T6 f6, F7 T7 f7, F8 T8 f8, F9 T9 f9,
     F10 T10 f10, F11 T11 f11, F12 T12 f12)
}

/// What `gather!` expands to.
#[track_caller]
pub fn gather_tuple<G: GatherTuple>(futures: G) -> GatherTupleFuture<G> {
    GatherTupleFuture {
        inner: gather(futures.into_children()),
        unpack: G::unpack,
    }
}

/// What `try_gather!` expands to.
#[track_caller]
pub fn try_gather_tuple<G: TryGatherTuple<E>, E: Send + 'static>(
    futures: G,
) -> TryGatherTupleFuture<G, E> {
    TryGatherTupleFuture {
        inner: try_gather(futures.into_children()),
        unpack: G::unpack,
    }
}

/// The future returned by [`gather!`](crate::gather!).
///
/// ```
/// corun::run(async {
///     let pair = corun::gather!(async { 1 }, async { 2 });
///     assert_eq!(pair.await, (1, 2));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them; dropping it cancels the children"]
pub struct GatherTupleFuture<G: GatherTuple> {
    inner: Gather<ErasedFuture<Erased>>,
    unpack: fn(Vec<Erased>) -> G::Output,
}

impl<G: GatherTuple> Future for GatherTupleFuture<G> {
    type Output = G::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<G::Output> {
        let outputs = ready!(Pin::new(&mut self.inner).poll(cx));
        Poll::Ready((self.unpack)(outputs))
    }
}

/// The future returned by [`try_gather!`](crate::try_gather!).
///
/// ```
/// corun::run(async {
///     let pair = corun::try_gather!(async { Ok::<_, ()>(1) }, async { Ok(2) });
///     assert_eq!(pair.await, Ok((1, 2)));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them; dropping it cancels the children"]
pub struct TryGatherTupleFuture<G: TryGatherTuple<E>, E> {
    inner: TryGather<ErasedFuture<Result<Erased, E>>>,
    unpack: fn(Vec<Erased>) -> G::Output,
}

impl<G: TryGatherTuple<E>, E: Send + 'static> Future for TryGatherTupleFuture<G, E> {
    type Output = Result<G::Output, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let outputs = ready!(Pin::new(&mut self.inner).poll(cx));
        Poll::Ready(outputs.map(self.unpack))
    }
}

impl<G: GatherTuple> fmt::Debug for GatherTupleFuture<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("GatherTupleFuture")
            .field(&self.inner)
            .finish()
    }
}

impl<G: TryGatherTuple<E>, E> fmt::Debug for TryGatherTupleFuture<G, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TryGatherTupleFuture")
            .field(&self.inner)
            .finish()
    }
}
