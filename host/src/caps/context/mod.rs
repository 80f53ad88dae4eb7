//! The per-call context (pctx, `parigot:context`): request id, W3C trace context, user and
//! baggage, carried along a call chain without the guest passing it by hand.
//!
//! The edge makes one ([`Pctx::at_edge`], from a request's `traceparent`, `baggage` and
//! `x-request-id` headers, each ignored if malformed) or the host does for a program's run
//! ([`Pctx::fresh`]); every linked call hands the callee a child ([`Pctx::child`]: same trace,
//! new span); a remote link sends it on as headers ([`Pctx::traceparent`],
//! [`Baggage::header`]). Ids come from an [`IdSource`], seeded in deterministic mode so two
//! runs make the same ids. The deadline travels beside the context (the runtime owns it).

mod baggage;
mod host;
mod ids;

pub use baggage::Baggage;
pub use ids::{IdSource, random_u64};

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The capability: every service may read its call's context. It keeps no state of its own:
/// the context is the call's ([`super::View::call`]).
pub struct Context;

impl super::Unit for Context {
    const ABOUT: super::Capability = super::Capability {
        name: "the per-call context",
        interfaces: &["parigot:context/pctx@0.1.0"],
        grant_key: None,
        test_only: false,
    };
    type Service = ();
    type Instance = ();

    fn prepare(wos: &super::WosPlan<'_>, _start: &super::Start<'_>) -> wasmtime::Result<Vec<()>> {
        Ok(vec![(); wos.services.len()])
    }

    fn link<T: Send + 'static>(
        linker: &mut wasmtime::component::Linker<T>,
        _wos: &super::WosPlan<'_>,
        _service: &super::ServicePlan<'_>,
        view: fn(&mut T) -> super::View<'_, Self>,
    ) -> wasmtime::Result<()> {
        super::bindings::context::add_to_linker::<T, super::Scoped<Self>>(linker, view)
    }
}

/// A W3C trace id: 16 bytes, not all zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceId(pub u128);

/// A W3C span (parent) id: 8 bytes, not all zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanId(pub u64);

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What stays the same along a whole chain (until a guest adds baggage for the calls it makes).
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub id: TraceId,
    /// The W3C `sampled` flag.
    pub sampled: bool,
    pub request_id: Box<str>,
    /// The authenticated user the chain runs as.
    pub user: Option<Box<str>>,
    pub baggage: Baggage,
}

/// The context of one call: its chain's [`Trace`] and its own span.
#[derive(Debug, Clone)]
pub struct Pctx {
    pub trace: Arc<Trace>,
    /// This call's span.
    pub span: SpanId,
    /// The span of the call that made this one.
    pub parent: Option<SpanId>,
    /// Set when a service of the chain refused it for want of a login (`require-user` while
    /// logged out); the whole chain shares it, and the edge answers the request as
    /// unauthenticated.
    pub login_refused: Arc<AtomicBool>,
    /// The catch a test opened in this call ([`crate::caps::sim`]): the calls it makes that
    /// fail are caught, not failed. Its own, never its callees'.
    pub catching: Option<Arc<crate::caps::sim::Catch>>,
}

/// The headers of a request at the edge that the context is made from.
#[derive(Debug, Default, Clone, Copy)]
pub struct EdgeHeaders<'a> {
    pub traceparent: Option<&'a str>,
    pub baggage: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

/// The longest `x-request-id` the edge keeps (longer ones are replaced by a fresh id).
const MAX_REQUEST_ID: usize = 128;

impl Pctx {
    /// A new chain: a fresh trace, request id and span.
    pub fn fresh(ids: &IdSource) -> Pctx {
        let trace = Trace {
            id: ids.trace_id(),
            sampled: false,
            request_id: ids.request_id().into(),
            user: None,
            baggage: Baggage::default(),
        };
        Pctx {
            trace: Arc::new(trace),
            span: ids.span_id(),
            parent: None,
            login_refused: Arc::default(),
            catching: None,
        }
    }

    /// The context of a request that arrived with `headers`, as `user` (who logged in, if
    /// anyone did): the client's trace (a new span in it) when its `traceparent` is well formed,
    /// else a new one; its baggage and request id when well formed. What is ignored is logged
    /// at debug level, never an error.
    pub fn at_edge(headers: EdgeHeaders<'_>, user: Option<&str>, ids: &IdSource) -> Pctx {
        let parent = headers.traceparent.and_then(|text| {
            let parsed = parse_traceparent(text);
            if parsed.is_none() {
                tracing::debug!("ignoring a malformed `traceparent` header ({text:?}); starting a new trace");
            }
            parsed
        });
        let baggage = headers.baggage.map_or_else(Baggage::default, |text| {
            Baggage::parse(text).unwrap_or_else(|why| {
                tracing::debug!("ignoring a malformed `baggage` header: {why}");
                Baggage::default()
            })
        });
        let request_id = headers
            .request_id
            .filter(|id| !id.is_empty() && id.len() <= MAX_REQUEST_ID && id.bytes().all(|b| b.is_ascii_graphic()))
            .map_or_else(|| ids.request_id(), str::to_owned);
        let (id, sampled, parent) = match parent {
            Some((id, span, sampled)) => (id, sampled, Some(span)),
            None => (ids.trace_id(), false, None),
        };
        let trace = Trace { id, sampled, request_id: request_id.into(), user: user.map(Into::into), baggage };
        Pctx { trace: Arc::new(trace), span: ids.span_id(), parent, login_refused: Arc::default(), catching: None }
    }

    /// This context as `user` (a program run with `--user`).
    pub fn as_user(mut self, user: &str) -> Pctx {
        self.trace_mut().user = Some(user.into());
        self
    }

    /// Whether a service of the chain refused it for want of a login.
    pub fn was_refused_login(&self) -> bool {
        self.login_refused.load(Ordering::Relaxed)
    }

    /// The context of a call this one makes: the same trace, a new span whose parent is this
    /// one's.
    pub fn child(&self, ids: &IdSource) -> Pctx {
        Pctx {
            trace: self.trace.clone(),
            span: ids.span_id(),
            parent: Some(self.span),
            login_refused: self.login_refused.clone(),
            catching: None,
        }
    }

    /// The `traceparent` header of a call this one makes to another host, with `span` as the
    /// calling span.
    pub fn traceparent(&self, span: SpanId) -> String {
        format!("00-{}-{span}-{:02x}", self.trace.id, u8::from(self.trace.sampled))
    }

    /// The trace, to change for the calls this one makes (copied if other calls share it).
    pub fn trace_mut(&mut self) -> &mut Trace {
        Arc::make_mut(&mut self.trace)
    }
}

/// Reads a W3C `traceparent`: `version-traceid-parentid-flags`, lowercase hex; version `ff` and
/// all-zero ids are invalid; a later version may append fields after another `-`.
fn parse_traceparent(text: &str) -> Option<(TraceId, SpanId, bool)> {
    let text = text.trim();
    let mut parts = text.splitn(5, '-');
    let (version, trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let rest = parts.next();
    let hex =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex(version, 2) || version == "ff" || !hex(trace, 32) || !hex(span, 16) || !hex(flags, 2) {
        return None;
    }
    if version == "00" && rest.is_some() {
        return None;
    }
    let trace = u128::from_str_radix(trace, 16).ok().filter(|&id| id != 0)?;
    let span = u64::from_str_radix(span, 16).ok().filter(|&id| id != 0)?;
    let flags = u8::from_str_radix(flags, 16).ok()?;
    Some((TraceId(trace), SpanId(span), flags & 1 == 1))
}

#[cfg(test)]
mod tests;
