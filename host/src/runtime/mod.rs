//! Running a wos: load its components, link them in one Store, start them in plan order and
//! run its programs.
//!
//! The stages are separate types: a [`Manifest`] becomes an [`App`] (components compiled,
//! links resolved, every service linked once), which becomes a [`Running`] wos (instances in a Store), whose programs
//! are run to completion.

pub mod cache;
mod call;
mod determinism;
pub mod engine;
mod linking;
mod load;
mod output;
mod state;

pub use determinism::Determinism;
pub use load::BuildPolicy;
pub use state::{HostState, ServiceId};

use crate::graph::{self, Plan, RUN_INTERFACE, Surface};
use crate::kernel::pulse::PulseClock;
use crate::kernel::{RestartPolicy, ServiceState};
use crate::manifest::{Manifest, ServiceName, ServiceSpec};
use cache::{CacheOutcome, ComponentCache};
use call::{Target, call_service};
use engine::HostEngine;
use output::{Destination, ServiceOutput};
use state::{ProvidedTarget, ServiceSlot};
use std::collections::BTreeMap;
use wasmtime::component::{Component, Func, InstancePre, Val};
use wasmtime::error::Context;
use wasmtime::{AsContextMut, Engine, Result, Store};
use wasmtime_wasi::WasiCtxBuilder;

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
    /// Each service linked, in start-up order.
    linked: Vec<LinkedService>,
    engine: Engine,
    clock: Option<PulseClock>,
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
    /// Builds (if asked), compiles (or loads from the cache), resolves and links every service.
    pub fn load(manifest: Manifest, host: &HostEngine, options: &LoadOptions) -> Result<App> {
        let engine = host.engine();
        for (name, spec) in &manifest.services {
            load::build_if_needed(&manifest, name, spec, options.build)?;
        }
        let mut components = compile_all(&manifest, engine, &options.cache)?;
        let mut surfaces: BTreeMap<ServiceName, Surface> =
            components.iter().map(|(name, component)| (name.clone(), Surface::of(component, engine))).collect();
        let plan = graph::resolve(&manifest, &surfaces)?;
        let services: Vec<LoadedService> = plan
            .order
            .iter()
            .map(|name| LoadedService {
                name: name.clone(),
                spec: manifest.services[name].clone(),
                component: components.remove(name).expect("every service was compiled"),
                surface: surfaces.remove(name).expect("every service has a surface"),
            })
            .collect();
        let linked = link_all(engine, &plan, &services)?;
        Ok(App { manifest, plan, services, linked, engine: engine.clone(), clock: host.clock().cloned() })
    }

    /// Creates a Store and instantiates every service in start-up order. With `determinism`,
    /// guests see virtual clocks and seeded randomness.
    pub fn instantiate(&self, determinism: Option<Determinism>) -> Result<Running<'_>> {
        let width = self.services.iter().map(|s| s.name.as_str().len()).max().unwrap_or(0);
        let slots = self
            .services
            .iter()
            .zip(&self.linked)
            .map(|(service, linked)| {
                let mut slot = service_slot(service, width, determinism);
                slot.pre = Some(linked.pre.clone());
                slot.provides = linked.provides.clone();
                slot
            })
            .collect();
        let targets = self.plan.links.iter().map(|link| link.functions.len()).sum();
        let state = HostState::new(slots, targets, self.clock.clone());
        let mut running = Running { app: self, store: new_store(&self.engine, state), last_housekeeping: 0 };
        running.start_all()?;
        Ok(running)
    }
}

/// A service linked once, to be instantiated into any number of Stores.
struct LinkedService {
    pre: InstancePre<HostState>,
    /// The target slots this service's exports fill.
    provides: Vec<ProvidedTarget>,
}

/// Links every service: its imports forwarded to its providers, WASI from the host.
fn link_all(engine: &Engine, plan: &Plan, services: &[LoadedService]) -> Result<Vec<LinkedService>> {
    let ids: BTreeMap<&ServiceName, ServiceId> = services.iter().enumerate().map(|(id, s)| (&s.name, id)).collect();
    let mut provides: Vec<Vec<ProvidedTarget>> = vec![Vec::new(); services.len()];
    let mut pres = Vec::with_capacity(services.len());
    let mut next_slot = 0;
    for service in services {
        let links: Vec<_> = plan
            .links
            .iter()
            .filter(|link| link.consumer == service.name)
            .map(|link| (link, ids[&link.provider]))
            .collect();
        for (link, _) in &links {
            tracing::info!("linking `{}`: `{}` -> service `{}`", service.name, link.import, link.provider);
        }
        let linking::ConsumerLinker { linker, provided } =
            linking::consumer_linker(engine, &service.surface, &links, &mut next_slot)?;
        for (provider, target) in provided {
            provides[provider].push(target);
        }
        let pre = linker
            .instantiate_pre(&service.component)
            .with_context(|| format!("cannot link service `{}`", service.name))?;
        pres.push(pre);
    }
    Ok(pres.into_iter().zip(provides).map(|(pre, provides)| LinkedService { pre, provides }).collect())
}

/// A Store for the services in `state`, with their memory limits in force.
fn new_store(engine: &Engine, state: HostState) -> Store<HostState> {
    let mut store = Store::new(engine, state);
    store.limiter(|state| state);
    store
}

/// Compiles every service's component, in parallel for the ones not in the cache.
fn compile_all(
    manifest: &Manifest,
    engine: &Engine,
    cache: &ComponentCache,
) -> Result<BTreeMap<ServiceName, Component>> {
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

/// The slot of one service: its limits, captured stdio, and a recipe for its WASI context
/// (arguments and environment from the wos, nothing else of the host's).
fn service_slot(service: &LoadedService, width: usize, determinism: Option<Determinism>) -> ServiceSlot {
    let prefix = format!("{:<width$} | ", service.name.as_str());
    let stdout = ServiceOutput::new(prefix.clone(), Destination::Stdout);
    let stderr = ServiceOutput::new(prefix, Destination::Stderr);
    let (name, spec) = (service.name.clone(), service.spec.clone());
    let (out, err) = (stdout.clone(), stderr.clone());
    let recipe = move || {
        let mut builder = WasiCtxBuilder::new();
        builder
            .arg(name.as_str())
            .args(&spec.args)
            .envs(&spec.env.iter().collect::<Vec<_>>())
            .stdout(out.clone())
            .stderr(err.clone());
        if let Some(determinism) = determinism {
            determinism.apply(&mut builder, name.as_str());
        }
        builder
    };
    ServiceSlot::new(service.name.as_str(), service.spec.limits.clone(), Box::new(recipe), stdout, stderr)
}

/// A started wos: one Store holding an instance of every service.
pub struct Running<'a> {
    app: &'a App,
    store: Store<HostState>,
    /// The pulse beat at which housekeeping last ran.
    last_housekeeping: u64,
}

/// Housekeeping runs at most once per this many pulse beats.
const HOUSEKEEPING_BEATS: u64 = 10;

/// How one program's run ended.
#[derive(Debug)]
pub enum ProgramOutcome {
    /// `run` returned `ok`.
    Succeeded,
    /// `run` returned `err` (the guest's way of saying it failed).
    ReturnedError,
    /// The guest called `exit` with this non-zero code.
    Exited(i32),
    /// The program, or a service it called, failed: trapped, ran past its deadline or out of
    /// memory. The error holds a [`crate::kernel::ServiceFailure`] naming the service.
    Failed(wasmtime::Error),
}

impl Running<'_> {
    /// Instantiates, in start-up order, every service that is waiting to start.
    fn start_all(&mut self) -> Result<()> {
        for (id, service) in self.app.services.iter().enumerate() {
            if self.store.data().services[id].state == ServiceState::Starting {
                let kind = if service.is_program() { "program" } else { "server" };
                tracing::info!("starting service `{}` ({kind})", service.name);
                call::instantiate_service(self.store.as_context_mut(), id)
                    .with_context(|| format!("cannot start service `{}`", service.name))?;
            }
        }
        Ok(())
    }

    /// After a guest trapped, wasmtime refuses every call into the Store it trapped in, so the
    /// services move to a fresh Store: the failed ones stay failed (until their restart policy
    /// starts them again), the others start again from their pre-linked form, losing the
    /// state they held in memory. The old Store, with all its memory, is dropped.
    fn recover(&mut self) -> Result<()> {
        if !self.store.data().poisoned {
            return Ok(());
        }
        let state = self.store.data_mut().take_for_new_store();
        self.store = new_store(&self.app.engine, state);
        let failed: Vec<_> = self
            .store
            .data()
            .states()
            .filter(|(_, s)| *s == ServiceState::Failed)
            .map(|(n, _)| format!("`{n}`"))
            .collect();
        tracing::info!(
            "a guest trapped, which ends its Store: moving the wos to a fresh Store without {}",
            failed.join(", ")
        );
        self.start_all()
    }

    /// Work the pulse schedules, done when the host is about to call into the wos (the only
    /// time the Store is free): failed services whose restart policy and back-off allow it are
    /// started again, so they are ready before anyone calls them.
    fn housekeeping(&mut self) {
        let Some(clock) = &self.app.clock else { return };
        let now = clock.now();
        if now < self.last_housekeeping + HOUSEKEEPING_BEATS {
            return;
        }
        self.last_housekeeping = now;
        let restartable: Vec<ServiceId> = (0..self.app.services.len())
            .filter(|&id| {
                let service = &self.store.data().services[id];
                service.state == ServiceState::Failed
                    && matches!(service.limits.restart, RestartPolicy::OnFailure { .. })
            })
            .collect();
        for id in restartable {
            // Not due yet, or out of restarts: the next call says so; nothing to do now.
            let _ = call::ensure_ready(&mut self.store.as_context_mut(), id, "housekeeping");
        }
    }

    /// Calls `interface#function` of `service` from the host, under the same supervision as a
    /// call from another service (deadline, memory limit, failure and restart).
    pub fn call(
        &mut self,
        service: &str,
        interface: &str,
        function: &str,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let id = self.service_id(service)?;
        self.recover()?;
        self.housekeeping();
        let label = format!("{interface}#{function}");
        call_service(self.store.as_context_mut(), id, Target::Export { interface, function }, &label, params, results)
    }

    /// The life-cycle state of `service`.
    pub fn state(&self, service: &str) -> Result<ServiceState> {
        let id = self.service_id(service)?;
        Ok(self.store.data().services[id].state)
    }

    /// Finds the function `function` of interface `interface` exported by service `service`,
    /// for callers that call it directly (benchmarks: this skips supervision). Call
    /// [`Running::enter`] with the returned id before calling the function.
    pub fn export_func(&mut self, service: &str, interface: &str, function: &str) -> Result<(ServiceId, Func)> {
        let id = self.service_id(service)?;
        let instance =
            self.store.data().services[id].instance.with_context(|| format!("service `{service}` is not running"))?;
        let func = call::exported_func(&mut self.store, &instance, interface, function)
            .with_context(|| format!("service `{service}`"))?;
        Ok((id, func))
    }

    /// Makes `service` the executing one, before the host calls into it directly.
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
        if let Err(error) = self.recover() {
            return ProgramOutcome::Failed(error);
        }
        self.housekeeping();
        let service = &self.app.services[id];
        let run =
            service.surface.exports.keys().find(|name| name.path() == RUN_INTERFACE).expect("programs export run");
        let run = run.to_string();
        let mut results = [Val::Bool(false)];
        let target = Target::Export { interface: &run, function: "run" };
        let outcome = call_service(self.store.as_context_mut(), id, target, &format!("{run}#run"), &[], &mut results);
        if outcome.is_ok() {
            self.store.data_mut().services[id].state = ServiceState::Exited;
        }
        match outcome {
            Ok(()) if matches!(results[0], Val::Result(Ok(_))) => ProgramOutcome::Succeeded,
            Ok(()) => ProgramOutcome::ReturnedError,
            Err(error) => match error.downcast_ref::<wasmtime_wasi::I32Exit>() {
                Some(wasmtime_wasi::I32Exit(0)) => ProgramOutcome::Succeeded,
                Some(wasmtime_wasi::I32Exit(code)) => ProgramOutcome::Exited(*code),
                None => ProgramOutcome::Failed(error),
            },
        }
    }

    /// Stops the wos: releases every service's instance and resources in reverse start-up
    /// order, and writes out any unfinished output.
    pub fn shutdown(mut self) {
        for service in self.store.data_mut().services.iter_mut().rev() {
            tracing::info!("stopping service `{}` ({})", service.name, service.state);
            service.release();
        }
    }

    fn service_id(&self, service: &str) -> Result<ServiceId> {
        self.app
            .services
            .iter()
            .position(|s| s.name.as_str() == service)
            .with_context(|| format!("wos `{}` has no service `{service}`", self.app.manifest.name))
    }
}
