//! Running a wos: load its components, link them in one Store, start them in plan order and
//! run its programs.
//!
//! The stages are separate types: a [`Manifest`] becomes an [`App`] (components compiled,
//! links resolved), which becomes a [`Running`] wos (instances in a Store), whose programs
//! are run to completion.

pub mod cache;
mod determinism;
pub mod engine;
mod linking;
mod load;
mod output;
mod state;

pub use determinism::Determinism;
pub use linking::ServiceTrap;
pub use load::BuildPolicy;

use crate::graph::{self, Plan, Surface};
use crate::manifest::{Manifest, ServiceName, ServiceSpec};
use cache::{CacheOutcome, ComponentCache};
use output::{Destination, ServiceOutput};
use state::ServiceCtx;
pub use state::{HostState, ServiceId};
use std::collections::BTreeMap;
use wasmtime::Result;
use wasmtime::component::{Component, Func, Instance};
use wasmtime::error::Context;
use wasmtime::{Engine, Store};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p2::bindings::sync::Command;

/// How to load a wos.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub cache: ComponentCache,
    pub build: BuildPolicy,
}

/// A wos whose components are compiled and whose imports are resolved: ready to start.
pub struct App {
    pub manifest: Manifest,
    pub plan: Plan,
    /// Services in start-up order.
    pub services: Vec<LoadedService>,
    engine: Engine,
}

/// One service with its compiled component and its surface.
pub struct LoadedService {
    pub name: ServiceName,
    pub spec: ServiceSpec,
    pub component: Component,
    pub surface: Surface,
}

impl LoadedService {
    /// Whether the service is a program (exports `wasi:cli/run`) rather than a server.
    pub fn is_program(&self) -> bool {
        self.surface.is_program()
    }
}

impl App {
    /// Builds (if asked), compiles (or loads from the cache) and resolves every service.
    pub fn load(manifest: Manifest, engine: &Engine, options: &LoadOptions) -> Result<App> {
        for (name, spec) in &manifest.services {
            load::build_if_needed(&manifest, name, spec, options.build)?;
        }
        let components = compile_all(&manifest, engine, &options.cache)?;
        let surfaces: BTreeMap<ServiceName, Surface> =
            components.iter().map(|(name, component)| (name.clone(), Surface::of(component, engine))).collect();
        let plan = graph::resolve(&manifest, &surfaces)?;
        let mut components = components;
        let mut surfaces = surfaces;
        let services = plan
            .order
            .iter()
            .map(|name| LoadedService {
                name: name.clone(),
                spec: manifest.services[name].clone(),
                component: components.remove(name).expect("every service was compiled"),
                surface: surfaces.remove(name).expect("every service has a surface"),
            })
            .collect();
        Ok(App { manifest, plan, services, engine: engine.clone() })
    }

    /// Creates the Store and instantiates every service in start-up order, linking each
    /// service's imports to its providers. With `determinism`, guests see virtual clocks and
    /// seeded randomness.
    pub fn instantiate(&self, determinism: Option<Determinism>) -> Result<Running<'_>> {
        let ids: BTreeMap<&ServiceName, ServiceId> =
            self.services.iter().enumerate().map(|(id, s)| (&s.name, id)).collect();
        let width = self.services.iter().map(|s| s.name.as_str().len()).max().unwrap_or(0);
        let contexts = self.services.iter().map(|service| service_context(service, width, determinism)).collect();
        let slots = self.plan.links.iter().map(|link| link.functions.len()).sum();
        let mut store = Store::new(&self.engine, HostState::new(contexts, slots));
        let mut instances: Vec<Instance> = Vec::with_capacity(self.services.len());
        let mut next_slot = 0;
        for (id, service) in self.services.iter().enumerate() {
            let links: Vec<_> = self
                .plan
                .links
                .iter()
                .filter(|link| link.consumer == service.name)
                .map(|link| (link, ids[&link.provider]))
                .collect();
            for (link, _) in &links {
                tracing::info!("linking `{}`: `{}` -> service `{}`", service.name, link.import, link.provider);
            }
            let (linker, pending) = linking::consumer_linker(&self.engine, &service.surface, &links, &mut next_slot)?;
            for target in &pending {
                let func =
                    linking::exported_func(&mut store, &instances[target.provider], &target.export, &target.function)?;
                store.data_mut().targets[target.slot] = Some(func);
            }
            tracing::info!(
                "starting service `{}` ({})",
                service.name,
                if service.is_program() { "program" } else { "server" }
            );
            store.data_mut().enter(id);
            let instance = linker
                .instantiate(&mut store, &service.component)
                .with_context(|| format!("cannot start service `{}`", service.name))?;
            instances.push(instance);
        }
        Ok(Running { app: self, store, instances })
    }
}

/// Compiles every service's component, in parallel for the ones not in the cache.
fn compile_all(manifest: &Manifest, engine: &Engine, cache: &ComponentCache) -> Result<BTreeMap<ServiceName, Component>> {
    let sources = manifest
        .services
        .iter()
        .map(|(name, spec)| {
            let bytes = load::read_component(name, &spec.component)?;
            let entry = cache.entry_path(engine, &bytes);
            Ok((name, bytes, entry))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut misses = false;
    for (name, bytes, entry) in &sources {
        if !entry.exists() {
            misses = true;
            tracing::info!(
                "compiling service `{name}` ({:.1} MiB); this happens once, later starts load it from {}",
                bytes.len() as f64 / (1024.0 * 1024.0),
                cache.dir().display()
            );
        }
    }
    let compiled: Vec<Result<(Component, CacheOutcome)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = sources
            .iter()
            .map(|(name, bytes, entry)| scope.spawn(move || load::compile(engine, cache, name, bytes, entry)))
            .collect();
        if misses {
            report_progress(&sources.iter().map(|(name, ..)| *name).collect::<Vec<_>>(), &workers);
        }
        workers.into_iter().map(|w| w.join().expect("compiling does not panic")).collect()
    });
    let mut components = BTreeMap::new();
    for ((name, ..), result) in sources.iter().zip(compiled) {
        let (component, outcome) = result?;
        if outcome == CacheOutcome::Hit {
            tracing::info!("loaded service `{name}` from the compile cache");
        }
        components.insert((*name).clone(), component);
    }
    Ok(components)
}

/// While components compile (seconds each on a cache miss), says every few seconds which
/// ones are still compiling, so a first start never looks hung.
fn report_progress<T>(names: &[&ServiceName], workers: &[std::thread::ScopedJoinHandle<'_, T>]) {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(3);
    let started = std::time::Instant::now();
    let mut next_report = EVERY;
    loop {
        let busy: Vec<String> =
            names.iter().zip(workers).filter(|(_, w)| !w.is_finished()).map(|(n, _)| format!("`{n}`")).collect();
        if busy.is_empty() {
            return;
        }
        if started.elapsed() >= next_report {
            tracing::info!("still compiling {} ({} s)", busy.join(", "), next_report.as_secs());
            next_report += EVERY;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The WASI context of one service: its arguments and environment from the wos, captured
/// stdio, and nothing else of the host's.
fn service_context(service: &LoadedService, width: usize, determinism: Option<Determinism>) -> ServiceCtx {
    let prefix = format!("{:<width$} | ", service.name.as_str());
    let stdout = ServiceOutput::new(prefix.clone(), Destination::Stdout);
    let stderr = ServiceOutput::new(prefix, Destination::Stderr);
    let mut builder = WasiCtxBuilder::new();
    builder
        .arg(service.name.as_str())
        .args(&service.spec.args)
        .envs(&service.spec.env.iter().collect::<Vec<_>>())
        .stdout(stdout.clone())
        .stderr(stderr.clone());
    if let Some(determinism) = determinism {
        determinism.apply(&mut builder, service.name.as_str());
    }
    ServiceCtx::new(builder.build(), stdout, stderr)
}

/// A started wos: one Store holding an instance of every service.
pub struct Running<'a> {
    app: &'a App,
    store: Store<HostState>,
    instances: Vec<Instance>,
}

/// How one program's run ended.
#[derive(Debug)]
pub enum ProgramOutcome {
    /// `run` returned `ok`.
    Succeeded,
    /// `run` returned `err` (the guest's way of saying it failed).
    ReturnedError,
    /// The guest called `exit` with this non-zero code.
    Exited(i32),
    /// The program, or a service it called, trapped (a panic, an uncaught exception, ...).
    Trapped(wasmtime::Error),
}

impl Running<'_> {
    /// Finds the function `function` of interface `interface` exported by service `service`
    /// (for callers outside the wos: benchmarks, tests, the wire layer). Call
    /// [`Running::enter`] with the returned id before calling the function.
    pub fn export_func(&mut self, service: &str, interface: &str, function: &str) -> Result<(ServiceId, Func)> {
        let id = self
            .app
            .services
            .iter()
            .position(|s| s.name.as_str() == service)
            .with_context(|| format!("wos `{}` has no service `{service}`", self.app.manifest.name))?;
        let func = linking::exported_func(&mut self.store, &self.instances[id], interface, function)
            .with_context(|| format!("service `{service}`"))?;
        Ok((id, func))
    }

    /// Makes `service` the executing one, before the host calls into it.
    pub fn enter(&mut self, service: ServiceId) {
        self.store.data_mut().enter(service);
    }

    /// The Store all services live in.
    pub fn store(&mut self) -> &mut Store<HostState> {
        &mut self.store
    }

    /// Runs every program of the wos to completion, one after another in start-up order.
    pub fn run_programs(&mut self) -> Vec<(ServiceName, ProgramOutcome)> {
        let programs: Vec<ServiceId> =
            self.app.services.iter().enumerate().filter(|(_, s)| s.is_program()).map(|(id, _)| id).collect();
        if programs.is_empty() {
            tracing::info!(
                "wos `{}` has no programs: its servers started and nothing calls them",
                self.app.manifest.name
            );
        }
        programs
            .into_iter()
            .map(|id| {
                let name = self.app.services[id].name.clone();
                tracing::info!("running program `{name}`");
                let outcome = self.run_program(id);
                self.store.data().flush_output();
                (name, outcome)
            })
            .collect()
    }

    fn run_program(&mut self, id: ServiceId) -> ProgramOutcome {
        self.store.data_mut().enter(id);
        let result = Command::new(&mut self.store, &self.instances[id])
            .and_then(|command| command.wasi_cli_run().call_run(&mut self.store));
        match result {
            Ok(Ok(())) => ProgramOutcome::Succeeded,
            Ok(Err(())) => ProgramOutcome::ReturnedError,
            Err(error) => match error.downcast_ref::<wasmtime_wasi::I32Exit>() {
                Some(wasmtime_wasi::I32Exit(0)) => ProgramOutcome::Succeeded,
                Some(wasmtime_wasi::I32Exit(code)) => ProgramOutcome::Exited(*code),
                None => ProgramOutcome::Trapped(error),
            },
        }
    }
}
