//! Looking inside a running corun: a small crawler made of nested task groups, with a
//! dump of its task tree taken while it runs, then the runtime's metrics.
//!
//!     cargo run --example inspect

use corun::task::Builder;
use std::time::Duration;

/// Fetches one "page": a short sleep, standing in for the network.
async fn fetch(site: usize, page: usize) -> Result<usize, String> {
    corun::sleep(Duration::from_millis(50 + 10 * page as u64)).await;
    Ok(site * 100 + page)
}

/// Crawls one site: a group of page fetches, gathered.
async fn crawl(site: usize) -> Result<usize, String> {
    let pages = corun::gather((0..2).map(move |page| fetch(site, page))).await;
    pages.into_iter().sum::<Result<usize, String>>()
}

fn main() {
    let rt = corun::Runtime::builder()
        .worker_threads(2)
        .build()
        .expect("a two-worker runtime starts");
    let handle = rt.handle().clone();
    let crawl_all = async {
        corun::task_group(|tg| async move {
            for site in 0..3 {
                tg.builder()
                    .name(format!("crawl site {site}"))
                    .spawn(crawl(site));
            }
            Ok::<_, String>(())
        })
        .await
    };
    let crawler = Builder::new()
        .name("crawler")
        .spawn_on(crawl_all, rt.handle());

    // Let the crawl get going, then look.
    std::thread::sleep(Duration::from_millis(20));
    println!("{}", handle.dump());
    print!("{}", handle.metrics());

    let result = rt.block_on(crawler).expect("the crawler task finished");
    println!("crawl result: {result:?}");
}
