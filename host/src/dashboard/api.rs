//! What the dashboard's page asks for, as JSON: the wos, its state, the latest traces and log
//! lines, and calls.

use crate::build::Language;
use crate::runtime::Running;
use crate::telemetry::lent::lent_by;
use crate::telemetry::otlp::{LogRecord, Severity, SpanKind, SpanRecord, Value};
use crate::telemetry::recent::Recent;
use crate::testing::call::AdHocCall;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// How far back the functions' rates and percentiles look.
const WINDOW: Duration = Duration::from_secs(60);
/// How many traces the page is sent.
const TRACES_SHOWN: usize = 20;
/// How many log lines the page is sent, at most.
const LOGS_SHOWN: usize = 300;

/// The wos as a picture: its services (with their language), the links between them, the
/// links to remote hosts, and the interfaces it serves.
pub fn wos(running: &Running) -> Json {
    let app = running.app();
    let services: Vec<Json> = app
        .services
        .iter()
        .map(|service| {
            // The source folder is resolved against the manifest's folder already.
            let language = service.spec.source.as_ref().and_then(|source| Language::detect(&source.folder).ok());
            let language = language.map(|language| language.to_string());
            let exports: Vec<Json> = service
                .surface
                .exports
                .iter()
                .map(|(interface, sig)| json!({ "interface": interface.to_string(), "functions": sig.functions.keys().collect::<Vec<_>>() }))
                .collect();
            json!({
                "name": service.name.as_str(),
                "kind": if service.is_program() { "program" } else { "server" },
                "language": language,
                "exports": exports,
                "database": service.spec.sqlite.is_some(),
            })
        })
        .collect();
    let links: Vec<Json> = app
        .plan
        .links
        .iter()
        .map(|link| {
            json!({ "consumer": link.consumer.as_str(), "provider": link.provider.as_str(), "interface": link.export.to_string() })
        })
        .collect();
    let remotes: Vec<Json> = app
        .plan
        .remotes
        .iter()
        .map(|remote| json!({ "consumer": remote.consumer.as_str(), "interface": remote.import.to_string(), "url": remote.remote.url }))
        .collect();
    let served: Vec<Json> = app
        .plan
        .exports
        .iter()
        .map(|export| json!({ "interface": export.interface.to_string(), "provider": export.provider.as_str() }))
        .collect();
    json!({ "name": app.manifest.name, "services": services, "links": links, "remotes": remotes, "served": served })
}

/// Each service's state now, and each function's rate and latency over the last minute (from
/// the calls' spans).
pub fn state(running: &Running, recent: &Recent) -> Json {
    let services: Vec<Json> = running
        .services_now()
        .into_iter()
        .map(|now| {
            json!({
                "name": &*now.name,
                "state": now.state.to_string(),
                "busy": now.busy,
                "idle": now.idle,
                "most": now.most,
                "memory": now.memory,
                "failures": now.failures,
                "restarts": now.restarts,
            })
        })
        .collect();
    json!({ "services": services, "functions": function_stats(&recent.spans(), SystemTime::now()) })
}

/// Calls per second, errors, p50 and p99 of each service's functions, from the calls into them
/// that ended within [`WINDOW`] before `now` (on this host: not those of spans a peer lent).
fn function_stats(spans: &[SpanRecord], now: SystemTime) -> Vec<Json> {
    let since = now.checked_sub(WINDOW).unwrap_or(SystemTime::UNIX_EPOCH);
    let mut calls: BTreeMap<(&str, &str), Vec<(Duration, bool)>> = BTreeMap::new();
    let served_here = |span: &&SpanRecord| {
        span.kind == SpanKind::Server && lent_by(span).is_none() && span.start + span.duration >= since
    };
    for span in spans.iter().filter(served_here) {
        calls.entry((&span.service, &span.name)).or_default().push((span.duration, span.error.is_some()));
    }
    calls
        .into_iter()
        .map(|((service, function), calls)| {
            let mut durations: Vec<Duration> = calls.iter().map(|(took, _)| *took).collect();
            durations.sort();
            let quantile = |q: f64| durations[((durations.len() as f64 * q) as usize).min(durations.len() - 1)];
            json!({
                "service": service,
                "function": function,
                "calls": calls.len(),
                "errors": calls.iter().filter(|(_, failed)| *failed).count(),
                "rate": calls.len() as f64 / WINDOW.as_secs_f64(),
                "p50_us": quantile(0.5).as_micros() as u64,
                "p99_us": quantile(0.99).as_micros() as u64,
            })
        })
        .collect()
}

/// The latest traces, newest first, each with its spans in the order they began (offsets from
/// the trace's start).
pub fn traces(recent: &Recent) -> Json {
    let spans = recent.spans();
    let mut by_trace: BTreeMap<u128, BTreeMap<u64, &SpanRecord>> = BTreeMap::new();
    for span in &spans {
        // A span lent by two peers' taps of one trace is kept once.
        by_trace.entry(span.trace).or_default().entry(span.span).or_insert(span);
    }
    let mut traces: Vec<(SystemTime, u128, Vec<&SpanRecord>)> = by_trace
        .into_iter()
        .map(|(trace, spans)| {
            let mut spans: Vec<&SpanRecord> = spans.into_values().collect();
            spans.sort_by_key(|span| (span.start, span.span));
            let end = spans.iter().map(|span| span.start + span.duration).max().unwrap_or(SystemTime::UNIX_EPOCH);
            (end, trace, spans)
        })
        .collect();
    traces.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let shown: Vec<Json> =
        traces.into_iter().take(TRACES_SHOWN).map(|(_, trace, spans)| trace_json(trace, &spans)).collect();
    json!({ "traces": shown })
}

fn trace_json(trace: u128, spans: &[&SpanRecord]) -> Json {
    let begin = spans.first().map_or(SystemTime::UNIX_EPOCH, |span| span.start);
    let micros = |d: Duration| d.as_micros() as u64;
    let rows: Vec<Json> = spans
        .iter()
        .map(|span| {
            let attributes: BTreeMap<&str, Json> =
                span.attributes.iter().map(|(key, value)| (&**key, attribute(value))).collect();
            json!({
                "span": format!("{:016x}", span.span),
                "parent": span.parent.map(|parent| format!("{parent:016x}")),
                "service": &*span.service,
                // The peer host that lent it; none for this host's own.
                "host": lent_by(span),
                "name": span.name,
                "kind": if span.kind == SpanKind::Server { "server" } else { "client" },
                "offset_us": micros(span.start.duration_since(begin).unwrap_or_default()),
                "duration_us": micros(span.duration),
                "error": span.error,
                "attributes": attributes,
            })
        })
        .collect();
    let root = spans.iter().find(|span| span.parent.is_none()).or(spans.first());
    json!({
        "trace": format!("{trace:032x}"),
        "root": root.map(|span| format!("{} {}", span.service, span.name)),
        "duration_us": spans.iter().map(|span| micros(span.start.duration_since(begin).unwrap_or_default() + span.duration)).max(),
        "spans": rows,
    })
}

fn attribute(value: &Value) -> Json {
    match value {
        Value::Text(text) => json!(text),
        Value::Integer(n) => json!(n),
        Value::Real(x) => json!(x),
        Value::Boolean(b) => json!(b),
    }
}

/// Which log lines the page asks for.
#[derive(Debug, Default, Deserialize)]
pub struct LogFilter {
    /// Only this service's.
    service: Option<String>,
    /// Only at this level or above (`trace`, `debug`, `info`, `warn`, `error`).
    level: Option<String>,
    /// Only those logged in this trace (32 hex digits).
    trace: Option<String>,
}

/// The latest log lines that pass `filter`, oldest first.
pub fn logs(recent: &Recent, filter: &LogFilter) -> Json {
    let least = filter.level.as_deref().and_then(Severity::named).unwrap_or(Severity::Trace);
    let trace = filter.trace.as_deref().filter(|t| !t.is_empty()).and_then(|t| u128::from_str_radix(t, 16).ok());
    let service = filter.service.as_deref().filter(|s| !s.is_empty());
    let records = recent.logs();
    let lines: Vec<&LogRecord> = records
        .iter()
        .filter(|record| {
            record.severity >= least
                && service.is_none_or(|service| &*record.service == service)
                && trace.is_none_or(|trace| record.call.is_some_and(|(id, _)| id == trace))
        })
        .collect();
    let skip = lines.len().saturating_sub(LOGS_SHOWN);
    let shown: Vec<Json> = lines[skip..]
        .iter()
        .map(|record| {
            let time = record.time.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
            let fields: BTreeMap<&str, Json> = record.fields.iter().map(|(k, v)| (k.as_str(), attribute(v))).collect();
            json!({
                "time_ms": time.as_millis() as u64,
                "service": &*record.service,
                "level": record.severity.name(),
                "message": record.message,
                "fields": fields,
                "trace": record.call.map(|(trace, _)| format!("{trace:032x}")),
                "span": record.call.map(|(_, span)| format!("{span:016x}")),
            })
        })
        .collect();
    json!({ "lines": shown })
}

/// The call the page's form sends: in WAVE, or in JSON.
#[derive(Deserialize)]
#[serde(untagged)]
enum CallRequest {
    /// `{"call": "ns:pkg/iface.function(args)"}`, the arguments in WAVE.
    Wave { call: String },
    /// `{"interface": "ns:pkg/iface", "function": "f", "json": {...}}`, the arguments as the
    /// function's gRPC request message in JSON.
    Json { interface: String, function: String, json: Json },
}

/// Makes the call `body` asks for: its results (in WAVE, or the response message in JSON),
/// or `{"error": ...}`.
pub async fn call(running: &Running, body: &[u8]) -> Json {
    let request: CallRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(e) => {
            return json!({ "error": format!(
                "send {{\"call\": \"ns:pkg/iface.function(args in WAVE)\"}} or {{\"interface\": ..., \"function\": ..., \
                 \"json\": {{...}}}}: {e}"
            ) });
        }
    };
    let text = match request {
        CallRequest::Wave { call } => call,
        CallRequest::Json { interface, function, json } => {
            return match super::json_call::call(running, &interface, &function, json).await {
                Ok(answer) => json!({ "json": answer }),
                Err(why) => json!({ "error": why }),
            };
        }
    };
    let call = match AdHocCall::parse(running.app(), &text) {
        Ok(call) => call,
        Err(e) => return json!({ "error": e.to_string() }),
    };
    match call.run(running, None).await {
        Ok(results) => json!({ "results": results }),
        Err(e) => json!({ "error": format!("{e:#}") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn span(name: &str, millis: u64, failed: bool, ended_ago: Duration, now: SystemTime) -> SpanRecord {
        let duration = Duration::from_millis(millis);
        SpanRecord {
            service: Arc::from("svc"),
            trace: 1,
            span: millis,
            parent: None,
            name: name.into(),
            kind: SpanKind::Server,
            start: now - ended_ago - duration,
            duration,
            attributes: Vec::new(),
            error: failed.then(|| "trap".into()),
        }
    }

    #[test]
    fn function_stats_count_the_last_minute_only() {
        let now = SystemTime::now();
        let mut spans: Vec<SpanRecord> = (1..=100).map(|ms| span("f", ms, ms == 100, Duration::ZERO, now)).collect();
        spans.push(span("f", 5000, false, Duration::from_secs(120), now));
        let stats = function_stats(&spans, now);
        assert_eq!(stats.len(), 1);
        assert_eq!((stats[0]["calls"].as_u64(), stats[0]["errors"].as_u64()), (Some(100), Some(1)));
        assert_eq!((stats[0]["p50_us"].as_u64(), stats[0]["p99_us"].as_u64()), (Some(51_000), Some(100_000)));
    }
}
