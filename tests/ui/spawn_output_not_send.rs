// The output travels from the worker that ran the task to whoever awaits its handle, so
// it must be `Send` too: the future below is `Send`, its `Rc` output is not.
use std::rc::Rc;

fn main() {
    corun::run(async {
        let task = corun::spawn(async { Rc::new(5) });
        let _ = task.await;
    });
}
