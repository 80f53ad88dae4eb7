//! The gRPC side of the gateway: tonic does the framing, compression, size limits and status
//! trailers; the codec decodes with the rpc's descriptor. Who the caller is (its login, its
//! deadline) is settled from the headers before the body is read: a request that may not
//! call costs no decoding. A peer host of the deployment that asks for them gets the spans of
//! its call with the answer ([`lent`]).

use super::{Endpoint, Gateway};
use crate::runtime::Caller;
use crate::telemetry::lent::{self, Tap};
use crate::wire::codec::DynamicCodec;
use axum::body::Body;
use http::{Request, Response};
use prost_reflect::DynamicMessage;
use std::pin::Pin;
use std::sync::Arc;
use tonic::Status;
use tonic::metadata::MetadataValue;
use tonic::server::{Grpc, UnaryService};

/// Answers one gRPC request: `UNIMPLEMENTED` for a path that is no exposed function.
pub async fn handle(gateway: Arc<Gateway>, endpoint: Option<Arc<Endpoint>>, request: Request<Body>) -> Response<Body> {
    let Some(endpoint) = endpoint else {
        return super::unknown_method(request.uri().path()).into_http::<Body>();
    };
    let (parts, body) = request.into_parts();
    let deadline =
        parts.headers.get("grpc-timeout").and_then(|v| v.to_str().ok()).and_then(super::timeouts::grpc_timeout);
    let caller = match gateway.caller(&endpoint, &parts, deadline).await {
        Ok(caller) => caller,
        Err(status) => {
            gateway.answered(&endpoint, status.code());
            return status.into_http::<Body>();
        }
    };
    // Only a peer of the deployment, its proof checked (it has a chain), is lent spans.
    let lend_spans = caller.chain.is_some() && parts.headers.contains_key(lent::WANT_HEADER);
    let request = Request::from_parts(parts, body);
    let limit = gateway.max_message_bytes;
    let mut grpc =
        Grpc::new(DynamicCodec::new(endpoint.rpc.rpc.input.clone())).apply_max_message_size_config(Some(limit), None);
    let call = Call { gateway: gateway.clone(), endpoint: endpoint.clone(), caller: Some(caller), lend_spans };
    let response = oversize_is_resource_exhausted(grpc.unary(call, request).await, limit);
    // A unary answer carries its status in its headers when it failed (a malformed request
    // included), in its trailers when it succeeded.
    gateway.answered(&endpoint, Status::from_header_map(response.headers()).map_or(tonic::Code::Ok, |s| s.code()));
    response.map(Body::new)
}

/// tonic refuses a message over the size limit with `OUT_OF_RANGE`; gRPC's own servers (and
/// its spec of status codes) say `RESOURCE_EXHAUSTED`, which is what clients expect.
fn oversize_is_resource_exhausted(response: Response<tonic::body::Body>, limit: usize) -> Response<tonic::body::Body> {
    let oversize = Status::from_header_map(response.headers())
        .is_some_and(|s| s.code() == tonic::Code::OutOfRange && s.message().contains("message length too large"));
    if !oversize {
        return response;
    }
    Status::resource_exhausted(format!(
        "the request is larger than the limit of {limit} bytes (`max-message-bytes` in the wos's `[serve]`)"
    ))
    .into_http()
}

/// One call of an exposed function, as tonic's unary service.
struct Call {
    gateway: Arc<Gateway>,
    endpoint: Arc<Endpoint>,
    /// Who calls, settled from the headers (taken by the one call tonic makes).
    caller: Option<Caller>,
    /// Whether the answer carries the call's spans ([`lent`]).
    lend_spans: bool,
}

impl UnaryService<DynamicMessage> for Call {
    type Response = DynamicMessage;
    type Future = Pin<Box<dyn Future<Output = Result<tonic::Response<DynamicMessage>, Status>> + Send>>;

    fn call(&mut self, request: tonic::Request<DynamicMessage>) -> Self::Future {
        let (gateway, endpoint, caller) = (self.gateway.clone(), self.endpoint.clone(), self.caller.take());
        let lend_spans = self.lend_spans;
        Box::pin(async move {
            let caller = caller.ok_or_else(|| Status::internal("a unary call was made twice"))?;
            let trace = caller.pctx.as_ref().map(|pctx| pctx.trace.id.0);
            let tap = trace.filter(|_| lend_spans).and_then(|trace| gateway.running.tap_spans(trace));
            let (_, _, message) = request.into_parts();
            let outcome = super::invoke_with_request_id(&gateway, endpoint, message, caller).await;
            let lent = tap.and_then(Tap::finish).map(|spans| MetadataValue::from_bytes(&spans));
            let (response, request_id) = match outcome {
                Ok(answer) => answer,
                Err(mut status) => {
                    if let Some(lent) = lent {
                        status.metadata_mut().insert_bin(lent::SPANS_HEADER, lent);
                    }
                    return Err(status);
                }
            };
            let mut response = tonic::Response::new(response);
            if let Some(value) = request_id.and_then(|id| MetadataValue::try_from(id).ok()) {
                response.metadata_mut().insert(super::REQUEST_ID_HEADER, value);
            }
            if let Some(lent) = lent {
                response.metadata_mut().insert_bin(lent::SPANS_HEADER, lent);
            }
            Ok(response)
        })
    }
}
