//! The Connect side of the gateway: unary calls as a plain HTTP POST (HTTP/1.1 or HTTP/2)
//! whose body is the request message, in JSON (`application/json`) or binary protobuf
//! (`application/proto`). Errors are a JSON body `{"code", "message"}` with the HTTP status
//! the Connect protocol gives the code.

use super::status::{connect_code, connect_http_status};
use super::{Endpoint, Gateway};
use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor};
use std::sync::Arc;
use std::time::Duration;
use tonic::Status;

/// The two encodings of a Connect unary call.
#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Json,
    Proto,
}

impl Encoding {
    fn of(request: &Request<Body>) -> Option<Encoding> {
        match super::media_type(request.headers())?.as_str() {
            "application/json" => Some(Encoding::Json),
            "application/proto" => Some(Encoding::Proto),
            _ => None,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Encoding::Json => "application/json",
            Encoding::Proto => "application/proto",
        }
    }

    fn decode(self, desc: MessageDescriptor, body: &[u8]) -> Result<DynamicMessage, Status> {
        let invalid = |e: &dyn std::fmt::Display| {
            Status::invalid_argument(format!("the body is not a valid `{}`: {e}", desc.full_name()))
        };
        match self {
            Encoding::Proto => DynamicMessage::decode(desc.clone(), body).map_err(|e| invalid(&e)),
            Encoding::Json => {
                let mut json = serde_json::Deserializer::from_slice(body);
                let message = DynamicMessage::deserialize(desc.clone(), &mut json).map_err(|e| invalid(&e))?;
                json.end().map_err(|e| invalid(&e))?;
                Ok(message)
            }
        }
    }

    fn encode(self, message: &DynamicMessage) -> Result<Vec<u8>, Status> {
        match self {
            Encoding::Proto => Ok(message.encode_to_vec()),
            Encoding::Json => serde_json::to_vec(message)
                .map_err(|e| Status::internal(format!("cannot encode the response as JSON: {e}"))),
        }
    }
}

/// Answers one Connect request.
pub async fn handle(gateway: Arc<Gateway>, endpoint: Option<Arc<Endpoint>>, request: Request<Body>) -> Response<Body> {
    if request.method() != Method::POST {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "Connect unary calls are POST requests (GET is not supported)");
    }
    let Some(encoding) = Encoding::of(&request) else {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "use `Content-Type: application/json` or `application/proto` (Connect), or `application/grpc` (gRPC)",
        );
    };
    match call(gateway, endpoint, encoding, request).await {
        Ok((body, request_id)) => {
            let mut response = Response::builder().header(header::CONTENT_TYPE, encoding.content_type());
            if let Some(id) = request_id {
                response = response.header(super::REQUEST_ID_HEADER, id);
            }
            response.body(Body::from(body)).expect("a valid response")
        }
        Err(status) => error(&status),
    }
}

async fn call(
    gateway: Arc<Gateway>,
    endpoint: Option<Arc<Endpoint>>,
    encoding: Encoding,
    request: Request<Body>,
) -> Result<(Vec<u8>, Option<String>), Status> {
    let Some(endpoint) = endpoint else {
        return Err(super::unknown_method(request.uri().path()));
    };
    let outcome = call_endpoint(&gateway, endpoint.clone(), encoding, request).await;
    gateway.answered(&endpoint, outcome.as_ref().map_or_else(Status::code, |_| tonic::Code::Ok));
    outcome
}

/// [`call`] once the request's path named an endpoint.
async fn call_endpoint(
    gateway: &Gateway,
    endpoint: Arc<Endpoint>,
    encoding: Encoding,
    request: Request<Body>,
) -> Result<(Vec<u8>, Option<String>), Status> {
    if let Some(coding) = request.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok())
        && coding != "identity"
    {
        return Err(Status::unimplemented(format!("content encoding `{coding}` is not supported; send identity")));
    }
    let (parts, body) = request.into_parts();
    let deadline = parts
        .headers
        .get("connect-timeout-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(super::timeouts::connect_timeout);
    let caller = gateway.caller(&endpoint, &parts, deadline).await?;
    let patience = deadline.map_or(BODY_READ_TIMEOUT, |deadline| deadline.min(BODY_READ_TIMEOUT));
    let body = tokio::time::timeout(patience, read_body(body, gateway.max_message_bytes)).await.map_err(|_| {
        Status::deadline_exceeded(format!(
            "the request body did not arrive within {}",
            crate::kernel::describe_duration(patience)
        ))
    })??;
    let message = encoding.decode(endpoint.rpc.rpc.input.clone(), &body)?;
    let (response, request_id) = super::invoke_with_request_id(gateway, endpoint, message, caller).await?;
    Ok((encoding.encode(&response)?, request_id))
}

/// How long a request's body may take to arrive (less if the request's own deadline is
/// shorter): a client that sends it slowly does not hold the request open for ever.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Reads the whole body, refusing one over `limit` bytes.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, Status> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(Status::resource_exhausted(format!(
            "the request is larger than the limit of {limit} bytes (`max-message-bytes` in the wos's `[serve]`)"
        ))),
        Err(error) => Err(Status::invalid_argument(format!("cannot read the request body: {error}"))),
    }
}

/// A Connect error response (with the challenge of an `UNAUTHENTICATED` status, if it has one).
fn error(status: &Status) -> Response<Body> {
    let body = serde_json::json!({ "code": connect_code(status.code()), "message": status.message() });
    let mut response = Response::builder()
        .status(connect_http_status(status.code()))
        .header(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(challenge) = status.metadata().get(super::auth::CHALLENGE_HEADER) {
        response = response.header(header::WWW_AUTHENTICATE, challenge.as_bytes());
    }
    if let Some(id) = status.metadata().get(super::REQUEST_ID_HEADER) {
        response = response.header(super::REQUEST_ID_HEADER, id.as_bytes());
    }
    response.body(Body::from(body.to_string())).expect("a valid response")
}

/// A response outside the Connect protocol (wrong method or content type).
fn plain(status: StatusCode, message: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(format!("{message}\n")))
        .expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn errors_carry_the_connect_code_and_status() {
        let response = error(&Status::new(Code::InvalidArgument, "bad"));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    }

    #[test]
    fn content_types_pick_the_encoding() {
        let with = |ct: &str| Request::builder().header(header::CONTENT_TYPE, ct).body(Body::empty()).unwrap();
        assert!(Encoding::of(&with("application/json")) == Some(Encoding::Json));
        assert!(Encoding::of(&with("application/json; charset=utf-8")) == Some(Encoding::Json));
        assert!(Encoding::of(&with("application/proto")) == Some(Encoding::Proto));
        assert!(Encoding::of(&with("text/plain")).is_none());
        assert!(Encoding::of(&Request::new(Body::empty())).is_none());
    }
}
