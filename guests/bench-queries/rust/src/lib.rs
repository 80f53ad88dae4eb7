//! Benchmark service in Rust: the typed queries of `db/queries.sql` in a loop, so a benchmark
//! sees what one query costs through the host. A failed query traps: the benchmark's data is
//! fixed, so any failure is a bug.

wit_bindgen::generate!({
    path: ["../db/queries.wit", "../wit"],
    world: "parigot:bench-queries/bench-queries-service",
    generate_all,
});

use bench::db::queries;
use exports::parigot::bench_queries::bench::Guest;

struct Bench;

impl Guest for Bench {
    fn point(id: i64, times: u32) -> u64 {
        (0..times).map(|_| queries::get_item(id).expect("get-item").map_or(0, |item| item.price as u64)).sum()
    }

    fn scan(first: i64, count: i64) -> u64 {
        queries::items_from(first, count).expect("items-from").len() as u64
    }
}

export!(Bench);
