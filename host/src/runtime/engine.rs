//! The wasmtime engine every wos runs on, configured once for the whole process, with its
//! pulse (the epoch ticker that enforces call deadlines).

use super::function_cache::FunctionCache;
use crate::kernel::pulse::{self, PulseClock};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::{Config, Engine, Result};

/// The engine and, when deadlines are enforced, its pulse.
#[derive(Clone)]
pub struct HostEngine {
    engine: Engine,
    clock: Option<PulseClock>,
}

impl HostEngine {
    /// Creates the engine. With `pulse`, compiled code checks wasmtime's epoch and one
    /// background thread advances it every `pulse`, so calls can be interrupted at their
    /// deadline; without it, deadlines are not enforced (and calls are slightly cheaper).
    ///
    /// Component-model async is off: parigot's linking is synchronous, and a call through the
    /// host is about twice as fast without it.
    pub fn new(pulse: Option<Duration>) -> Result<Self> {
        HostEngine::with_function_cache(pulse, None)
    }

    /// [`HostEngine::new`], compiling with Cranelift's cache of compiled functions when
    /// `functions` is given (the edit loops: a component compiled again after a small change
    /// reuses what did not change).
    pub fn with_function_cache(pulse: Option<Duration>, functions: Option<Arc<FunctionCache>>) -> Result<Self> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.concurrency_support(false);
        config.epoch_interruption(pulse.is_some());
        if let Some(functions) = functions {
            config.enable_incremental_compilation(functions)?;
        }
        let engine = Engine::new(&config)?;
        let clock = pulse.map(|interval| pulse::start(&engine, interval));
        Ok(HostEngine { engine, clock })
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The pulse, if deadlines are enforced.
    pub fn clock(&self) -> Option<&PulseClock> {
        self.clock.as_ref()
    }
}
