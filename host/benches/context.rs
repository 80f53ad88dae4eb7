//! What observing a call costs: the per-call context (pctx) that every linked call hands on,
//! and one log line per call, next to the plain linked call, in one run.
//!
//! - `linked`: the Rust driver calls a Rust echo `n` times through a linked import (each call
//!   makes the callee's context: a child span of the caller's);
//! - `reads pctx`: the echo also reads its context through the SDK on every call;
//! - `logs a line`: the echo also logs one structured line per call through the SDK, into a
//!   sink that renders it as the text formatter would (without writing it anywhere);
//! - `propagation alone`: making a callee's context from a caller's, in the host, by itself
//!   (it is part of every linked call above).
//!
//! Run with `make bench`; components come from `make guests`.

#[path = "support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use parigot_host::caps::context::{IdSource, Pctx};
use parigot_host::caps::log::render::text_fields;
use parigot_host::caps::log::{LogSink, Record};
use parigot_host::runtime::engine::HostEngine;
use parigot_host::runtime::{CallContext, ChainId, Running, StartOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{load, wasm};
use wasmtime::component::Val;

const DRIVER: &str = "parigot:bench/driver@0.1.0";

/// Renders each line as the text formatter would, into a buffer it then drops.
struct RenderingSink;

impl LogSink for RenderingSink {
    fn record(&self, record: &Record<'_>) {
        let trace = record.trace_id.map(|id| id.to_string()).unwrap_or_default();
        let line = format!(
            "{:>5} {} | {} {} trace={trace}\n",
            record.level.name(),
            record.service,
            record.message,
            text_fields(record.fields)
        );
        std::hint::black_box(line);
    }
}

fn context(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let engine = HostEngine::new(None).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut group = c.benchmark_group("context");
    group.measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    for (name, echo, label) in [
        ("rust->rust (linked)", "bench-echo-rust", "p"),
        ("rust->rust (linked, callee reads pctx)", "bench-observed", "ctx"),
        ("rust->rust (linked, callee logs a line)", "bench-observed", "log"),
    ] {
        let text = format!(
            "manifest-version = 1\n[services.driver]\ncomponent = {:?}\n[services.echo]\ncomponent = {:?}\n",
            wasm("bench-driver"),
            wasm(echo),
        );
        let app = load(&engine, dir.path(), echo, &text);
        let options = StartOptions { log: Some(Arc::new(RenderingSink)), ..StartOptions::default() };
        let running: Running = rt.block_on(app.start(options)).unwrap();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let params = [Val::U32(u32::try_from(iters).unwrap()), Val::String(label.into())];
                let mut results = [Val::Bool(false)];
                let started = Instant::now();
                rt.block_on(running.call("driver", DRIVER, "run-labelled", &params, &mut results)).unwrap();
                started.elapsed()
            })
        });
    }
    let ids = IdSource::random();
    let caller = CallContext { chain: ChainId::fresh(), deadline: None, pctx: Pctx::fresh(&ids), client: None };
    group.bench_function("propagation alone (a callee's context from its caller's)", |b| {
        b.iter(|| std::hint::black_box(caller.for_callee(&ids)))
    });
    group.finish();
}

criterion_group!(benches, context);
criterion_main!(benches);
