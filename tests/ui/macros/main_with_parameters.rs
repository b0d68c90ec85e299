// Nothing would pass the parameters: the generated `main` takes none.
#[corun::main]
async fn main(args: Vec<String>) {
    let _ = args;
}
