// `start_paused` takes a bool literal, `crate` a path; an argument needs `= value`.
#[corun::test(start_paused = 1)]
async fn start_paused_not_a_bool() {}

#[corun::test(crate = 1)]
async fn crate_not_a_path() {}

#[corun::test(worker_threads)]
async fn no_value() {}

fn main() {}
