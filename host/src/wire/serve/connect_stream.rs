//! Connect's streaming protocol for the gRPC services on the router: server reflection in
//! practice, which `buf curl --protocol connect` uses to learn the schema.
//!
//! A Connect stream frames its messages exactly as gRPC does (a flags byte, a four-byte
//! big-endian length, the message). The two differ in their headers and in how a stream ends:
//! gRPC puts the status in HTTP trailers, Connect in a last frame (flags `0x02`) holding a JSON
//! object with the error, if there was one. So a Connect stream is served by giving the gRPC
//! service the request with gRPC's headers, and turning its status into that last frame.

use super::status::connect_code;
use axum::body::Body;
use axum::middleware::Next;
use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use http_body::{Body as HttpBody, Frame};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tonic::Status;

/// The content type of a Connect stream in binary protobuf (the one reflection clients send).
const CONNECT_PROTO_STREAM: &str = "application/connect+proto";
/// The flags of the frame that ends a Connect stream.
const END_OF_STREAM: u8 = 0x02;

/// Middleware: a Connect stream goes to the gRPC service of its path, translated both ways;
/// every other request passes through untouched.
pub async fn bridge(request: Request<Body>, next: Next) -> Response<Body> {
    if !is_connect_stream(request.headers()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    to_grpc_headers(&mut parts.headers);
    let response = next.run(Request::from_parts(parts, body)).await;
    to_connect_response(response)
}

fn is_connect_stream(headers: &HeaderMap) -> bool {
    super::media_type(headers).is_some_and(|t| t == CONNECT_PROTO_STREAM)
}

/// Rewrites a Connect stream's request headers as gRPC's.
fn to_grpc_headers(headers: &mut HeaderMap) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/grpc+proto"));
    headers.insert(header::TE, HeaderValue::from_static("trailers"));
    let renamed = [
        ("connect-timeout-ms", "grpc-timeout"),
        ("connect-content-encoding", "grpc-encoding"),
        ("connect-accept-encoding", "grpc-accept-encoding"),
    ];
    for (connect, grpc) in renamed {
        let Some(value) = headers.remove(connect) else { continue };
        let value = if grpc == "grpc-timeout" { grpc_timeout(&value) } else { Some(value) };
        if let Some(value) = value {
            headers.insert(grpc, value);
        }
    }
}

/// A Connect timeout as a `grpc-timeout`; `None` if it is not one.
fn grpc_timeout(connect_ms: &HeaderValue) -> Option<HeaderValue> {
    let timeout = super::timeouts::connect_timeout(connect_ms.to_str().ok()?)?;
    HeaderValue::from_str(&super::timeouts::grpc_timeout_header(timeout)).ok()
}

/// Turns a gRPC service's response into a Connect stream: same frames, status at the end.
fn to_connect_response(response: Response<Body>) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    // A gRPC "trailers-only" response (an early error) has its status in the headers.
    let header_status = Status::from_header_map(&parts.headers);
    for name in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
        parts.headers.remove(name);
    }
    parts.status = StatusCode::OK;
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONNECT_PROTO_STREAM));
    Response::from_parts(parts, Body::new(ConnectFrames { grpc: body, header_status, ended: false }))
}

/// A gRPC response body read as a Connect stream body.
struct ConnectFrames {
    grpc: Body,
    header_status: Option<Status>,
    ended: bool,
}

impl HttpBody for ConnectFrames {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        loop {
            let status = match ready!(Pin::new(&mut self.grpc).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Err(frame) => match frame.into_trailers() {
                        Ok(trailers) => Status::from_header_map(&trailers),
                        Err(_) => continue, // a kind of frame Connect has no use for
                    },
                },
                Some(Err(error)) => Some(Status::internal(format!("the stream broke: {error}"))),
                None => self.header_status.take(),
            };
            self.ended = true;
            return Poll::Ready(Some(Ok(Frame::data(end_of_stream(status)))));
        }
    }
}

/// The frame that ends a Connect stream: `{}` after success, else the error's code and message.
fn end_of_stream(status: Option<Status>) -> Bytes {
    let json = match status {
        Some(status) if status.code() != tonic::Code::Ok => {
            serde_json::json!({ "error": { "code": connect_code(status.code()), "message": status.message() } })
        }
        _ => serde_json::json!({}),
    };
    let json = json.to_string();
    let mut frame = BytesMut::with_capacity(5 + json.len());
    frame.put_u8(END_OF_STREAM);
    frame.put_u32(u32::try_from(json.len()).expect("a status fits in a frame"));
    frame.put_slice(json.as_bytes());
    frame.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_of(frame: &[u8]) -> serde_json::Value {
        assert_eq!(frame[0], END_OF_STREAM);
        let length = u32::from_be_bytes(frame[1..5].try_into().unwrap()) as usize;
        assert_eq!(frame.len(), 5 + length);
        serde_json::from_slice(&frame[5..]).unwrap()
    }

    #[test]
    fn a_stream_ends_with_its_status_as_json() {
        assert_eq!(json_of(&end_of_stream(None)), serde_json::json!({}));
        assert_eq!(json_of(&end_of_stream(Some(Status::ok("")))), serde_json::json!({}));
        let failed = json_of(&end_of_stream(Some(Status::unimplemented("no such method"))));
        assert_eq!(failed, serde_json::json!({ "error": { "code": "unimplemented", "message": "no such method" } }));
    }

    #[test]
    fn connect_headers_become_grpc_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/connect+proto"));
        headers.insert("connect-timeout-ms", HeaderValue::from_static("2500"));
        assert!(is_connect_stream(&headers));
        to_grpc_headers(&mut headers);
        assert_eq!(headers[header::CONTENT_TYPE], "application/grpc+proto");
        assert_eq!(headers["grpc-timeout"], "2500m");
        assert!(!headers.contains_key("connect-timeout-ms"));
        assert!(!is_connect_stream(&headers));
    }

    #[test]
    fn long_connect_timeouts_fit_in_a_grpc_timeout() {
        let converted = |ms: &'static str| grpc_timeout(&HeaderValue::from_static(ms));
        assert_eq!(converted("99999999").unwrap(), "99999999m");
        assert_eq!(converted("4000000000").unwrap(), "4000000S");
        assert_eq!(converted("soon"), None);
    }
}
