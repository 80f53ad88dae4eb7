//! Over the wire: WIT interfaces as gRPC and Connect services.
//!
//! - [`proto`]: the WIT -> protobuf mapping (documented in docs/reference/protobuf.md);
//! - [`schema`]: the mapping's `.proto` files compiled into descriptors at start-up;
//! - [`convert`]: WIT values <-> protobuf messages;
//! - [`serve`]: the gRPC + Connect server for a wos's public interfaces;
//! - [`remote`]: imports satisfied by another parigot host over gRPC.

pub mod codec;
pub mod convert;
pub mod proto;
pub mod remote;
pub mod schema;
pub mod serve;

use crate::graph::is_host_interface;
use crate::manifest::{InterfaceName, ServiceName};
use crate::runtime::{App, LoadedService};
use proto::ProtoFile;
use std::path::{Path, PathBuf};
use wasmtime::error::Context;
use wasmtime::{Result, format_err};
use wit_component::DecodedWasm;
use wit_parser::WorldKey;

/// Writes one `.proto` file per public interface of `app` under `dir`, and returns their
/// paths. The public interfaces are the wos's `exports`; a wos without that key exposes every
/// interface its services export (WASI interfaces excepted).
pub fn write_protos(app: &App, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (provider, interface) in public_interfaces(app) {
        let file = interface_proto_of(app, provider, interface, InterfaceSide::Export)?;
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().expect("proto paths have folders"))
            .and_then(|()| std::fs::write(&path, &file.text))
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Whether a service exports or imports an interface.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InterfaceSide {
    Export,
    Import,
}

/// The `.proto` file of `interface` as service `owner` exports or imports it, from the WIT
/// embedded in its component (the only place that keeps WIT type names).
pub fn interface_proto_of(
    app: &App,
    owner: &ServiceName,
    interface: &InterfaceName,
    side: InterfaceSide,
) -> Result<ProtoFile> {
    let service = app.services.iter().find(|s| &s.name == owner).expect("owners are services of the wos");
    interface_proto(service, interface, side)
}

/// [`interface_proto_of`] for a loaded service.
pub fn interface_proto(service: &LoadedService, interface: &InterfaceName, side: InterfaceSide) -> Result<ProtoFile> {
    let owner = &service.name;
    let decoded = wit_component::decode(&service.component_bytes()?)
        .map_err(|e| format_err!("cannot read the WIT of service `{owner}`: {e:#}"))?;
    let DecodedWasm::Component(resolve, world) = decoded else {
        return Err(format_err!("service `{owner}` is not a component"));
    };
    let world = &resolve.worlds[world];
    let items = match side {
        InterfaceSide::Export => &world.exports,
        InterfaceSide::Import => &world.imports,
    };
    let id = items
        .keys()
        .find_map(|key| match key {
            WorldKey::Interface(id) if resolve.id_of(*id).as_deref() == Some(&interface.to_string()) => Some(*id),
            _ => None,
        })
        .with_context(|| {
            let verb = if side == InterfaceSide::Export { "export" } else { "import" };
            format!("service `{owner}` does not {verb} `{interface}`")
        })?;
    Ok(proto::interface_proto(&resolve, id)?)
}

/// The wos's public interfaces with their providers.
pub fn public_interfaces(app: &App) -> Vec<(&ServiceName, &InterfaceName)> {
    if !app.plan.exports.is_empty() {
        return app.plan.exports.iter().map(|e| (&e.provider, &e.interface)).collect();
    }
    app.services
        .iter()
        .flat_map(|s| s.surface.exports.keys().filter(|i| !is_host_interface(i)).map(move |i| (&s.name, i)))
        .collect()
}
