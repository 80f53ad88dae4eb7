//! Where and how spans and log records are exported: the wos's `[telemetry]` table and the
//! standard `OTEL_*` variables, which take precedence (so a deployment points the same wos at
//! its own collector). Export is off unless one of them names an endpoint.

use http::Uri;
use http::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// `[telemetry]` in `wos.toml`, as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TelemetryTable {
    /// `otlp-endpoint = "http://127.0.0.1:4317"`: the collector.
    pub otlp_endpoint: Option<String>,
    /// `otlp-protocol = "grpc"` or `"http/protobuf"` [default: `http/protobuf`, as OTLP's own].
    pub otlp_protocol: Option<String>,
    /// `otlp-headers = { authorization = "..." }`: sent with every export.
    #[serde(default)]
    pub otlp_headers: BTreeMap<String, String>,
    /// `otlp-timeout-ms`: how long one export may take [default: 10000].
    pub otlp_timeout_ms: Option<u64>,
    /// `max-queued`: spans and log records waiting to be exported; past it, new ones are
    /// dropped and counted (`parigot_telemetry_dropped_total`) [default: 8192].
    pub max_queued: Option<usize>,
}

/// How OTLP is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `grpc`: the collector's gRPC services (port 4317 by convention).
    Grpc,
    /// `http/protobuf`: `POST /v1/traces` and `/v1/logs` with protobuf bodies (port 4318).
    HttpProtobuf,
}

/// What the exporter needs, resolved and checked.
#[derive(Debug, Clone)]
pub struct ExportConfig {
    pub protocol: Protocol,
    /// Where spans go (`None`: spans are not exported).
    pub traces: Option<Uri>,
    /// Where log records go (`None`: log records are not exported).
    pub logs: Option<Uri>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub timeout: Duration,
    pub max_queued: usize,
    /// How long a record may wait for others to fill a batch.
    pub batch_delay: Duration,
    /// Added to each service's resource (`OTEL_RESOURCE_ATTRIBUTES`), after `service.name` and
    /// `service.namespace`.
    pub resource: Vec<(String, String)>,
    /// `service.namespace` of every service: the wos's name.
    pub namespace: String,
}

/// The most spans and log records one export carries.
pub const MAX_BATCH: usize = 2048;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_MAX_QUEUED: usize = 8192;
/// The largest `max-queued` the host accepts.
const MOST_QUEUED: usize = 1 << 20;
const DEFAULT_BATCH_DELAY: Duration = Duration::from_secs(1);

/// Reads the environment's `OTEL_*` variables (a function, so tests give their own).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

impl ExportConfig {
    /// The export of wos `namespace` as `table` and the variables of `env` say; `None` when
    /// neither names an endpoint, or `OTEL_SDK_DISABLED=true`. An error names the key or the
    /// variable and what to give instead.
    pub fn resolve(namespace: &str, table: &TelemetryTable, env: Env<'_>) -> Result<Option<ExportConfig>, String> {
        let var = |name: &str| env(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
        if var("OTEL_SDK_DISABLED").is_some_and(|value| value.eq_ignore_ascii_case("true")) {
            return Ok(None);
        }
        let protocol = match var("OTEL_EXPORTER_OTLP_PROTOCOL") {
            Some(text) => protocol(&text).map_err(|why| format!("`OTEL_EXPORTER_OTLP_PROTOCOL={text}`: {why}"))?,
            None => match &table.otlp_protocol {
                Some(text) => protocol(text).map_err(|why| format!("`[telemetry] otlp-protocol = {text:?}`: {why}"))?,
                None => Protocol::HttpProtobuf,
            },
        };
        let base = match var("OTEL_EXPORTER_OTLP_ENDPOINT") {
            Some(text) => Some(endpoint(&text).map_err(|why| format!("`OTEL_EXPORTER_OTLP_ENDPOINT={text}`: {why}"))?),
            None => match &table.otlp_endpoint {
                Some(text) => {
                    Some(endpoint(text).map_err(|why| format!("`[telemetry] otlp-endpoint = {text:?}`: {why}"))?)
                }
                None => None,
            },
        };
        let signal = |name: &str, exporter: &str, path: &str| -> Result<Option<Uri>, String> {
            if var(exporter).is_some_and(|value| value == "none") {
                return Ok(None);
            }
            match var(name) {
                Some(text) => endpoint(&text).map(Some).map_err(|why| format!("`{name}={text}`: {why}")),
                None => Ok(base.as_ref().map(|base| signal_uri(base, protocol, path))),
            }
        };
        let traces = signal("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER", "/v1/traces")?;
        let logs = signal("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_LOGS_EXPORTER", "/v1/logs")?;
        if traces.is_none() && logs.is_none() {
            return Ok(None);
        }
        let headers = match var("OTEL_EXPORTER_OTLP_HEADERS") {
            Some(text) => pairs(&text).map_err(|why| format!("`OTEL_EXPORTER_OTLP_HEADERS`: {why}"))?,
            None => table.otlp_headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        };
        let headers = headers
            .into_iter()
            .map(|(name, value)| header(&name, &value))
            .collect::<Result<_, _>>()
            .map_err(|why| format!("an OTLP header: {why}"))?;
        let timeout = match var("OTEL_EXPORTER_OTLP_TIMEOUT") {
            Some(text) => millis(&text).map_err(|why| format!("`OTEL_EXPORTER_OTLP_TIMEOUT={text}`: {why}"))?,
            None => table.otlp_timeout_ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis),
        };
        if timeout.is_zero() {
            return Err("an OTLP export timeout of 0 leaves no time to export: give milliseconds".into());
        }
        let max_queued = match var("OTEL_BSP_MAX_QUEUE_SIZE") {
            Some(text) => text.parse().map_err(|_| format!("`OTEL_BSP_MAX_QUEUE_SIZE={text}`: give a number"))?,
            None => table.max_queued.unwrap_or(DEFAULT_MAX_QUEUED),
        };
        if !(1..=MOST_QUEUED).contains(&max_queued) {
            return Err(format!("`max-queued = {max_queued}`: give from 1 to {MOST_QUEUED} records"));
        }
        let batch_delay = match var("OTEL_BSP_SCHEDULE_DELAY") {
            Some(text) => millis(&text).map_err(|why| format!("`OTEL_BSP_SCHEDULE_DELAY={text}`: {why}"))?,
            None => DEFAULT_BATCH_DELAY,
        };
        let resource = match var("OTEL_RESOURCE_ATTRIBUTES") {
            Some(text) => pairs(&text).map_err(|why| format!("`OTEL_RESOURCE_ATTRIBUTES`: {why}"))?,
            None => Vec::new(),
        };
        let namespace = namespace.to_owned();
        Ok(Some(ExportConfig {
            protocol,
            traces,
            logs,
            headers,
            timeout,
            max_queued,
            batch_delay,
            resource,
            namespace,
        }))
    }
}

fn protocol(text: &str) -> Result<Protocol, String> {
    match text {
        "grpc" => Ok(Protocol::Grpc),
        "http/protobuf" => Ok(Protocol::HttpProtobuf),
        "http/json" => Err("OTLP over JSON is not offered: give `grpc` or `http/protobuf`".into()),
        _ => Err("give `grpc` or `http/protobuf`".into()),
    }
}

/// An `http://` or `https://` URL with a host.
fn endpoint(text: &str) -> Result<Uri, String> {
    let uri: Uri = text.parse().map_err(|e| format!("not a URL ({e}); give one like `http://127.0.0.1:4318`"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(_)) => Ok(uri),
        _ => Err("give an `http://` or `https://` URL with a host, like `http://127.0.0.1:4318`".into()),
    }
}

/// A signal's endpoint from the base one: over HTTP, `path` appended to the base's path (as
/// OTLP says); over gRPC, the base itself (the service names the signal).
fn signal_uri(base: &Uri, protocol: Protocol, path: &str) -> Uri {
    if protocol == Protocol::Grpc {
        return base.clone();
    }
    let prefix = base.path().trim_end_matches('/');
    let mut parts = base.clone().into_parts();
    parts.path_and_query = Some(format!("{prefix}{path}").parse().expect("a path of ASCII segments"));
    Uri::from_parts(parts).expect("the base's scheme and authority")
}

/// `k1=v1,k2=v2`, values percent-decoded (the form of `OTEL_EXPORTER_OTLP_HEADERS` and
/// `OTEL_RESOURCE_ATTRIBUTES`).
fn pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (key, value) =
                pair.split_once('=').ok_or_else(|| format!("`{pair}` is not `key=value`; separate pairs with `,`"))?;
            let value = crate::encoding::percent_decode(value.trim(), |byte| byte != b'%')
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| format!("the value of `{}` is not well percent-encoded UTF-8", key.trim()))?;
            Ok((key.trim().to_owned(), value))
        })
        .collect()
}

fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let name = HeaderName::try_from(name.to_ascii_lowercase()).map_err(|_| format!("`{name}` is not a header name"))?;
    let value = HeaderValue::try_from(value).map_err(|_| format!("the value of `{name}` is not a header value"))?;
    Ok((name, value))
}

fn millis(text: &str) -> Result<Duration, String> {
    text.parse().map(Duration::from_millis).map_err(|_| "give milliseconds".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(table: &TelemetryTable, vars: &[(&str, &str)]) -> Result<Option<ExportConfig>, String> {
        let vars: BTreeMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ExportConfig::resolve("shop", table, &|name| vars.get(name).cloned())
    }

    #[test]
    fn export_is_off_without_an_endpoint_or_when_disabled() {
        assert!(resolve(&TelemetryTable::default(), &[]).unwrap().is_none());
        let table = TelemetryTable { otlp_endpoint: Some("http://127.0.0.1:4318".into()), ..Default::default() };
        assert!(resolve(&table, &[("OTEL_SDK_DISABLED", "true")]).unwrap().is_none());
    }

    #[test]
    fn http_endpoints_get_the_signal_path_and_grpc_ones_stay_as_they_are() {
        let http = resolve(&TelemetryTable::default(), &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/otlp/")])
            .unwrap()
            .unwrap();
        assert_eq!(http.traces.unwrap().to_string(), "http://c:4318/otlp/v1/traces");
        assert_eq!(http.logs.unwrap().to_string(), "http://c:4318/otlp/v1/logs");
        let grpc = resolve(
            &TelemetryTable { otlp_protocol: Some("grpc".into()), ..Default::default() },
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"), ("OTEL_LOGS_EXPORTER", "none")],
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (grpc.protocol, grpc.traces.unwrap().to_string(), grpc.logs),
            (Protocol::Grpc, "http://c:4317/".into(), None)
        );
    }

    #[test]
    fn the_variables_win_over_the_table() {
        let table = TelemetryTable {
            otlp_endpoint: Some("http://table:4318".into()),
            otlp_headers: [("x-from".to_owned(), "table".to_owned())].into(),
            ..Default::default()
        };
        let config = resolve(
            &table,
            &[
                ("OTEL_EXPORTER_OTLP_HEADERS", "x-from=env%20var"),
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://env/t"),
            ],
        )
        .unwrap()
        .unwrap();
        assert_eq!(config.traces.unwrap().to_string(), "https://env/t");
        assert_eq!(config.logs.unwrap().to_string(), "http://table:4318/v1/logs");
        assert_eq!(config.headers[0].1, "env var");
    }

    #[test]
    fn bad_settings_name_their_key_or_variable() {
        let bad = |table: TelemetryTable, vars: &[(&str, &str)]| resolve(&table, vars).unwrap_err();
        let endpoint = TelemetryTable { otlp_endpoint: Some("127.0.0.1:4317".into()), ..Default::default() };
        assert!(bad(endpoint, &[]).starts_with("`[telemetry] otlp-endpoint = \"127.0.0.1:4317\"`: give an `http://`"));
        let json = TelemetryTable { otlp_protocol: Some("http/json".into()), ..Default::default() };
        assert!(bad(json, &[]).contains("OTLP over JSON is not offered"));
        let on = || TelemetryTable { otlp_endpoint: Some("http://c".into()), ..Default::default() };
        assert!(bad(on(), &[("OTEL_EXPORTER_OTLP_HEADERS", "novalue")]).contains("`novalue` is not `key=value`"));
        assert!(bad(on(), &[("OTEL_EXPORTER_OTLP_TIMEOUT", "soon")]).starts_with("`OTEL_EXPORTER_OTLP_TIMEOUT=soon`"));
        assert!(bad(TelemetryTable { max_queued: Some(0), ..on() }, &[]).contains("give from 1 to"));
    }
}
