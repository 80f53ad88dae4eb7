//! Program surgery: fuses the services of a resolved wos into one component.
//!
//! Each service's component is instantiated inside the new component (with wac-graph), each
//! of its service-provided imports plugged with the provider's export, exactly as the plan of
//! [`crate::graph`] says: the composer and the dynamic linker share one resolution and one set
//! of checks. What no service provides (WASI, types-only interfaces) stays an import of the
//! unit; the unit exports the wos's public interfaces and, if the wos has one, its program's
//! `wasi:cli/run`.

use crate::graph::{Plan, RUN_INTERFACE};
use crate::manifest::ServiceName;
use crate::runtime::App;
use std::collections::BTreeMap;
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, NodeId};
use wasmtime::{Result, bail, format_err};

/// Fuses `app` into the bytes of one component. The same wos (and the same component files)
/// always gives the same bytes.
pub fn fuse(app: &App) -> Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let mut instances: BTreeMap<&ServiceName, NodeId> = BTreeMap::new();
    for service in &app.services {
        let bytes = service.component_bytes()?;
        let package = Package::from_bytes(&format!("parigot-wos:{}", service.name), None, bytes, graph.types_mut())
            .map_err(|e| format_err!("service `{}` cannot be composed: {e:#}", service.name))?;
        let package = graph.register_package(package).map_err(|e| format_err!("service `{}`: {e}", service.name))?;
        instances.insert(&service.name, graph.instantiate(package));
    }
    plug_links(&mut graph, &app.plan, &instances)?;
    export_public_interfaces(&mut graph, app, &instances)?;
    let options = EncodeOptions { define_components: true, validate: true, processor: None };
    graph
        .encode(options)
        .map_err(|e| format_err!("the fused component of wos `{}` is invalid: {e:#}", app.manifest.name))
}

/// Plugs every linked import with its provider's export.
fn plug_links(graph: &mut CompositionGraph, plan: &Plan, instances: &BTreeMap<&ServiceName, NodeId>) -> Result<()> {
    for link in &plan.links {
        let export = graph
            .alias_instance_export(instances[&link.provider], &link.export.to_string())
            .map_err(|e| format_err!("service `{}` cannot export `{}`: {e}", link.provider, link.export))?;
        graph.set_instantiation_argument(instances[&link.consumer], &link.import.to_string(), export).map_err(|e| {
            format_err!(
                "cannot plug `{}` of service `{}` with service `{}`: {e}",
                link.import,
                link.consumer,
                link.provider
            )
        })?;
    }
    Ok(())
}

/// Exports the wos's public interfaces and its program's `wasi:cli/run` from the unit.
fn export_public_interfaces(
    graph: &mut CompositionGraph,
    app: &App,
    instances: &BTreeMap<&ServiceName, NodeId>,
) -> Result<()> {
    let programs: Vec<_> = app.services.iter().filter(|s| s.is_program()).collect();
    let mut exports: Vec<(&ServiceName, String)> =
        app.plan.exports.iter().map(|e| (&e.provider, e.interface.to_string())).collect();
    match programs.as_slice() {
        [] => {}
        [program] => {
            let run = program.surface.exports.keys().find(|name| name.path() == RUN_INTERFACE).expect("a program");
            exports.push((&program.name, run.to_string()));
        }
        several => bail!(
            "wos `{}` has several programs ({}), but a fused unit can export only one `wasi:cli/run`; \
             fuse a wos with at most one program",
            app.manifest.name,
            several.iter().map(|p| format!("`{}`", p.name)).collect::<Vec<_>>().join(", ")
        ),
    }
    for (provider, interface) in exports {
        let node = graph
            .alias_instance_export(instances[provider], &interface)
            .map_err(|e| format_err!("service `{provider}` cannot export `{interface}`: {e}"))?;
        graph.export(node, interface.clone()).map_err(|e| format_err!("cannot export `{interface}`: {e}"))?;
    }
    Ok(())
}
