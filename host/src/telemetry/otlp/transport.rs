//! Sending export requests to the collector: over gRPC (the collector's `TraceService` and
//! `LogsService`) or over HTTP (`POST` of the protobuf body), TLS for `https://` endpoints
//! with the system's roots.

use super::config::{ExportConfig, Protocol};
use bytes::Bytes;
use http::Uri;
use http::header::{HeaderName, HeaderValue};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use prost::Message;
use std::time::Duration;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};
use wasmtime::error::Context as _;

/// The most of a collector's answer read (its body only tells of partial success).
const MAX_ANSWER: usize = 64 * 1024;

/// A connection to the collector, made lazily on first export.
pub enum Transport {
    Grpc {
        traces: Option<TraceServiceClient<Channel>>,
        logs: Option<LogsServiceClient<Channel>>,
        headers: tonic::metadata::MetadataMap,
    },
    Http {
        client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
        traces: Option<Uri>,
        logs: Option<Uri>,
        headers: Vec<(HeaderName, HeaderValue)>,
    },
}

impl Transport {
    pub fn new(config: &ExportConfig) -> wasmtime::Result<Transport> {
        match config.protocol {
            Protocol::Grpc => {
                let channel = |uri: &Uri| grpc_channel(uri, config.timeout);
                let traces = config.traces.as_ref().map(channel).transpose()?.map(TraceServiceClient::new);
                let logs = config.logs.as_ref().map(channel).transpose()?.map(LogsServiceClient::new);
                let headers = tonic::metadata::MetadataMap::from_headers(config.headers.iter().cloned().collect());
                Ok(Transport::Grpc { traces, logs, headers })
            }
            Protocol::HttpProtobuf => {
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_native_roots()
                    .context("cannot read the system's TLS roots for the OTLP export")?
                    .https_or_http()
                    .enable_http1()
                    .build();
                let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
                let (traces, logs, headers) = (config.traces.clone(), config.logs.clone(), config.headers.clone());
                Ok(Transport::Http { client, traces, logs, headers })
            }
        }
    }

    /// Exports `request`, within `timeout`.
    pub async fn spans(&self, request: ExportTraceServiceRequest, timeout: Duration) -> Result<(), String> {
        match self {
            Transport::Grpc { traces: Some(client), headers, .. } => {
                let (mut client, request) = (client.clone(), grpc_request(request, headers, timeout));
                within(timeout, async { client.export(request).await.map(drop).map_err(|status| status.to_string()) })
                    .await
            }
            Transport::Http { client, traces: Some(uri), headers, .. } => {
                within(timeout, post(client, uri, headers, request.encode_to_vec())).await
            }
            _ => Ok(()),
        }
    }

    /// Exports `request`, within `timeout`.
    pub async fn logs(&self, request: ExportLogsServiceRequest, timeout: Duration) -> Result<(), String> {
        match self {
            Transport::Grpc { logs: Some(client), headers, .. } => {
                let (mut client, request) = (client.clone(), grpc_request(request, headers, timeout));
                within(timeout, async { client.export(request).await.map(drop).map_err(|status| status.to_string()) })
                    .await
            }
            Transport::Http { client, logs: Some(uri), headers, .. } => {
                within(timeout, post(client, uri, headers, request.encode_to_vec())).await
            }
            _ => Ok(()),
        }
    }
}

fn grpc_channel(uri: &Uri, timeout: Duration) -> wasmtime::Result<Channel> {
    let mut endpoint = Endpoint::from(uri.clone()).connect_timeout(timeout).timeout(timeout);
    if uri.scheme_str() == Some("https") {
        endpoint = endpoint
            .tls_config(ClientTlsConfig::new().with_native_roots())
            .with_context(|| format!("cannot set up TLS for the OTLP endpoint {uri}"))?;
    }
    Ok(endpoint.connect_lazy())
}

fn grpc_request<T>(message: T, headers: &tonic::metadata::MetadataMap, timeout: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    *request.metadata_mut() = headers.clone();
    request.set_timeout(timeout);
    request
}

/// `POST`s `body` to `uri` as `application/x-protobuf`; a status other than 2xx is an error.
async fn post(
    client: &Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    uri: &Uri,
    headers: &[(HeaderName, HeaderValue)],
    body: Vec<u8>,
) -> Result<(), String> {
    let mut request = http::Request::post(uri.clone())
        .header(http::header::CONTENT_TYPE, "application/x-protobuf")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    request.headers_mut().extend(headers.iter().cloned());
    let answer = client.request(request).await.map_err(|e| format!("{uri}: {e}"))?;
    let status = answer.status();
    // Read (a bounded part of) the answer, so that the connection can serve the next export.
    let _ = http_body_util::Limited::new(answer.into_body(), MAX_ANSWER).collect().await;
    if status.is_success() { Ok(()) } else { Err(format!("{uri} answered {status}")) }
}

async fn within(timeout: Duration, export: impl Future<Output = Result<(), String>>) -> Result<(), String> {
    tokio::time::timeout(timeout, export).await.unwrap_or_else(|_| Err(format!("no answer within {timeout:?}")))
}
