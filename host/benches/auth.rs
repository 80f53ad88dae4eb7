//! What logging in costs a served call, in one run: the Rust faulty guest's `whoami` over gRPC
//! on loopback without credentials, with Basic credentials the host verified a moment ago (the
//! cache), and with credentials it must verify afresh (argon2id: each a user's first login, so
//! nothing is cached; failed logins would be throttled after a few). And whether a flood of
//! logins to verify holds up the other requests: calls without credentials while 64 fresh
//! logins are in flight.
//!
//! Prints p50 and p99 of sequential calls for each, and the ratios to the call without
//! credentials. `make bench` runs it.

#[path = "support/mod.rs"]
mod support;

use base64::Engine as _;
use http::uri::PathAndQuery;
use parigot_host::users::{Authenticator, UserStore};
use parigot_host::wire::serve::{ServeOptions, Server};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{load, percentile, wasm};
use tonic::transport::Channel;
use tonic_prost::ProstCodec;

const PATH: &str = "/parigot.testing.users.v0_1_0.Users/Whoami";
const CALLS: usize = 2_000;
const FRESH_CALLS: usize = 100;
const FLOOD: usize = 64;

#[derive(Clone, PartialEq, prost::Message)]
struct WhoamiRequest {}

#[derive(Clone, PartialEq, prost::Message)]
struct WhoamiResponse {
    #[prost(string, optional, tag = "1")]
    result: Option<String>,
}

/// One `whoami` with `authorization` (if any): its status code and answer.
async fn whoami(channel: &Channel, authorization: Option<&str>) -> (tonic::Code, Option<String>) {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let mut request = tonic::Request::new(WhoamiRequest {});
    if let Some(value) = authorization {
        request.metadata_mut().insert("authorization", value.parse().unwrap());
    }
    let codec = ProstCodec::<WhoamiRequest, WhoamiResponse>::default();
    match grpc.unary(request, PathAndQuery::from_static(PATH), codec).await {
        Ok(response) => (tonic::Code::Ok, response.into_inner().result),
        Err(status) => (status.code(), None),
    }
}

/// Sorted latencies of `calls` sequential calls, each checked with `expect`.
async fn latencies(
    channel: &Channel,
    calls: usize,
    authorization: Option<&str>,
    expect: (tonic::Code, Option<&str>),
) -> Vec<Duration> {
    let mut out = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        let (code, user) = whoami(channel, authorization).await;
        out.push(started.elapsed());
        assert_eq!((code, user.as_deref()), expect);
    }
    out.sort();
    out
}

/// Sorted latencies of the first login of each of `users` (verified afresh).
async fn first_logins(channel: &Channel, users: std::ops::Range<usize>) -> Vec<Duration> {
    let mut out = Vec::with_capacity(users.len());
    for n in users {
        let started = Instant::now();
        let (code, user) = whoami(channel, Some(&basic(&format!("user{n}:secret")))).await;
        out.push(started.elapsed());
        assert_eq!((code, user), (tonic::Code::Ok, Some(format!("user{n}"))));
    }
    out.sort();
    out
}

fn basic(credentials: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials))
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = UserStore::new(&dir.path().join("data"));
    store.add("ada", "lovelace").unwrap();
    // Users whose first logins are verified afresh: FRESH_CALLS sequential ones, then FLOOD
    // at once.
    for n in 0..FRESH_CALLS + FLOOD {
        store.add(&format!("user{n}"), "secret").unwrap();
    }
    let text = format!(
        "manifest-version = 1\nexports = [\"parigot:testing/users@0.1.0\"]\n[services.faulty]\ncomponent = {:?}\n",
        wasm("faulty-rust")
    );
    let engine =
        parigot_host::runtime::engine::HostEngine::new(Some(parigot_host::kernel::pulse::DEFAULT_INTERVAL)).unwrap();
    let app = load(&engine, dir.path(), "auth", &text);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let users = Arc::new(Authenticator::new(store).unwrap());
        let options = ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            max_message_bytes: 4 << 20,
            users: Some(users),
            peer: None,
        };
        let running = app.instantiate(None).await.unwrap();
        let server = Server::start(&running, &options, std::future::pending()).await.unwrap();
        let channel = Channel::from_shared(format!("http://{}", server.addr)).unwrap().connect().await.unwrap();
        let right = basic("ada:lovelace");
        // Warm up: the instances, the connection, the cache.
        latencies(&channel, 200, None, (tonic::Code::Ok, None)).await;
        latencies(&channel, 200, Some(&right), (tonic::Code::Ok, Some("ada"))).await;

        let plain = latencies(&channel, CALLS, None, (tonic::Code::Ok, None)).await;
        let cached = latencies(&channel, CALLS, Some(&right), (tonic::Code::Ok, Some("ada"))).await;
        let fresh = first_logins(&channel, 0..FRESH_CALLS).await;
        // Calls without credentials while FLOOD fresh logins wait for (or run on) the
        // blocking threads.
        let flood: Vec<_> = (FRESH_CALLS..FRESH_CALLS + FLOOD)
            .map(|n| {
                let channel = channel.clone();
                tokio::spawn(async move { first_logins(&channel, n..n + 1).await })
            })
            .collect();
        let during = latencies(&channel, CALLS / 10, None, (tonic::Code::Ok, None)).await;
        for login in flood {
            login.await.unwrap();
        }

        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let base = us(percentile(&plain, 0.5));
        println!("served `whoami` over gRPC on loopback, sequential calls:");
        for (what, sorted) in [
            ("without credentials", &plain),
            ("Basic, verified a moment ago (cached)", &cached),
            ("Basic, verified afresh (argon2id)", &fresh),
            ("without credentials, 64 fresh logins in flight", &during),
        ] {
            println!(
                "  {what}: p50 {:.0} µs, p99 {:.0} µs ({:.2}x the p50 without credentials)",
                us(percentile(sorted, 0.5)),
                us(percentile(sorted, 0.99)),
                us(percentile(sorted, 0.5)) / base
            );
        }
    });
}
