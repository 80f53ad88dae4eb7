//! How failures become gRPC statuses and Connect errors.

use crate::kernel::{FailureKind, ServiceFailure};
use http::StatusCode;
use tonic::{Code, Status};

/// The status a failed call of `path` into the wos answers with: a deadline is
/// `DEADLINE_EXCEEDED`, a memory overrun `RESOURCE_EXHAUSTED`, a service that failed earlier
/// and is not restarted (yet) `UNAVAILABLE`, a trap `INTERNAL`. The message names the service
/// and the function; an error of the host's own says only where to look (the host's log, under
/// `request_id`), never the host's paths or the chain of causes.
pub fn from_call_error(error: &wasmtime::Error, path: &str, request_id: &str) -> Status {
    let Some(failure) = error.downcast_ref::<ServiceFailure>() else {
        return Status::internal(format!(
            "`{path}` failed inside the host; its log says why, under request id {request_id}"
        ));
    };
    let code = match failure.kind {
        FailureKind::Trap => Code::Internal,
        FailureKind::Deadline(_)
        | FailureKind::CallerDeadline(_)
        | FailureKind::Busy { .. }
        | FailureKind::RemoteTimeout(_) => Code::DeadlineExceeded,
        FailureKind::Memory { .. } | FailureKind::Resources { .. } | FailureKind::Overloaded { .. } => {
            Code::ResourceExhausted
        }
        FailureKind::Abandoned => Code::Cancelled,
        FailureKind::Unavailable { .. } | FailureKind::Start => Code::Unavailable,
        FailureKind::Reentry { .. } => Code::FailedPrecondition,
        FailureKind::Remote { .. } => Code::Unavailable,
    };
    Status::new(code, failure.to_string())
}

/// The Connect protocol's name for a code (`invalid_argument`...).
pub fn connect_code(code: Code) -> &'static str {
    match code {
        Code::Ok => "ok",
        Code::Cancelled => "canceled",
        Code::Unknown => "unknown",
        Code::InvalidArgument => "invalid_argument",
        Code::DeadlineExceeded => "deadline_exceeded",
        Code::NotFound => "not_found",
        Code::AlreadyExists => "already_exists",
        Code::PermissionDenied => "permission_denied",
        Code::ResourceExhausted => "resource_exhausted",
        Code::FailedPrecondition => "failed_precondition",
        Code::Aborted => "aborted",
        Code::OutOfRange => "out_of_range",
        Code::Unimplemented => "unimplemented",
        Code::Internal => "internal",
        Code::Unavailable => "unavailable",
        Code::DataLoss => "data_loss",
        Code::Unauthenticated => "unauthenticated",
    }
}

/// The HTTP status the Connect protocol gives an error code.
pub fn connect_http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).expect("499 is a valid status"),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
