// A test takes no parameters either.
#[corun::test]
async fn with_a_parameter(n: u32) {
    let _ = n;
}

fn main() {}
