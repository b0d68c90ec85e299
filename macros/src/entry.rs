//! The expansion shared by `#[corun::main]` and `#[corun::test]`.
//!
//! The user's `async fn` becomes a plain `fn` of the same name, attributes, visibility and
//! return type. Its body moves, unchanged, into an `async fn` nested inside, which the plain
//! one runs on a fresh runtime:
//!
//! ```text
//! #[::core::prelude::v1::test]          // #[corun::test] only
//! #[the user's other attributes]
//! fn name() -> Output {
//!     async fn name() -> Output { the user's body }
//!     ::corun::Builder::new()
//!         .worker_threads(N)            // when given
//!         .start_paused(bool)           // when given
//!         .build()
//!         .expect("...")
//!         .block_on(name())
//! }
//! ```
//!
//! A nested `async fn`, rather than an `async` block, keeps the body's meaning exactly:
//! its declared return type guides `?` and `return` as it did in the user's function.
//! The runtime is a temporary of the last expression, so it is dropped, and shut down,
//! as soon as the body's output is out (or while a panic unwinds from it).
//!
//! On a mistake the expansion is still emitted, next to the error, whenever it can be
//! (wrong arguments, a missing `async`): the body then type-checks as it will once fixed, and
//! the user sees the macro's error and not a cascade of the compiler's.

use crate::args::Config;
use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::Parser;
use syn::{Attribute, Generics, ItemFn, Token};

/// Which attribute is expanding.
#[derive(Clone, Copy)]
pub(crate) enum Entry {
    Main,
    Test,
}

impl Entry {
    fn attribute(self) -> &'static str {
        match self {
            Entry::Main => "`#[corun::main]`",
            Entry::Test => "`#[corun::test]`",
        }
    }
}

/// Expands `#[corun::main(args)]` or `#[corun::test(args)]` on `item`.
pub(crate) fn expand(entry: Entry, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(error) => {
            let message = format!("{} goes on an `async fn`: {error}", entry.attribute());
            return with_errors(item, Some(syn::Error::new(error.span(), message)));
        }
    };
    let mut config = Config::default();
    let mut errors = syn::meta::parser(|meta| config.parse_argument(meta))
        .parse2(args)
        .err();
    let signature_error = signature_error(entry, &func);
    let callable = signature_error.is_none();
    if let Some(error) = signature_error {
        add(&mut errors, error);
    }
    if func.sig.asyncness.is_none() {
        let message = format!(
            "the `async` keyword is missing from the function declaration: {} runs an `async fn`",
            entry.attribute()
        );
        add(
            &mut errors,
            syn::Error::new_spanned(func.sig.fn_token, message),
        );
    }
    if let Entry::Test = entry {
        for test in func.attrs.iter().filter(|attr| is_test(attr)) {
            let message =
                "`#[corun::test]` already marks the function as a test; remove this `#[test]`";
            add(&mut errors, syn::Error::new_spanned(test, message));
        }
    }
    with_errors(runs_on_runtime(entry, func, &config, callable), errors)
}

/// A signature the expansion cannot call: parameters (who would pass them?) or generics.
fn signature_error(entry: Entry, func: &ItemFn) -> Option<syn::Error> {
    let sig = &func.sig;
    let attribute = entry.attribute();
    if !sig.inputs.is_empty() {
        let message = format!(
            "{attribute} functions cannot take parameters: nothing would pass them; \
             build the values inside the body"
        );
        Some(syn::Error::new_spanned(&sig.inputs, message))
    } else if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let message =
            format!("{attribute} functions cannot be generic: nothing would choose the types");
        Some(syn::Error::new_spanned(&sig.generics, message))
    } else {
        None
    }
}

fn is_test(attr: &Attribute) -> bool {
    attr.path().is_ident("test")
}

/// The expansion. When the body is not `callable` (a signature error is being reported),
/// the nested `async fn` keeps the parameters and generics, so the body still type-checks
/// with them in scope, and is never called.
fn runs_on_runtime(entry: Entry, func: ItemFn, config: &Config, callable: bool) -> TokenStream {
    let ItemFn {
        mut attrs,
        vis,
        mut sig,
        block,
    } = func;
    let test = match entry {
        Entry::Main => None,
        Entry::Test => {
            // A `#[test]` of the user's is an error (reported), and would be a duplicate.
            attrs.retain(|attr| !is_test(attr));
            Some(quote!(#[::core::prelude::v1::test]))
        }
    };
    let mut body_sig = sig.clone();
    body_sig.asyncness = Some(Token![async](sig.fn_token.span));
    sig.asyncness = None;
    sig.inputs.clear();
    sig.generics = Generics::default();
    let name = &sig.ident;
    let unused = (!callable).then(|| quote!(#[allow(dead_code)]));
    let run = if callable {
        let corun = config.crate_path();
        let builder_calls = config.builder_calls();
        let expect = format!("{}: the runtime failed to start", entry.attribute());
        quote! {
            #corun::Builder::new()
                #builder_calls
                .build()
                .expect(#expect)
                .block_on(#name())
        }
    } else {
        quote!(::core::unreachable!())
    };
    quote! {
        #test
        #(#attrs)*
        #vis #sig {
            #unused
            #body_sig #block
            #run
        }
    }
}

fn add(errors: &mut Option<syn::Error>, error: syn::Error) {
    match errors {
        Some(errors) => errors.combine(error),
        None => *errors = Some(error),
    }
}

fn with_errors(mut tokens: TokenStream, errors: Option<syn::Error>) -> TokenStream {
    if let Some(errors) = errors {
        tokens.extend(errors.into_compile_error());
    }
    tokens
}
