// The attribute runs an `async fn`; on a plain `fn` it says to add `async`.
#[corun::main]
fn main() {}
