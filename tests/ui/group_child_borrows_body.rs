// A group's children are tasks (`Send + 'static`): one cannot borrow from the body's stack,
// even though the group waits for every child before it returns.
fn main() {
    corun::run(async {
        let _ = corun::task_group(|tg: corun::TaskGroup<()>| async move {
            let local = String::from("local");
            let name: &str = &local;
            tg.spawn(async move {
                assert_eq!(name.len(), 5);
                Ok(())
            });
            Ok(())
        })
        .await;
    });
}
