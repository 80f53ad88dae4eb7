//! Linking: one wasmtime `Linker` per service, with WASI from the host and every
//! service-provided import forwarded to the provider's export within the same Store.
//!
//! wasmtime cannot wire one instance's export straight into another's import, so each linked
//! import is a host function that switches the executing service, calls the provider's
//! exported function with the caller's arguments, and hands the results back.

use super::state::{HostState, ServiceId};
use crate::graph::{Link, Surface, is_host_interface};
use std::fmt;
use std::sync::Arc;
use wasmtime::Engine;
use wasmtime::Result;
use wasmtime::component::{Instance, Linker, Val};
use wasmtime::error::Context;

/// A linked import function waiting for its provider: which slot of `HostState::targets`
/// will hold the provider's function once the provider is instantiated.
#[derive(Debug, Clone)]
pub struct PendingTarget {
    pub slot: usize,
    pub provider: ServiceId,
    /// The interface as the provider exports it.
    pub export: String,
    pub function: String,
}

/// Builds the linker for one consumer: WASI, empty instances for types-only imports, and a
/// forwarding function for every function of every link in `links` (all of this consumer).
/// Each link comes with its provider's id; `next_slot` hands out target slots.
pub fn consumer_linker(
    engine: &Engine,
    surface: &Surface,
    links: &[(&Link, ServiceId)],
    next_slot: &mut usize,
) -> Result<(Linker<HostState>, Vec<PendingTarget>)> {
    let mut linker = Linker::<HostState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    let mut pending = Vec::new();
    for &(link, provider) in links {
        let mut instance = linker.instance(&link.import.to_string())?;
        for function in &link.functions {
            let slot = *next_slot;
            *next_slot += 1;
            let service: Arc<str> = link.provider.as_str().into();
            let function_name: Arc<str> = format!("{}#{function}", link.export).into();
            instance.func_new(function, move |mut store, _ty, params: &[Val], results: &mut [Val]| {
                let target = store.data().targets[slot].expect("providers are instantiated before their consumers");
                let caller = store.data_mut().enter(provider);
                let outcome = target.call(&mut store, params, results);
                store.data_mut().enter(caller);
                outcome.map_err(|error| ServiceTrap::wrap(error, &service, &function_name))
            })?;
            pending.push(PendingTarget { slot, provider, export: link.export.to_string(), function: function.clone() });
        }
    }
    for (import, sig) in &surface.imports {
        if sig.functions.is_empty() && !is_host_interface(import) {
            linker.instance(&import.to_string())?; // types only: nothing to provide
        }
    }
    Ok((linker, pending))
}

/// Looks up the function `function` of the interface `interface` exported by `instance`.
pub fn exported_func(
    store: &mut wasmtime::Store<HostState>,
    instance: &Instance,
    interface: &str,
    function: &str,
) -> Result<wasmtime::component::Func> {
    let missing = || format!("no export `{interface}#{function}`");
    let interface = instance.get_export_index(&mut *store, None, interface).with_context(missing)?;
    let function = instance.get_export_index(&mut *store, Some(&interface), function).with_context(missing)?;
    instance.get_func(&mut *store, function).with_context(missing)
}

/// A call into a service that trapped (a panic, an uncaught exception, `unreachable`...):
/// names the service and function where it happened. Callers further up pass it on as it is,
/// so the error a program ends with names the service that actually failed.
#[derive(Debug)]
pub struct ServiceTrap {
    pub service: Arc<str>,
    pub function: Arc<str>,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl ServiceTrap {
    fn wrap(error: wasmtime::Error, service: &Arc<str>, function: &Arc<str>) -> wasmtime::Error {
        if error.downcast_ref::<ServiceTrap>().is_some() {
            return error; // a service further down already failed and said where
        }
        ServiceTrap { service: service.clone(), function: function.clone(), source: error.into_boxed_dyn_error() }
            .into()
    }
}

impl fmt::Display for ServiceTrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "service `{}` trapped in `{}`", self.service, self.function)
    }
}

impl std::error::Error for ServiceTrap {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}
