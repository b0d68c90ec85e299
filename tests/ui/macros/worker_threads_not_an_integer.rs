// `worker_threads` takes an integer literal, not a string or a constant's name.
const WORKERS: usize = 4;

#[corun::test(worker_threads = "4")]
async fn a_string() {}

#[corun::test(worker_threads = WORKERS)]
async fn a_constant() {}

#[corun::test(worker_threads = -1)]
async fn a_negative_number() {}

fn main() {
    let _ = WORKERS;
}
