//! The one path every call into a service takes, whether it comes from another service (a
//! linked import), from the host (a program's `run`, a test, the wire layer):
//!
//! 1. make sure the service is ready, restarting it if it failed and its policy allows;
//! 2. switch the executing service and arm the deadline (the tighter of the caller's and the
//!    service's own);
//! 3. call; then restore the caller and its deadline;
//! 4. if the call trapped, ran out of time or memory: mark the service failed, release what it
//!    held, and return a [`ServiceFailure`] that names it.
//!
//! Calls are asynchronous: guest code runs on a wasmtime fiber, so a guest waiting on the host
//! (a remote import, a WASI sleep) gives its thread back to the async runtime, and the server
//! runs guests on its own workers, with no hand-off to another thread.

use super::state::{HostState, ServiceId};
use crate::kernel::{FailureKind, RestartPolicy, ServiceFailure, ServiceState};
use std::time::{Duration, Instant};
use wasmtime::component::{Func, Instance, Val};
use wasmtime::error::Context;
use wasmtime::{AsContextMut, Result, StoreContextMut, Trap, UpdateDeadline};

/// Which function of the service to call.
pub enum Target<'a> {
    /// A provider function in `HostState::targets` (the fast path of linked imports).
    Slot(usize),
    /// An export looked up by name.
    Export { interface: &'a str, function: &'a str },
}

/// Calls `target` of service `id` with `params`, filling `results`. `label` names the function
/// in errors (`interface#function`).
pub async fn call_service(
    mut store: StoreContextMut<'_, HostState>,
    id: ServiceId,
    target: Target<'_>,
    label: &str,
    params: &[Val],
    results: &mut [Val],
) -> Result<()> {
    ensure_ready(&mut store, id, label).await?;
    let func = match target {
        Target::Slot(slot) => store.data().targets[slot].expect("a ready provider has its functions resolved"),
        Target::Export { interface, function } => {
            let instance = store.data().services[id].instance.expect("a ready service has an instance");
            exported_func(&mut store, &instance, interface, function)?
        }
    };
    let caller = store.data_mut().enter(id);
    let outer_deadline = arm_deadline(&mut store, id);
    let outcome = func.call_async(&mut store, params, results).await;
    restore_deadline(&mut store, outer_deadline);
    store.data_mut().enter(caller);
    outcome.map_err(|error| fail(&mut store, id, label, outer_deadline, error))
}

/// Looks up the function `function` of the interface `interface` exported by `instance`.
pub fn exported_func(
    mut store: impl AsContextMut<Data = HostState>,
    instance: &Instance,
    interface: &str,
    function: &str,
) -> Result<Func> {
    let missing = || format!("no export `{interface}#{function}`");
    let interface = instance.get_export_index(&mut store, None, interface).with_context(missing)?;
    let function = instance.get_export_index(&mut store, Some(&interface), function).with_context(missing)?;
    instance.get_func(&mut store, function).with_context(missing)
}

/// Returns `Ok` if the service can take a call now, restarting it first if it failed and its
/// restart policy allows.
pub(super) async fn ensure_ready(store: &mut StoreContextMut<'_, HostState>, id: ServiceId, label: &str) -> Result<()> {
    let service = &store.data().services[id];
    let reason = match (service.state, service.limits.restart) {
        (ServiceState::Ready, _) => return Ok(()),
        (ServiceState::Starting, _) => "it is still starting (a service cannot be called while it starts)".to_owned(),
        (ServiceState::Exited, _) => "it is a program that has finished".to_owned(),
        (ServiceState::Failed, RestartPolicy::Never) => {
            "it failed earlier and its restart policy is `never` (set `restart = \"on-failure\"` to restart it)"
                .to_owned()
        }
        (ServiceState::Failed, RestartPolicy::OnFailure { max, .. }) if service.restarts >= max => {
            format!("it failed again after {max} restarts, its `max-restarts`")
        }
        (ServiceState::Failed, RestartPolicy::OnFailure { backoff, .. }) => {
            let wait = backoff.saturating_mul(2u32.saturating_pow(service.restarts.min(16)));
            let since = service.failed_at.map_or(wait, |at| at.elapsed());
            if since >= wait {
                return restart(store, id).await;
            }
            format!("it failed and restarts in {} ms", (wait - since).as_millis())
        }
    };
    let service = store.data().services[id].name.to_string();
    Err(ServiceFailure { service, function: label.to_owned(), kind: FailureKind::Unavailable { reason }, source: None }
        .into())
}

/// Instantiates a failed service again, as its restart policy allows.
async fn restart(store: &mut StoreContextMut<'_, HostState>, id: ServiceId) -> Result<()> {
    let service = &mut store.data_mut().services[id];
    service.restarts += 1;
    tracing::info!("restarting service `{}` (restart {})", service.name, service.restarts);
    let name = service.name.clone();
    instantiate_service(store.as_context_mut(), id).await.with_context(|| format!("restarting service `{name}` failed"))
}

/// Instantiates service `id` from its pre-linked form, within its deadline and memory limit,
/// and points the linked imports of its consumers at the new instance. Used for the first
/// start, for restarts, and when the wos moves to a fresh Store.
pub async fn instantiate_service(mut store: StoreContextMut<'_, HostState>, id: ServiceId) -> Result<()> {
    let service = &mut store.data_mut().services[id];
    service.state = ServiceState::Starting;
    let pre = service.pre.clone().expect("every service is pre-linked before it starts");
    let caller = store.data_mut().enter(id);
    let outer_deadline = arm_deadline(&mut store, id);
    let instance = pre.instantiate_async(&mut store).await;
    restore_deadline(&mut store, outer_deadline);
    store.data_mut().enter(caller);
    let instance = instance.inspect_err(|_| {
        let data = store.data_mut();
        data.poisoned = true; // a start function may have trapped
        data.services[id].state = ServiceState::Failed;
        data.services[id].failed_at = Some(Instant::now());
    })?;
    for target in store.data().services[id].provides.clone() {
        let func = exported_func(&mut store, &instance, &target.export, &target.function)?;
        store.data_mut().targets[target.slot] = Some(func);
    }
    let service = &mut store.data_mut().services[id];
    service.instance = Some(instance);
    service.state = ServiceState::Ready;
    Ok(())
}

/// Makes the call into `id` run under the tighter of the caller's deadline and the service's
/// own; returns the caller's deadline. The pulse checks it ([`on_pulse`]).
fn arm_deadline(store: &mut StoreContextMut<'_, HostState>, id: ServiceId) -> Option<(u64, Duration)> {
    let data = store.data_mut();
    let outer = data.deadline;
    let Some(clock) = &data.clock else { return outer };
    let own = data.services[id].limits.deadline.map(|budget| (clock.deadline_beat(budget), budget));
    data.deadline = match (outer, own) {
        (Some(o), Some(n)) => Some(if n.0 < o.0 { n } else { o }),
        (o, n) => o.or(n),
    };
    store.set_epoch_deadline(1);
    outer
}

/// Puts the caller's deadline back after a call returns.
fn restore_deadline(store: &mut StoreContextMut<'_, HostState>, outer: Option<(u64, Duration)>) {
    store.data_mut().deadline = outer;
}

/// What the Store does on each pulse beat that finds a guest running: interrupt the call if
/// its deadline has passed, else give the thread back to the async runtime for a moment, so
/// one long call does not hold up the other calls that share its thread.
pub(super) fn on_pulse(store: StoreContextMut<'_, HostState>) -> Result<UpdateDeadline> {
    let data = store.data();
    let passed = match (&data.clock, data.deadline) {
        (Some(clock), Some((beat, _))) => clock.now() >= beat,
        _ => false,
    };
    if passed { Err(Trap::Interrupt.into()) } else { Ok(UpdateDeadline::Yield(1)) }
}

/// Records that a call into `id` failed and turns `error` into the error its caller sees.
fn fail(
    store: &mut StoreContextMut<'_, HostState>,
    id: ServiceId,
    label: &str,
    outer_deadline: Option<(u64, Duration)>,
    error: wasmtime::Error,
) -> wasmtime::Error {
    store.data_mut().poisoned = true;
    let service = &mut store.data_mut().services[id];
    if error.downcast_ref::<wasmtime_wasi::I32Exit>().is_some() {
        service.state = ServiceState::Exited; // the guest called exit(): not a failure of ours
        return error;
    }
    service.state = ServiceState::Failed;
    service.failed_at = Some(Instant::now());
    service.release();
    if error.downcast_ref::<ServiceFailure>().is_some() {
        tracing::warn!("service `{}` failed: a service it called failed", service.name);
        return error; // a service further down already failed and said where
    }
    let kind = if let Some(hit) = error.downcast_ref::<crate::kernel::MemoryLimitHit>() {
        FailureKind::Memory { limit: hit.limit }
    } else if error.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        let own = service.limits.deadline;
        let budget = match (outer_deadline, own) {
            (Some((_, outer)), Some(own)) => outer.min(own),
            (outer, own) => outer.map(|(_, b)| b).or(own).unwrap_or_default(),
        };
        FailureKind::Deadline(budget)
    } else {
        FailureKind::Trap
    };
    let failure = ServiceFailure {
        service: service.name.to_string(),
        function: label.to_owned(),
        kind,
        source: Some(error.into_boxed_dyn_error()),
    };
    tracing::warn!("{failure}");
    failure.into()
}
