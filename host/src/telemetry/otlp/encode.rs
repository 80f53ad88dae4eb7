//! Records as OTLP's protobuf messages: one resource per service (`service.name` is the
//! service, `service.namespace` the wos), in name order; and back, for the spans a peer host
//! lends ([`crate::telemetry::lent`]).

use super::config::ExportConfig;
use super::{LogRecord, Severity, SpanKind, SpanRecord, Value};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{self as logs, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{self as trace, ResourceSpans, ScopeSpans, Status, status::StatusCode};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// `spans` as one export request.
pub fn spans(spans: Vec<SpanRecord>, config: &ExportConfig) -> ExportTraceServiceRequest {
    spans_with(spans, |service| resource(service, config))
}

/// `spans` as lent to a peer host: each service's resource names only the service.
pub fn lent_spans(spans: Vec<SpanRecord>) -> ExportTraceServiceRequest {
    spans_with(spans, |service| Resource {
        attributes: vec![text("service.name", service.to_owned())],
        ..Default::default()
    })
}

fn spans_with(spans: Vec<SpanRecord>, resource: impl Fn(&str) -> Resource) -> ExportTraceServiceRequest {
    let resource_spans = by_service(spans, |span| span.service.clone())
        .into_iter()
        .map(|(service, spans)| ResourceSpans {
            resource: Some(resource(&service)),
            scope_spans: vec![ScopeSpans {
                scope: Some(scope()),
                spans: spans.into_iter().map(span).collect(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

/// `records` as one export request.
pub fn logs(records: Vec<LogRecord>, config: &ExportConfig) -> ExportLogsServiceRequest {
    let resource_logs = by_service(records, |record| record.service.clone())
        .into_iter()
        .map(|(service, records)| ResourceLogs {
            resource: Some(resource(&service, config)),
            scope_logs: vec![ScopeLogs {
                scope: Some(scope()),
                log_records: records.into_iter().map(log_record).collect(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    ExportLogsServiceRequest { resource_logs }
}

fn by_service<T>(items: Vec<T>, service: impl Fn(&T) -> Arc<str>) -> BTreeMap<Arc<str>, Vec<T>> {
    let mut grouped: BTreeMap<Arc<str>, Vec<T>> = BTreeMap::new();
    for item in items {
        grouped.entry(service(&item)).or_default().push(item);
    }
    grouped
}

fn resource(service: &str, config: &ExportConfig) -> Resource {
    let mut attributes =
        vec![text("service.name", service.to_owned()), text("service.namespace", config.namespace.clone())];
    attributes.extend(config.resource.iter().map(|(key, value)| text(key, value.clone())));
    Resource { attributes, ..Default::default() }
}

fn scope() -> InstrumentationScope {
    InstrumentationScope { name: "parigot".into(), version: env!("CARGO_PKG_VERSION").into(), ..Default::default() }
}

fn span(record: SpanRecord) -> trace::Span {
    let start = unix_nanos(record.start);
    let kind = match record.kind {
        SpanKind::Server => trace::span::SpanKind::Server,
        SpanKind::Client => trace::span::SpanKind::Client,
    };
    let status = match record.error {
        Some(message) => Status { code: StatusCode::Error as i32, message },
        None => Status { code: StatusCode::Ok as i32, message: String::new() },
    };
    trace::Span {
        trace_id: record.trace.to_be_bytes().to_vec(),
        span_id: record.span.to_be_bytes().to_vec(),
        parent_span_id: record.parent.map(|parent| parent.to_be_bytes().to_vec()).unwrap_or_default(),
        name: record.name,
        kind: kind as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start.saturating_add(u64::try_from(record.duration.as_nanos()).unwrap_or(u64::MAX)),
        attributes: record.attributes.into_iter().map(|(key, value)| key_value(&key, value)).collect(),
        status: Some(status),
        ..Default::default()
    }
}

fn log_record(record: LogRecord) -> logs::LogRecord {
    let (number, name) = match record.severity {
        Severity::Trace => (logs::SeverityNumber::Trace, "TRACE"),
        Severity::Debug => (logs::SeverityNumber::Debug, "DEBUG"),
        Severity::Info => (logs::SeverityNumber::Info, "INFO"),
        Severity::Warn => (logs::SeverityNumber::Warn, "WARN"),
        Severity::Error => (logs::SeverityNumber::Error, "ERROR"),
    };
    let (trace_id, span_id) = match record.call {
        Some((trace, span)) => (trace.to_be_bytes().to_vec(), span.to_be_bytes().to_vec()),
        None => (Vec::new(), Vec::new()),
    };
    let time = unix_nanos(record.time);
    logs::LogRecord {
        time_unix_nano: time,
        observed_time_unix_nano: time,
        severity_number: number as i32,
        severity_text: name.into(),
        body: Some(any(Value::Text(record.message))),
        attributes: record.fields.into_iter().map(|(key, value)| key_value(&key, value)).collect(),
        trace_id,
        span_id,
        ..Default::default()
    }
}

/// The spans of `request` (what [`lent_spans`] made), each of the service its resource names;
/// ids of the wrong length are read as zero, and values that are no text, integer, real or
/// boolean as text.
pub fn spans_of(request: ExportTraceServiceRequest) -> Vec<SpanRecord> {
    let mut records = Vec::new();
    for resource_spans in request.resource_spans {
        let service: Arc<str> = resource_spans
            .resource
            .iter()
            .flat_map(|resource| &resource.attributes)
            .find(|attribute| attribute.key == "service.name")
            .and_then(|attribute| match attribute.value.clone().map(value_of) {
                Some(Value::Text(name)) => Some(Arc::from(name)),
                _ => None,
            })
            .unwrap_or_else(|| Arc::from("?"));
        for scope in resource_spans.scope_spans {
            records.extend(scope.spans.into_iter().map(|span| span_record(span, service.clone())));
        }
    }
    records
}

fn span_record(span: trace::Span, service: Arc<str>) -> SpanRecord {
    let kind = if span.kind == trace::span::SpanKind::Client as i32 { SpanKind::Client } else { SpanKind::Server };
    let error = span.status.filter(|status| status.code == StatusCode::Error as i32).map(|status| status.message);
    let start = SystemTime::UNIX_EPOCH + Duration::from_nanos(span.start_time_unix_nano);
    SpanRecord {
        service,
        trace: u128::from_be_bytes(span.trace_id.try_into().unwrap_or_default()),
        span: u64::from_be_bytes(span.span_id.try_into().unwrap_or_default()),
        parent: span.parent_span_id.try_into().ok().map(u64::from_be_bytes),
        name: span.name,
        kind,
        start,
        duration: Duration::from_nanos(span.end_time_unix_nano.saturating_sub(span.start_time_unix_nano)),
        attributes: span
            .attributes
            .into_iter()
            .map(|attribute| (attribute.key.into(), attribute.value.map_or(Value::Text(String::new()), value_of)))
            .collect(),
        error,
    }
}

fn value_of(value: AnyValue) -> Value {
    match value.value {
        Some(any_value::Value::StringValue(text)) => Value::Text(text),
        Some(any_value::Value::IntValue(n)) => Value::Integer(n),
        Some(any_value::Value::DoubleValue(x)) => Value::Real(x),
        Some(any_value::Value::BoolValue(b)) => Value::Boolean(b),
        Some(other) => Value::Text(format!("{other:?}")),
        None => Value::Text(String::new()),
    }
}

fn unix_nanos(time: SystemTime) -> u64 {
    let since = time.duration_since(SystemTime::UNIX_EPOCH).unwrap_or(Duration::ZERO);
    u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
}

fn text(key: &str, value: String) -> KeyValue {
    key_value(key, Value::Text(value))
}

fn key_value(key: &str, value: Value) -> KeyValue {
    KeyValue { key: key.into(), value: Some(any(value)), ..Default::default() }
}

fn any(value: Value) -> AnyValue {
    let value = match value {
        Value::Text(text) => any_value::Value::StringValue(text),
        Value::Integer(n) => any_value::Value::IntValue(n),
        Value::Real(x) => any_value::Value::DoubleValue(x),
        Value::Boolean(b) => any_value::Value::BoolValue(b),
    };
    AnyValue { value: Some(value) }
}
