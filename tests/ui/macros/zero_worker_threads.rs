// A runtime without workers could run nothing; the count is checked at compile time.
#[corun::main(worker_threads = 0)]
async fn main() {}
