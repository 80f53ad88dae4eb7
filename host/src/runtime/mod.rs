//! Running a wos: load its components, link them, start them in plan order and run its
//! programs.
//!
//! The stages are separate types: a [`Manifest`] becomes an [`App`] (components compiled,
//! links resolved, every service linked once), which becomes a [`Running`] wos (a pool of
//! instances per service, each instance in a Store of its own), whose programs are run to
//! completion.

pub mod cache;
mod call;
mod context;
mod deadline;
mod determinism;
pub mod engine;
pub mod function_cache;
mod inject;
mod linking;
mod load;
mod output;
mod pool;
mod reload;
mod running;
pub mod shape;
mod spans;
mod state;

pub use context::{CallContext, ChainId, ClientHere, ClientPresence};
pub use deadline::Deadline;
pub use determinism::{Determinism, TimeJumps, seed_for};
pub use linking::{RemoteBinder, RemoteImport};
pub use load::{BuildPolicy, decode_wit, recipe};

/// Builds service `name` of `manifest`: from its `source` when it needs it (or always, with
/// `force`), or by running its `build` command.
pub fn build_service(manifest: &Manifest, name: &ServiceName, spec: &ServiceSpec, force: bool) -> Result<()> {
    load::generate_queries(name, spec)?;
    let up_to_date = !force && load::recipe(manifest, name, spec).is_some_and(|recipe| !recipe.needs_building());
    if up_to_date {
        tracing::info!("service `{name}` is up to date: {}", spec.component.display());
        return Ok(());
    }
    load::build_if_needed(manifest, name, spec, BuildPolicy::Always)
}

pub use running::{Caller, ProgramOutcome, Running, ServiceNow};
pub use state::{InstanceState, ServiceId};

use crate::caps::context::IdSource;
use crate::caps::log::render::LogFormat;
use crate::caps::log::{LineRate, LogSink, TracingSink};
use crate::caps::sqlite::queries::QuerySet;
use crate::caps::{self, ServiceCaps, Start, WosPlan};
use crate::graph::{self, OwnInterfaces, Plan};
use crate::kernel::pulse::PulseClock;
use crate::manifest::{Manifest, ServiceSpec};
use crate::names::ServiceName;
use crate::registry::HostInterfaces;
use crate::sim::Faults;
use crate::surface::Surface;
use crate::telemetry::metrics::Metrics;
use crate::telemetry::otlp::{ExportConfig, Exporter};
use crate::telemetry::recent::Recent;
use crate::telemetry::{Records, Telemetry};
use cache::{CacheOutcome, ComponentCache};
use engine::HostEngine;
use output::{Destination, ServiceOutput};
use pool::{PoolSpec, ServicePool, Version, WasiRecipe};
use running::Services;
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::component::{Component, InstancePre};
use wasmtime::error::Context;
use wasmtime::{Engine, Result};
use wasmtime_wasi::WasiCtxBuilder;

/// How to load a wos.
#[derive(Clone)]
pub struct LoadOptions {
    pub cache: ComponentCache,
    pub build: BuildPolicy,
    /// How imports bound to other hosts are reached; without it, a wos with `remote` links is
    /// refused.
    pub remotes: Option<Arc<dyn RemoteBinder>>,
}

/// A wos whose components are compiled and whose imports are resolved: ready to start.
pub struct App {
    pub manifest: Manifest,
    pub plan: Plan,
    /// Services in start-up order.
    pub services: Vec<LoadedService>,
    /// Each service linked, in start-up order.
    linked: Vec<LinkedService>,
    /// What the host implements for each service itself (for [`Running::reload`]).
    own: OwnInterfaces,
    /// What the host implements for the services beyond what every service has (to link a
    /// service again, in `dev`).
    host_interfaces: HostInterfaces,
    /// How remote imports are reached (for [`Running::reload`]).
    remotes: Option<Arc<dyn RemoteBinder>>,
    engine: Engine,
    clock: Option<PulseClock>,
}

/// One service with its compiled component, its surface (the types of its imports and
/// exports) and its WIT (with type names, for the wire layer).
pub struct LoadedService {
    pub name: ServiceName,
    pub spec: ServiceSpec,
    pub component: Component,
    pub surface: Surface,
    /// Its WIT, decoded when first asked for ([`LoadedService::wit`]).
    wit: std::sync::OnceLock<ServiceWit>,
    /// Its typed queries, which the host implements for it, if its database grant has any.
    pub queries: Option<Arc<QuerySet>>,
    /// The content hash of the component file as it was loaded.
    digest: blake3::Hash,
    /// The compile cache it was loaded through, which keeps its WIT.
    cache: ComponentCache,
}

/// The WIT a service's component carries, decoded once when it is loaded.
pub struct ServiceWit {
    pub resolve: wit_parser::Resolve,
    pub world: wit_parser::WorldId,
}

impl ServiceWit {
    /// Whether the component is a program: its world exports `wasi:cli/run`.
    pub fn is_program(&self) -> bool {
        self.resolve.worlds[self.world].exports.keys().any(|key| match key {
            wit_parser::WorldKey::Interface(id) => {
                self.resolve.id_of(*id).is_some_and(|name| name.starts_with(crate::surface::RUN_INTERFACE))
            }
            wit_parser::WorldKey::Name(_) => false,
        })
    }
}

impl LoadedService {
    /// Whether the service is a program (exports `wasi:cli/run`) rather than a server.
    pub fn is_program(&self) -> bool {
        self.surface.is_program()
    }

    /// The WIT its component carries, with the type names the wire layer needs: read on first
    /// use (most starts serve nothing and never need it), from the compile cache's copy of it,
    /// or else from the file, checked to be the one that was loaded.
    pub fn wit(&self) -> Result<&ServiceWit> {
        if let Some(wit) = self.wit.get() {
            return Ok(wit);
        }
        let wit = load::component_wit(&self.cache, &self.name, &self.digest, || self.component_bytes())?;
        Ok(self.wit.get_or_init(|| wit))
    }

    /// The component's bytes (for the composer, which works on the binary), read again from
    /// its file and checked to be the ones that were loaded.
    pub fn component_bytes(&self) -> Result<Vec<u8>> {
        let bytes = load::read_component(&self.name, &self.spec.component)?;
        if blake3::hash(&bytes) != self.digest {
            wasmtime::bail!(
                "the component of service `{}` at `{}` changed while the host was using it; run the command again",
                self.name,
                self.spec.component.display()
            );
        }
        Ok(bytes)
    }
}

impl App {
    /// The engine the wos's components were compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Builds (if asked), compiles (or loads from the cache), resolves and links every service.
    pub fn load(manifest: Manifest, host: &HostEngine, options: &LoadOptions) -> Result<Arc<App>> {
        let engine = host.engine();
        for (name, spec) in &manifest.services {
            load::build_if_needed(&manifest, name, spec, options.build)?;
        }
        let mut components = compile_all(&manifest, engine, &options.cache)?;
        let surfaces: BTreeMap<ServiceName, Surface> = components
            .iter()
            .map(|(name, compiled)| (name.clone(), Surface::of(&compiled.component, engine)))
            .collect();
        let host_interfaces = HostInterfaces::load(&manifest, &surfaces)?;
        let own = host_interfaces.signatures(&manifest, &surfaces);
        let plan = graph::resolve(&manifest, &surfaces, &own)?;
        let mut surfaces = surfaces;
        let services: Vec<LoadedService> = plan
            .order
            .iter()
            .map(|name| {
                let compiled = components.remove(name).expect("every service was compiled");
                LoadedService {
                    name: name.clone(),
                    spec: manifest.services[name].clone(),
                    component: compiled.component,
                    surface: surfaces.remove(name).expect("every service has a surface"),
                    wit: std::sync::OnceLock::new(),
                    queries: host_interfaces.queries.get(name).cloned(),
                    digest: compiled.digest,
                    cache: options.cache.clone(),
                }
            })
            .collect();
        if let Some(service) = services.iter().find(|s| s.is_program() && s.spec.instances.is_some_and(|n| n > 1)) {
            wasmtime::bail!(
                "service `{}` is a program (it exports `wasi:cli/run`), which runs once; `instances` is for servers: \
                 remove it",
                service.name
            );
        }
        let context =
            LinkContext::new(engine, &plan, &manifest, &host_interfaces, &services, options.remotes.as_deref());
        let linked = link_all(&context, &services)?;
        let (engine, clock, remotes) = (engine.clone(), host.clock().cloned(), options.remotes.clone());
        Ok(Arc::new(App { manifest, plan, services, linked, own, host_interfaces, remotes, engine, clock }))
    }

    /// What the capabilities are told of the wos.
    fn wos_plan(&self) -> WosPlan<'_> {
        wos_plan(&self.manifest, &self.host_interfaces, &self.services)
    }

    /// Starts the wos: a pool of instances per service (each instance in a Store of its own),
    /// with one instance of every service started in start-up order. With `determinism`,
    /// guests see virtual clocks and seeded randomness, and ids are seeded too.
    pub async fn instantiate(self: &Arc<Self>, determinism: Option<Determinism>) -> Result<Running> {
        self.start(StartOptions { determinism, ..StartOptions::default() }).await
    }

    /// [`App::instantiate`] with every option.
    pub async fn start(self: &Arc<Self>, options: StartOptions) -> Result<Running> {
        let StartOptions { determinism, log_format, log, data_dir, export, recent, lend_spans, faults } = options;
        let metrics = Arc::<Metrics>::default();
        let export = export.map(|config| Exporter::start(config, metrics.clone())).transpose()?;
        let telemetry = Telemetry { metrics, records: Records::new(export, recent, lend_spans) };
        let log = log.unwrap_or_else(|| Arc::new(TracingSink { format: log_format }));
        let data_dir = data_dir.unwrap_or_else(|| self.manifest.data_folder());
        let start = Start {
            data_dir: &data_dir,
            log: &log,
            deterministic: determinism.is_some(),
            telemetry: &telemetry,
            faults: faults.as_ref(),
        };
        let caps = caps::prepare_services(&self.wos_plan(), &start)?;
        let jumps = TimeJumps::default();
        let width = self.services.iter().map(|s| s.name.as_str().len()).max().unwrap_or(0);
        let pools = self
            .services
            .iter()
            .zip(&self.linked)
            .enumerate()
            .map(|(id, (service, linked))| {
                let size = if service.is_program() { 1 } else { self.manifest.instances(&service.spec) };
                let caps = caps[id].clone();
                let output = OutputSettings { width, json: (log_format == LogFormat::Json).then(|| log.clone()) };
                let version =
                    Version { pre: linked.pre.clone(), exports: export_indices(&service.component, &service.surface) };
                ServicePool::new(pool_spec(id, service, linked, size, &output, (determinism, &jumps), caps), version)
            })
            .collect();
        let ids = determinism.map_or_else(IdSource::random, |d| IdSource::seeded(d.seed));
        let running =
            Running { services: Arc::new(Services::new(self.clone(), pools, ids, telemetry, (faults, jumps))) };
        running.start_all().await?;
        Ok(running)
    }
}

/// How to start a wos.
#[derive(Clone, Default)]
pub struct StartOptions {
    /// Virtual clocks, seeded randomness and seeded ids.
    pub determinism: Option<Determinism>,
    /// How log lines are written; in JSON, guests' stdout and stderr lines go into the log too.
    pub log_format: LogFormat,
    /// Where guests' log lines go [default: `tracing`, fields rendered for `log_format`].
    pub log: Option<Arc<dyn LogSink>>,
    /// Where the services' databases are [default: `.parigot/data` beside the manifest].
    pub data_dir: Option<std::path::PathBuf>,
    /// Where its spans and services' log lines are exported [default: nowhere].
    pub export: Option<ExportConfig>,
    /// Where the latest of them are kept, for the dashboard [default: nowhere].
    pub recent: Option<Arc<Recent>>,
    /// Whether a peer host of the deployment may ask for the spans of its calls, for its
    /// dashboard ([`crate::telemetry::lent`]) [default: no].
    pub lend_spans: bool,
    /// The faults a simulation injects at the boundaries the host owns ([`crate::sim`])
    /// [default: none].
    pub faults: Option<Arc<Faults>>,
}

/// Where services' stdout and stderr lines go.
struct OutputSettings {
    /// The width of the service-name column of prefixed lines.
    width: usize,
    /// Into this sink, as log lines, instead of prefixed lines on stdout and stderr.
    json: Option<Arc<dyn LogSink>>,
}

/// A service linked once, to be instantiated into any number of Stores.
struct LinkedService {
    pre: InstancePre<InstanceState>,
    /// The exported functions (interface, function) its consumers' linked imports call, by
    /// slot.
    provides: Vec<(String, String)>,
}

/// What the capabilities are told of `manifest`, whose `services` are loaded.
fn wos_plan<'a>(manifest: &'a Manifest, host: &'a HostInterfaces, services: &'a [LoadedService]) -> WosPlan<'a> {
    host.plan(manifest, services.iter().map(|service| (&service.name, &service.spec, &service.surface.imports)))
}

/// What linking a service needs to know of the whole wos.
struct LinkContext<'a> {
    engine: &'a Engine,
    plan: &'a Plan,
    ids: BTreeMap<&'a ServiceName, ServiceId>,
    remote_binder: Option<&'a dyn RemoteBinder>,
    /// What the capabilities are told of the wos.
    wos: WosPlan<'a>,
}

impl<'a> LinkContext<'a> {
    fn new(
        engine: &'a Engine,
        plan: &'a Plan,
        manifest: &'a Manifest,
        host: &'a HostInterfaces,
        services: &'a [LoadedService],
        remote_binder: Option<&'a dyn RemoteBinder>,
    ) -> LinkContext<'a> {
        let ids = services.iter().enumerate().map(|(id, s)| (&s.name, id)).collect();
        LinkContext { engine, plan, ids, remote_binder, wos: wos_plan(manifest, host, services) }
    }
}

/// Links every service: its imports forwarded to its providers, WASI from the host.
fn link_all(context: &LinkContext<'_>, services: &[LoadedService]) -> Result<Vec<LinkedService>> {
    let mut provides: Vec<Vec<(String, String)>> = vec![Vec::new(); services.len()];
    let pres =
        services.iter().map(|service| link_service(context, service, &mut provides)).collect::<Result<Vec<_>>>()?;
    Ok(pres.into_iter().zip(provides).map(|(pre, provides)| LinkedService { pre, provides }).collect())
}

/// Links one service: its imports forwarded to its providers (each function it calls added to
/// the provider's `provides`), the host's own interfaces, WASI.
fn link_service(
    context: &LinkContext<'_>,
    service: &LoadedService,
    provides: &mut [Vec<(String, String)>],
) -> Result<InstancePre<InstanceState>> {
    let links: Vec<_> = context
        .plan
        .links
        .iter()
        .filter(|link| link.consumer == service.name)
        .map(|link| (link, context.ids[&link.provider]))
        .collect();
    for (link, _) in &links {
        tracing::info!("linking `{}`: `{}` -> service `{}`", service.name, link.import, link.provider);
    }
    let remote_links: Vec<_> = context.plan.remotes.iter().filter(|link| link.consumer == service.name).collect();
    let remotes = match (context.remote_binder, remote_links.as_slice()) {
        (_, []) => Vec::new(),
        (Some(binder), links) => binder.bind(service, links)?,
        (None, [link, ..]) => wasmtime::bail!(
            "service `{}` imports `{}` from a remote host, but this host was loaded without remote links",
            service.name,
            link.import
        ),
    };
    let mut linker =
        linking::consumer_linker(context.engine, service.name.as_str(), &service.surface, &links, &remotes, provides)?;
    let plan = context.wos.services.iter().find(|plan| *plan.name == service.name);
    let plan = plan.ok_or_else(|| wasmtime::format_err!("host bug: service `{}` has no plan", service.name))?;
    caps::link_service(&mut linker, &context.wos, plan)?;
    linker.instantiate_pre(&service.component).with_context(|| format!("cannot link service `{}`", service.name))
}

/// Loads every service's component from the compile cache, or compiles it, in parallel;
/// while any compiles (seconds each), says every few seconds which ones are still at it.
fn compile_all(
    manifest: &Manifest,
    engine: &Engine,
    cache: &ComponentCache,
) -> Result<BTreeMap<ServiceName, load::Compiled>> {
    let (done, finished) = std::sync::mpsc::channel();
    let names: Vec<&ServiceName> = manifest.services.keys().collect();
    let results: Vec<Result<load::Compiled>> = std::thread::scope(|scope| {
        let workers: Vec<_> = manifest
            .services
            .iter()
            .map(|(name, spec)| {
                let done = done.clone();
                scope.spawn(move || {
                    let compiled = load::load_component(engine, cache, name, &spec.component);
                    let _ = done.send(());
                    compiled
                })
            })
            .collect();
        drop(done);
        report_progress(&names, &workers, &finished);
        workers.into_iter().map(|w| w.join().expect("compiling does not panic")).collect()
    });
    let mut components = BTreeMap::new();
    for (name, result) in names.into_iter().zip(results) {
        let compiled = result?;
        if compiled.outcome == CacheOutcome::Hit {
            tracing::info!("loaded service `{name}` from the compile cache");
        }
        components.insert(name.clone(), compiled);
    }
    Ok(components)
}

/// Until every worker has said it is done on `finished`, says every few seconds which of
/// them are still compiling, so a first start never looks hung.
fn report_progress<T>(
    names: &[&ServiceName],
    workers: &[std::thread::ScopedJoinHandle<'_, T>],
    finished: &std::sync::mpsc::Receiver<()>,
) {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(3);
    let started = std::time::Instant::now();
    let mut waiting = workers.len();
    while waiting > 0 {
        match finished.recv_timeout(EVERY) {
            Ok(()) => waiting -= 1,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let busy: Vec<String> = names
                    .iter()
                    .zip(workers)
                    .filter(|(_, w)| !w.is_finished())
                    .map(|(n, _)| format!("`{n}`"))
                    .collect();
                tracing::info!("still compiling {} ({} s)", busy.join(", "), started.elapsed().as_secs());
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Where each exported function of `service` is, in any instance of it.
fn export_indices(
    component: &Component,
    surface: &Surface,
) -> BTreeMap<String, BTreeMap<String, wasmtime::component::ComponentExportIndex>> {
    let mut exports = BTreeMap::new();
    for (interface, sig) in &surface.exports {
        let name = interface.to_string();
        let Some((_, interface_index)) = component.get_export(None, &name) else { continue };
        let functions = sig
            .functions
            .keys()
            .filter_map(|function| {
                let (_, index) = component.get_export(Some(&interface_index), function)?;
                Some((function.clone(), index))
            })
            .collect();
        exports.insert(name, functions);
    }
    exports
}

/// How to make the instances of one service: its limits, captured stdio, pool size, and a
/// recipe for its WASI context (arguments, environment and the folders granted it from the
/// wos, nothing else of the host's: no sockets, no other files).
fn pool_spec(
    id: ServiceId,
    service: &LoadedService,
    linked: &LinkedService,
    size: usize,
    output: &OutputSettings,
    (determinism, jumps): (Option<Determinism>, &TimeJumps),
    caps: Arc<ServiceCaps>,
) -> PoolSpec {
    let width = output.width;
    let prefix = format!("{:<width$} | ", service.name.as_str());
    let destination = |stream: &'static str, plain: Destination| match &output.json {
        Some(sink) => Destination::Log { service: service.name.as_str().into(), stream, sink: sink.clone() },
        None => plain,
    };
    // Deterministic runs have no rate limit: a limit by wall-clock time would make their
    // output depend on speed.
    let rate = || determinism.is_none().then(|| LineRate::new(service.spec.log.max_lines_per_second));
    let stdout = ServiceOutput::new(prefix.clone(), destination("stdout", Destination::Stdout), rate());
    let stderr = ServiceOutput::new(prefix, destination("stderr", Destination::Stderr), rate());
    let (name, spec) = (service.name.clone(), service.spec.clone());
    let (out, err, service_caps, jumps) = (stdout.clone(), stderr.clone(), caps.clone(), jumps.clone());
    let recipe: WasiRecipe = Box::new(move || {
        let mut builder = WasiCtxBuilder::new();
        builder
            .arg(name.as_str())
            .args(&spec.args)
            .envs(&spec.env.iter().collect::<Vec<_>>())
            .stdout(out.clone())
            .stderr(err.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        caps::configure_wasi(&service_caps, &mut builder)
            .map_err(|error| error.context(format!("cannot give service `{name}` its files")))?;
        if let Some(determinism) = determinism {
            determinism.apply(&mut builder, name.as_str(), &jumps);
        }
        Ok(builder.build())
    });
    PoolSpec {
        id,
        name: service.name.as_str().into(),
        is_program: service.is_program(),
        limits: service.spec.limits.clone(),
        size,
        queue: service.spec.queue,
        provides: linked.provides.clone(),
        recipe,
        caps,
        stdout,
        stderr,
    }
}
