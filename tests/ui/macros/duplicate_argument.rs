// Each argument may be given once.
#[corun::main(worker_threads = 2, worker_threads = 4)]
async fn main() {}
