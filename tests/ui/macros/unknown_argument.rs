// tokio's `flavor` has no corun counterpart: the error lists the arguments that exist.
#[corun::main(flavor = "current_thread")]
async fn main() {}
