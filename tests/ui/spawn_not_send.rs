// An `Rc` held across an `.await` makes the future `!Send`: `corun::spawn` refuses it,
// since the task may move between worker threads at that await.
use std::rc::Rc;

fn main() {
    corun::run(async {
        let task = corun::spawn(async {
            let shared = Rc::new(1);
            corun::yield_now().await;
            *shared
        });
        let _ = task.await;
    });
}
