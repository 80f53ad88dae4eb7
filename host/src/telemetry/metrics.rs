//! The metrics of a running wos, which the admin listener serves to Prometheus:
//!
//! - `parigot_calls_total{service, function, outcome}`: calls into each service's functions
//!   (its exports, from the edge or the host, and the imports linked to it), `ok` or `error`;
//! - `parigot_call_duration_seconds{service, function}`: how long they took, a histogram;
//! - `parigot_failures_total{service, kind}`: failed instances, by why (`trap`, `deadline`,
//!   `memory`, `resources`; a caller's own deadline is not the service's failure and is not
//!   counted);
//! - `parigot_restarts_total{service}`: fresh instances started after a failure;
//! - `parigot_instances{service, state}`: instances `busy` in a call and `idle`, as of the
//!   scrape;
//! - `parigot_memory_bytes{service}`: the linear memories and tables its instances hold, as
//!   of the scrape;
//! - `parigot_logins_total{outcome}`: requests that came with credentials at the served edge,
//!   by outcome (`ok`, `refused`, `throttled`, `unavailable`);
//! - `parigot_requests_total{function, code}`: requests served at the edge (gRPC and Connect)
//!   that reached their function, by the code they were answered with (`ok`,
//!   `deadline_exceeded`, `resource_exhausted`...);
//! - `parigot_sqlite_statement_duration_seconds{service, statement}`: SQLite statements, by
//!   typed query name or, for SQL a guest wrote, by its first keyword (`SELECT`, `INSERT`...),
//!   a histogram (waiting for a thread and for a lock included);
//! - `parigot_telemetry_dropped_total{signal}`: spans and log records dropped because the
//!   OTLP export queue was full; `parigot_telemetry_export_failures_total{signal}`: exports
//!   that failed.
//!
//! A function is named `interface#function` (`parigot:testing/faults@0.1.0#ping`). Recording
//! takes a lock only the first time a label set is seen.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Duration;

/// The upper bounds of the call durations' buckets, in seconds: 50 µs to 30 s.
const DURATION_BUCKETS: [f64; 18] =
    [5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The content type of [`Metrics::encode`]'s text (Prometheus's text format 0.0.4).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// One function of one service.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FunctionLabels {
    service: String,
    function: String,
}

/// A call's function and how it ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    service: String,
    function: String,
    outcome: &'static str,
}

/// A failure of a service's instance.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    service: String,
    kind: &'static str,
}

/// One service.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabels {
    service: String,
}

/// A service's instances in one state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InstanceLabels {
    service: String,
    state: &'static str,
}

/// A served function and the code its request was answered with.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    function: String,
    code: &'static str,
}

/// One kind of SQLite statement of one service.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatementLabels {
    service: String,
    statement: String,
}

/// An OTLP signal (`spans`, `logs`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignalLabels {
    signal: &'static str,
}

/// How a login ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoginLabels {
    outcome: &'static str,
}

/// The metrics of one running wos.
pub struct Metrics {
    registry: Registry,
    calls: Family<CallLabels, Counter>,
    durations: Family<FunctionLabels, Histogram, fn() -> Histogram>,
    failures: Family<FailureLabels, Counter>,
    restarts: Family<ServiceLabels, Counter>,
    instances: Family<InstanceLabels, Gauge>,
    memory: Family<ServiceLabels, Gauge>,
    logins: Family<LoginLabels, Counter>,
    requests: Family<RequestLabels, Counter>,
    statements: Family<StatementLabels, Histogram, fn() -> Histogram>,
    dropped: Family<SignalLabels, Counter>,
    export_failures: Family<SignalLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        let calls = Family::<CallLabels, Counter>::default();
        let durations: Family<FunctionLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
        let failures = Family::<FailureLabels, Counter>::default();
        let restarts = Family::<ServiceLabels, Counter>::default();
        let instances = Family::<InstanceLabels, Gauge>::default();
        let memory = Family::<ServiceLabels, Gauge>::default();
        let logins = Family::<LoginLabels, Counter>::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let statements: Family<StatementLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
        let dropped = Family::<SignalLabels, Counter>::default();
        let export_failures = Family::<SignalLabels, Counter>::default();
        let mut registry = Registry::with_prefix("parigot");
        registry.register("calls", "Calls into a service's functions, by outcome", calls.clone());
        registry.register("call_duration_seconds", "How long calls into a service's functions took", durations.clone());
        registry.register("failures", "Failed instances of a service, by why", failures.clone());
        registry.register("restarts", "Fresh instances of a service started after a failure", restarts.clone());
        registry.register("instances", "A service's instances, busy in a call or idle", instances.clone());
        registry.register(
            "memory_bytes",
            "What a service's instances hold: linear memories and tables",
            memory.clone(),
        );
        registry.register("logins", "Requests with credentials at the served edge, by outcome", logins.clone());
        registry.register(
            "requests",
            "Requests served at the edge that reached their function, by the code they were answered with",
            requests.clone(),
        );
        registry.register(
            "sqlite_statement_duration_seconds",
            "How long a service's SQLite statements took, by typed query or first keyword",
            statements.clone(),
        );
        registry.register(
            "telemetry_dropped",
            "Spans and log records dropped: the export queue was full",
            dropped.clone(),
        );
        registry.register("telemetry_export_failures", "OTLP exports that failed", export_failures.clone());
        Metrics {
            registry,
            calls,
            durations,
            failures,
            restarts,
            instances,
            memory,
            logins,
            requests,
            statements,
            dropped,
            export_failures,
        }
    }
}

impl Metrics {
    /// Records a call into `function` of `service` that took `took`.
    pub fn call_ended(&self, service: &str, function: &str, ok: bool, took: Duration) {
        let outcome = if ok { "ok" } else { "error" };
        let labels = CallLabels { service: service.to_owned(), function: function.to_owned(), outcome };
        self.calls.get_or_create(&labels).inc();
        let function = FunctionLabels { service: labels.service, function: labels.function };
        self.durations.get_or_create(&function).observe(took.as_secs_f64());
    }

    /// Records a failed instance of `service`; `kind` says why (`trap`, `deadline`...).
    pub fn failed(&self, service: &str, kind: &'static str) {
        self.failures.get_or_create(&FailureLabels { service: service.to_owned(), kind }).inc();
    }

    /// Records a fresh instance of `service` started after a failure.
    pub fn restarted(&self, service: &str) {
        self.restarts.get_or_create(&ServiceLabels { service: service.to_owned() }).inc();
    }

    /// Sets how many instances of `service` are busy in a call, and how many idle.
    pub fn set_instances(&self, service: &str, busy: usize, idle: usize) {
        for (state, count) in [("busy", busy), ("idle", idle)] {
            let labels = InstanceLabels { service: service.to_owned(), state };
            self.instances.get_or_create(&labels).set(i64::try_from(count).unwrap_or(i64::MAX));
        }
    }

    /// Sets the memory the instances of `service` hold, in bytes.
    pub fn set_memory(&self, service: &str, bytes: u64) {
        let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
        self.memory.get_or_create(&ServiceLabels { service: service.to_owned() }).set(bytes);
    }

    /// Records a login at the served edge; `outcome` is `ok`, `refused`, `throttled` or
    /// `unavailable`.
    pub fn login(&self, outcome: &'static str) {
        self.logins.get_or_create(&LoginLabels { outcome }).inc();
    }

    /// Records a request served at the edge for `function` (`interface#function`), answered
    /// with `code` (`ok`, `deadline_exceeded`...: the Connect protocol's names of gRPC codes).
    pub fn request_ended(&self, function: &str, code: &'static str) {
        self.requests.get_or_create(&RequestLabels { function: function.to_owned(), code }).inc();
    }

    /// The failures of `service` so far, of any of `kinds`.
    pub fn failures_of(&self, service: &str, kinds: &[&'static str]) -> u64 {
        let count =
            |&kind| self.failures.get(&FailureLabels { service: service.to_owned(), kind }).map_or(0, |c| c.get());
        kinds.iter().map(count).sum()
    }

    /// The fresh instances of `service` started after a failure so far.
    pub fn restarts_of(&self, service: &str) -> u64 {
        self.restarts.get(&ServiceLabels { service: service.to_owned() }).map_or(0, |c| c.get())
    }

    /// Records a SQLite statement of `service` that took `took`; `statement` is its typed
    /// query's name or its first keyword.
    pub fn statement_ended(&self, service: &str, statement: &str, took: Duration) {
        let labels = StatementLabels { service: service.to_owned(), statement: statement.to_owned() };
        self.statements.get_or_create(&labels).observe(took.as_secs_f64());
    }

    /// Records a span or log record (`signal`) dropped for a full export queue.
    pub fn telemetry_dropped(&self, signal: &'static str) {
        self.dropped.get_or_create(&SignalLabels { signal }).inc();
    }

    /// Records an export of `signal` that failed.
    pub fn telemetry_export_failed(&self, signal: &'static str) {
        self.export_failures.get_or_create(&SignalLabels { signal }).inc();
    }

    /// Every metric in Prometheus's text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_failures_restarts_instances_and_logins_are_counted() {
        let metrics = Metrics::default();
        let ping = "parigot:testing/faults@0.1.0#ping";
        metrics.call_ended("faulty", ping, true, Duration::from_micros(70));
        metrics.call_ended("faulty", ping, true, Duration::from_millis(3));
        metrics.call_ended("faulty", ping, false, Duration::from_secs(2));
        metrics.failed("faulty", "deadline");
        metrics.restarted("faulty");
        metrics.set_instances("faulty", 1, 3);
        metrics.set_memory("faulty", 1 << 20);
        metrics.login("ok");
        metrics.login("refused");
        metrics.login("refused");
        metrics.statement_ended("notes", "list-notes", Duration::from_micros(300));
        metrics.telemetry_dropped("spans");
        let text = metrics.encode();
        for line in [
            "# TYPE parigot_calls_total counter",
            &format!("parigot_calls_total{{service=\"faulty\",function=\"{ping}\",outcome=\"ok\"}} 2"),
            &format!("parigot_calls_total{{service=\"faulty\",function=\"{ping}\",outcome=\"error\"}} 1"),
            &format!("parigot_call_duration_seconds_bucket{{service=\"faulty\",function=\"{ping}\",le=\"0.0001\"}} 1"),
            &format!("parigot_call_duration_seconds_bucket{{service=\"faulty\",function=\"{ping}\",le=\"0.005\"}} 2"),
            &format!("parigot_call_duration_seconds_count{{service=\"faulty\",function=\"{ping}\"}} 3"),
            "parigot_failures_total{service=\"faulty\",kind=\"deadline\"} 1",
            "parigot_restarts_total{service=\"faulty\"} 1",
            "parigot_instances{service=\"faulty\",state=\"busy\"} 1",
            "parigot_instances{service=\"faulty\",state=\"idle\"} 3",
            "parigot_logins_total{outcome=\"refused\"} 2",
            "parigot_memory_bytes{service=\"faulty\"} 1048576",
            "parigot_sqlite_statement_duration_seconds_count{service=\"notes\",statement=\"list-notes\"} 1",
            "parigot_telemetry_dropped_total{signal=\"spans\"} 1",
        ] {
            assert!(text.contains(line), "no {line:?} in\n{text}");
        }
    }
}
