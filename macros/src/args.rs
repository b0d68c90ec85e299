//! The attribute's arguments: `worker_threads = N`, `start_paused = bool`, `crate = path`.
//!
//! Parsing fills a [`Config`] field by field, so when an argument is wrong the ones before
//! it still shape the expansion that is emitted next to the error.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, Path, Token};

/// Every argument the attributes know, as the unknown-argument error lists them.
const KNOWN: &str = "`worker_threads = N`, `start_paused = true|false`, `crate = \"path\"`";

/// What the arguments asked for; `None` leaves the `Builder`'s default.
#[derive(Default)]
pub(crate) struct Config {
    worker_threads: Option<usize>,
    /// With the argument's span, so that an error about the builder method points there.
    start_paused: Option<(bool, Span)>,
    /// The path corun is reached by, for crates that re-export it; `::corun` when unset.
    crate_path: Option<Path>,
}

impl Config {
    /// Parses one `name = value` argument; `syn::meta::parser` calls it for each.
    pub(crate) fn parse_argument(&mut self, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        if meta.path.is_ident("worker_threads") {
            let n = positive_integer(&value(&meta, "worker_threads = N")?)?;
            set_once(&mut self.worker_threads, n, &meta)
        } else if meta.path.is_ident("start_paused") {
            let span = meta.path.span();
            let paused = boolean(&value(&meta, "start_paused = true")?)?;
            set_once(&mut self.start_paused, (paused, span), &meta)
        } else if meta.path.is_ident("crate") {
            let path = crate_path(&value(&meta, "crate = \"path\"")?)?;
            set_once(&mut self.crate_path, path, &meta)
        } else {
            let name = meta
                .path
                .get_ident()
                .map_or_else(String::new, |ident| format!(" `{ident}`"));
            Err(meta.error(format!(
                "unknown argument{name}; the known arguments are {KNOWN}"
            )))
        }
    }

    /// The path to corun in the generated code: always absolute, so that a local module
    /// named `corun` cannot capture it.
    pub(crate) fn crate_path(&self) -> TokenStream {
        match &self.crate_path {
            Some(path) => quote!(#path),
            None => quote!(::corun),
        }
    }

    /// The builder calls the arguments ask for, in the order `Builder`'s docs list them.
    pub(crate) fn builder_calls(&self) -> TokenStream {
        let worker_threads = self.worker_threads.map(|n| {
            let n = Literal::usize_unsuffixed(n);
            quote!(.worker_threads(#n))
        });
        let start_paused = self
            .start_paused
            .map(|(paused, span)| quote_spanned!(span=> .start_paused(#paused)));
        quote!(#worker_threads #start_paused)
    }
}

/// The `= value` after an argument's name; when it is missing, the error shows `usage`.
fn value(meta: &ParseNestedMeta<'_>, usage: &str) -> syn::Result<Expr> {
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format!("missing value: write `{usage}`")));
    }
    meta.value()?.parse()
}

fn set_once<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if slot.is_some() {
        let name = meta.path.get_ident().map(ToString::to_string);
        let name = name.as_deref().unwrap_or("this argument");
        return Err(meta.error(format!("`{name}` is given twice; keep one")));
    }
    *slot = Some(value);
    Ok(())
}

fn positive_integer(value: &Expr) -> syn::Result<usize> {
    let Expr::Lit(ExprLit {
        lit: Lit::Int(int), ..
    }) = value
    else {
        return Err(syn::Error::new_spanned(
            value,
            "`worker_threads` takes a positive integer literal, e.g. `worker_threads = 4`",
        ));
    };
    match int.base10_parse::<usize>()? {
        0 => Err(syn::Error::new_spanned(
            int,
            "`worker_threads` must be at least 1: a runtime needs a worker to run tasks",
        )),
        n => Ok(n),
    }
}

fn boolean(value: &Expr) -> syn::Result<bool> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(
            value,
            "`start_paused` takes `true` or `false`",
        )),
    }
}

/// `crate = "my_crate::corun"`, as serde and tokio spell it, or the bare path.
fn crate_path(value: &Expr) -> syn::Result<Path> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => s.parse(),
        Expr::Path(path) if path.qself.is_none() => Ok(path.path.clone()),
        _ => Err(syn::Error::new_spanned(
            value,
            "`crate` takes the path corun is re-exported at, e.g. `crate = \"my_crate::corun\"`",
        )),
    }
}
