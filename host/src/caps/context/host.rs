//! `parigot:context/pctx`: a guest reads the context of its call and adds baggage for the calls
//! it makes.

use super::Context;
use super::baggage::BaggageError;
use crate::caps::View;
use crate::caps::bindings::context::{self as wit, Host};
use wasmtime::Result;

/// The interface these functions implement, as errors name it.
const INTERFACE: &str = "parigot:context/pctx";

impl Host for View<'_, Context> {
    fn current(&mut self) -> Result<wit::CallContext> {
        let time_left_ms = self.time_left.map(|left| u64::try_from(left.as_millis()).unwrap_or(u64::MAX));
        let pctx = self.pctx(INTERFACE, "current")?;
        let trace = &pctx.trace;
        Ok(wit::CallContext {
            request_id: trace.request_id.to_string(),
            trace_id: trace.id.to_string(),
            span_id: pctx.span.to_string(),
            parent_span_id: pctx.parent.map(|span| span.to_string()),
            sampled: trace.sampled,
            time_left_ms,
            user: trace.user.as_deref().map(str::to_owned),
            baggage: trace.baggage.members().to_vec(),
        })
    }

    fn require_user(&mut self) -> Result<Option<String>> {
        let pctx = self.pctx(INTERFACE, "require-user")?;
        let user = pctx.trace.user.as_deref().map(str::to_owned);
        if user.is_none() {
            pctx.login_refused.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(user)
    }

    fn set_baggage(&mut self, key: String, value: String) -> Result<Result<(), wit::BaggageError>> {
        let outcome = self.pctx(INTERFACE, "set-baggage")?.trace_mut().baggage.set(&key, &value);
        Ok(outcome.map_err(|error| match error {
            BaggageError::InvalidKey(key) => wit::BaggageError::InvalidKey(key),
            BaggageError::TooLarge => wit::BaggageError::TooLarge,
        }))
    }

    fn remove_baggage(&mut self, key: String) -> Result<()> {
        let pctx = self.pctx(INTERFACE, "remove-baggage")?;
        if pctx.trace.baggage.members().iter().any(|(k, _)| *k == key) {
            pctx.trace_mut().baggage.remove(&key);
        }
        Ok(())
    }
}
