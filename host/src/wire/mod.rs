//! Over the wire: how WIT interfaces look to gRPC and Connect clients.
//!
//! So far: the WIT -> protobuf mapping ([`proto`], documented in docs/reference/protobuf.md)
//! and writing the `.proto` files of a wos's public interfaces. Serving and remote imports
//! will build on it.

pub mod proto;

use crate::graph::is_host_interface;
use crate::manifest::InterfaceName;
use crate::runtime::App;
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
        let service = app.services.iter().find(|s| &s.name == provider).expect("providers are services");
        let decoded = wit_component::decode(&service.component_bytes()?)
            .map_err(|e| format_err!("cannot read the WIT of service `{provider}`: {e:#}"))?;
        let DecodedWasm::Component(resolve, world) = decoded else {
            return Err(format_err!("service `{provider}` is not a component"));
        };
        let id = resolve.worlds[world]
            .exports
            .keys()
            .find_map(|key| match key {
                WorldKey::Interface(id) if resolve.id_of(*id).as_deref() == Some(&interface.to_string()) => Some(*id),
                _ => None,
            })
            .with_context(|| format!("service `{provider}` does not export `{interface}`"))?;
        let file = proto::interface_proto(&resolve, id)?;
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().expect("proto paths have folders"))
            .and_then(|()| std::fs::write(&path, &file.text))
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// The wos's public interfaces with their providers.
fn public_interfaces(app: &App) -> Vec<(&crate::manifest::ServiceName, &InterfaceName)> {
    if !app.plan.exports.is_empty() {
        return app.plan.exports.iter().map(|e| (&e.provider, &e.interface)).collect();
    }
    app.services
        .iter()
        .flat_map(|s| s.surface.exports.keys().filter(|i| !is_host_interface(i)).map(move |i| (&s.name, i)))
        .collect()
}
