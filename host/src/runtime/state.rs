//! The one data type every Store in parigot carries, and the per-service state inside it.
//!
//! All services of a wos share one Store, but each keeps its own WASI context (arguments,
//! environment, stdio) and resource table. `current` says which service is executing; the
//! host switches it whenever a call enters a service, so WASI calls always see the caller's
//! own context.

use super::output::ServiceOutput;
use wasmtime::component::{Func, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Index of a service in start-up order.
pub type ServiceId = usize;

/// Store data: per-service contexts plus the exported functions that linked imports call.
pub struct HostState {
    services: Vec<ServiceCtx>,
    current: ServiceId,
    /// Provider functions, filled in as providers are instantiated; linked imports refer to
    /// them by index.
    pub(super) targets: Vec<Option<Func>>,
}

/// What one service owns inside the Store.
pub struct ServiceCtx {
    wasi: WasiCtx,
    table: ResourceTable,
    stdout: ServiceOutput,
    stderr: ServiceOutput,
}

impl ServiceCtx {
    /// A service with WASI context `wasi` whose stdio is captured by `stdout` and `stderr`.
    pub fn new(wasi: WasiCtx, stdout: ServiceOutput, stderr: ServiceOutput) -> Self {
        ServiceCtx { wasi, table: ResourceTable::new(), stdout, stderr }
    }
}

impl HostState {
    /// State for services in start-up order, with `targets` empty slots for linked functions.
    pub fn new(services: Vec<ServiceCtx>, targets: usize) -> Self {
        HostState { services, current: 0, targets: vec![None; targets] }
    }

    /// Makes `service` the one executing, returning the one that was.
    pub fn enter(&mut self, service: ServiceId) -> ServiceId {
        std::mem::replace(&mut self.current, service)
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
