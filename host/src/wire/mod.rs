//! Over the wire: WIT interfaces as gRPC and Connect services.
//!
//! - [`proto`]: the WIT -> protobuf mapping (documented in docs/reference/protobuf.md);
//! - [`schema`]: the mapping's `.proto` files compiled into descriptors at start-up;
//! - [`convert`]: WIT values <-> protobuf messages;
//! - [`serve`]: the gRPC + Connect server for a wos's public interfaces;
//! - [`remote`]: imports satisfied by another parigot host over gRPC.

pub mod agreement;
pub mod codec;
pub mod convert;
pub mod proto;
pub mod remote;
pub mod schema;
pub mod serve;

use crate::graph::is_host_interface;
use crate::names::{InterfaceName, ServiceName};
use crate::runtime::{App, LoadedService};
use proto::ProtoFile;
use std::path::{Path, PathBuf};
use wasmtime::Result;
use wasmtime::error::Context;
use wit_parser::WorldKey;

/// The header that carries a call's chain from one parigot host to another
/// ([`crate::runtime::ChainId`]).
pub const CHAIN_HEADER: &str = "parigot-chain";

/// Writes one `.proto` file per public interface of `app` under `dir`, and returns their
/// paths. The public interfaces are the wos's `exports`; a wos without that key exposes every
/// interface its services export (WASI interfaces excepted).
pub fn write_protos(app: &App, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for file in interface_protos(&public_interfaces(app)?, InterfaceSide::Export)? {
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

/// The `.proto` file of each of `interfaces`, as its service exports or imports it, from the
/// WIT its component carries (the only place that keeps WIT type names).
pub fn interface_protos(
    interfaces: &[(&LoadedService, &InterfaceName)],
    side: InterfaceSide,
) -> Result<Vec<ProtoFile>> {
    let mut files = Vec::with_capacity(interfaces.len());
    for (service, interface) in interfaces {
        let wit = service.wit()?;
        let (owner, resolve) = (&service.name, &wit.resolve);
        let world = &resolve.worlds[wit.world];
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
        files.push(proto::interface_proto(resolve, id)?);
    }
    Ok(files)
}

/// The wos's public interfaces with the services that provide them. Without an `exports`
/// list, every interface a service exports is public, and one that several services export
/// is an error: serving it would hide all but one of them.
pub fn public_interfaces(app: &App) -> Result<Vec<(&LoadedService, &InterfaceName)>> {
    if !app.plan.exports.is_empty() {
        let provider =
            |name: &ServiceName| app.services.iter().find(|s| &s.name == name).expect("providers are services");
        return Ok(app.plan.exports.iter().map(|e| (provider(&e.provider), &e.interface)).collect());
    }
    let public: Vec<(&LoadedService, &InterfaceName)> = app
        .services
        .iter()
        .flat_map(|s| s.surface.exports.keys().filter(|i| !is_host_interface(i)).map(move |i| (s, i)))
        .collect();
    for (index, (service, interface)) in public.iter().enumerate() {
        if let Some((other, _)) = public[..index].iter().find(|(_, earlier)| earlier == interface) {
            wasmtime::bail!(
                "services `{}` and `{}` both export `{interface}`, so it cannot be served: one gRPC service \
                 would hide the other; list the wos's public interfaces in `exports` (an interface exported \
                 by several services cannot be one of them)",
                other.name,
                service.name
            );
        }
    }
    Ok(public)
}
