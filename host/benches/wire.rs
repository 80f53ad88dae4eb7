//! Unary calls over loopback, in one run: parigot serving the Rust `bench-echo` guest's
//! `describe` over gRPC, next to a hand-written tonic server that implements the same .proto
//! natively in Rust (prost messages, tonic's unary handler, the same tonic/axum server stack),
//! and an in-process supervised call of the same function for scale.
//!
//! Prints latency (p50, p99 of sequential calls) and throughput (concurrent calls on one HTTP/2
//! connection), the two servers interleaved in rounds, and the ratios. parigot serves with its
//! default pool of instances per service. `make bench` runs it.

#[path = "support/mod.rs"]
mod support;

use http::uri::PathAndQuery;
use parigot_host::runtime::App;
use parigot_host::runtime::engine::HostEngine;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{load, percentile, serve, wasm};
use tonic::server::{Grpc, UnaryService};
use tonic::transport::Channel;
use tonic_prost::ProstCodec;
use wasmtime::component::Val;

const PATH: &str = "/parigot.bench.echo.v0_1_0.Echo/Describe";
const ROUNDS: usize = 10;
const CALLS_PER_ROUND: usize = 1_000;
const CONCURRENCY: usize = 16;
const CONCURRENT_CALLS: usize = 20_000;

// The messages of the .proto that `parigot-host proto` writes for parigot:bench/echo, as
// prost-build would generate them.
#[derive(Clone, PartialEq, prost::Message)]
struct Point {
    #[prost(int32, tag = "1")]
    x: i32,
    #[prost(int32, tag = "2")]
    y: i32,
    #[prost(string, tag = "3")]
    label: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct DescribeRequest {
    #[prost(message, optional, tag = "1")]
    p: Option<Point>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct DescribeResponse {
    #[prost(string, tag = "1")]
    result: String,
}

/// The native implementation of `describe`.
struct NativeEcho;

impl UnaryService<DescribeRequest> for NativeEcho {
    type Response = DescribeResponse;
    type Future = std::future::Ready<Result<tonic::Response<DescribeResponse>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<DescribeRequest>) -> Self::Future {
        let p = request.into_inner().p.unwrap_or_default();
        let result = format!("{} ({}, {})", p.label, p.x, p.y);
        std::future::ready(Ok(tonic::Response::new(DescribeResponse { result })))
    }
}

/// Serves [`NativeEcho`] on a free port until the process ends.
async fn start_native() -> String {
    let router = axum::Router::new().route(
        PATH,
        axum::routing::post(|request: http::Request<axum::body::Body>| async move {
            Grpc::new(ProstCodec::<DescribeResponse, DescribeRequest>::default()).unary(NativeEcho, request).await
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tonic::transport::Server::builder()
        .accept_http1(true)
        .add_routes(tonic::service::Routes::from(router))
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)));
    tokio::spawn(server);
    format!("http://{addr}")
}

/// The bench-echo wos (Rust guest), loaded with the default pulse.
fn echo_app(dir: &Path) -> std::sync::Arc<App> {
    let text = format!(
        "manifest-version = 1\nexports = [\"parigot:bench/echo@0.1.0\"]\n[services.echo]\ncomponent = {:?}\n",
        wasm("bench-echo-rust")
    );
    let engine = HostEngine::new(Some(parigot_host::kernel::pulse::DEFAULT_INTERVAL)).unwrap();
    load(&engine, dir, "wos", &text)
}

fn request() -> DescribeRequest {
    DescribeRequest { p: Some(Point { x: 3, y: -4, label: "origin".into() }) }
}

async fn describe(channel: &Channel) -> String {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let codec = ProstCodec::<DescribeRequest, DescribeResponse>::default();
    let response = grpc.unary(tonic::Request::new(request()), PathAndQuery::from_static(PATH), codec).await;
    response.unwrap().into_inner().result
}

/// Latencies of sequential calls, sorted.
async fn sequential(channel: &Channel, calls: usize, out: &mut Vec<Duration>) {
    for _ in 0..calls {
        let started = Instant::now();
        std::hint::black_box(describe(channel).await);
        out.push(started.elapsed());
    }
}

/// How long `CONCURRENT_CALLS / ROUNDS` calls take with `CONCURRENCY` callers sharing one
/// connection.
async fn concurrent_round(channel: &Channel) -> Duration {
    let started = Instant::now();
    let callers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let channel = channel.clone();
            tokio::spawn(async move {
                for _ in 0..CONCURRENT_CALLS / ROUNDS / CONCURRENCY {
                    std::hint::black_box(describe(&channel).await);
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.unwrap();
    }
    started.elapsed()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let app = echo_app(dir.path());

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (running, parigot) = serve(&app).await;
        let native_url = start_native().await;
        let connect = |url: String| async move { Channel::from_shared(url).unwrap().connect().await.unwrap() };
        let parigot = connect(format!("http://{parigot}")).await;
        let native = connect(native_url).await;
        assert_eq!(describe(&parigot).await, describe(&native).await, "both servers answer alike");

        let (mut parigot_latency, mut native_latency) = (Vec::new(), Vec::new());
        sequential(&parigot, CALLS_PER_ROUND, &mut Vec::new()).await; // warm-up
        sequential(&native, CALLS_PER_ROUND, &mut Vec::new()).await;
        for _ in 0..ROUNDS {
            sequential(&native, CALLS_PER_ROUND, &mut native_latency).await;
            sequential(&parigot, CALLS_PER_ROUND, &mut parigot_latency).await;
        }
        parigot_latency.sort();
        native_latency.sort();
        let (mut native_busy, mut parigot_busy) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..ROUNDS {
            native_busy += concurrent_round(&native).await;
            parigot_busy += concurrent_round(&parigot).await;
        }
        let native_rate = CONCURRENT_CALLS as f64 / native_busy.as_secs_f64();
        let parigot_rate = CONCURRENT_CALLS as f64 / parigot_busy.as_secs_f64();

        let point = Val::Record(vec![
            ("x".into(), Val::S32(3)),
            ("y".into(), Val::S32(-4)),
            ("label".into(), Val::String("origin".into())),
        ]);
        let mut in_process = Vec::with_capacity(ROUNDS * CALLS_PER_ROUND);
        for _ in 0..ROUNDS * CALLS_PER_ROUND {
            let mut results = [Val::Bool(false)];
            let started = Instant::now();
            running
                .call("echo", "parigot:bench/echo@0.1.0", "describe", std::slice::from_ref(&point), &mut results)
                .await
                .unwrap();
            in_process.push(started.elapsed());
        }
        in_process.sort();

        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "unary `describe` over loopback, {} sequential calls each, {CONCURRENT_CALLS} at concurrency {CONCURRENCY}",
            ROUNDS * CALLS_PER_ROUND
        );
        println!("{:<28} {:>10} {:>10} {:>14}", "", "p50 (µs)", "p99 (µs)", "calls/s");
        for (name, sorted, rate) in [
            ("native tonic server", &native_latency, Some(native_rate)),
            ("parigot (Rust guest)", &parigot_latency, Some(parigot_rate)),
            ("in-process supervised call", &in_process, None),
        ] {
            let rate = rate.map_or("-".to_owned(), |r| format!("{r:.0}"));
            println!(
                "{name:<28} {:>10.1} {:>10.1} {rate:>14}",
                micros(percentile(sorted, 0.5)),
                micros(percentile(sorted, 0.99))
            );
        }
        println!(
            "parigot / native: p50 {:.2}x, p99 {:.2}x latency; {:.2}x throughput",
            micros(percentile(&parigot_latency, 0.5)) / micros(percentile(&native_latency, 0.5)),
            micros(percentile(&parigot_latency, 0.99)) / micros(percentile(&native_latency, 0.99)),
            parigot_rate / native_rate
        );
    });
}
