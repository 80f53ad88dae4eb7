//! The command line's arguments: the commands and their flags (clap derive).

use clap::{Args, Parser, Subcommand};
use parigot_host::caps::log::render::LogFormat;
use parigot_host::kernel::pulse;
use parigot_host::runtime::Determinism;
use std::path::PathBuf;
use wasmtime::Result;

#[derive(Parser)]
#[command(name = "parigot-host", version, about = "Runs a wos: WebAssembly component services linked in one process")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Filter of the host's own log lines, e.g. `warn` or `parigot_host=debug` (guests' lines
    /// are filtered by each service's `log.level` in the wos) [default: `info`; `warn` for
    /// `test`, whose report is on stdout].
    #[arg(long, global = true, env = "PARIGOT_LOG")]
    pub(crate) log: Option<String>,
    /// How log lines are written to stderr: `text` (coloured on a terminal unless NO_COLOR is
    /// set) or `json` (one object per line; guests' stdout and stderr lines too).
    #[arg(long, global = true, env = "PARIGOT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    /// Show toolchains' messages as they are (their backtraces, the scratch copies' paths).
    #[arg(long, global = true)]
    pub(crate) verbose: bool,
    /// Where compiled components are cached [default: ~/.cache/parigot].
    #[arg(long, global = true, env = "PARIGOT_CACHE_DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Start every service of a wos and run its programs to completion.
    Run(RunArgs),
    /// Run a wos (served if it serves) and, on every change to a service's sources or WIT,
    /// rebuild that service and swap it in while the others keep running and keep their state.
    Dev(RunArgs),
    /// Fuse the services of a wos into one component with `--emit`; without it, the same as `run`.
    Compose(ComposeArgs),
    /// Load and link a wos without running it, and print its start-up plan.
    Check(RunArgs),
    /// Write the .proto files of a wos's public interfaces (gRPC services).
    Proto(ProtoArgs),
    /// Build the services of a wos that name their `source` (Rust, Go or Python), or one
    /// component from a source folder.
    Build(BuildArgs),
    /// Generate the WIT of the services' typed queries (`[services.NAME.sqlite] queries`).
    Queries(QueriesArgs),
    /// Generate the typed control WIT of the wos's mocks (`[mocks]`) into its tests' WIT folders.
    Mocks(MocksArgs),
    /// Keep the users of a wos: who may log in at its served ports.
    #[command(subcommand)]
    User(UserCommand),
    /// Call one function a service of the wos exports, arguments and results in WAVE.
    Call(CallArgs),
    /// Run the tests of a wos's test components (`[tests.NAME]`), deterministically.
    Test(TestArgs),
    /// Start a project in a new folder (a wos, its WIT, a first service and its tests), or add a
    /// service to the project here (`new service NAME`).
    New(NewArgs),
    /// Write parigot's WIT packages into a project's `wit/deps/`, and its Rust SDK into
    /// `.parigot/sdk/rust`, as this host has them (after updating parigot-host).
    Sdk(SdkArgs),
    /// Write what deploying a wos elsewhere takes (Kubernetes manifests and an OCI image).
    #[command(subcommand)]
    Deploy(DeployCommand),
}

#[derive(Subcommand)]
pub(crate) enum DeployCommand {
    /// Kubernetes manifests and an OCI image for a wos split into groups, one wos file each.
    K8s(K8sArgs),
}

#[derive(Args)]
pub(crate) struct K8sArgs {
    /// The wos files, one per group of services that run together (e.g. `examples/hello/split/*.toml`).
    #[arg(required = true)]
    pub(crate) wos: Vec<PathBuf>,
    /// Where to write `kubernetes.yaml` and the image layout (`image/`).
    #[arg(long, short = 'o', default_value = "k8s")]
    pub(crate) out: PathBuf,
    /// The deployment's name [default: what the groups' names share, e.g. `hello` for `hello-front`…].
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// The image reference the pods run [default: `parigot/NAME:latest`].
    #[arg(long)]
    pub(crate) image: Option<String>,
    /// Replicas of each stateless group (a group with databases always runs one pod).
    #[arg(long, default_value_t = 1)]
    pub(crate) replicas: u32,
}

#[derive(Args)]
pub(crate) struct TestArgs {
    /// Wos manifests whose `[tests.NAME]` tables name test components, or folders: every
    /// wos.toml below a folder that has tests. All of them are one run.
    #[arg(required = true, value_name = "WOS_OR_FOLDER")]
    pub(crate) paths: Vec<PathBuf>,
    /// Only the tests whose name (`component::test`) contains this.
    #[arg(long)]
    pub(crate) filter: Option<String>,
    /// After the run, run again whenever a source of a service or a test changes (until
    /// Ctrl-C).
    #[arg(long)]
    pub(crate) watch: bool,
    /// Also write the results as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// The seed of every test's randomness, to reproduce a run; with `--sim`, of the first run
    /// (run N has seed SEED+N-1).
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Run each test many times under the faults the wos's `[sim]` table names, each run from
    /// its own seed, until one fails; print its seed and faults, replay and shrink it.
    #[arg(long)]
    pub(crate) sim: bool,
    /// With `--sim`: how many runs each test gets [default: `[sim] runs`, else 100].
    #[arg(long, requires = "sim")]
    pub(crate) runs: Option<u64>,
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Add a user. The password is asked twice on a terminal, else read from stdin's first line.
    Add(OneUserArgs),
    /// Change a user's password (read as for `add`).
    Passwd(OneUserArgs),
    /// Remove a user.
    Remove(OneUserArgs),
    /// List the users.
    List(UsersArgs),
}

#[derive(Args)]
pub(crate) struct UsersArgs {
    /// The wos manifest (wos.toml).
    pub(crate) wos: PathBuf,
    /// Where the wos's data is kept [default: `.parigot/data` beside the wos].
    #[arg(long, value_name = "DIR", env = "PARIGOT_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct OneUserArgs {
    #[command(flatten)]
    pub(crate) users: UsersArgs,
    /// The user's name.
    pub(crate) name: String,
}

#[derive(Args)]
pub(crate) struct QueriesArgs {
    /// The wos manifest (wos.toml).
    pub(crate) wos: PathBuf,
    /// Only these services of the wos.
    #[arg(long = "service", value_name = "NAME")]
    pub(crate) services: Vec<String>,
    /// Write nothing; fail if a generated file is missing or stale (for CI).
    #[arg(long)]
    pub(crate) check: bool,
}

#[derive(Args)]
pub(crate) struct MocksArgs {
    /// The wos manifest (wos.toml) with `[mocks]` and `[tests.NAME]`.
    pub(crate) wos: PathBuf,
    /// Write nothing; fail if a generated file is missing or stale (for CI).
    #[arg(long)]
    pub(crate) check: bool,
}

#[derive(Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["wos", "source"]))]
pub(crate) struct BuildArgs {
    /// The wos manifest whose services to build.
    pub(crate) wos: Option<PathBuf>,
    /// Build only these services of the wos.
    #[arg(long = "service", value_name = "NAME", requires = "wos")]
    pub(crate) services: Vec<String>,
    /// Instead of a wos: the source folder of one component.
    #[arg(long, conflicts_with = "wos", requires = "out")]
    pub(crate) source: Option<PathBuf>,
    /// With --source: the WIT folder that defines its world (Go and Python).
    #[arg(long, requires = "source")]
    pub(crate) wit: Option<PathBuf>,
    /// With --source: the world it implements (Go and Python).
    #[arg(long, requires = "source")]
    pub(crate) world: Option<String>,
    /// With --source: where to write the component.
    #[arg(short, long, requires = "source")]
    pub(crate) out: Option<PathBuf>,
    /// Build services from `source` even when their components are newer than their sources.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Args)]
pub(crate) struct ProtoArgs {
    /// The wos manifest (wos.toml).
    pub(crate) wos: PathBuf,
    /// The folder to write the .proto files to.
    #[arg(short, long)]
    pub(crate) out: PathBuf,
}

#[derive(Args)]
pub(crate) struct ComposeArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// Write the fused component here instead of running the wos.
    #[arg(long)]
    pub(crate) emit: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct RunArgs {
    /// The wos manifest (wos.toml), or a fused unit (a `.wasm` made by `compose --emit`).
    pub(crate) wos: PathBuf,
    /// Run every service's `build` command first, not only for missing components.
    #[arg(long)]
    pub(crate) build: bool,
    /// Environment variable `KEY=VALUE` for a fused unit (a wos sets `env` per service instead).
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub(crate) env: Vec<(String, String)>,
    /// Arguments for a fused unit's program, after `--` (a wos sets `args` per service instead).
    #[arg(last = true)]
    pub(crate) program_args: Vec<String>,
    /// Serve the wos's public interfaces over gRPC and Connect on this address (overrides
    /// `[serve] listen`; port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<std::net::SocketAddr>,
    /// Serve the host's metrics (Prometheus's text format, at `/metrics`) on this loopback
    /// address (port 0 picks a free port), beside the served interfaces.
    #[arg(long, value_name = "ADDR")]
    pub(crate) admin: Option<std::net::SocketAddr>,
    /// Serve the dashboard (the wos as a picture, its services' state, latencies, traces,
    /// logs, a call form) on this loopback address (port 0 picks a free port). `dev` serves
    /// it always, at 127.0.0.1:9400 unless told otherwise (or a free port if that one is
    /// taken).
    #[arg(long, value_name = "ADDR")]
    pub(crate) dashboard: Option<std::net::SocketAddr>,
    /// How many instances of each service may run at once, for services that do not set
    /// their own `instances` (overrides `[serve] pool`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) pool: Option<u16>,
    /// `dev`: run the wos's programs again after every swap (by default they run once, at
    /// the start).
    #[arg(long)]
    pub(crate) rerun_programs: bool,
    #[command(flatten)]
    pub(crate) start: StartFlags,
}

/// How a wos is started: what `run`, `check`, `compose` and `call` share.
#[derive(Args)]
pub(crate) struct StartFlags {
    /// Virtual clocks and seeded randomness: the same wos prints the same output every run.
    #[arg(long)]
    pub(crate) deterministic: bool,
    /// Seed of the guests' randomness (implies --deterministic) [default: the wos's `seed`, or 0].
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// How far the virtual clocks advance on each read, in microseconds (deterministic mode).
    #[arg(long, default_value_t = 1000)]
    pub(crate) clock_step_us: u64,
    /// Interval of the pulse that enforces call deadlines, in milliseconds; 0 turns deadlines off.
    #[arg(long, default_value_t = pulse::DEFAULT_INTERVAL.as_millis() as u64)]
    pub(crate) pulse_ms: u64,
    /// Where the services' databases are kept [default: `.parigot/data` beside the wos].
    #[arg(long, value_name = "DIR", env = "PARIGOT_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Run as this user of the wos (`parigot-host user list` shows them): the calls' context
    /// carries it, as a logged-in request's does.
    #[arg(long, value_name = "NAME")]
    pub(crate) user: Option<String>,
}

impl StartFlags {
    /// Whether deterministic mode is asked for.
    pub(crate) fn deterministic(&self) -> bool {
        self.deterministic || self.seed.is_some()
    }

    /// The deterministic-mode settings, if asked for (`manifest_seed` is the wos's `seed`).
    pub(crate) fn determinism(&self, manifest_seed: Option<u64>) -> Option<Determinism> {
        self.deterministic().then(|| Determinism {
            seed: self.seed.or(manifest_seed).unwrap_or(0),
            clock_step: std::time::Duration::from_micros(self.clock_step_us),
        })
    }
}

#[derive(Args)]
pub(crate) struct CallArgs {
    /// The wos manifest (wos.toml).
    pub(crate) wos: PathBuf,
    /// The call, arguments in WAVE: `namespace:package/interface.function(arg, ...)`.
    pub(crate) call: String,
    #[command(flatten)]
    pub(crate) start: StartFlags,
}

impl Command {
    /// How a command that starts a wos starts it.
    pub(crate) fn start_flags(&self) -> Option<&StartFlags> {
        match self {
            Command::Run(args) | Command::Dev(args) | Command::Check(args) => Some(&args.start),
            Command::Compose(compose) => Some(&compose.run.start),
            Command::Call(args) => Some(&args.start),
            Command::Proto(_)
            | Command::Build(_)
            | Command::Queries(_)
            | Command::Mocks(_)
            | Command::Deploy(_)
            | Command::User(_)
            | Command::New(_)
            | Command::Sdk(_)
            | Command::Test(_) => None,
        }
    }
}

/// Parses `KEY=VALUE`.
pub(crate) fn parse_env(text: &str) -> Result<(String, String), String> {
    text.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| format!("`{text}` is not KEY=VALUE"))
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct NewArgs {
    #[command(subcommand)]
    pub(crate) command: Option<NewCommand>,
    /// The project's folder, which is created: its name is the project's (and its WIT package's,
    /// `NAME:api`), lowercase words joined by `-`.
    #[arg(required = true)]
    pub(crate) folder: Option<PathBuf>,
    /// The first service's name.
    #[arg(long, default_value = "greeter")]
    pub(crate) service: String,
    #[command(flatten)]
    pub(crate) shape: ServiceShape,
}

#[derive(Subcommand)]
pub(crate) enum NewCommand {
    /// Add a service, with its WIT and its tests, to the project of a wos.
    Service(NewServiceArgs),
}

#[derive(Args)]
pub(crate) struct NewServiceArgs {
    /// The service's name: lowercase words joined by `-` (`order-book`).
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) shape: ServiceShape,
    /// The project's wos.
    #[arg(long, default_value = "wos.toml")]
    pub(crate) wos: PathBuf,
}

/// What kind of service `new` writes.
#[derive(Args)]
pub(crate) struct ServiceShape {
    /// The language of its sources.
    #[arg(long, value_enum, default_value_t = Lang::Rust)]
    pub(crate) lang: Lang,
    /// Give it a database, with a first migration and typed queries.
    #[arg(long)]
    pub(crate) sqlite: bool,
    /// Make it a program (run once at the start) rather than a server.
    #[arg(long)]
    pub(crate) program: bool,
}

/// A guest language, as `--lang` names it.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Lang {
    Rust,
    Go,
    Python,
    #[value(name = "js", alias = "javascript")]
    JavaScript,
    #[value(name = "ts", alias = "typescript")]
    TypeScript,
}

#[derive(Args)]
pub(crate) struct SdkArgs {
    /// The project's wos; its `wit/deps/` and `.parigot/sdk/rust` are written.
    #[arg(default_value = "wos.toml")]
    pub(crate) wos: PathBuf,
}
