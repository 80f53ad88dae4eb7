//! One service's instances: each in a Store of its own, created from the service's pre-linked
//! form, leased one call at a time, replaced when one fails; and the service's supervision
//! (its restart policy, failed for good or not).
//!
//! A pool holds at most `instances` instances. It starts with one and makes more only when
//! calls overlap, so a wos that is not busy holds one instance per service. An instance whose
//! call failed (or was abandoned halfway) is never given back: wasmtime has poisoned its Store,
//! so it is dropped with everything it held, and the next call that needs an instance starts
//! a fresh one, as the restart policy allows.

use super::context::{CallContext, ChainId};
use super::deadline::{Deadline, within};
use super::output::ServiceOutput;
use super::running::Services;
use super::state::{InstanceState, ServiceId};
use crate::caps::ServiceCaps;
use crate::caps::context::Pctx;
use crate::kernel::lock;
use crate::kernel::queue::WaitQueue;
use crate::kernel::{FailureKind, Limits, RestartPolicy, ServiceFailure, ServiceState};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};
use wasmtime::component::{ComponentExportIndex, Func, Instance, InstancePre};
use wasmtime::error::Context;
use wasmtime::{Engine, Result, Store};
use wasmtime_wasi::WasiCtx;

/// The longest wait before a service that keeps failing gets a fresh instance.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Makes a service's WASI context (arguments, environment, stdio; nothing of the host's).
pub(super) type WasiRecipe = Box<dyn Fn() -> Result<WasiCtx> + Send + Sync>;

/// What a pool is made from.
pub(super) struct PoolSpec {
    pub id: ServiceId,
    pub name: Arc<str>,
    pub is_program: bool,
    pub limits: Limits,
    /// The most instances at once.
    pub size: usize,
    /// The most calls that may wait for an instance at once.
    pub queue: usize,
    /// The exported functions (interface, function) that consumers' linked imports call, by
    /// slot.
    pub provides: Vec<(String, String)>,
    pub recipe: WasiRecipe,
    /// The service's capability state, shared by its instances.
    pub caps: Arc<ServiceCaps>,
    pub stdout: ServiceOutput,
    pub stderr: ServiceOutput,
}

/// What a service's instances are made from: its pre-linked component and where its exports
/// are. `parigot-host dev` replaces it while the wos runs ([`ServicePool::swap`]).
pub(super) struct Version {
    pub pre: InstancePre<InstanceState>,
    /// Every exported function, by interface and name: where to find it in an instance.
    pub exports: BTreeMap<String, BTreeMap<String, ComponentExportIndex>>,
}

/// One service's instances and supervision.
pub(super) struct ServicePool {
    pub(super) spec: PoolSpec,
    /// The version new instances are made from; an instance of an older one is dropped when
    /// its call ends.
    version: RwLock<Arc<Version>>,
    /// How many times the version was swapped: an instance made from another generation is
    /// stale (an atomic read on every call, rather than the lock).
    generation: AtomicU64,
    /// Instances no call holds, and the slots no instance has.
    free: Mutex<Free>,
    /// By slot: the chain whose call holds the instance in that slot (0 for none).
    holders: Box<[AtomicU64]>,
    /// One permit per instance the pool may hold.
    permits: Semaphore,
    /// The calls that wait for a permit.
    waiting: WaitQueue,
    supervision: Mutex<Supervision>,
    /// Whether the service is `Ready` (kept with `supervision.state`, read without the lock on
    /// every call).
    ready: AtomicBool,
    /// Whether the service has no failures in a row (likewise).
    clean: AtomicBool,
    /// The memory its instances hold, in bytes (each instance's share kept by its Store data).
    memory: Arc<AtomicU64>,
}

/// What a pool has free.
struct Free {
    /// The most recently used is taken first.
    instances: Vec<ServiceInstance>,
    /// Slots (indices of `holders`) for fresh instances.
    slots: Vec<usize>,
}

/// A service's life so far.
struct Supervision {
    state: ServiceState,
    /// Failures of its own since its last successful call.
    failures_in_a_row: u32,
    /// No fresh instance before this (the restart back-off).
    not_before: Option<Instant>,
    /// Why the service failed for good.
    failed_because: Option<String>,
}

/// One instance of a service, in its own Store.
pub(super) struct ServiceInstance {
    pub(super) store: Store<InstanceState>,
    pub(super) instance: Instance,
    /// The version it was made from, and its generation.
    version: Arc<Version>,
    generation: u64,
    /// The functions of [`PoolSpec::provides`], by slot.
    pub(super) provided: Vec<Func>,
    /// Its place among the pool's `holders`.
    slot: usize,
}

/// An instance leased for one call. Dropped, it goes back to the pool, unless its call did
/// not end (it was abandoned halfway, so its guest stopped somewhere in the middle) or the
/// service is no longer callable.
pub(super) struct Lease<'a> {
    pool: &'a ServicePool,
    instance: Option<ServiceInstance>,
    /// Set while a call into the instance is under way.
    pub(super) in_call: bool,
    _permit: SemaphorePermit<'a>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(instance) = self.instance.take() else { return };
        self.pool.holders[instance.slot].store(0, Ordering::Release);
        if self.in_call {
            tracing::warn!(
                "a call into service `{}` was abandoned halfway; its instance is dropped",
                self.pool.spec.name
            );
        } else if self.pool.ready.load(Ordering::Acquire) {
            // Checked under the lock that a swap takes to move to the next generation.
            let mut free = lock(&self.pool.free);
            if instance.generation == self.pool.generation.load(Ordering::Acquire) {
                free.instances.push(instance);
                return;
            }
        }
        self.pool.release(instance);
    }
}

impl Lease<'_> {
    /// The leased instance.
    pub(super) fn instance(&mut self) -> &mut ServiceInstance {
        self.instance.as_mut().expect("a lease holds its instance until dropped")
    }

    /// Drops the instance with everything it held (its Store failed).
    fn discard(mut self) {
        if let Some(instance) = self.instance.take() {
            self.pool.holders[instance.slot].store(0, Ordering::Release);
            self.pool.release(instance);
        }
    }
}

impl ServicePool {
    pub(super) fn new(spec: PoolSpec, version: Version) -> ServicePool {
        let supervision =
            Supervision { state: ServiceState::Starting, failures_in_a_row: 0, not_before: None, failed_because: None };
        ServicePool {
            version: RwLock::new(Arc::new(version)),
            generation: AtomicU64::new(0),
            permits: Semaphore::new(spec.size),
            waiting: WaitQueue::new(spec.queue),
            free: Mutex::new(Free { instances: Vec::new(), slots: (0..spec.size).rev().collect() }),
            holders: (0..spec.size).map(|_| AtomicU64::new(0)).collect(),
            spec,
            supervision: Mutex::new(supervision),
            ready: AtomicBool::new(false),
            clean: AtomicBool::new(true),
            memory: Arc::default(),
        }
    }

    /// The version new instances are made from, and its generation.
    fn version(&self) -> (Arc<Version>, u64) {
        let version = self.version.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        (version.clone(), self.generation.load(Ordering::Acquire))
    }

    /// Makes new instances from `version` from now on: the free instances of the old one are
    /// dropped at once, the busy ones when their calls end. A service that had failed for good
    /// is ready again, its failures forgotten; a program may run again.
    pub(super) fn swap(&self, version: Version) {
        let stale = {
            let mut current = self.version.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            *current = Arc::new(version);
            let mut free = lock(&self.free);
            self.generation.fetch_add(1, Ordering::AcqRel);
            std::mem::take(&mut free.instances)
        };
        for instance in stale {
            self.release(instance);
        }
        let mut supervision = lock(&self.supervision);
        supervision.failures_in_a_row = 0;
        supervision.not_before = None;
        supervision.failed_because = None;
        self.clean.store(true, Ordering::Release);
        self.set_state(&mut supervision, ServiceState::Ready);
    }

    /// The service's life-cycle state.
    pub(super) fn state(&self) -> ServiceState {
        lock(&self.supervision).state
    }

    /// Whether a call that needs a fresh instance would be refused now: the service waits for
    /// its restart back-off, or has failed for good.
    pub(super) fn refusing(&self) -> bool {
        let supervision = lock(&self.supervision);
        supervision.state == ServiceState::Failed || supervision.not_before.is_some_and(|at| Instant::now() < at)
    }

    /// Starts the first instance (the service's start-up); the service is then ready.
    pub(super) async fn start(&self, services: &Arc<Services>) -> Result<()> {
        let instance = self.instantiate(services).await?;
        lock(&self.free).instances.push(instance);
        self.set_state(&mut lock(&self.supervision), ServiceState::Ready);
        Ok(())
    }

    /// Leases an instance for a call to `label`: a free one, else a fresh one (within the
    /// pool's size and the restart back-off). Waits while every instance is busy, until the
    /// call's deadline, unless every instance is held by the call's own chain: then the wait
    /// could only end at the deadline, and the call is refused at once.
    pub(super) async fn lease<'a>(
        &'a self,
        services: &Arc<Services>,
        label: &str,
        context: &CallContext,
    ) -> Result<Lease<'a>> {
        self.refuse_unless_callable(label)?;
        let permit = match self.permits.try_acquire() {
            Ok(permit) => permit,
            // Boxed, as is `replace` below: the slow paths' futures are large, and a call's
            // future is moved whole (a memcpy of its full size) on every call.
            Err(_) => Box::pin(self.wait_for_permit(label, context)).await?,
        };
        self.refuse_unless_callable(label)?;
        let free = lock(&self.free).instances.pop();
        let instance = match free {
            Some(instance) => instance,
            None => Box::pin(self.replace(services, label)).await?,
        };
        self.holders[instance.slot].store(context.chain.raw(), Ordering::Release);
        Ok(Lease { pool: self, instance: Some(instance), in_call: false, _permit: permit })
    }

    /// Waits for a permit, until the call's deadline, unless the service's queue of waiting
    /// calls is full (then the call is refused at once) or the call's client leaves meanwhile.
    async fn wait_for_permit(&self, label: &str, context: &CallContext) -> Result<SemaphorePermit<'_>> {
        if self.holders.iter().all(|holder| holder.load(Ordering::Acquire) == context.chain.raw()) {
            return Err(self.failure(label, FailureKind::Reentry { instances: self.spec.size }).into());
        }
        let Some(_place) = self.waiting.join() else {
            return Err(self.failure(label, FailureKind::Overloaded { queue: self.waiting.limit() }).into());
        };
        let acquire = async {
            let permit = match context.deadline {
                Some(deadline) => tokio::time::timeout_at(deadline.at.into(), self.permits.acquire())
                    .await
                    .map_err(|_| self.failure(label, FailureKind::Busy { instances: self.spec.size }))?,
                None => self.permits.acquire().await,
            };
            Ok(permit.expect("a pool's semaphore is never closed"))
        };
        let Some(client) = &context.client else { return acquire.await };
        tokio::select! {
            permit = acquire => permit,
            () = client.clone().left() => {
                tracing::info!("a call to `{label}` of service `{}` was dropped: its client left while it waited", self.spec.name);
                Err(self.failure(label, FailureKind::Abandoned).into())
            }
        }
    }

    /// The memory its instances hold, in bytes.
    pub(super) fn memory_held(&self) -> u64 {
        self.memory.load(Ordering::Relaxed)
    }

    /// How many of its instances are busy in a call, and how many idle.
    pub(super) fn instance_counts(&self) -> (usize, usize) {
        let busy = self.holders.iter().filter(|holder| holder.load(Ordering::Acquire) != 0).count();
        (busy, lock(&self.free).instances.len())
    }

    /// A fresh instance for the pool, once the restart back-off allows.
    async fn replace(&self, services: &Arc<Services>, label: &str) -> Result<ServiceInstance> {
        {
            let supervision = lock(&self.supervision);
            if let Some(at) = supervision.not_before {
                let now = Instant::now();
                if now < at {
                    let reason = format!(
                        "it failed {} times in a row and gets a fresh instance in {} ms (its restart back-off)",
                        supervision.failures_in_a_row,
                        (at - now).as_millis().max(1)
                    );
                    return Err(self.failure(label, FailureKind::Unavailable { reason }).into());
                }
            }
            tracing::debug!("starting another instance of service `{}`", self.spec.name);
        }
        match self.instantiate(services).await {
            Ok(instance) => {
                if !self.clean.load(Ordering::Acquire) {
                    services.telemetry.metrics.restarted(&self.spec.name);
                }
                Ok(instance)
            }
            Err(error) => {
                let failure = self.failure(label, FailureKind::Start);
                tracing::warn!("{failure}: {error:#}");
                self.charge_failure(services);
                Err(wasmtime::Error::from(ServiceFailure { source: Some(error.into_boxed_dyn_error()), ..failure }))
            }
        }
    }

    /// Instantiates the service in a Store of its own, under its own deadline and memory limit,
    /// in a free slot (the pool's permits guarantee one).
    async fn instantiate(&self, services: &Arc<Services>) -> Result<ServiceInstance> {
        let slot = lock(&self.free).slots.pop().expect("a permit or the start stands for a free slot");
        let instance = self.instantiate_in(services, slot).await;
        if instance.is_err() {
            lock(&self.free).slots.push(slot);
        }
        instance
    }

    async fn instantiate_in(&self, services: &Arc<Services>, slot: usize) -> Result<ServiceInstance> {
        let spec = &self.spec;
        let engine: &Engine = services.engine();
        let mut state = InstanceState::new(
            Arc::downgrade(services),
            (spec.recipe)()?,
            (spec.limits.memory, self.memory.clone()),
            spec.caps.clone(),
        );
        let deadline = services.deadline_for(spec.id, None);
        let pctx = Pctx::fresh(&services.ids);
        state.context = Some(CallContext { chain: ChainId::fresh(), deadline, pctx, client: None });
        let mut store = Store::new(engine, state);
        store.limiter(|state| state);
        // What one call may move from the guest into the host (as dynamic values, 32 bytes per
        // element of a list) is bounded by the instance's own memory limit, not by wasmtime's
        // fixed default of 128 MiB, which stops a 4 MiB `list<u8>`.
        store.set_hostcall_fuel(usize::try_from(spec.limits.memory).unwrap_or(usize::MAX));
        store.epoch_deadline_callback(on_pulse);
        store.set_epoch_deadline(1);
        let (version, generation) = self.version();
        let instance = within(deadline, version.pre.instantiate_async(&mut store)).await?;
        store.data_mut().context = None;
        let provided = spec
            .provides
            .iter()
            .map(|(interface, function)| self.export_func(&mut store, &instance, &version, interface, function))
            .collect::<Result<_>>()?;
        Ok(ServiceInstance { store, instance, version, generation, provided, slot })
    }

    /// The function `function` of the interface `interface` that `instance` exports.
    pub(super) fn export(&self, instance: &mut ServiceInstance, interface: &str, function: &str) -> Result<Func> {
        let version = instance.version.clone();
        self.export_func(&mut instance.store, &instance.instance, &version, interface, function)
    }

    fn export_func(
        &self,
        store: &mut Store<InstanceState>,
        instance: &Instance,
        version: &Version,
        interface: &str,
        function: &str,
    ) -> Result<Func> {
        let index = version.exports.get(interface).and_then(|functions| functions.get(function));
        index
            .and_then(|index| instance.get_func(&mut *store, index))
            .with_context(|| format!("service `{}` has no export `{interface}#{function}`", self.spec.name))
    }

    /// Refuses a call if the service has failed for good or is a finished program.
    fn refuse_unless_callable(&self, label: &str) -> Result<()> {
        if self.ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let supervision = lock(&self.supervision);
        let reason = match supervision.state {
            ServiceState::Ready => return Ok(()),
            ServiceState::Starting => "it has not started".to_owned(),
            ServiceState::Exited => "it is a program that has finished".to_owned(),
            ServiceState::Failed => supervision.failed_because.clone().unwrap_or_else(|| "it failed".to_owned()),
        };
        Err(self.failure(label, FailureKind::Unavailable { reason }).into())
    }

    /// A successful call: the service's failures no longer count as in a row.
    pub(super) fn succeeded(&self) {
        if self.clean.load(Ordering::Acquire) {
            return;
        }
        let mut supervision = lock(&self.supervision);
        supervision.failures_in_a_row = 0;
        supervision.not_before = None;
        self.clean.store(true, Ordering::Release);
    }

    /// Moves the service to `state`.
    fn set_state(&self, supervision: &mut Supervision, state: ServiceState) {
        supervision.state = state;
        self.ready.store(state == ServiceState::Ready, Ordering::Release);
    }

    /// Records that the call under `lease` failed with `error`, drops the instance, and
    /// returns the error its caller sees: a [`ServiceFailure`] that names the service that
    /// failed. A failure that came from a service further down the chain is that service's,
    /// passed on as it is: this instance is replaced without being charged to its policy. So
    /// is a call cut at the deadline its caller from outside the wos set: its instance stopped
    /// halfway and is replaced, but the failure is the caller's, and no client can make a
    /// service fail by sending short deadlines.
    pub(super) fn failed(
        &self,
        services: &Services,
        lease: Lease<'_>,
        label: &str,
        deadline: Option<Deadline>,
        error: wasmtime::Error,
    ) -> wasmtime::Error {
        lease.discard();
        if self.spec.is_program && error.downcast_ref::<wasmtime_wasi::I32Exit>().is_some() {
            self.set_state(&mut lock(&self.supervision), ServiceState::Exited); // the program called exit()
            return error;
        }
        if error.downcast_ref::<ServiceFailure>().is_some() {
            tracing::info!("an instance of service `{}` is replaced: a service it called failed", self.spec.name);
            return error;
        }
        let table_full = || {
            error
                .chain()
                .any(|cause| matches!(cause.downcast_ref(), Some(wasmtime::component::ResourceTableError::Full)))
        };
        let kind = if let Some(hit) = error.downcast_ref::<crate::kernel::MemoryLimitHit>() {
            FailureKind::Memory { limit: hit.limit }
        } else if table_full() {
            FailureKind::Resources { limit: crate::kernel::descriptors::resources_per_instance() }
        } else if error.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt) {
            match deadline {
                Some(deadline) if deadline.set_by_caller => FailureKind::CallerDeadline(deadline.budget),
                Some(deadline) => FailureKind::Deadline(deadline.budget),
                None => FailureKind::Trap,
            }
        } else {
            FailureKind::Trap
        };
        let callers_own = matches!(kind, FailureKind::CallerDeadline(_));
        if !callers_own {
            services.telemetry.metrics.failed(&self.spec.name, kind.metric_name());
        }
        let failure = ServiceFailure { source: Some(error.into_boxed_dyn_error()), ..self.failure(label, kind) };
        if callers_own {
            tracing::info!("{failure}; its instance is replaced (not counted against its restart policy)");
        } else {
            tracing::warn!("{failure}");
            self.charge_failure(services);
        }
        failure.into()
    }

    /// Applies the restart policy after a failure of the service's own.
    fn charge_failure(&self, services: &Services) {
        let mut supervision = lock(&self.supervision);
        if supervision.state == ServiceState::Failed {
            return;
        }
        supervision.failures_in_a_row += 1;
        self.clean.store(false, Ordering::Release);
        let in_a_row = supervision.failures_in_a_row;
        let for_good = match (self.spec.is_program, self.spec.limits.restart) {
            (true, _) => Some("it is a program that failed".to_owned()),
            (false, RestartPolicy::Never) => Some(
                "it failed and its restart policy is `never` (set `restart = \"on-failure\"` to replace \
                 failed instances)"
                    .to_owned(),
            ),
            (false, RestartPolicy::OnFailure { max, .. }) if in_a_row > max => Some(format!(
                "it failed {in_a_row} times in a row, more than its `max-restarts` of {max}, and is not restarted"
            )),
            (false, RestartPolicy::OnFailure { backoff, .. }) => {
                supervision.not_before = Some(Instant::now() + backoff_after(backoff, in_a_row));
                None
            }
        };
        let Some(reason) = for_good else { return };
        if !self.spec.is_program {
            tracing::error!("service `{}` has failed for good: {reason}", self.spec.name);
        }
        self.set_state(&mut supervision, ServiceState::Failed);
        supervision.failed_because = Some(reason);
        drop(supervision);
        self.release_free();
        services.failed_for_good(self.spec.id);
    }

    /// A program whose `run` returned: its instance is dropped and it takes no more calls.
    /// Makes a finished program runnable again (`parigot-host dev` runs the programs again
    /// after a reload).
    pub(super) fn rearm(&self) {
        let mut supervision = lock(&self.supervision);
        if supervision.state == ServiceState::Exited {
            self.set_state(&mut supervision, ServiceState::Ready);
        }
    }

    pub(super) fn exited(&self) {
        let mut supervision = lock(&self.supervision);
        if supervision.state == ServiceState::Ready {
            self.set_state(&mut supervision, ServiceState::Exited);
        }
        drop(supervision);
        self.release_free();
    }

    /// Stops the pool once the calls under way have ended: drops every instance.
    pub(super) async fn stop(&self) {
        let _all = self.permits.acquire_many(self.spec.size as u32).await.expect("a pool's semaphore is never closed");
        let state = self.state();
        tracing::info!("stopping service `{}` ({state})", self.spec.name);
        self.release_free();
        if state == ServiceState::Ready {
            self.set_state(&mut lock(&self.supervision), ServiceState::Exited);
        }
    }

    /// Drops an instance with its Store (memory, open files, streams: its whole resource
    /// table and WASI context), frees its slot, and writes out the service's unfinished output
    /// lines.
    fn release(&self, instance: ServiceInstance) {
        let slot = instance.slot;
        drop(instance);
        lock(&self.free).slots.push(slot);
        self.spec.stdout.flush();
        self.spec.stderr.flush();
    }

    /// Drops its idle instances, as a restart would: the next call starts a fresh one.
    pub(super) fn forget_idle(&self) {
        self.release_free();
    }

    /// Releases every free instance.
    fn release_free(&self) {
        let instances = std::mem::take(&mut lock(&self.free).instances);
        for instance in instances {
            self.release(instance);
        }
    }

    /// A failure of this service in `label`.
    fn failure(&self, label: &str, kind: FailureKind) -> ServiceFailure {
        ServiceFailure::new(&self.spec.name, label, kind)
    }
}

/// The wait before a fresh instance after `in_a_row` failures in a row: none after one (a bad
/// request costs only itself), then `backoff`, doubled each time, up to [`MAX_BACKOFF`].
fn backoff_after(backoff: Duration, in_a_row: u32) -> Duration {
    if in_a_row <= 1 {
        return Duration::ZERO;
    }
    backoff.saturating_mul(2u32.saturating_pow((in_a_row - 2).min(16))).min(MAX_BACKOFF)
}

/// What a Store does on each pulse beat that finds its guest running: interrupt the call if
/// its deadline has passed, else give the thread back to the async runtime for a moment, so
/// one long call does not hold up the other calls that share its thread.
fn on_pulse(store: wasmtime::StoreContextMut<'_, InstanceState>) -> Result<wasmtime::UpdateDeadline> {
    let deadline = store.data().context.as_ref().and_then(|context| context.deadline);
    let passed = deadline.is_some_and(|deadline| Instant::now() >= deadline.at);
    if passed { Err(wasmtime::Trap::Interrupt.into()) } else { Ok(wasmtime::UpdateDeadline::Yield(1)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failure_is_replaced_at_once_and_later_ones_back_off() {
        let backoff = Duration::from_millis(100);
        assert_eq!(backoff_after(backoff, 1), Duration::ZERO);
        assert_eq!(backoff_after(backoff, 2), Duration::from_millis(100));
        assert_eq!(backoff_after(backoff, 3), Duration::from_millis(200));
        assert_eq!(backoff_after(backoff, 4), Duration::from_millis(400));
        assert_eq!(backoff_after(backoff, 40), MAX_BACKOFF);
    }
}
