//! Running a wos: load its components, link them, start them in plan order and run its
//! programs.
//!
//! The stages are separate types: a [`Manifest`] becomes an [`App`] (components compiled,
//! links resolved, every service linked once), which becomes a [`Running`] wos (a pool of
//! instances per service, each instance in a Store of its own), whose programs are run to
//! completion.

pub mod cache;
mod call;
mod determinism;
pub mod engine;
mod linking;
mod load;
mod output;
mod pool;
mod reload;
mod running;
pub mod shape;
mod state;

pub use call::{CallContext, ChainId, ClientHere, ClientPresence, Deadline};
pub use determinism::Determinism;
pub use linking::{RemoteBinder, RemoteImport};
pub use load::{BuildPolicy, decode_wit, recipe};

/// Builds service `name` of `manifest`: from its `source` when it needs it (or always, with
/// `force`), or by running its `build` command.
pub fn build_service(manifest: &Manifest, name: &ServiceName, spec: &ServiceSpec, force: bool) -> Result<()> {
    load::generate_queries(name, spec)?;
    let up_to_date = !force && load::recipe(name, spec).is_some_and(|recipe| !recipe.needs_building());
    if up_to_date {
        tracing::info!("service `{name}` is up to date: {}", spec.component.display());
        return Ok(());
    }
    load::build_if_needed(manifest, name, spec, BuildPolicy::Always)
}

pub use running::{Caller, ProgramOutcome, Running};
pub use state::{InstanceState, ServiceId};

use crate::caps::ServiceCaps;
use crate::caps::context::IdSource;
use crate::caps::log::render::LogFormat;
use crate::caps::log::{LineRate, LogSink, ServiceLog, TracingSink};
use crate::caps::mocks::{self, MockBook};
use crate::caps::sqlite::ServiceDatabase;
use crate::caps::sqlite::queries::{self, QuerySet};
use crate::graph::{self, InterfaceSig, OwnInterfaces, Plan, Surface};
use crate::kernel::blocking::BlockingPool;
use crate::kernel::pulse::PulseClock;
use crate::manifest::{InterfaceName, Manifest, ServiceName, ServiceSpec};
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
    /// How remote imports are reached (for [`Running::reload`]).
    remotes: Option<Arc<dyn RemoteBinder>>,
    engine: Engine,
    clock: Option<PulseClock>,
}

/// One service with its compiled component, its surface (the types of its imports and
/// exports) and its WIT (with type names, for the wire layer), all from one read of its file.
pub struct LoadedService {
    pub name: ServiceName,
    pub spec: ServiceSpec,
    pub component: Component,
    pub surface: Surface,
    pub wit: ServiceWit,
    /// Its typed queries, which the host implements for it, if its database grant has any.
    pub queries: Option<Arc<QuerySet>>,
    /// The content hash of the component file as it was loaded.
    digest: blake3::Hash,
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
                self.resolve.id_of(*id).is_some_and(|name| name.starts_with(graph::RUN_INTERFACE))
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
        let mut queries = load_queries(&manifest)?;
        let own = own_interfaces(&manifest, &queries, &surfaces);
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
                    wit: compiled.wit,
                    queries: queries.remove(name),
                    digest: compiled.digest,
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
        let linked =
            link_all(&LinkContext::new(engine, &plan, &manifest, &services, options.remotes.as_deref()), &services)?;
        let (engine, clock, remotes) = (engine.clone(), host.clock().cloned(), options.remotes.clone());
        Ok(Arc::new(App { manifest, plan, services, linked, own, remotes, engine, clock }))
    }

    /// Starts the wos: a pool of instances per service (each instance in a Store of its own),
    /// with one instance of every service started in start-up order. With `determinism`,
    /// guests see virtual clocks and seeded randomness, and ids are seeded too.
    pub async fn instantiate(self: &Arc<Self>, determinism: Option<Determinism>) -> Result<Running> {
        self.start(StartOptions { determinism, ..StartOptions::default() }).await
    }

    /// [`App::instantiate`] with every option.
    pub async fn start(self: &Arc<Self>, options: StartOptions) -> Result<Running> {
        let StartOptions { determinism, log_format, log, data_dir } = options;
        let log = log.unwrap_or_else(|| Arc::new(TracingSink { format: log_format }));
        let data_dir = data_dir.unwrap_or_else(|| self.manifest.data_folder());
        let files = self.prepare_files(&data_dir)?;
        let sqlite_threads = BlockingPool::for_this_machine();
        let databases = self
            .services
            .iter()
            .map(|service| {
                let Some(grant) = &service.spec.sqlite else { return Ok(None) };
                ServiceDatabase::prepare(service.name.as_str(), &data_dir, grant, sqlite_threads.clone())
                    .map(Some)
                    .map_err(|why| {
                        wasmtime::format_err!("cannot start service `{}`: its database: {why}", service.name)
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let width = self.services.iter().map(|s| s.name.as_str().len()).max().unwrap_or(0);
        let mocks = Arc::new(MockBook::new(&self.manifest.mocks));
        let pools = self
            .services
            .iter()
            .zip(&self.linked)
            .enumerate()
            .map(|(id, (service, linked))| {
                let size = if service.is_program() { 1 } else { self.manifest.instances(&service.spec) };
                let caps = Arc::new(ServiceCaps {
                    log: ServiceLog::new(service.name.as_str(), &service.spec.log, log.clone(), determinism.is_some()),
                    sqlite: databases[id].clone(),
                    files: files[id].clone(),
                    mocks: mocks.clone(),
                });
                let output = OutputSettings { width, json: (log_format == LogFormat::Json).then(|| log.clone()) };
                let version =
                    Version { pre: linked.pre.clone(), exports: export_indices(&service.component, &service.surface) };
                ServicePool::new(pool_spec(id, service, linked, size, &output, determinism, caps), version)
            })
            .collect();
        let ids = determinism.map_or_else(IdSource::random, |d| IdSource::seeded(d.seed));
        let running = Running { services: Arc::new(Services::new(self.clone(), pools, ids)) };
        running.start_all().await?;
        Ok(running)
    }
}

impl App {
    /// Opens every service's granted folders, once, and checks them against one another and
    /// against what no service may see (the data folder `data_dir`, the peer secret, the TLS
    /// files).
    fn prepare_files(&self, data_dir: &std::path::Path) -> Result<Vec<crate::caps::files::OpenedGrants>> {
        let opened = self
            .services
            .iter()
            .map(|service| {
                crate::caps::files::prepare(&service.spec.files)
                    .map_err(|why| wasmtime::format_err!("cannot start service `{}`: {why}", service.name))
            })
            .collect::<Result<Vec<_>>>()?;
        if opened.iter().all(|grants| grants.is_empty()) {
            return Ok(opened);
        }
        std::fs::create_dir_all(data_dir)
            .map_err(|e| wasmtime::format_err!("cannot create the data folder {}: {e}", data_dir.display()))?;
        let mut protected = vec![("the data folder (databases and users)", data_dir.to_owned())];
        if let Some(secret) = &self.manifest.auth.peer_secret_file {
            protected.push(("the peer secret (`[auth] peer-secret-file`)", secret.clone()));
        }
        if let Some(tls) = &self.manifest.serve.tls {
            protected.push(("the TLS certificate (`[serve] tls`)", tls.cert.clone()));
            protected.push(("the TLS key (`[serve] tls`)", tls.key.clone()));
        }
        let named: Vec<(&str, &crate::caps::files::OpenedGrants)> =
            self.services.iter().map(|service| service.name.as_str()).zip(&opened).collect();
        crate::caps::files::check_overlaps(&named, &protected)
            .map_err(|why| wasmtime::format_err!("cannot start wos `{}`: {why}", self.manifest.name))?;
        Ok(opened)
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

/// The typed queries of every service whose database grant has them, checked against the
/// generated WIT on disk.
fn load_queries(manifest: &Manifest) -> Result<BTreeMap<ServiceName, Arc<QuerySet>>> {
    let mut sets = BTreeMap::new();
    for (name, spec) in &manifest.services {
        let Some(table) = &spec.sqlite else { continue };
        let set = QuerySet::load(name.as_str(), table, &manifest.path)
            .map_err(|why| wasmtime::format_err!("cannot load the typed queries of service `{name}`: {why}"))?;
        if let Some(set) = set {
            sets.insert(name.clone(), Arc::new(set));
        }
    }
    Ok(sets)
}

/// The interfaces the host itself implements for each service, with the types it expects:
/// its typed queries, and the mocked interfaces and mock controls it imports.
fn own_interfaces(
    manifest: &Manifest,
    queries: &BTreeMap<ServiceName, Arc<QuerySet>>,
    surfaces: &BTreeMap<ServiceName, Surface>,
) -> OwnInterfaces {
    let mut own: OwnInterfaces = queries
        .iter()
        .map(|(name, set)| {
            (name.clone(), BTreeMap::from([(set.interface.clone(), InterfaceSig::of_queries(&set.queries))]))
        })
        .collect();
    // A mocked import, and the typed control of a mock, are the host's to answer, with
    // the types the importer expects.
    for (name, surface) in surfaces {
        let host_answers = |import: &InterfaceName| {
            manifest.mocks(import) || mocks::control::steered(&manifest.mocks, import).is_some()
        };
        for (import, sig) in surface.imports.iter().filter(|(import, _)| host_answers(import)) {
            own.entry(name.clone()).or_default().insert(import.clone(), sig.clone());
        }
    }
    own
}

/// The functions of each mocked interface (by path) that the services import, all importers'
/// together.
fn mocked_signatures(services: &[LoadedService], mocked: &mocks::MockTable) -> BTreeMap<String, InterfaceSig> {
    let mut sigs: BTreeMap<String, InterfaceSig> = BTreeMap::new();
    for service in services {
        for (import, sig) in service.surface.imports.iter().filter(|(import, _)| mocks::mocks(mocked, import)) {
            let merged = sigs.entry(import.path().to_owned()).or_default();
            for (name, function) in &sig.functions {
                merged.functions.entry(name.clone()).or_insert_with(|| function.clone());
            }
        }
    }
    sigs
}

/// What linking a service needs to know of the whole wos.
struct LinkContext<'a> {
    engine: &'a Engine,
    plan: &'a Plan,
    manifest: &'a Manifest,
    ids: BTreeMap<&'a ServiceName, ServiceId>,
    remote_binder: Option<&'a dyn RemoteBinder>,
    /// The functions of each mocked interface that the services import.
    mocked_sigs: BTreeMap<String, InterfaceSig>,
}

impl<'a> LinkContext<'a> {
    fn new(
        engine: &'a Engine,
        plan: &'a Plan,
        manifest: &'a Manifest,
        services: &'a [LoadedService],
        remote_binder: Option<&'a dyn RemoteBinder>,
    ) -> LinkContext<'a> {
        let ids = services.iter().enumerate().map(|(id, s)| (&s.name, id)).collect();
        let mocked_sigs = mocked_signatures(services, &manifest.mocks);
        LinkContext { engine, plan, manifest, ids, remote_binder, mocked_sigs }
    }

    fn mocked(&self) -> &mocks::MockTable {
        &self.manifest.mocks
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
    let mut linker = linking::consumer_linker(context.engine, &service.surface, &links, &remotes, provides)?;
    if let Some(set) = &service.queries
        && let Some(import) = service.surface.imports.keys().find(|import| **import == set.interface)
    {
        tracing::info!("linking `{}`: `{import}` -> its typed queries", service.name);
        queries::add_to_linker(&mut linker, &import.to_string(), set, InstanceState::caps_view)?;
    }
    for (import, sig) in service.surface.imports.iter().filter(|(import, _)| mocks::mocks(context.mocked(), import)) {
        tracing::info!("linking `{}`: `{import}` -> a mock", service.name);
        let functions: Vec<String> = sig.functions.keys().cloned().collect();
        mocks::add_mock_to_linker(&mut linker, import, &functions, InstanceState::caps_view)?;
    }
    if service.surface.imports.keys().any(mocks::is_control) {
        mocks::add_control_to_linker(&mut linker, InstanceState::caps_view)?;
    }
    let session = InterfaceName::parse(crate::caps::session::INTERFACE).expect("a valid interface name");
    if service.surface.imports.keys().any(|import| import.path() == session.path()) {
        if !context.manifest.tests.contains_key(&service.name) {
            wasmtime::bail!(
                "service `{}` imports `{session}`, which lets its caller act as any user: only test components \
                 (`[tests.NAME]`) may import it; remove the import",
                service.name
            );
        }
        crate::caps::session::add_to_linker(&mut linker, InstanceState::caps_view)?;
    }
    for (import, sig) in &service.surface.imports {
        let Some(target) = mocks::control::steered(context.mocked(), import) else { continue };
        let Some(target_sig) = context.mocked_sigs.get(target.path()) else {
            wasmtime::bail!(
                "service `{}` imports `{import}`, which steers the mock of `{target}`, but no service of the wos \
                 imports `{target}`; remove it from `[mocks]` or test a service that uses it",
                service.name
            );
        };
        let functions: Vec<String> = sig.functions.keys().cloned().collect();
        mocks::add_typed_control_to_linker(
            &mut linker,
            import,
            target,
            target_sig,
            &functions,
            InstanceState::caps_view,
        )
        .with_context(|| format!("cannot link service `{}`", service.name))?;
    }
    linker.instantiate_pre(&service.component).with_context(|| format!("cannot link service `{}`", service.name))
}

/// A service's component, compiled, with what else its one read gave.
struct Compiled {
    component: Component,
    wit: ServiceWit,
    digest: blake3::Hash,
}

/// Compiles every service's component (in parallel for the ones not in the cache) and decodes
/// its WIT, from one read of each file.
fn compile_all(
    manifest: &Manifest,
    engine: &Engine,
    cache: &ComponentCache,
) -> Result<BTreeMap<ServiceName, Compiled>> {
    let sources = manifest
        .services
        .iter()
        .map(|(name, spec)| {
            let bytes = load::read_component(name, &spec.component)?;
            let digest = blake3::hash(&bytes);
            let entry = cache.entry_path(engine, &digest);
            Ok((name, bytes, entry, digest))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut misses = false;
    for (name, bytes, entry, _) in &sources {
        if !entry.exists() {
            misses = true;
            tracing::info!(
                "compiling service `{name}` ({:.1} MiB); this happens once, later starts load it from {}",
                bytes.len() as f64 / (1024.0 * 1024.0),
                cache.dir().display()
            );
        }
    }
    let compiled: Vec<Result<(Component, CacheOutcome, ServiceWit)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = sources
            .iter()
            .map(|(name, bytes, entry, _)| {
                scope.spawn(move || {
                    let (component, outcome) = load::compile(engine, cache, name, bytes, entry)?;
                    Ok((component, outcome, load::decode_wit(name, bytes)?))
                })
            })
            .collect();
        if misses {
            report_progress(&sources.iter().map(|(name, ..)| *name).collect::<Vec<_>>(), &workers);
        }
        workers.into_iter().map(|w| w.join().expect("compiling does not panic")).collect()
    });
    let mut components = BTreeMap::new();
    for ((name, _, _, digest), result) in sources.iter().zip(compiled) {
        let (component, outcome, wit) = result?;
        if outcome == CacheOutcome::Hit {
            tracing::info!("loaded service `{name}` from the compile cache");
        }
        components.insert((*name).clone(), Compiled { component, wit, digest: *digest });
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
    determinism: Option<Determinism>,
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
    let (out, err, files) = (stdout.clone(), stderr.clone(), caps.files.clone());
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
        crate::caps::files::preopen(&mut builder, &files)
            .map_err(|error| error.context(format!("cannot give service `{name}` its files")))?;
        if let Some(determinism) = determinism {
            determinism.apply(&mut builder, name.as_str());
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
