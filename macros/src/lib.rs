//! The `#[corun::main]` and `#[corun::test]` attributes.
//!
//! Use them through corun, which re-exports them under its default `macros` feature:
//! `#[corun::main]` and `#[corun::test]`. Both turn an `async fn` into a plain `fn` that
//! builds a [`corun::Builder`] runtime, runs the body on it with `block_on`, and drops the
//! runtime (which shuts it down) when the body returns. Their examples live on the
//! re-exports in corun's documentation, where they run as doctests.
//!
//! The generated code names corun by the absolute path `::corun`; a crate that re-exports
//! corun under another path passes it as `crate = "path"`.
//!
//! [`corun::Builder`]: https://docs.rs/corun/latest/corun/struct.Builder.html
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod args;
mod entry;

use entry::Entry;
use proc_macro::TokenStream;

/// # The function
///
/// It keeps its name, attributes, visibility and return type, so
/// `async fn main() -> Result<(), E>` works as a plain `main` would. It takes no parameters
/// and has no generics. `main` is the usual name, not a required one.
///
/// # Arguments
///
/// All optional, separated by commas:
///
/// - `worker_threads = N`: the number of worker threads, a positive integer literal
///   (default: one per CPU, as `Builder::new`);
/// - `start_paused = true|false`: passed to `Builder::start_paused`;
/// - `crate = "path"`: where corun is, for crates that re-export it (default `::corun`).
///
/// # Expansion
///
/// `#[corun::main(worker_threads = 2)] async fn main() { body }` becomes:
///
/// ```text
/// fn main() {
///     async fn main() { body }
///     ::corun::Builder::new()
///         .worker_threads(2)
///         .build()
///         .expect("`#[corun::main]`: the runtime failed to start")
///         .block_on(main())
/// }
/// ```
///
/// The runtime is dropped, and so shut down, before `main` returns.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(Entry::Main, args.into(), item.into()).into()
}

/// # The function
///
/// `#[corun::test]` adds `#[test]`; other attributes (`#[should_panic]`, `#[ignore]`, ...)
/// and the return type (`Result<(), E>`, say) pass through. The test takes no parameters
/// and has no generics.
///
/// Each test gets a runtime of its own, dropped when the body returns or panics: that stops
/// its workers, drops the tasks still alive and waits for running blocking closures, so
/// nothing outlives the test.
///
/// # Arguments
///
/// `#[corun::main]`'s: `worker_threads = N` (default: one per CPU),
/// `start_paused = true|false` and `crate = "path"`.
///
/// # Expansion
///
/// `#[corun::test(worker_threads = 1)] async fn works() { body }` becomes:
///
/// ```text
/// #[::core::prelude::v1::test]
/// fn works() {
///     async fn works() { body }
///     ::corun::Builder::new()
///         .worker_threads(1)
///         .build()
///         .expect("`#[corun::test]`: the runtime failed to start")
///         .block_on(works())
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(Entry::Test, args.into(), item.into()).into()
}
