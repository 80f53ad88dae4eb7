//! Linking: one wasmtime `Linker` per service, with WASI from the host and every
//! service-provided import forwarded to the provider's export within the same Store.
//!
//! wasmtime cannot wire one instance's export straight into another's import, so each linked
//! import is an (async) host function that hands the caller's arguments to the provider's
//! exported function through [`call_service`] (which switches the executing service, enforces the
//! deadline and supervises failures) and hands the results back.

use super::call::{Target, call_service};
use super::state::{HostState, ProvidedTarget, ServiceId};
use crate::graph::{Link, Surface, is_host_interface};
use crate::wire::remote::RemoteInterface;
use std::sync::Arc;
use wasmtime::Engine;
use wasmtime::Result;
use wasmtime::component::Linker;

/// Builds the linker for one consumer: WASI, empty instances for types-only imports, a
/// forwarding function for every function of every link in `links` (all of this consumer),
/// each link with its provider's id, and a gRPC call for every function of `remotes`.
/// `next_slot` hands out target slots; the returned list says which provider fills which slot.
pub fn consumer_linker(
    engine: &Engine,
    surface: &Surface,
    links: &[(&Link, ServiceId)],
    remotes: &[Arc<RemoteInterface>],
    next_slot: &mut usize,
) -> Result<ConsumerLinker> {
    let mut linker = Linker::<HostState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    let mut provided = Vec::new();
    for &(link, provider) in links {
        let mut instance = linker.instance(&link.import.to_string())?;
        for function in &link.functions {
            let slot = *next_slot;
            *next_slot += 1;
            let label: Arc<str> = format!("{}#{function}", link.export).into();
            instance.func_new_async(function, move |store, _ty, params, results| {
                let label = label.clone();
                Box::new(
                    async move { call_service(store, provider, Target::Slot(slot), &label, params, results).await },
                )
            })?;
            let target = ProvidedTarget { slot, export: link.export.to_string(), function: function.clone() };
            provided.push((provider, target));
        }
    }
    for remote in remotes {
        let mut instance = linker.instance(&remote.import().to_string())?;
        for function in remote.functions() {
            let (remote, name) = (remote.clone(), function.to_owned());
            instance.func_new_async(function, move |store, _ty, params, results| {
                let (remote, name) = (remote.clone(), name.clone());
                let deadline = store.data().deadline_left();
                Box::new(async move { remote.call(&name, params, results, deadline).await })
            })?;
        }
    }
    for (import, sig) in &surface.imports {
        if sig.functions.is_empty() && !is_host_interface(import) {
            linker.instance(&import.to_string())?; // types only: nothing to provide
        }
    }
    Ok(ConsumerLinker { linker, provided })
}

/// A consumer's linker, and which provider fills which target slot for it.
pub struct ConsumerLinker {
    pub linker: Linker<HostState>,
    pub provided: Vec<(ServiceId, ProvidedTarget)>,
}
