//! The one data type every Store in parigot carries, and the per-service state inside it.
//!
//! All services of a wos share one Store, but each keeps its own WASI context (arguments,
//! environment, stdio), resource table, memory account and life-cycle state. `current` says
//! which service is executing; the host switches it whenever a call enters a service, so WASI
//! calls and memory growth are always charged to the right service.

use super::output::ServiceOutput;
use crate::kernel::pulse::PulseClock;
use crate::kernel::{Limits, MemoryLimitHit, ServiceState};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{Func, Instance, InstancePre, ResourceTable};
use wasmtime::{ResourceLimiter, Result};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// Index of a service in start-up order.
pub type ServiceId = usize;

/// Store data: every service's slot, the executing service, the active deadline, and the
/// exported functions that linked imports call.
pub struct HostState {
    pub(super) services: Vec<ServiceSlot>,
    current: ServiceId,
    /// Provider functions, by slot; linked imports refer to them by index. Refreshed when a
    /// provider restarts.
    pub(super) targets: Vec<Option<Func>>,
    /// The pulse, when deadlines are enforced.
    pub(super) clock: Option<PulseClock>,
    /// The deadline of the call under way: the beat it ends at, and the budget it came from.
    pub(super) deadline: Option<(u64, Duration)>,
    /// Set when a guest trapped: wasmtime then refuses every later call into any component of
    /// the Store, so the host moves the services to a fresh Store before the next call.
    pub(super) poisoned: bool,
    /// Set while the host has a call into the Store under way. Still set when the next call
    /// comes means the last one was abandoned halfway (its caller dropped it while the guest
    /// waited), which leaves the guest where it stopped: the host then moves to a fresh
    /// Store, as after a trap.
    pub(super) call_under_way: bool,
}

/// A function exported by a provider that fills `HostState::targets[slot]`.
#[derive(Debug, Clone)]
pub struct ProvidedTarget {
    pub slot: usize,
    /// The interface as the provider exports it.
    pub export: String,
    pub function: String,
}

/// Everything one service owns inside the Store.
pub struct ServiceSlot {
    pub(super) name: Arc<str>,
    pub(super) state: ServiceState,
    pub(super) limits: Limits,
    pub(super) instance: Option<Instance>,
    /// The service, linked and ready to instantiate again after a failure.
    pub(super) pre: Option<InstancePre<HostState>>,
    /// The target slots this service's exports fill.
    pub(super) provides: Vec<ProvidedTarget>,
    pub(super) restarts: u32,
    pub(super) failed_at: Option<Instant>,
    /// Linear memory charged to the current instance, in bytes.
    memory_used: u64,
    recipe: Box<dyn Fn() -> WasiCtxBuilder + Send>,
    wasi: WasiCtx,
    table: ResourceTable,
    stdout: ServiceOutput,
    stderr: ServiceOutput,
}

impl ServiceSlot {
    /// A service in state `Starting`; `recipe` makes its WASI context (again, after a restart).
    pub fn new(
        name: &str,
        limits: Limits,
        recipe: Box<dyn Fn() -> WasiCtxBuilder + Send>,
        stdout: ServiceOutput,
        stderr: ServiceOutput,
    ) -> Self {
        let wasi = recipe().build();
        ServiceSlot {
            name: name.into(),
            state: ServiceState::Starting,
            limits,
            instance: None,
            pre: None,
            provides: Vec::new(),
            restarts: 0,
            failed_at: None,
            memory_used: 0,
            recipe,
            wasi,
            table: ResourceTable::new(),
            stdout,
            stderr,
        }
    }

    /// Drops the instance and everything it held (open files, streams, sockets: its whole
    /// resource table and WASI context), and gives it a fresh context for a later start.
    pub(super) fn release(&mut self) {
        self.instance = None;
        self.table = ResourceTable::new();
        self.wasi = (self.recipe)().build();
        self.memory_used = 0;
        self.stdout.flush();
        self.stderr.flush();
    }
}

impl HostState {
    /// State for services in start-up order, with `targets` empty slots for linked functions.
    pub fn new(services: Vec<ServiceSlot>, targets: usize, clock: Option<PulseClock>) -> Self {
        HostState {
            services,
            current: 0,
            targets: vec![None; targets],
            clock,
            deadline: None,
            poisoned: false,
            call_under_way: false,
        }
    }

    /// Takes everything out of `self` for a fresh Store, leaving an empty shell behind:
    /// services keep their state, limits, restart counts and output, but lose their instances
    /// (they belonged to the old Store), and services that were running are `Starting` again.
    pub(super) fn take_for_new_store(&mut self) -> HostState {
        let mut moved = HostState::new(std::mem::take(&mut self.services), self.targets.len(), self.clock.clone());
        for service in &mut moved.services {
            service.release();
            if service.state == ServiceState::Ready {
                service.state = ServiceState::Starting;
            }
        }
        moved
    }

    /// Makes `service` the one executing, returning the one that was.
    pub fn enter(&mut self, service: ServiceId) -> ServiceId {
        std::mem::replace(&mut self.current, service)
    }

    /// The state of every service, in start-up order.
    pub fn states(&self) -> impl Iterator<Item = (&str, ServiceState)> {
        self.services.iter().map(|s| (&*s.name, s.state))
    }

    /// How long the call under way may still run, if it has a deadline.
    pub fn deadline_left(&self) -> Option<Duration> {
        let (beat, _) = self.deadline?;
        Some(self.clock.as_ref()?.until(beat))
    }

    /// Writes out every service's unfinished output line.
    pub fn flush_output(&self) {
        for service in &self.services {
            service.stdout.flush();
            service.stderr.flush();
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let service = &mut self.services[self.current];
        WasiCtxView { ctx: &mut service.wasi, table: &mut service.table }
    }
}

/// Memory growth is charged to the executing service; growing past its limit traps the guest
/// with [`MemoryLimitHit`].
impl ResourceLimiter for HostState {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> Result<bool> {
        let service = &mut self.services[self.current];
        let growth = (desired - current.min(desired)) as u64;
        if service.memory_used + growth > service.limits.memory {
            return Err(MemoryLimitHit { limit: service.limits.memory }.into());
        }
        service.memory_used += growth;
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, _desired: usize, _maximum: Option<usize>) -> Result<bool> {
        Ok(true)
    }
}
