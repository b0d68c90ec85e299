//! Compile-fail tests: what the type system must refuse, and what `#[corun::main]` and
//! `#[corun::test]` reject (in `tests/ui/macros/`, with the `macros` feature). Each case in
//! `tests/ui/` comes with the compiler's expected `.stderr`; regenerate them (after checking
//! the new text still fails for the intended reason) with `TRYBUILD=overwrite cargo test
//! --test compile_fail`. The text depends on the rustc version.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    #[cfg(feature = "macros")]
    cases.compile_fail("tests/ui/macros/*.rs");
}
