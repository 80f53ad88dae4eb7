//! The data every Store in parigot carries: one Store holds one instance of one service, so
//! this is that instance's WASI context, resource table, memory account and the deadline of
//! the call under way, plus a way back to the running wos for the linked imports it makes.

use super::context::CallContext;
use super::running::Services;
use crate::caps::{CapsHost, InstanceCaps, Parts, ServiceCaps};
use crate::kernel::MemoryLimitHit;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Result};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Index of a service in start-up order.
pub type ServiceId = usize;

/// What a table element is charged against the memory limit: the size of a reference.
const TABLE_ELEMENT_BYTES: u64 = std::mem::size_of::<usize>() as u64;

/// Store data of one service instance.
pub struct InstanceState {
    /// The running wos, for linked imports (weak: the wos owns its instances, not the reverse).
    pub(super) services: Weak<Services>,
    /// The chain and deadline of the call under way.
    pub(super) context: Option<CallContext>,
    /// The most memory (linear memories and tables) the instance may hold, in bytes.
    memory_limit: u64,
    /// Memory charged to the instance so far, in bytes.
    memory_used: u64,
    /// What all the instances of its service hold, for the metrics: this one's share is added
    /// as it grows and taken back when it is dropped.
    service_memory: Arc<AtomicU64>,
    /// The service's capability state.
    caps: Arc<ServiceCaps>,
    /// The instance's own capability state.
    instance_caps: InstanceCaps,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl InstanceState {
    /// State for a fresh instance with WASI context `wasi` and a memory limit of `memory_limit`,
    /// its memory counted into `service_memory` too.
    pub(super) fn new(
        services: Weak<Services>,
        wasi: WasiCtx,
        (memory_limit, service_memory): (u64, Arc<AtomicU64>),
        caps: Arc<ServiceCaps>,
    ) -> InstanceState {
        let mut table = ResourceTable::new();
        // Past it, creating another resource fails in the guest, as running out of file
        // descriptors would.
        table.set_max_capacity(crate::kernel::descriptors::resources_per_instance());
        InstanceState {
            services,
            context: None,
            memory_limit,
            memory_used: 0,
            service_memory,
            caps,
            instance_caps: InstanceCaps::default(),
            wasi,
            table,
        }
    }

    /// How long the call under way may still run, if it has a deadline.
    pub fn deadline_left(&self) -> Option<Duration> {
        self.context.as_ref()?.deadline.map(|deadline| deadline.left())
    }

    /// The call under way has ended well: its context, and what it left open, go.
    pub(super) fn end_call(&mut self) {
        self.context = None;
        self.instance_caps.call_ended();
    }

    /// Charges `bytes` of growth against the memory limit, or refuses it with
    /// [`MemoryLimitHit`] (which traps the guest).
    fn charge(&mut self, bytes: u64) -> Result<bool> {
        if self.memory_used.saturating_add(bytes) > self.memory_limit {
            return Err(MemoryLimitHit { limit: self.memory_limit }.into());
        }
        self.memory_used += bytes;
        self.service_memory.fetch_add(bytes, Ordering::Relaxed);
        Ok(true)
    }
}

impl Drop for InstanceState {
    fn drop(&mut self) {
        self.service_memory.fetch_sub(self.memory_used, Ordering::Relaxed);
    }
}

/// What the capabilities see of the instance.
impl CapsHost for InstanceState {
    fn caps_parts(&mut self) -> Parts<'_> {
        let time_left = self.deadline_left();
        Parts {
            call: self.context.as_mut().map(|context| &mut context.pctx),
            time_left,
            memory_limit: self.memory_limit,
            memory_room: self.memory_limit.saturating_sub(self.memory_used),
            service: &self.caps,
            instance: &mut self.instance_caps,
        }
    }
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// Linear memory and table growth are charged to the instance; growing past its limit traps
/// the guest with [`MemoryLimitHit`].
impl ResourceLimiter for InstanceState {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> Result<bool> {
        self.charge(desired.saturating_sub(current) as u64)
    }

    fn table_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> Result<bool> {
        self.charge((desired.saturating_sub(current) as u64).saturating_mul(TABLE_ELEMENT_BYTES))
    }
}
