// The attributes go on an `async fn`.
#[corun::main]
struct Main;

fn main() {}
