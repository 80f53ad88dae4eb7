//! The `wos.toml` manifest: its schema, parsing and the checks that need nothing but the file.
//!
//! Parsing turns the text into [`Manifest`], whose names are already validated and whose paths
//! are already resolved against the manifest's folder. What the manifest *means* (which service
//! provides which interface, in which order they start) is the business of [`crate::graph`].

use crate::caps::files::{FileGrant, FilesTable};
use crate::caps::log::{LogSettings, LogTable};
use crate::caps::sqlite::SqliteTable;
use crate::kernel::{Limits, RestartPolicy};
use crate::names::{InterfaceName, ServiceName};
use crate::telemetry::otlp::{ExportConfig, TelemetryTable};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The only manifest format version this host understands.
pub const MANIFEST_VERSION: u32 = 1;

/// A parsed, validated `wos.toml`.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The wos's name (the `name` key, or the manifest's folder name).
    pub name: String,
    /// The file this manifest was read from.
    pub path: PathBuf,
    /// Seed of the guests' randomness in deterministic mode (`--seed` overrides it).
    pub seed: Option<u64>,
    /// The wos's public interfaces: what a fused unit exports (besides a program's
    /// `wasi:cli/run`), and what the host may serve to the outside.
    pub exports: Vec<InterfaceName>,
    /// Services by name, in name order.
    pub services: BTreeMap<ServiceName, ServiceSpec>,
    /// Test components by name (`[tests.NAME]`, the keys of a service's table): loaded only by
    /// `parigot-host test`, which links them with the services ([`Manifest::with_tests`]).
    pub tests: BTreeMap<ServiceName, ServiceSpec>,
    /// Interfaces the host answers itself instead of linking them to a provider (`[mocks]`):
    /// per function, the answers in WAVE.
    pub mocks: crate::caps::mocks::MockTable,
    /// `[fixtures]`: per service, SQL that `parigot-host test` runs on the service's fresh
    /// database before each test, after its migrations (resolved against the manifest's folder).
    pub fixtures: BTreeMap<ServiceName, PathBuf>,
    /// Where and how to serve the public interfaces over gRPC and Connect (`[serve]`).
    pub serve: ServeSpec,
    /// Who must log in to call what, at the edge (`[auth]`).
    pub auth: AuthSpec,
    /// Where spans and log records are exported (`[telemetry]`; the `OTEL_*` variables take
    /// precedence when the wos is run).
    pub telemetry: TelemetryTable,
    /// How `parigot-host test --sim` runs its tests (`[sim]`): none without the table.
    pub sim: Option<crate::sim::SimSpec>,
    /// Whether tests run it (`parigot-host test` and `call`, see [`Manifest::for_tests`]): only
    /// then may its services import test-only capabilities, and `[mocks]` answer imports.
    pub testing: bool,
}

/// Where a wos's data goes by default, below the manifest's folder.
pub const DATA_FOLDER: &str = ".parigot/data";

/// `[auth]`: logging in at the edge, with `Authorization: Basic` against the wos's users.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuthSpec {
    /// `realm`: what `WWW-Authenticate` names [default: the wos's name].
    pub realm: String,
    /// `require-login`: what a request must log in to call.
    pub require_login: Vec<LoginRule>,
    /// `peer-secret-file`: the secret the deployment's hosts share, so that a user crosses
    /// remote links (resolved against the manifest's folder).
    pub peer_secret_file: Option<PathBuf>,
}

/// An entry of `require-login`: a whole interface (`ns:pkg/iface`, a version optional) or one
/// function of it (`ns:pkg/iface#function`).
#[derive(Debug, Clone, PartialEq)]
pub struct LoginRule {
    pub interface: InterfaceName,
    pub function: Option<String>,
}

impl LoginRule {
    fn parse(text: &str) -> Result<LoginRule, String> {
        let (interface, function) = match text.split_once('#') {
            Some((interface, function)) => (interface, Some(function.to_owned())),
            None => (text, None),
        };
        let interface =
            InterfaceName::parse(interface).filter(|_| function.as_deref() != Some("")).ok_or_else(|| {
                format!(
                    "`[auth]` `require-login`: `{text}` is neither an interface (`namespace:package/interface`) nor \
                 a function of one (`namespace:package/interface#function`)"
                )
            })?;
        Ok(LoginRule { interface, function })
    }

    /// Whether calling `function` of the exported `interface` needs a login under this rule.
    pub fn covers(&self, interface: &InterfaceName, function: &str) -> bool {
        self.interface.accepts(interface) && self.function.as_deref().is_none_or(|f| f == function)
    }
}

impl fmt::Display for LoginRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.function {
            Some(function) => write!(f, "{}#{function}", self.interface),
            None => write!(f, "{}", self.interface),
        }
    }
}

impl AuthSpec {
    /// Whether calling `function` of the exported `interface` needs a login.
    pub fn requires_login(&self, interface: &InterfaceName, function: &str) -> bool {
        self.require_login.iter().any(|rule| rule.covers(interface, function))
    }
}

/// `[serve]`: serving the public interfaces.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeSpec {
    /// `listen = "127.0.0.1:50051"`; without it the wos is not served (unless `--listen`).
    pub listen: Option<std::net::SocketAddr>,
    /// `pool`: how many instances of each service may run at once, for services that do not
    /// set their own `instances`.
    pub pool: usize,
    /// `max-message-bytes`: the largest request accepted.
    pub max_message_bytes: usize,
    /// `max-connections`: how many client connections are served at once; further ones wait
    /// in the system's queue of the listening socket.
    pub max_connections: usize,
    /// `shutdown-grace-ms`: after SIGINT or SIGTERM, how long the calls under way may take to
    /// finish before they are interrupted.
    pub shutdown_grace: Duration,
    /// `tls = { cert = "...", key = "..." }`: serve over TLS (HTTP/2) with this certificate.
    pub tls: Option<TlsFiles>,
}

/// A certificate (chain) and its private key, PEM files.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Default for ServeSpec {
    fn default() -> Self {
        ServeSpec {
            listen: None,
            pool: DEFAULT_POOL,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            tls: None,
        }
    }
}

/// Instances of each service when neither its `instances` nor `[serve] pool` is given.
pub const DEFAULT_POOL: usize = 4;
/// The request size limit when `max-message-bytes` is not given: 4 MiB, as gRPC's default.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 4 << 20;
/// Client connections served at once when `[serve] max-connections` is not given.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// The most `[serve] max-connections` may give.
const MAX_CONNECTIONS: usize = 1 << 16;
/// The shutdown grace period when `shutdown-grace-ms` is not given.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// An import bound to another parigot host, which serves the interface over gRPC.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteSpec {
    /// `remote = "http://host:port"`, or `https://` for TLS.
    pub url: String,
    /// `ca`: the certificate authority (PEM) that signed an `https://` remote's certificate;
    /// without it, the system's trusted roots.
    pub ca: Option<PathBuf>,
    /// `timeout-ms`: the longest one call may take, retries included (the caller's own
    /// deadline may cut it shorter).
    pub timeout: Duration,
    /// `retries`: further attempts after the remote answered `UNAVAILABLE` or could not be
    /// reached.
    pub retries: u32,
}

/// Defaults of a remote link.
const DEFAULT_REMOTE_TIMEOUT_MS: u64 = 5_000;
const DEFAULT_REMOTE_RETRIES: u32 = 2;

/// One service of a wos, with paths resolved against the manifest's folder.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// The component file (for a service built from `source`, where the build puts it:
    /// `.parigot/build/NAME.wasm` beside the manifest unless `component` says otherwise).
    pub component: PathBuf,
    /// A shell command that builds `component`, run in the manifest's folder.
    pub build: Option<String>,
    /// The sources the host builds `component` from (`source`, `world`, `wit`).
    pub source: Option<SourceSpec>,
    /// Command-line arguments the guest sees (after its own name).
    pub args: Vec<String>,
    /// Environment variables the guest sees; nothing of the host's environment leaks in.
    pub env: BTreeMap<String, String>,
    /// Explicit choices of provider for imported interfaces.
    pub links: BTreeMap<InterfaceName, ServiceName>,
    /// Imported interfaces bound to another parigot host (`links` entries with `remote`).
    pub remotes: BTreeMap<InterfaceName, RemoteSpec>,
    /// Deadline, memory limit and restart policy (the service's own, else the wos's, else the
    /// built-in defaults).
    pub limits: Limits,
    /// `instances`: how many instances of the service may run at once (each with its own
    /// memory); `1` means one shared instance, its calls queued. Without it, `[serve] pool`
    /// decides ([`Manifest::instances`]).
    pub instances: Option<usize>,
    /// `queue`: how many calls may wait at once for a free instance of the service; past it a
    /// call is refused at once [default: [`DEFAULT_QUEUE`]].
    pub queue: usize,
    /// `[services.NAME.log]` over `[log]`: its log level and rate.
    pub log: LogSettings,
    /// `[services.NAME.sqlite]`: the grant of a database (its migrations and queries paths
    /// resolved).
    pub sqlite: Option<SqliteTable>,
    /// `[services.NAME.files]`: the host folders its guest sees, and where.
    pub files: Vec<FileGrant>,
}

impl ServiceSpec {
    /// Whether the wos grants the service the capability with grant key `key`.
    pub fn granted(&self, key: &str) -> bool {
        match key {
            "sqlite" => self.sqlite.is_some(),
            _ => false,
        }
    }
}

/// A service built by the host from its sources.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSpec {
    /// `source`: the folder of its sources (Rust, Go or Python, told apart by their files).
    pub folder: PathBuf,
    /// `world`: the WIT world it implements (needed for Go and Python).
    pub world: Option<String>,
    /// `wit`: the WIT folder that defines the world [default: `SOURCE/wit`, else a `wit`
    /// folder beside `SOURCE`].
    pub wit: Option<PathBuf>,
}

/// Where the components of services built from `source` go, below the manifest's folder.
pub const BUILD_FOLDER: &str = ".parigot/build";

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(
        "cannot read wos manifest `{path}`: {source}; check the path (a wos is described by a \
         `wos.toml` file)"
    )]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid wos manifest `{path}`: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The file format, exactly as written (before paths are resolved).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawManifest {
    manifest_version: u32,
    name: Option<String>,
    seed: Option<u64>,
    #[serde(default)]
    exports: Vec<InterfaceName>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    log: LogTable,
    #[serde(default)]
    services: BTreeMap<ServiceName, RawService>,
    #[serde(default)]
    tests: BTreeMap<ServiceName, RawService>,
    #[serde(default)]
    mocks: crate::caps::mocks::MockTable,
    #[serde(default)]
    fixtures: BTreeMap<ServiceName, PathBuf>,
    #[serde(default)]
    serve: RawServe,
    #[serde(default)]
    auth: RawAuth,
    #[serde(default)]
    telemetry: TelemetryTable,
    #[serde(default)]
    sim: crate::sim::SimTable,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAuth {
    realm: Option<String>,
    #[serde(default)]
    require_login: Vec<String>,
    peer_secret_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawServe {
    listen: Option<String>,
    pool: Option<usize>,
    max_message_bytes: Option<usize>,
    max_connections: Option<usize>,
    shutdown_grace_ms: Option<u64>,
    tls: Option<RawTls>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: PathBuf,
    key: PathBuf,
}

/// A `links` entry: a service of this wos, or a table naming a remote host.
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a service name, or a table like `{ remote = \"http://127.0.0.1:50051\" }`")]
enum RawLink {
    Service(ServiceName),
    Remote(RawRemote),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRemote {
    remote: String,
    timeout_ms: Option<u64>,
    retries: Option<u32>,
    ca: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawService {
    component: Option<PathBuf>,
    build: Option<String>,
    source: Option<PathBuf>,
    world: Option<String>,
    wit: Option<PathBuf>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    links: BTreeMap<InterfaceName, RawLink>,
    #[serde(default)]
    limits: RawLimits,
    instances: Option<usize>,
    queue: Option<usize>,
    #[serde(default)]
    log: LogTable,
    sqlite: Option<SqliteTable>,
    #[serde(default)]
    files: FilesTable,
}

/// `[limits]` (defaults for every service) and `[services.NAME.limits]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    deadline_ms: Option<u64>,
    memory_mib: Option<u64>,
    restart: Option<RawRestart>,
    max_restarts: Option<u32>,
    restart_backoff_ms: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RawRestart {
    Never,
    OnFailure,
}

/// The most instances of one service (`instances`, `[serve] pool`).
const MAX_INSTANCES: usize = 1024;

/// Calls that may wait for a free instance of a service when its `queue` is not given.
pub const DEFAULT_QUEUE: usize = 128;

/// The most calls that may wait for a free instance of one service (`queue`).
const MAX_QUEUE: usize = 64 * 1024;

/// The most memory of one instance, in MiB (64 GiB: a 32-bit guest cannot use more than 4).
const MAX_MEMORY_MIB: u64 = 64 << 10;

/// The longest duration a key in milliseconds may give: a day.
const MAX_MILLISECONDS: u64 = 24 * 60 * 60 * 1000;

/// The largest request a server may accept (`max-message-bytes`): 1 GiB.
const MAX_MESSAGE_BYTES: usize = 1 << 30;

/// The most retries of a remote link.
const MAX_RETRIES: u32 = 10;

/// `value` if it is at most `max`; else an error that names `key` and the bound.
fn at_most<T: PartialOrd + std::fmt::Display>(key: &str, value: T, max: T) -> Result<T, String> {
    if value > max {
        return Err(format!("`{key} = {value}` is more than the host allows; give at most {max}"));
    }
    Ok(value)
}

/// Restart settings when `max-restarts` (failures in a row) and `restart-backoff-ms` are not
/// given.
const DEFAULT_MAX_RESTARTS: u32 = 5;
const DEFAULT_RESTART_BACKOFF_MS: u64 = 100;

impl Manifest {
    /// Reads and validates the manifest at `path`.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ManifestError::Read { path: path.to_owned(), source })?;
        Self::parse(&text, path)
    }

    /// Parses manifest `text` as if it had been read from `path` (used to resolve paths and to
    /// name the file in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ManifestError> {
        let invalid = |message: String| ManifestError::Invalid { path: path.to_owned(), message };
        let raw: RawManifest = toml::from_str(text).map_err(|e| invalid(describe_toml_error(&e, text)))?;
        if raw.manifest_version != MANIFEST_VERSION {
            return Err(invalid(format!(
                "`manifest-version = {}` is not supported; this parigot-host reads version {}",
                raw.manifest_version, MANIFEST_VERSION
            )));
        }
        if raw.services.is_empty() {
            return Err(invalid(
                "it declares no services; add at least one `[services.NAME]` table with a \
                 `component` path"
                    .into(),
            ));
        }
        let folder = path.parent().unwrap_or(Path::new("."));
        check_links(&raw.services).map_err(invalid)?;
        if let Some(clash) = raw.tests.keys().find(|name| raw.services.contains_key(*name)) {
            return Err(invalid(format!("`{clash}` is both a service and a test; give the test another name")));
        }
        let (wos_limits, wos_log) = (raw.limits, raw.log);
        let resolve_all = |raw: BTreeMap<ServiceName, RawService>, kind: &str| {
            raw.into_iter()
                .map(|(name, service)| {
                    let limits = resolve_limits(&service.limits, &wos_limits)
                        .map_err(|message| invalid(format!("{kind} `{name}`: {message}")))?;
                    let log = LogSettings::resolve(&service.log, &wos_log)
                        .map_err(|message| invalid(format!("{kind} `{name}`: `log`: {message}")))?;
                    let spec = service
                        .resolve(&name, folder, limits, log)
                        .map_err(|m| invalid(format!("{kind} `{name}`: {m}")))?;
                    Ok((name, spec))
                })
                .collect::<Result<BTreeMap<_, _>, ManifestError>>()
        };
        let services = resolve_all(raw.services, "service")?;
        for service in raw.fixtures.keys() {
            if services.get(service).is_none_or(|spec: &ServiceSpec| spec.sqlite.is_none()) {
                return Err(invalid(format!(
                    "`[fixtures]` names `{service}`, which is not a service with a database; fixtures fill the \
                     database of a service granted `sqlite`"
                )));
            }
        }
        let fixtures = raw.fixtures.into_iter().map(|(service, file)| (service, folder.join(file))).collect();
        let tests = resolve_all(raw.tests, "test")?;
        let name = raw.name.unwrap_or_else(|| folder_name(folder));
        let serve = resolve_serve(raw.serve, folder).map_err(invalid)?;
        let auth = resolve_auth(raw.auth, &name, folder).map_err(invalid)?;
        ExportConfig::resolve(&name, &raw.telemetry, &|_| None).map_err(invalid)?;
        let sim = (!raw.sim.is_empty())
            .then(|| raw.sim.resolve(services.keys().map(ServiceName::as_str)))
            .transpose()
            .map_err(invalid)?;
        Ok(Manifest {
            name,
            path: path.to_owned(),
            seed: raw.seed,
            exports: raw.exports,
            services,
            tests,
            mocks: raw.mocks,
            fixtures,
            serve,
            auth,
            telemetry: raw.telemetry,
            sim,
            testing: false,
        })
    }

    /// A wos of one service, `name`, made of the component at `component` with default
    /// settings: how a fused unit (`parigot-host run unit.wasm`) is run.
    pub fn single(name: ServiceName, component: &Path) -> Manifest {
        let spec = ServiceSpec {
            component: component.to_owned(),
            build: None,
            source: None,
            args: Vec::new(),
            env: BTreeMap::new(),
            links: BTreeMap::new(),
            remotes: BTreeMap::new(),
            limits: Limits::default(),
            instances: None,
            queue: DEFAULT_QUEUE,
            log: LogSettings::default(),
            sqlite: None,
            files: Vec::new(),
        };
        Manifest {
            name: name.to_string(),
            path: component.to_owned(),
            seed: None,
            exports: Vec::new(),
            services: BTreeMap::from([(name, spec)]),
            tests: BTreeMap::new(),
            mocks: BTreeMap::new(),
            fixtures: BTreeMap::new(),
            serve: ServeSpec::default(),
            auth: AuthSpec::default(),
            telemetry: TelemetryTable::default(),
            sim: None,
            testing: false,
        }
    }

    /// Whether `[mocks]` lists `import` (any compatible version).
    pub fn mocks(&self, import: &InterfaceName) -> bool {
        crate::caps::mocks::mocks(&self.mocks, import)
    }

    /// This wos with its test components among its services (and still in `tests`), for the
    /// test runner: run by tests ([`Manifest::for_tests`]).
    pub fn with_tests(mut self) -> Manifest {
        self.services.extend(self.tests.clone());
        self.for_tests()
    }

    /// This wos as tests run it (`parigot-host test` and `call`): test-only capabilities (the
    /// mocks, their controls, the test session) may be linked.
    pub fn for_tests(mut self) -> Manifest {
        self.testing = true;
        self
    }

    /// How many instances of service `spec` may run at once: its own `instances`, else
    /// `[serve] pool`.
    pub fn instances(&self, spec: &ServiceSpec) -> usize {
        spec.instances.unwrap_or(self.serve.pool)
    }

    /// Where the wos's data (the services' databases, its users) goes unless `--data-dir`
    /// says otherwise: `.parigot/data` beside the manifest.
    pub fn data_folder(&self) -> PathBuf {
        self.folder().join(DATA_FOLDER)
    }

    /// The folder the manifest lives in; relative paths in it are relative to this folder.
    pub fn folder(&self) -> &Path {
        // `wos.toml` alone has the parent `""`, which no command can run in.
        self.path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."))
    }
}

impl RawService {
    fn resolve(
        self,
        name: &ServiceName,
        folder: &Path,
        limits: Limits,
        log: LogSettings,
    ) -> Result<ServiceSpec, String> {
        let (component, source) = self.component_and_source(name, folder)?;
        let instances = self.instances;
        if instances == Some(0) {
            return Err("`instances = 0` leaves no instance to take its calls; give at least 1".into());
        }
        if let Some(instances) = instances {
            at_most("instances", instances, MAX_INSTANCES)?;
        }
        let queue = at_most("queue", self.queue.unwrap_or(DEFAULT_QUEUE), MAX_QUEUE)?;
        let mut links = BTreeMap::new();
        let mut remotes = BTreeMap::new();
        for (interface, link) in self.links {
            match link {
                RawLink::Service(provider) => {
                    links.insert(interface, provider);
                }
                RawLink::Remote(remote) => {
                    let spec = remote.resolve(folder).map_err(|m| format!("link `{interface}`: {m}"))?;
                    remotes.insert(interface, spec);
                }
            }
        }
        Ok(ServiceSpec {
            component,
            build: self.build,
            source,
            args: self.args,
            env: self.env,
            links,
            remotes,
            limits,
            instances,
            queue,
            log,
            sqlite: self
                .sqlite
                .map(|table| {
                    table.check().map_err(|why| format!("`sqlite`: {why}"))?;
                    Ok::<_, String>(SqliteTable {
                        migrations: table.migrations.map(|m| folder.join(m)),
                        queries: table.queries.map(|q| folder.join(q)),
                        wit: table.wit.map(|w| folder.join(w)),
                        ..table
                    })
                })
                .transpose()?,
            files: crate::caps::files::resolve(self.files, folder)?,
        })
    }
}

impl RawService {
    /// The component file and, for a service built from its sources, where they are.
    fn component_and_source(&self, name: &ServiceName, folder: &Path) -> Result<(PathBuf, Option<SourceSpec>), String> {
        let Some(source) = &self.source else {
            if self.world.is_some() || self.wit.is_some() {
                return Err("`world` and `wit` describe a `source` folder to build from; add `source`".into());
            }
            let component = self.component.as_ref().ok_or(
                "it needs `component` (a `.wasm` component file) or `source` (a folder the host builds it from)",
            )?;
            return Ok((folder.join(component), None));
        };
        if self.build.is_some() {
            return Err(
                "`build` (a command) and `source` (a folder the host builds) are two ways to build it; keep one".into(),
            );
        }
        let source_folder = folder.join(source);
        let wit = match &self.wit {
            Some(wit) => Some(folder.join(wit)),
            None => [source_folder.join("wit"), source_folder.parent().unwrap_or(folder).join("wit")]
                .into_iter()
                .find(|candidate| candidate.is_dir()),
        };
        let component = match &self.component {
            Some(component) => folder.join(component),
            None => folder.join(BUILD_FOLDER).join(format!("{name}.wasm")),
        };
        Ok((component, Some(SourceSpec { folder: source_folder, world: self.world.clone(), wit })))
    }
}

impl RawRemote {
    fn resolve(self, folder: &Path) -> Result<RemoteSpec, String> {
        let (authority, tls) = match (self.remote.strip_prefix("http://"), self.remote.strip_prefix("https://")) {
            (Some(authority), _) => (authority, false),
            (_, Some(authority)) => (authority, true),
            _ => {
                return Err(format!(
                    "`remote = \"{}\"` must be an `http://host:port` (or `https://`) address of a parigot host",
                    self.remote
                ));
            }
        };
        if self.ca.is_some() && !tls {
            return Err(format!("`ca` is for `https://` remotes; `{}` is plain HTTP", self.remote));
        }
        if authority.trim_end_matches('/').rsplit_once(':').is_none_or(|(_, port)| port.parse::<u16>().is_err()) {
            return Err(format!("`remote = \"{}\"` needs a port, as in `http://127.0.0.1:50051`", self.remote));
        }
        Ok(RemoteSpec {
            url: self.remote.trim_end_matches('/').to_owned(),
            ca: self.ca.map(|ca| folder.join(ca)),
            timeout: Duration::from_millis(at_most(
                "timeout-ms",
                self.timeout_ms.unwrap_or(DEFAULT_REMOTE_TIMEOUT_MS),
                MAX_MILLISECONDS,
            )?),
            retries: at_most("retries", self.retries.unwrap_or(DEFAULT_REMOTE_RETRIES), MAX_RETRIES)?,
        })
    }
}

/// `[serve]` with defaults, checked.
fn resolve_serve(raw: RawServe, folder: &Path) -> Result<ServeSpec, String> {
    let listen = match raw.listen {
        Some(text) => Some(
            text.parse()
                .map_err(|_| format!("`[serve]` `listen = \"{text}\"` is not an address like `127.0.0.1:50051`"))?,
        ),
        None => None,
    };
    let pool = raw.pool.unwrap_or(DEFAULT_POOL);
    if pool == 0 {
        return Err("`[serve]` `pool = 0` leaves nothing to serve requests; give at least 1".into());
    }
    at_most("pool", pool, MAX_INSTANCES).map_err(|why| format!("`[serve]` {why}"))?;
    let max_message_bytes = raw.max_message_bytes.unwrap_or(DEFAULT_MAX_MESSAGE_BYTES);
    if max_message_bytes == 0 {
        return Err("`[serve]` `max-message-bytes` must be at least 1".into());
    }
    at_most("max-message-bytes", max_message_bytes, MAX_MESSAGE_BYTES).map_err(|why| format!("`[serve]` {why}"))?;
    let shutdown_grace = match raw.shutdown_grace_ms {
        Some(ms) => Duration::from_millis(
            at_most("shutdown-grace-ms", ms, MAX_MILLISECONDS).map_err(|why| format!("`[serve]` {why}"))?,
        ),
        None => DEFAULT_SHUTDOWN_GRACE,
    };
    let max_connections = raw.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS);
    if max_connections == 0 {
        return Err("`[serve]` `max-connections = 0` would serve no one; give at least 1".into());
    }
    at_most("max-connections", max_connections, MAX_CONNECTIONS).map_err(|why| format!("`[serve]` {why}"))?;
    let tls = raw.tls.map(|tls| TlsFiles { cert: folder.join(tls.cert), key: folder.join(tls.key) });
    Ok(ServeSpec { listen, pool, max_message_bytes, max_connections, shutdown_grace, tls })
}

fn resolve_auth(raw: RawAuth, wos: &str, folder: &Path) -> Result<AuthSpec, String> {
    let plain = |c: char| (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\';
    // The default, the wos's name, may be any folder's name.
    let realm = raw.realm.unwrap_or_else(|| if wos.chars().all(plain) { wos.to_owned() } else { "parigot".to_owned() });
    if realm.is_empty() || !realm.chars().all(plain) {
        return Err(format!(
            "`[auth]` `realm = {realm:?}` must be printable ASCII without quotes or backslashes (it goes in the \
             `WWW-Authenticate` header)"
        ));
    }
    let require_login = raw.require_login.iter().map(|text| LoginRule::parse(text)).collect::<Result<_, _>>()?;
    let peer_secret_file = raw.peer_secret_file.map(|file| folder.join(file));
    Ok(AuthSpec { realm, require_login, peer_secret_file })
}

/// A service's limits: each key from the service's own table, else from the wos's `[limits]`,
/// else the built-in default.
fn resolve_limits(own: &RawLimits, wos: &RawLimits) -> Result<Limits, String> {
    let defaults = Limits::default();
    let deadline = match own.deadline_ms.or(wos.deadline_ms) {
        Some(0) => None,
        Some(ms) => Some(Duration::from_millis(
            at_most("deadline-ms", ms, MAX_MILLISECONDS).map_err(|why| format!("{why} (`0` means no deadline)"))?,
        )),
        None => defaults.deadline,
    };
    let memory = match own.memory_mib.or(wos.memory_mib) {
        Some(0) => return Err("`memory-mib = 0` leaves no memory at all; give a size in MiB".into()),
        Some(mib) => at_most("memory-mib", mib, MAX_MEMORY_MIB)? << 20,
        None => defaults.memory,
    };
    let max_restarts = own.max_restarts.or(wos.max_restarts);
    let backoff_ms = own.restart_backoff_ms.or(wos.restart_backoff_ms);
    if let Some(ms) = backoff_ms {
        at_most("restart-backoff-ms", ms, MAX_MILLISECONDS)?;
    }
    let restart = match own.restart.or(wos.restart).unwrap_or(RawRestart::OnFailure) {
        RawRestart::OnFailure => RestartPolicy::OnFailure {
            max: max_restarts.unwrap_or(DEFAULT_MAX_RESTARTS),
            backoff: Duration::from_millis(backoff_ms.unwrap_or(DEFAULT_RESTART_BACKOFF_MS)),
        },
        RawRestart::Never if max_restarts.is_some() || backoff_ms.is_some() => {
            return Err("`max-restarts` and `restart-backoff-ms` only apply with `restart = \"on-failure\"`".into());
        }
        RawRestart::Never => RestartPolicy::Never,
    };
    Ok(Limits { deadline, memory, restart })
}

/// Every `links` entry must name a service of this wos other than the one it is in.
fn check_links(services: &BTreeMap<ServiceName, RawService>) -> Result<(), String> {
    for (name, service) in services {
        let services_only = service.links.iter().filter_map(|(i, link)| match link {
            RawLink::Service(target) => Some((i, target)),
            RawLink::Remote(_) => None,
        });
        for (interface, target) in services_only {
            if target == name {
                return Err(format!(
                    "service `{name}` links `{interface}` to itself; a service cannot provide its \
                     own imports, name another service"
                ));
            }
            if !services.contains_key(target) {
                let known: Vec<_> = services.keys().map(|s| s.as_str()).collect();
                return Err(format!(
                    "service `{name}` links `{interface}` to `{target}`, which is not a service \
                     of this wos (services: {})",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// Formats a TOML error as one line that starts with the line and column it points at.
fn describe_toml_error(error: &toml::de::Error, text: &str) -> String {
    let message = error.message().trim_end().replace('\n', " ");
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

fn folder_name(folder: &Path) -> String {
    std::fs::canonicalize(folder)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "wos".to_owned())
}

#[cfg(test)]
mod tests;
