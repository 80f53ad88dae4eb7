//! parigot-host: runs a deployment unit ("wos") of WebAssembly component services in one
//! process, each instance of each service in a wasmtime Store of its own, linking each
//! service's imports to the exports of the services that provide them.
//!
//! The stages, each its own module: [`manifest`] (the `wos.toml` file) -> [`graph`] (who
//! provides what, type checks, start-up order) -> [`runtime`] (compile, link, instantiate,
//! run). [`wire`] serves a running wos over gRPC and Connect, logging requests in as the
//! [`users`] of the wos.

pub mod build;
pub mod caps;
pub mod compose;
pub mod dashboard;
pub mod deploy;
pub mod dev;
pub mod encoding;
pub mod fuzzing;
pub mod graph;
pub mod kernel;
pub mod manifest;
pub mod names;
pub mod registry;
pub mod runtime;
pub mod scaffold;
pub mod sim;
pub mod surface;
pub mod telemetry;
pub mod testing;
pub mod users;
pub mod wire;
