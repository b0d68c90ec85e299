// A test cannot be generic: nothing would choose `T`.
#[corun::test]
async fn generic<T: Default>() {
    let _ = T::default();
}

fn main() {}
