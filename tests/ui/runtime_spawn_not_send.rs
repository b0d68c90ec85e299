// `Runtime::spawn` has the same `Send` bound as `corun::spawn`.
use std::rc::Rc;

fn main() {
    let rt = corun::Runtime::new().unwrap();
    let task = rt.spawn(async {
        let shared = Rc::new(1);
        corun::yield_now().await;
        *shared
    });
    let _ = rt.block_on(task);
}
