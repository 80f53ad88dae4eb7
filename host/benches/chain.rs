//! Served calls through a chain of four services: the hello example's Go greeter, which calls
//! the Python decorator, which calls the JavaScript quoter, which calls the Rust signer, served over gRPC on loopback with every
//! service's own pool of instances (the default 4), 16 requests in flight on one HTTP/2
//! connection. Client and server share the process, as in the `wire` benchmark.
//!
//! Prints throughput and the latency percentiles of those concurrent calls. `make bench` runs
//! it.

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;
use support::hello_chain::{CONCURRENCY, chain_app, concurrent_round, greet};
use support::{percentile, serve};
use tonic::transport::Channel;

const ROUNDS: usize = 5;
const CALLS_PER_ROUND: usize = 4_000;

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
        concurrent_round(&channel, CALLS_PER_ROUND, &mut Vec::new()).await; // warm-up: every pool grows to its size
        let mut latencies = Vec::with_capacity(ROUNDS * CALLS_PER_ROUND);
        let mut busy = Duration::ZERO;
        for _ in 0..ROUNDS {
            busy += concurrent_round(&channel, CALLS_PER_ROUND, &mut latencies).await;
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
