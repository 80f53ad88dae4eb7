//! Served calls through a chain of four services: the hello example's Go greeter, which calls
//! the Python decorator, which calls the JavaScript quoter, which calls the Rust signer, served over gRPC on loopback with every
//! service's own pool of instances (the default 4), 16 requests in flight on one HTTP/2
//! connection. Client and server share the process, as in the `wire` benchmark.
//!
//! Prints throughput and the latency percentiles of those concurrent calls. `make bench` runs
//! it.

#[path = "support/mod.rs"]
mod support;

use http::uri::PathAndQuery;
use parigot_host::runtime::App;
use parigot_host::runtime::engine::HostEngine;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{load, percentile, serve, wasm};
use tonic::transport::Channel;
use tonic_prost::ProstCodec;

const PATH: &str = "/example.hello.greeter.v0_1_0.Greeter/Greet";
const CONCURRENCY: usize = 16;
const ROUNDS: usize = 5;
const CALLS_PER_ROUND: usize = 4_000;

// The messages of the .proto that `parigot-host proto` writes for example:hello/greeter.
#[derive(Clone, PartialEq, prost::Message)]
struct GreetingRequest {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(uint32, tag = "2")]
    excitement: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct GreetRequest {
    #[prost(message, optional, tag = "1")]
    req: Option<GreetingRequest>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Stamped {
    #[prost(string, tag = "1")]
    text: String,
    #[prost(string, repeated, tag = "2")]
    trail: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct GreetResponse {
    #[prost(message, optional, tag = "1")]
    result: Option<Stamped>,
}

/// The hello example's servers, with the greeter public, loaded with the default pulse.
fn chain_app(dir: &Path) -> Arc<App> {
    let text = format!(
        "manifest-version = 1\nexports = [\"example:hello/greeter\"]\n[services.greeter]\ncomponent = {:?}\n\
         [services.decorator]\ncomponent = {:?}\n[services.quoter]\ncomponent = {:?}\n\
         [services.signer]\ncomponent = {:?}\n",
        wasm("hello-greeter"),
        wasm("hello-decorator"),
        wasm("hello-quoter"),
        wasm("hello-signer"),
    );
    let engine = HostEngine::new(Some(parigot_host::kernel::pulse::DEFAULT_INTERVAL)).unwrap();
    load(&engine, dir, "chain", &text)
}

async fn greet(channel: &Channel) -> Stamped {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let codec = ProstCodec::<GreetRequest, GreetResponse>::default();
    let request = GreetRequest { req: Some(GreetingRequest { name: "bench".into(), excitement: 1 }) };
    let response = grpc.unary(tonic::Request::new(request), PathAndQuery::from_static(PATH), codec).await;
    response.unwrap().into_inner().result.unwrap()
}

/// `CALLS_PER_ROUND` calls with `CONCURRENCY` callers sharing one connection: how long they
/// took, and each call's latency.
async fn concurrent_round(channel: &Channel, latencies: &mut Vec<Duration>) -> Duration {
    let left = Arc::new(AtomicUsize::new(CALLS_PER_ROUND));
    let started = Instant::now();
    let callers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (channel, left) = (channel.clone(), left.clone());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok() {
                    let call = Instant::now();
                    std::hint::black_box(greet(&channel).await);
                    mine.push(call.elapsed());
                }
                mine
            })
        })
        .collect();
    for caller in callers {
        latencies.extend(caller.await.unwrap());
    }
    started.elapsed()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let app = chain_app(dir.path());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (_, addr) = serve(&app).await;
        let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        let stamped = greet(&channel).await;
        let trail = ["greeter (go)", "decorator (python)", "quoter (javascript)", "signer (rust)"];
        assert_eq!(stamped.trail, trail, "the chain answers");
        concurrent_round(&channel, &mut Vec::new()).await; // warm-up: every pool grows to its size
        let mut latencies = Vec::with_capacity(ROUNDS * CALLS_PER_ROUND);
        let mut busy = Duration::ZERO;
        for _ in 0..ROUNDS {
            busy += concurrent_round(&channel, &mut latencies).await;
        }
        latencies.sort();
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "greeter (go) -> decorator (python) -> quoter (javascript) -> signer (rust), served, {} calls at \
             concurrency {CONCURRENCY}",
            ROUNDS * CALLS_PER_ROUND
        );
        println!(
            "throughput {:.0} calls/s; latency p50 {:.0} µs, p99 {:.0} µs",
            (ROUNDS * CALLS_PER_ROUND) as f64 / busy.as_secs_f64(),
            micros(percentile(&latencies, 0.5)),
            micros(percentile(&latencies, 0.99)),
        );
    });
}
