//! The spans of calls, for the OTLP export and the dashboard: one for each call into a service (the service's
//! side of it) and one for each call to a remote host (the caller's side, whose id the remote
//! host's span names as its parent, so that one trace runs across hosts).
//!
//! A call's span id is its per-call context's: the guest sees it, and its log lines carry it.

use super::context::CallContext;
use super::running::Services;
use crate::telemetry::otlp::{SpanKind, SpanRecord, Value};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// A span under way: what its record needs from the start of the call.
pub(super) struct SpanStart {
    trace: u128,
    span: u64,
    parent: Option<u64>,
    user: Option<Box<str>>,
    request_id: Box<str>,
    began: (SystemTime, Instant),
    /// Attributes of its own kind of call (a remote call's host).
    extra: Vec<(Cow<'static, str>, Value)>,
}

impl SpanStart {
    /// The span of the call `context`, begun now, if the wos records its trace's spans.
    pub(super) fn of(services: &Services, context: &CallContext) -> Option<SpanStart> {
        let pctx = &context.pctx;
        if !services.telemetry.records.as_ref()?.takes_span_of(pctx.trace.id.0) {
            return None;
        }
        Some(SpanStart {
            trace: pctx.trace.id.0,
            span: pctx.span.0,
            parent: pctx.parent.map(|parent| parent.0),
            user: pctx.trace.user.clone(),
            request_id: pctx.trace.request_id.clone(),
            began: (SystemTime::now(), Instant::now()),
            extra: Vec::new(),
        })
    }

    /// This span with the attribute `key` = `value` too.
    pub(super) fn with(mut self, key: &'static str, value: &str) -> SpanStart {
        self.extra.push((key.into(), Value::Text(value.to_owned())));
        self
    }

    /// Ends the span of a call of `service` to `label` (`interface#function`), which failed
    /// with `error` if it did, and records it: `Server` for a call into the service, `Client`
    /// for one to a remote host.
    pub(super) fn end(
        self,
        services: &Services,
        service: &str,
        label: &str,
        kind: SpanKind,
        error: Option<&wasmtime::Error>,
    ) {
        let Some(records) = &services.telemetry.records else { return };
        let (interface, function) = label.split_once('#').unwrap_or((label, ""));
        let system = if kind == SpanKind::Client { "grpc" } else { "parigot" };
        let text = |key: &'static str, value: &str| (Cow::Borrowed(key), Value::Text(value.into()));
        let mut attributes = vec![
            text("rpc.system", system),
            text("rpc.service", interface),
            text("rpc.method", function),
            text("parigot.request_id", &self.request_id),
        ];
        if let Some(user) = &self.user {
            attributes.push(text("enduser.id", user));
        }
        attributes.extend(self.extra);
        records.span(SpanRecord {
            service: Arc::from(service),
            trace: self.trace,
            span: self.span,
            parent: self.parent,
            name: label.to_owned(),
            kind,
            start: self.began.0,
            duration: self.began.1.elapsed(),
            attributes,
            error: error.map(|error| format!("{error:#}")),
        });
    }
}
