//! The guest languages side by side, in one run: the benchmark echo service (`bench-echo-*`,
//! the same interface in Rust, Go, Python and JavaScript), for each
//!
//! - its component's size;
//! - its first compile: the component compiled by the host's engine with no cache (one run);
//! - an instance's start: a fresh instance of the compiled component in a plain wasmtime Store
//!   with WASI (the median of `STARTS`);
//! - served calls: `echo-text` over gRPC on loopback, one call at a time on one HTTP/2
//!   connection (`SERVED` calls after a warm-up): p50 and p99.
//!
//! The direct and linked calls into each language are the `linking` benchmark's `call` groups.
//! `make bench` runs both.

#[path = "support/mod.rs"]
mod support;

use http::uri::PathAndQuery;
use parigot_host::runtime::engine::HostEngine;
use std::time::{Duration, Instant};
use support::{Plain, load, percentile, serve, wasm};
use tonic::transport::Channel;
use tonic_prost::ProstCodec;
use wasmtime::Store;
use wasmtime::component::{Component, Linker};

const LANGUAGES: [&str; 4] = ["rust", "go", "python", "js"];
const STARTS: usize = 20;
const SERVED: usize = 2_000;
const PATH: &str = "/parigot.bench.echo.v0_1_0.Echo/EchoText";

// The messages of the .proto that `parigot-host proto` writes for parigot:bench/echo#echo-text.
#[derive(Clone, PartialEq, prost::Message)]
struct EchoTextRequest {
    #[prost(string, tag = "1")]
    text: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct EchoTextResponse {
    #[prost(string, tag = "1")]
    result: String,
}

/// One language's numbers.
struct Measured {
    language: &'static str,
    size_mib: f64,
    compile: Duration,
    start: Duration,
    served_p50: Duration,
    served_p99: Duration,
}

/// Compiles `bytes` with no cache, then starts `STARTS` fresh instances: the compile time and
/// the median start.
fn compile_and_start(rt: &tokio::runtime::Runtime, engine: &HostEngine, bytes: &[u8]) -> (Duration, Duration) {
    let started = Instant::now();
    let component = Component::new(engine.engine(), bytes).unwrap();
    let compile = started.elapsed();
    let mut linker = Linker::new(engine.engine());
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    let pre = linker.instantiate_pre(&component).unwrap();
    let mut starts: Vec<Duration> = (0..STARTS)
        .map(|_| {
            let mut store = Store::new(engine.engine(), Plain::new());
            // The host's engine interrupts at epochs (the pulse): this Store is never due.
            store.set_epoch_deadline(1 << 40);
            let started = Instant::now();
            std::hint::black_box(rt.block_on(pre.instantiate_async(&mut store)).unwrap());
            started.elapsed()
        })
        .collect();
    starts.sort();
    (compile, percentile(&starts, 0.5))
}

/// Serves the echo service in `language` and calls `echo-text` `SERVED` times, one at a time:
/// the sorted latencies.
fn served(rt: &tokio::runtime::Runtime, engine: &HostEngine, language: &str) -> Vec<Duration> {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "manifest-version = 1\nexports = [\"parigot:bench/echo\"]\n[services.echo]\ncomponent = {:?}\n",
        wasm(&format!("bench-echo-{language}"))
    );
    let app = load(engine, dir.path(), language, &text);
    rt.block_on(async {
        let (_, addr) = serve(&app).await;
        let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        let mut grpc = tonic::client::Grpc::new(channel);
        let mut call = async || {
            grpc.ready().await.unwrap();
            let codec = ProstCodec::<EchoTextRequest, EchoTextResponse>::default();
            let request = tonic::Request::new(EchoTextRequest { text: "bench".into() });
            let answer = grpc.unary(request, PathAndQuery::from_static(PATH), codec).await.unwrap();
            assert_eq!(answer.into_inner().result, "bench");
        };
        for _ in 0..SERVED / 10 {
            call().await;
        }
        let mut latencies = Vec::with_capacity(SERVED);
        for _ in 0..SERVED {
            let started = Instant::now();
            call().await;
            latencies.push(started.elapsed());
        }
        latencies.sort();
        latencies
    })
}

fn main() {
    let engine = HostEngine::new(Some(parigot_host::kernel::pulse::DEFAULT_INTERVAL)).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let measured: Vec<Measured> = LANGUAGES
        .iter()
        .map(|&language| {
            let bytes = std::fs::read(wasm(&format!("bench-echo-{language}"))).unwrap();
            let (compile, start) = compile_and_start(&rt, &engine, &bytes);
            let latencies = served(&rt, &engine, language);
            Measured {
                language,
                size_mib: bytes.len() as f64 / f64::from(1 << 20),
                compile,
                start,
                served_p50: percentile(&latencies, 0.5),
                served_p99: percentile(&latencies, 0.99),
            }
        })
        .collect();
    let rust = &measured[0];
    println!("| echo service | component | first compile | instance start | served p50 | served p99 |");
    println!("|---|---|---|---|---|---|");
    for m in &measured {
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        println!(
            "| {} | {:.1} MiB | {:.2} s ({:.0}x) | {:.0} µs ({:.0}x) | {:.0} µs ({:.1}x) | {:.0} µs ({:.1}x) |",
            m.language,
            m.size_mib,
            m.compile.as_secs_f64(),
            ratio(m.compile, rust.compile),
            m.start.as_secs_f64() * 1e6,
            ratio(m.start, rust.start),
            m.served_p50.as_secs_f64() * 1e6,
            ratio(m.served_p50, rust.served_p50),
            m.served_p99.as_secs_f64() * 1e6,
            ratio(m.served_p99, rust.served_p99),
        );
    }
}
