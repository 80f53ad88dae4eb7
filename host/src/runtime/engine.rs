//! The wasmtime engine every wos runs on, configured once for the whole process.

use wasmtime::Result;
use wasmtime::{Config, Engine};

/// Creates the engine. Component-model async is off: parigot's linking is synchronous, and a
/// call through the host is about twice as fast without it.
pub fn new_engine() -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.concurrency_support(false);
    Engine::new(&config)
}
