//! Program surgery: fuses the services of a resolved wos into one component.
//!
//! Each service's component is instantiated inside the new component (with wac-graph), each
//! of its service-provided imports plugged with the provider's export, exactly as the plan of
//! [`crate::graph`] says: the composer and the dynamic linker share one resolution and one set
//! of checks. What no service provides (WASI, types-only interfaces) stays an import of the
//! unit; the unit exports the wos's public interfaces and, if the wos has one, its program's
//! `wasi:cli/run`. The program's arguments and environment from the wos travel inside the unit
//! (a custom section, [`PROGRAM_SECTION`]), so `run unit.wasm` runs it as the wos did.

use crate::graph::Plan;

use crate::names::ServiceName;
use crate::runtime::App;
use crate::surface::RUN_INTERFACE;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, NodeId};
use wasmtime::{Result, bail, format_err};

/// Fuses `app` into the bytes of one component. The same wos (and the same component files)
/// always gives the same bytes.
pub fn fuse(app: &App) -> Result<Vec<u8>> {
    refuse_remote_links(app)?;
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
    let mut unit = graph
        .encode(options)
        .map_err(|e| format_err!("the fused component of wos `{}` is invalid: {e:#}", app.manifest.name))?;
    if let Some(program) = app.services.iter().find(|s| s.is_program()) {
        let settings = ProgramSettings { args: program.spec.args.clone(), env: program.spec.env.clone() };
        let payload = serde_json::to_vec(&settings).expect("program settings serialize");
        append_custom_section(&mut unit, PROGRAM_SECTION, &payload);
    }
    Ok(unit)
}

/// The custom section of a fused unit that holds its program's [`ProgramSettings`] (JSON).
pub const PROGRAM_SECTION: &str = "parigot-program";

/// What the wos said about a fused unit's program.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgramSettings {
    /// Command-line arguments (after the program's own name).
    pub args: Vec<String>,
    /// Environment variables.
    pub env: BTreeMap<String, String>,
}

impl ProgramSettings {
    /// The settings a fused unit carries, if it carries any (a unit from another tool, or one
    /// without a program, has none).
    pub fn of_unit(unit: &[u8]) -> Result<Option<ProgramSettings>> {
        let Some(payload) = custom_section(unit, PROGRAM_SECTION) else { return Ok(None) };
        serde_json::from_slice(payload)
            .map(Some)
            .map_err(|e| format_err!("the `{PROGRAM_SECTION}` section of the unit is damaged: {e}"))
    }
}

/// A fused unit cannot call another host: it would need the host's gRPC client inside it.
fn refuse_remote_links(app: &App) -> Result<()> {
    let Some(link) = app.plan.remotes.first() else { return Ok(()) };
    bail!(
        "wos `{}` cannot be fused: service `{}` imports `{}` from the remote host {}, and a fused unit \
         runs without a host to make remote calls; fuse a wos whose links are all to its own services",
        app.manifest.name,
        link.consumer,
        link.import,
        link.remote.url
    )
}

/// Appends a custom section (id 0) named `name` to the component `binary`.
fn append_custom_section(binary: &mut Vec<u8>, name: &str, payload: &[u8]) {
    let mut content = Vec::new();
    leb128(&mut content, name.len());
    content.extend_from_slice(name.as_bytes());
    content.extend_from_slice(payload);
    binary.push(0);
    leb128(binary, content.len());
    binary.extend_from_slice(&content);
}

/// The payload of the top-level custom section `name` of a component, if it has one.
fn custom_section<'a>(binary: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let mut rest = binary.get(8..)?; // after the header
    while let Some((&id, after_id)) = rest.split_first() {
        let (size, after_size) = read_leb128(after_id)?;
        let content = after_size.get(..size)?;
        rest = &after_size[size..];
        if id == 0 {
            let (name_len, after_len) = read_leb128(content)?;
            if after_len.get(..name_len)? == name.as_bytes() {
                return Some(&after_len[name_len..]);
            }
        }
    }
    None
}

fn leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads an unsigned LEB128 number (at most 5 bytes, as wasm's u32) and returns it with what
/// follows it.
fn read_leb128(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut value = 0usize;
    for (index, &byte) in bytes.iter().enumerate().take(5) {
        value |= usize::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[index + 1..]));
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_section_is_found_again_after_the_others() {
        let mut binary = b"\0asm\x0d\0\x01\0".to_vec();
        append_custom_section(&mut binary, "other", &[1, 2, 3]);
        let payload = vec![7u8; 300]; // a size that takes two LEB128 bytes
        append_custom_section(&mut binary, PROGRAM_SECTION, &payload);
        assert_eq!(custom_section(&binary, PROGRAM_SECTION), Some(&payload[..]));
        assert_eq!(custom_section(&binary, "missing"), None);
        assert_eq!(custom_section(&binary[..binary.len() - 1], PROGRAM_SECTION), None, "a cut section is not read");
    }
}
