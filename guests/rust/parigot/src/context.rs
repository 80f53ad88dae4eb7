//! The per-call context (`parigot:context/pctx`): what the call under way carries from its
//! caller, without the service passing anything by hand.

use crate::bindings::parigot::context::pctx;
use std::fmt;
use std::time::Duration;

/// The context of the call under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The request that started the chain (the edge's `x-request-id`, or one the host made).
    pub request_id: String,
    /// The W3C trace id: 32 hex digits, the same at every hop.
    pub trace_id: String,
    /// This call's W3C span id: 16 hex digits.
    pub span_id: String,
    /// The span of the call that made this one.
    pub parent_span_id: Option<String>,
    /// The W3C `sampled` flag.
    pub sampled: bool,
    /// How long the call may still run, when it has a deadline.
    pub time_left: Option<Duration>,
    /// The authenticated user the chain runs as, if the caller logged in.
    pub user: Option<String>,
    /// The baggage, in the order its members were added.
    pub baggage: Vec<(String, String)>,
}

impl Context {
    /// The value of baggage member `key`, if there is one.
    pub fn baggage(&self, key: &str) -> Option<&str> {
        self.baggage.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// The context of the call under way.
pub fn current() -> Context {
    let ctx = pctx::current();
    Context {
        request_id: ctx.request_id,
        trace_id: ctx.trace_id,
        span_id: ctx.span_id,
        parent_span_id: ctx.parent_span_id,
        sampled: ctx.sampled,
        time_left: ctx.time_left_ms.map(Duration::from_millis),
        user: ctx.user,
        baggage: ctx.baggage,
    }
}

/// The caller did not log in, and the service serves logged-in callers only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginRequired;

impl fmt::Display for LoginRequired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("this call needs a logged-in user")
    }
}

impl std::error::Error for LoginRequired {}

/// The user the chain runs as, for a service that serves logged-in callers only: when the
/// caller did not log in, `Err(LoginRequired)`, and the request that started the chain is
/// answered as unauthenticated (gRPC `UNAUTHENTICATED`, Connect 401) whatever the service
/// returns; return early, e.g. with `?`.
pub fn require_user() -> Result<String, LoginRequired> {
    pctx::require_user().ok_or(LoginRequired)
}

/// Why baggage could not be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaggageError {
    /// The key is not a W3C token.
    InvalidKey(String),
    /// The baggage would be over W3C's limits (180 members, 8192 bytes).
    TooLarge,
}

impl fmt::Display for BaggageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaggageError::InvalidKey(key) => write!(f, "baggage key {key:?} is not a W3C token"),
            BaggageError::TooLarge => f.write_str("the baggage would be over W3C's limits (180 members, 8192 bytes)"),
        }
    }
}

impl std::error::Error for BaggageError {}

/// Adds `key` = `value` to the baggage of the call under way: every call the service makes for
/// the rest of it carries the pair.
pub fn set_baggage(key: &str, value: &str) -> Result<(), BaggageError> {
    pctx::set_baggage(key, value).map_err(|error| match error {
        pctx::BaggageError::InvalidKey(key) => BaggageError::InvalidKey(key),
        pctx::BaggageError::TooLarge => BaggageError::TooLarge,
    })
}

/// Removes `key` from the baggage of the call under way.
pub fn remove_baggage(key: &str) {
    pctx::remove_baggage(key);
}
