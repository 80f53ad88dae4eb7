//! The protobuf schema of a set of WIT interfaces: the `.proto` files of the mapping, compiled
//! in memory (by protox) into descriptors. Serving, reflection and remote imports all work from
//! these descriptors, so what goes over the wire is exactly what `parigot-host proto` writes.

use super::proto::{self, ProtoFile};
use crate::surface::FuncSig;
use prost_reflect::{DescriptorPool, MessageDescriptor};
use protox::file::{File, FileResolver};
use wasmtime::{Result, format_err};

/// Compiled descriptors for some `.proto` files of the mapping.
pub struct Schema {
    pub pool: DescriptorPool,
    /// The same files as a descriptor set, for the reflection service.
    pub files: prost_types::FileDescriptorSet,
}

/// One function as an rpc: its gRPC path and its request and response messages.
#[derive(Debug, Clone)]
pub struct Rpc {
    /// `/package.Service/Method`.
    pub path: String,
    pub input: MessageDescriptor,
    pub output: MessageDescriptor,
}

impl Schema {
    /// Compiles `files`; a failure here is a bug in the mapping, reported as such.
    pub fn compile(files: &[ProtoFile]) -> Result<Schema> {
        let names: Vec<String> = files.iter().map(file_name).collect();
        let mut compiler = protox::Compiler::with_file_resolver(InMemory(files.to_vec()));
        compiler.include_imports(true);
        compiler.open_files(&names).map_err(|e| {
            format_err!("the generated protobuf does not compile (a bug in parigot's WIT mapping): {e}")
        })?;
        Ok(Schema { pool: compiler.descriptor_pool(), files: compiler.file_descriptor_set() })
    }

    /// The rpc of `function` in the gRPC service `service` (a full name, `package.Service`).
    pub fn rpc(&self, service: &str, function: &str) -> Result<Rpc> {
        let rpc = proto::rpc_name(function);
        let method = self
            .pool
            .get_service_by_name(service)
            .and_then(|s| s.methods().find(|m| m.name() == rpc))
            .ok_or_else(|| format_err!("the protobuf of `{service}` has no rpc `{rpc}`"))?;
        Ok(Rpc { path: format!("/{service}/{rpc}"), input: method.input(), output: method.output() })
    }
}

/// An rpc together with the WIT signature its messages convert to and from.
#[derive(Debug, Clone)]
pub struct TypedRpc {
    pub rpc: Rpc,
    pub sig: FuncSig,
}

/// The name protox knows a file by: its path with `/` separators.
fn file_name(file: &ProtoFile) -> String {
    file.path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Serves the generated files to protox by name.
struct InMemory(Vec<ProtoFile>);

impl FileResolver for InMemory {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        let file = self.0.iter().find(|f| file_name(f) == name).ok_or_else(|| protox::Error::file_not_found(name))?;
        File::from_source(name, &file.text)
    }
}
