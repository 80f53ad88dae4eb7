//! The one path every call into a service takes, whether it comes from another service (a
//! linked import), from the host (a program's `run`, a test, the wire layer):
//!
//! 1. the deadline: the tighter of the caller's and the service's own;
//! 2. lease an instance of the service (waiting, within the deadline, while all are busy; a
//!    fresh one replaces an instance that failed, as the restart policy allows);
//! 3. call it in its own Store, bounded by the deadline whether the guest computes (the pulse
//!    interrupts it) or waits (a sleep, `poll`, a linked or remote call: the wait is cut);
//! 4. on success the instance goes back to the pool; on failure it is dropped, the restart
//!    policy is applied, and the caller gets a [`ServiceFailure`] that names the service.
//!
//! Calls are asynchronous: guest code runs on a wasmtime fiber, so a guest waiting on the host
//! gives its thread back to the async runtime. A linked import is a host function of the
//! caller's Store that awaits a call into the provider's Store.

use super::context::CallContext;
use super::deadline::{Deadline, within};
use super::pool::{Lease, ServicePool};
use super::running::Services;
use super::shape::PlainList;
use super::spans::SpanStart;
use super::state::{InstanceState, ServiceId};
use crate::telemetry::otlp::SpanKind;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::{Func, Val};
use wasmtime::{Result, Store};

/// Which function of the service to call.
pub enum Target<'a> {
    /// A function the service provides to a consumer's linked import, by slot (the fast path).
    Slot(usize),
    /// An export looked up by name.
    Export { interface: &'a str, function: &'a str },
}

/// Calls `target` of service `id` with `params`, filling `results`, in the caller's chain and
/// under the tighter of its deadline and the service's own. `label` names the function in
/// errors (`interface#function`).
pub(super) async fn call_service(
    services: &Arc<Services>,
    id: ServiceId,
    target: Target<'_>,
    label: &str,
    params: &[Val],
    results: &mut [Val],
    caller: CallContext,
) -> Result<()> {
    let mut call = Call::begin(services, id, target, label, caller).await?;
    let (store, func, deadline) = call.parts();
    let outcome = within(deadline, func.call_async(store, params, results)).await;
    call.end(outcome)
}

/// [`call_service`] with typed values, for signatures of plain values: a `list<u8>` is one
/// `Vec<u8>` instead of a [`Val`] (32 bytes) per byte.
pub(super) async fn call_service_typed<P, R>(
    services: &Arc<Services>,
    id: ServiceId,
    target: Target<'_>,
    label: &str,
    params: P,
    caller: CallContext,
) -> Result<R>
where
    P: PlainList,
    R: PlainList,
{
    let mut call = Call::begin(services, id, target, label, caller).await?;
    let (store, func, deadline) = call.parts();
    let outcome = within(deadline, async { func.typed::<P, R>(&*store)?.call_async(store, params).await }).await;
    call.end(outcome)
}

/// A supervised call under way: the leased instance, the function, and the deadline.
struct Call<'a> {
    services: &'a Arc<Services>,
    pool: &'a ServicePool,
    lease: Lease<'a>,
    func: Func,
    label: &'a str,
    deadline: Option<Deadline>,
    /// When the call began (for its duration in the metrics).
    began: Instant,
    /// Its span, when the wos exports spans.
    span: Option<SpanStart>,
}

impl<'a> Call<'a> {
    /// Leases an instance of service `id` for a call to `target` and arms the deadline.
    async fn begin(
        services: &'a Arc<Services>,
        id: ServiceId,
        target: Target<'_>,
        label: &'a str,
        caller: CallContext,
    ) -> Result<Call<'a>> {
        let began = Instant::now();
        let pool = &services.pools[id];
        let deadline = services.deadline_for(id, caller.deadline);
        let context = CallContext { deadline, ..caller };
        let span = SpanStart::of(services, &context);
        services.before_lease(id, label, &context);
        let mut lease = match pool.lease(services, label, &context).await {
            Ok(lease) => lease,
            Err(refused) => {
                // Refused before it began (busy, overloaded, abandoned...): still a call, failed.
                services.telemetry.metrics.call_ended(&pool.spec.name, label, false, began.elapsed());
                if let Some(span) = span {
                    span.end(services, &pool.spec.name, label, SpanKind::Server, Some(&refused));
                }
                return Err(refused);
            }
        };
        let instance = lease.instance();
        let func = match target {
            Target::Slot(slot) => instance.provided[slot],
            Target::Export { interface, function } => pool.export(instance, interface, function)?,
        };
        instance.store.data_mut().context = Some(context);
        // The next pulse beat, not one long past while the instance sat idle: a call does not
        // start by yielding (or, with a deadline already passed, by trapping) on a stale one.
        instance.store.set_epoch_deadline(1);
        lease.in_call = true;
        Ok(Call { services, pool, lease, func, label, deadline, began, span })
    }

    /// What the call needs: the instance's Store, the function, and the deadline (a guest that
    /// waits is not in wasm code, where the pulse would interrupt it: the wait itself is cut at
    /// the deadline, and the instance, stopped halfway, is dropped).
    fn parts(&mut self) -> (&mut Store<InstanceState>, Func, Option<Deadline>) {
        (&mut self.lease.instance().store, self.func, self.deadline)
    }

    /// Gives the instance back, or drops it and applies the restart policy if the call failed.
    fn end<T>(mut self, outcome: Result<T>) -> Result<T> {
        self.lease.in_call = false;
        let (services, pool, label, span) = (self.services, self.pool, self.label, self.span.take());
        services.telemetry.metrics.call_ended(&pool.spec.name, label, outcome.is_ok(), self.began.elapsed());
        let outcome = match outcome {
            Ok(output) => {
                self.lease.instance().store.data_mut().end_call();
                pool.succeeded();
                Ok(output)
            }
            Err(error) => Err(pool.failed(services, self.lease, label, self.deadline, error)),
        };
        // After the failure is named (the service, and why), which is what the span tells.
        if let Some(span) = span {
            span.end(services, &pool.spec.name, label, SpanKind::Server, outcome.as_ref().err());
        }
        outcome
    }
}
