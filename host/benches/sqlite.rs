//! Typed queries through the host, next to the same queries made with rusqlite directly, in
//! one run, on the same database file: a `:one` point query by primary key, and a 1,000-row
//! `:many` (reported per row).
//!
//! The guest (guests/bench-queries, Rust) runs each query in a loop inside one call, so what
//! is measured is the query through the host: the import call, its parameters and rows
//! converted, the statement run on the service's connection (prepared once). The direct side
//! runs the same SQL on a connection of its own with `prepare_cached`.
//!
//! And what durability costs: a one-row commit in WAL mode with `synchronous = full` (the
//! grant's default: on disk when it returns) next to `normal` (in the log: may be lost to a
//! power cut). `make bench` runs it.

#[path = "support/mod.rs"]
mod support;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use parigot_host::manifest::Manifest;
use parigot_host::runtime::engine::HostEngine;
use parigot_host::runtime::{Running, StartOptions};
use std::time::{Duration, Instant};
use support::{load_manifest, repo};
use wasmtime::component::Val;

const BENCH: &str = "parigot:bench-queries/bench@0.1.0";
const POINT: &str = "SELECT id, name, price FROM items WHERE id = ?1";
const SCAN: &str = "SELECT id, name, price FROM items WHERE id >= ?1 ORDER BY id LIMIT ?2";
const ROWS: i64 = 1_000;

/// An item as the direct side reads it.
struct Item {
    _id: i64,
    _name: String,
    price: i64,
}

fn item(row: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    Ok(Item { _id: row.get(0)?, _name: row.get(1)?, price: row.get(2)? })
}

/// Calls `function` of the guest with `params`; returns its `u64` answer and how long it took.
fn timed(rt: &tokio::runtime::Runtime, running: &Running, function: &str, params: &[Val]) -> (u64, Duration) {
    let mut results = [Val::U64(0)];
    let start = Instant::now();
    rt.block_on(running.call("items", BENCH, function, params, &mut results)).unwrap();
    let elapsed = start.elapsed();
    match results[0] {
        Val::U64(answer) => (answer, elapsed),
        ref other => panic!("{other:?}"),
    }
}

fn queries(c: &mut Criterion) {
    let data = tempfile::tempdir().unwrap();
    let engine = HostEngine::new(Some(parigot_host::kernel::pulse::DEFAULT_INTERVAL)).unwrap();
    let app = load_manifest(&engine, Manifest::load(&repo().join("guests/bench-queries/wos.toml")).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let options = StartOptions { data_dir: Some(data.path().to_owned()), ..StartOptions::default() };
    let running = rt.block_on(app.start(options)).unwrap();
    // The service's start created and migrated the file; the direct side opens it too.
    let direct = rusqlite::Connection::open(data.path().join("items.sqlite3")).unwrap();

    let mut point = c.benchmark_group("sqlite point query by primary key");
    point.bench_function("typed query from a Rust guest", |b| {
        b.iter_custom(|iters| {
            let (sum, elapsed) = timed(&rt, &running, "point", &[Val::S64(500), Val::U32(iters as u32)]);
            assert_eq!(sum, iters * (500 * 7 % 1000));
            elapsed
        })
    });
    point.bench_function("rusqlite directly", |b| {
        b.iter(|| {
            let mut statement = direct.prepare_cached(POINT).unwrap();
            let found = statement.query_row([500], item).unwrap();
            assert_eq!(found.price, 500 * 7 % 1000);
        })
    });
    point.finish();

    let mut scan = c.benchmark_group("sqlite 1000-row :many");
    scan.throughput(Throughput::Elements(ROWS as u64));
    scan.bench_function(BenchmarkId::new("typed query from a Rust guest", ROWS), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let (rows, elapsed) = timed(&rt, &running, "scan", &[Val::S64(1), Val::S64(ROWS)]);
                    assert_eq!(rows, ROWS as u64);
                    elapsed
                })
                .sum()
        })
    });
    scan.bench_function(BenchmarkId::new("rusqlite directly", ROWS), |b| {
        b.iter(|| {
            let mut statement = direct.prepare_cached(SCAN).unwrap();
            let rows = statement.query_map([1, ROWS], item).unwrap().collect::<rusqlite::Result<Vec<_>>>().unwrap();
            assert_eq!(rows.len() as i64, ROWS);
        })
    });
    scan.finish();
    rt.block_on(running.shutdown());
}

fn commits(c: &mut Criterion) {
    let data = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("sqlite one-row commit in WAL mode");
    for synchronous in ["full", "normal"] {
        let connection = rusqlite::Connection::open(data.path().join(format!("{synchronous}.sqlite3"))).unwrap();
        connection.pragma_update(None, "journal_mode", "wal").unwrap();
        connection.pragma_update(None, "synchronous", synchronous).unwrap();
        connection.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)").unwrap();
        group.bench_function(format!("synchronous = {synchronous}"), |b| {
            b.iter(|| connection.execute("INSERT INTO notes (text) VALUES ('a note')", []).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, queries, commits);
criterion_main!(benches);
