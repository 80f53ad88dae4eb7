//! What OTLP export costs served calls: the hello chain of the `chain` benchmark (four services,
//! each call four spans and three log lines), 16 requests in flight, served by two wos started
//! alike but for export: one without, one exporting over OTLP/HTTP (the default protocol) to a
//! collector on loopback, which keeps the bodies it receives and decodes them (with
//! opentelemetry-proto's messages) only after the measurement, as a collector on a machine of
//! its own would cost this one nothing. Rounds alternate between the two, so that both see the
//! same machine.
//!
//! A third wos, started alike, keeps its latest spans and log lines for a dashboard, which a
//! client polls as an open page does (every second: state, traces, logs).
//!
//! Prints each one's throughput and latency percentiles, the ratios to the first, and the spans
//! and log records the collector received. `make bench` runs it.

#[path = "support/mod.rs"]
mod support;

use axum::body::Bytes;
use axum::extract::State;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use parigot_host::dashboard::{self, DashboardOptions};
use parigot_host::runtime::StartOptions;
use parigot_host::telemetry::otlp::{ExportConfig, TelemetryTable};
use parigot_host::telemetry::recent::Recent;
use prost::Message;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::hello_chain::{CONCURRENCY, chain_app, concurrent_round, greet};
use support::{percentile, serve_with};
use tonic::transport::Channel;

const ROUNDS: usize = 10;
const CALLS_PER_ROUND: usize = 3_000;

/// What the collector received: the bodies of its requests, kept as they came and decoded
/// after the measurement (a real collector decodes on a machine of its own).
#[derive(Default, Clone)]
struct Received {
    traces: Arc<Mutex<Vec<Bytes>>>,
    logs: Arc<Mutex<Vec<Bytes>>>,
}

impl Received {
    fn spans(&self) -> usize {
        let bodies = self.traces.lock().unwrap();
        let requests = bodies.iter().map(|body| ExportTraceServiceRequest::decode(body.clone()).unwrap());
        requests.flat_map(|r| r.resource_spans).flat_map(|r| r.scope_spans).map(|s| s.spans.len()).sum()
    }

    fn log_records(&self) -> usize {
        let bodies = self.logs.lock().unwrap();
        let requests = bodies.iter().map(|body| ExportLogsServiceRequest::decode(body.clone()).unwrap());
        requests.flat_map(|r| r.resource_logs).flat_map(|r| r.scope_logs).map(|s| s.log_records.len()).sum()
    }
}

/// Starts an OTLP/HTTP collector on a free loopback port that keeps what it receives.
async fn collector(received: Received) -> SocketAddr {
    use axum::routing::post;
    let keep = |bodies: fn(&Received) -> &Arc<Mutex<Vec<Bytes>>>| {
        move |State(received): State<Received>, body: Bytes| async move {
            bodies(&received).lock().unwrap().push(body);
            ([("content-type", "application/x-protobuf")], Vec::<u8>::new())
        }
    };
    let app = axum::Router::new()
        .route("/v1/traces", post(keep(|r| &r.traces)))
        .route("/v1/logs", post(keep(|r| &r.logs)))
        .layer(axum::extract::DefaultBodyLimit::max(64 << 20))
        .with_state(received);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    parigot_host::telemetry::admin::serve_in_background(listener, app, std::future::pending(), "the collector");
    addr
}

/// One served wos's measurements.
#[derive(Default)]
struct Side {
    latencies: Vec<Duration>,
    busy: Duration,
}

impl Side {
    fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.busy.as_secs_f64()
    }

    fn report(&mut self, name: &str) {
        self.latencies.sort();
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "{name:<11} {:>6.0} calls/s; latency p50 {:>5.0} µs, p99 {:>6.0} µs",
            self.throughput(),
            micros(percentile(&self.latencies, 0.5)),
            micros(percentile(&self.latencies, 0.99)),
        );
    }
}

/// What an open dashboard page asks for, every second, until the process ends.
async fn watch(dashboard: SocketAddr) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<Bytes>>();
    loop {
        for path in ["/api/state", "/api/traces", "/api/logs?level=info"] {
            let uri: http::Uri = format!("http://{dashboard}{path}").parse().unwrap();
            let answer = client.get(uri).await.unwrap();
            assert!(answer.status().is_success());
            http_body_util::BodyExt::collect(answer.into_body()).await.unwrap();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn connect(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let app = chain_app(dir.path());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let received = Received::default();
        let collector = collector(received.clone()).await;
        let table = TelemetryTable { otlp_endpoint: Some(format!("http://{collector}")), ..TelemetryTable::default() };
        let export = ExportConfig::resolve("chain", &table, &|_| None).unwrap();
        let (_quiet, quiet) = serve_with(&app, StartOptions::default()).await;
        let (exporting_wos, exporting) = serve_with(&app, StartOptions { export, ..StartOptions::default() }).await;
        let recent = Arc::new(Recent::default());
        let (watched_wos, watched) =
            serve_with(&app, StartOptions { recent: Some(recent.clone()), ..StartOptions::default() }).await;
        let options = DashboardOptions { listen: "127.0.0.1:0".parse().unwrap(), tables: None };
        let dashboard = dashboard::start(options, watched_wos.clone(), recent, std::future::pending()).await.unwrap();
        tokio::spawn(watch(dashboard));
        let channels = [connect(quiet).await, connect(exporting).await, connect(watched).await];
        for channel in &channels {
            assert_eq!(greet(channel).await.trail.len(), 4, "the chain answers");
            concurrent_round(channel, CALLS_PER_ROUND, &mut Vec::new()).await; // warm-up
        }
        let mut sides = [Side::default(), Side::default(), Side::default()];
        for round in 0..ROUNDS {
            // Rotate which goes first, so that none always follows another.
            let order = [round % 3, (round + 1) % 3, (round + 2) % 3];
            for which in order {
                let side = &mut sides[which];
                side.busy += concurrent_round(&channels[which], CALLS_PER_ROUND, &mut side.latencies).await;
            }
        }
        exporting_wos.shutdown().await; // the last records flushed
        let calls = ROUNDS * CALLS_PER_ROUND;
        println!(
            "greeter (go) -> decorator (python) -> quoter (javascript) -> signer (rust), served, {calls} calls \
             each at concurrency {CONCURRENCY}"
        );
        sides[0].report("export off");
        sides[1].report("export on");
        sides[2].report("dashboard");
        println!("ratio export on/off: throughput {:.3}x", sides[1].throughput() / sides[0].throughput());
        println!("ratio dashboard open/off: throughput {:.3}x", sides[2].throughput() / sides[0].throughput());
        let metrics = exporting_wos.metrics().encode();
        let dropped: Vec<&str> = metrics.lines().filter(|l| l.starts_with("parigot_telemetry_dropped_total")).collect();
        println!(
            "the collector received {} spans and {} log records; dropped: {}",
            received.spans(),
            received.log_records(),
            if dropped.is_empty() { "none".to_owned() } else { dropped.join(", ") }
        );
    });
}
