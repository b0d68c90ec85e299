// `#[corun::test]` adds `#[test]` itself; a second one would register the test twice.
#[corun::test]
#[test]
async fn twice() {}

fn main() {}
