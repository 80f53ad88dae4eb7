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

    fn kinds() -> String {
        let full = queries::add_kinds(
            1.5,
            true,
            &[0, 1, 255],
            Some("é"),
            Some(-2.25),
            Some(false),
            Some(&[7]),
            "a",
            "bb",
            "ccc",
            "dddd",
            "eeeee",
        )
        .expect("add-kinds");
        let empty = queries::add_kinds(0.0, false, &[], None, None, None, None, "", "", "", "", "").expect("add-kinds");
        let mut lines = Vec::new();
        lines.push(match queries::get_kinds(full).expect("get-kinds") {
            Some(row) => row_line!(row),
            None => "no row".to_owned(),
        });
        lines.push(format!("{:?}", queries::get_kinds(empty + 1).expect("get-kinds").map(|row| row.id)));
        lines.extend(queries::all_kinds().expect("all-kinds").into_iter().map(|row| row_line!(row)));
        lines.push(format!("{:?}", queries::maybe_texts().expect("maybe-texts")));
        lines.join("\n")
    }
}

/// A row of `kinds` on one line, whichever query read it.
macro_rules! row_line {
    ($row:expr) => {{
        let row = $row;
        format!(
            "{} {} {} {:?} {:?} {:?} {:?} {:?} {} {} {} {} {}",
            row.id,
            row.real,
            row.flag,
            row.bytes,
            row.maybe_text,
            row.maybe_real,
            row.maybe_flag,
            row.maybe_bytes,
            row.a,
            row.b,
            row.c,
            row.d,
            row.e
        )
    }};
}
use row_line;

export!(Bench);
