//! The hello example's chain served over gRPC, and a client that greets through it with many
//! requests in flight: what the `chain` and `telemetry` benchmarks measure.

use super::{load, wasm};
use http::uri::PathAndQuery;
use parigot_host::runtime::App;
use parigot_host::runtime::engine::HostEngine;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tonic::transport::Channel;
use tonic_prost::ProstCodec;

const PATH: &str = "/example.hello.greeter.v0_1_0.Greeter/Greet";
/// Requests in flight at once.
pub const CONCURRENCY: usize = 16;

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
pub struct Stamped {
    #[prost(string, tag = "1")]
    pub text: String,
    #[prost(string, repeated, tag = "2")]
    pub trail: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct GreetResponse {
    #[prost(message, optional, tag = "1")]
    result: Option<Stamped>,
}

/// The hello example's servers, with the greeter public, loaded with the default pulse.
pub fn chain_app(dir: &Path) -> Arc<App> {
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

pub async fn greet(channel: &Channel) -> Stamped {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let codec = ProstCodec::<GreetRequest, GreetResponse>::default();
    let request = GreetRequest { req: Some(GreetingRequest { name: "bench".into(), excitement: 1 }) };
    let response = grpc.unary(tonic::Request::new(request), PathAndQuery::from_static(PATH), codec).await;
    response.unwrap().into_inner().result.unwrap()
}

/// `calls` calls with `CONCURRENCY` callers sharing one connection: how long they
/// took, and each call's latency.
pub async fn concurrent_round(channel: &Channel, calls: usize, latencies: &mut Vec<Duration>) -> Duration {
    let left = Arc::new(AtomicUsize::new(calls));
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
