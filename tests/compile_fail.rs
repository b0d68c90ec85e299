//! Compile-fail tests: what the type system must refuse. Each case in `tests/ui/` comes
//! with the compiler's expected `.stderr`; regenerate them (after checking the new text
//! still fails for the intended reason) with `TRYBUILD=overwrite cargo test --test
//! compile_fail`. The text depends on the rustc version.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
