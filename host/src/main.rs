//! The `parigot-host` command line. Exit codes are documented in docs/reference/cli.md and
//! defined in [`exit`].

use clap::{Args, Parser, Subcommand};
use parigot_host::caps::log::GUEST_TARGET;
use parigot_host::caps::log::render::{LineFormat, LogFormat};
use parigot_host::caps::sqlite::queries::QuerySet;
use parigot_host::compose::ProgramSettings;
use parigot_host::kernel::{ServiceFailure, console, pulse};
use parigot_host::manifest::{Manifest, ServiceName, ServiceSpec};
use parigot_host::runtime::cache::ComponentCache;
use parigot_host::runtime::engine::HostEngine;
use parigot_host::runtime::{App, BuildPolicy, Determinism, LoadOptions, ProgramOutcome, StartOptions};
use parigot_host::testing::call::AdHocCall;
use parigot_host::users::{Authenticator, PeerSecret, UserStore};
use parigot_host::wire::remote::GrpcRemotes;
use parigot_host::wire::serve::{ServeOptions, Server};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wasmtime::Result;
use wasmtime::bail;
use wasmtime::error::Context;

/// Exit codes of `parigot-host`.
mod exit {
    /// A program returned an error from `run`.
    pub const PROGRAM_FAILED: u8 = 1;
    /// A guest failed: it trapped (a panic, an uncaught exception...), ran past its deadline or
    /// past its memory limit.
    pub const GUEST_FAILED: u8 = 70;
    /// The wos could not be started: bad manifest, missing or invalid component, link error.
    pub const SETUP_FAILED: u8 = 78;
}

#[derive(Parser)]
#[command(name = "parigot-host", version, about = "Runs a wos: WebAssembly component services linked in one process")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Filter of the host's own log lines, e.g. `warn` or `parigot_host=debug` (guests' lines
    /// are filtered by each service's `log.level` in the wos) [default: `info`; `warn` for
    /// `test`, whose report is on stdout].
    #[arg(long, global = true, env = "PARIGOT_LOG")]
    log: Option<String>,
    /// How log lines are written to stderr: `text` (coloured on a terminal unless NO_COLOR is
    /// set) or `json` (one object per line; guests' stdout and stderr lines too).
    #[arg(long, global = true, env = "PARIGOT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Where compiled components are cached [default: ~/.cache/parigot].
    #[arg(long, global = true, env = "PARIGOT_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
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
    /// Write what deploying a wos elsewhere takes (Kubernetes manifests and an OCI image).
    #[command(subcommand)]
    Deploy(DeployCommand),
}

#[derive(Subcommand)]
enum DeployCommand {
    /// Kubernetes manifests and an OCI image for a wos split into groups, one wos file each.
    K8s(K8sArgs),
}

#[derive(Args)]
struct K8sArgs {
    /// The wos files, one per group of services that run together (e.g. `examples/hello/split/*.toml`).
    #[arg(required = true)]
    wos: Vec<PathBuf>,
    /// Where to write `kubernetes.yaml` and the image layout (`image/`).
    #[arg(long, short = 'o', default_value = "k8s")]
    out: PathBuf,
    /// The deployment's name [default: what the groups' names share, e.g. `hello` for `hello-front`…].
    #[arg(long)]
    name: Option<String>,
    /// The image reference the pods run [default: `parigot/NAME:latest`].
    #[arg(long)]
    image: Option<String>,
    /// Replicas of each stateless group (a group with databases always runs one pod).
    #[arg(long, default_value_t = 1)]
    replicas: u32,
}

#[derive(Args)]
struct TestArgs {
    /// The wos manifest (wos.toml) whose `[tests.NAME]` tables name test components.
    wos: PathBuf,
    /// Only the tests whose name (`component::test`) contains this.
    filter: Option<String>,
    /// Also write the results as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// The seed of every test's randomness, to reproduce a run.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Subcommand)]
enum UserCommand {
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
struct UsersArgs {
    /// The wos manifest (wos.toml).
    wos: PathBuf,
    /// Where the wos's data is kept [default: `.parigot/data` beside the wos].
    #[arg(long, value_name = "DIR", env = "PARIGOT_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Args)]
struct OneUserArgs {
    #[command(flatten)]
    users: UsersArgs,
    /// The user's name.
    name: String,
}

#[derive(Args)]
struct QueriesArgs {
    /// The wos manifest (wos.toml).
    wos: PathBuf,
    /// Only these services of the wos.
    #[arg(long = "service", value_name = "NAME")]
    services: Vec<String>,
    /// Write nothing; fail if a generated file is missing or stale (for CI).
    #[arg(long)]
    check: bool,
}

#[derive(Args)]
struct MocksArgs {
    /// The wos manifest (wos.toml) with `[mocks]` and `[tests.NAME]`.
    wos: PathBuf,
    /// Write nothing; fail if a generated file is missing or stale (for CI).
    #[arg(long)]
    check: bool,
}

#[derive(Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["wos", "source"]))]
struct BuildArgs {
    /// The wos manifest whose services to build.
    wos: Option<PathBuf>,
    /// Build only these services of the wos.
    #[arg(long = "service", value_name = "NAME", requires = "wos")]
    services: Vec<String>,
    /// Instead of a wos: the source folder of one component.
    #[arg(long, conflicts_with = "wos", requires = "out")]
    source: Option<PathBuf>,
    /// With --source: the WIT folder that defines its world (Go and Python).
    #[arg(long, requires = "source")]
    wit: Option<PathBuf>,
    /// With --source: the world it implements (Go and Python).
    #[arg(long, requires = "source")]
    world: Option<String>,
    /// With --source: where to write the component.
    #[arg(short, long, requires = "source")]
    out: Option<PathBuf>,
    /// Build services from `source` even when their components are newer than their sources.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct ProtoArgs {
    /// The wos manifest (wos.toml).
    wos: PathBuf,
    /// The folder to write the .proto files to.
    #[arg(short, long)]
    out: PathBuf,
}

#[derive(Args)]
struct ComposeArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Write the fused component here instead of running the wos.
    #[arg(long)]
    emit: Option<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    /// The wos manifest (wos.toml), or a fused unit (a `.wasm` made by `compose --emit`).
    wos: PathBuf,
    /// Run every service's `build` command first, not only for missing components.
    #[arg(long)]
    build: bool,
    /// Environment variable `KEY=VALUE` for a fused unit (a wos sets `env` per service instead).
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    env: Vec<(String, String)>,
    /// Arguments for a fused unit's program, after `--` (a wos sets `args` per service instead).
    #[arg(last = true)]
    program_args: Vec<String>,
    /// Serve the wos's public interfaces over gRPC and Connect on this address (overrides
    /// `[serve] listen`; port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
    /// How many instances of each service may run at once, for services that do not set
    /// their own `instances` (overrides `[serve] pool`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pool: Option<u16>,
    #[command(flatten)]
    start: StartFlags,
}

/// How a wos is started: what `run`, `check`, `compose` and `call` share.
#[derive(Args)]
struct StartFlags {
    /// Virtual clocks and seeded randomness: the same wos prints the same output every run.
    #[arg(long)]
    deterministic: bool,
    /// Seed of the guests' randomness (implies --deterministic) [default: the wos's `seed`, or 0].
    #[arg(long)]
    seed: Option<u64>,
    /// How far the virtual clocks advance on each read, in microseconds (deterministic mode).
    #[arg(long, default_value_t = 1000)]
    clock_step_us: u64,
    /// Interval of the pulse that enforces call deadlines, in milliseconds; 0 turns deadlines off.
    #[arg(long, default_value_t = pulse::DEFAULT_INTERVAL.as_millis() as u64)]
    pulse_ms: u64,
    /// Where the services' databases are kept [default: `.parigot/data` beside the wos].
    #[arg(long, value_name = "DIR", env = "PARIGOT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Run as this user of the wos (`parigot-host user list` shows them): the calls' context
    /// carries it, as a logged-in request's does.
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
}

impl StartFlags {
    /// Whether deterministic mode is asked for.
    fn deterministic(&self) -> bool {
        self.deterministic || self.seed.is_some()
    }

    /// The deterministic-mode settings, if asked for (`manifest_seed` is the wos's `seed`).
    fn determinism(&self, manifest_seed: Option<u64>) -> Option<Determinism> {
        self.deterministic().then(|| Determinism {
            seed: self.seed.or(manifest_seed).unwrap_or(0),
            clock_step: std::time::Duration::from_micros(self.clock_step_us),
        })
    }
}

#[derive(Args)]
struct CallArgs {
    /// The wos manifest (wos.toml).
    wos: PathBuf,
    /// The call, arguments in WAVE: `namespace:package/interface.function(arg, ...)`.
    call: String,
    #[command(flatten)]
    start: StartFlags,
}

impl Command {
    /// How a command that starts a wos starts it.
    fn start_flags(&self) -> Option<&StartFlags> {
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
            | Command::Test(_) => None,
        }
    }
}

/// How long the host waits at exit for its stdout and stderr to be written out.
const CONSOLE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A deterministic run prints the same bytes every time: no timestamps.
    let deterministic = cli.command.start_flags().is_some_and(StartFlags::deterministic);
    let default_filter = if matches!(cli.command, Command::Test(_)) { "warn" } else { "info" };
    init_logging(cli.log.as_deref().unwrap_or(default_filter), cli.log_format, !deterministic);
    match parigot_host::kernel::descriptors::raise_limit() {
        Ok(limit) => tracing::debug!("up to {limit} open descriptors"),
        Err(error) => tracing::warn!("cannot raise the limit on open descriptors: {error}"),
    }
    // A deterministic run's output must not depend on speed: its lines wait for a slow reader
    // rather than being dropped.
    console::set_policy(!deterministic);
    let outcome = run(cli);
    console::drain(CONSOLE_PATIENCE);
    match outcome {
        Ok(code) => code,
        Err(error) => {
            report(&error.to_string(), error.chain().skip(1));
            ExitCode::from(exit::SETUP_FAILED)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let log_format = cli.log_format;
    let cache = cli.cache_dir.map_or_else(ComponentCache::default_dir, Ok).and_then(ComponentCache::open);
    let dev = matches!(cli.command, Command::Dev(_));
    let (args, check_only, emit) = match cli.command {
        Command::Proto(ProtoArgs { wos, out }) => return write_protos(&wos, &out, cache?),
        Command::Build(args) => return build(args),
        Command::Queries(args) => return queries(args),
        Command::Mocks(args) => return mocks(args),
        Command::Deploy(DeployCommand::K8s(args)) => return deploy_k8s(args),
        Command::User(command) => return user(command),
        Command::Call(args) => return call(args, cache?, log_format),
        Command::Test(args) => return test(args, cache?),
        Command::Run(args) | Command::Dev(args) => (args, false, None),
        Command::Compose(ComposeArgs { run, emit }) => (run, false, emit),
        Command::Check(args) => (args, true, None),
    };
    let mut manifest = load_manifest(&args)?;
    if let Some(pool) = args.pool {
        manifest.serve.pool = usize::from(pool);
    }
    let build = match (check_only || emit.is_some(), args.build) {
        (true, true) => bail!("`--build` is for `run`: `check` and `compose --emit` never run build commands"),
        (true, false) => BuildPolicy::Never,
        (false, true) => BuildPolicy::Always,
        (false, false) => BuildPolicy::IfMissing,
    };
    let cache = cache?;
    let (app, peer) = load_app(manifest, args.start.pulse_ms, build, cache.clone())?;
    if check_only {
        print_plan(&app);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(path) = emit {
        let unit = parigot_host::compose::fuse(&app)?;
        std::fs::write(&path, &unit).with_context(|| format!("cannot write `{}`", path.display()))?;
        tracing::info!("fused {} services into {} ({} KiB)", app.services.len(), path.display(), unit.len() / 1024);
        return Ok(ExitCode::SUCCESS);
    }
    let (start, users) = start_options(&app, &args.start, log_format)?;
    let user = args.start.user.clone();
    let serve = &app.manifest.serve;
    let serving = match args.listen.or(serve.listen) {
        Some(listen) => {
            let users = Authenticator::new(users).map_err(|why| wasmtime::format_err!("{why}"))?;
            let users = Some(std::sync::Arc::new(users));
            Some(ServeOptions { listen, max_message_bytes: serve.max_message_bytes, users, peer })
        }
        None => None,
    };
    match (dev, serving) {
        (true, serving) => async_runtime()?.block_on(develop(app, start, serving, user, cache)),
        (false, Some(options)) => async_runtime()?.block_on(serve_wos(app, start, options, user)),
        (false, None) => async_runtime()?.block_on(run_programs(app, start, user)),
    }
}

/// `parigot-host dev`: starts the wos (serving it with `serving`), runs its programs, and
/// until SIGINT or SIGTERM swaps in each service whose sources change, running the programs
/// again after every swap.
async fn develop(
    app: std::sync::Arc<App>,
    start: StartOptions,
    serving: Option<ServeOptions>,
    user: Option<String>,
    cache: ComponentCache,
) -> Result<ExitCode> {
    let signalled = listen_for_signals()?;
    let running = app.start(start).await?;
    let server = match &serving {
        Some(options) => {
            let mut until_signal = signalled.clone();
            let shutdown = async move {
                let _ = until_signal.wait_for(|signalled| *signalled).await;
            };
            let server = Server::start(&running, options, shutdown).await?;
            tracing::info!("listening on http://{} (gRPC and Connect): {}", server.addr, server.services.join(", "));
            Some(server)
        }
        None => None,
    };
    let (reloaded, mut reloads) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(parigot_host::dev::watch(running.clone(), cache, signalled.clone(), reloaded));
    let has_programs = app.services.iter().any(|s| s.is_program());
    if has_programs {
        running.run_programs(user.as_deref()).await;
    }
    let mut until_signal = signalled;
    loop {
        tokio::select! {
            Some(_) = reloads.recv() => {
                if has_programs {
                    running.run_programs_again(user.as_deref()).await;
                }
            }
            _ = until_signal.wait_for(|signalled| *signalled) => break,
        }
    }
    let _ = watcher.await;
    if let Some(server) = server {
        server.finished().await?;
        tracing::info!("stopped serving");
    }
    running.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Loads `manifest` to run it: its remote links (with the deployment's secret, which is
/// returned too, for serving) and the engine with a pulse every `pulse_ms` (0: none).
fn load_app(
    manifest: Manifest,
    pulse_ms: u64,
    build: BuildPolicy,
    cache: ComponentCache,
) -> Result<(std::sync::Arc<App>, Option<PeerSecret>)> {
    let peer = manifest.auth.peer_secret_file.as_deref().map(PeerSecret::load).transpose();
    let peer = peer.map_err(|why| wasmtime::format_err!("{why}"))?;
    let options = LoadOptions { cache, build, remotes: Some(GrpcRemotes::binder(peer.clone())) };
    let pulse = (pulse_ms > 0).then(|| std::time::Duration::from_millis(pulse_ms));
    let app = App::load(manifest, &HostEngine::new(pulse)?, &options)?;
    Ok((app, peer))
}

/// How to start `app` as `flags` say, and its users; an error when `--user` names none of them.
fn start_options(app: &App, flags: &StartFlags, log_format: LogFormat) -> Result<(StartOptions, UserStore)> {
    let data_dir = flags.data_dir.clone().unwrap_or_else(|| app.manifest.data_folder());
    let users = UserStore::new(&data_dir);
    if let Some(name) = &flags.user
        && !users.contains(name).map_err(|why| wasmtime::format_err!("{why}"))?
    {
        bail!("`--user {name}`: wos `{}` has no such user; add it with `parigot-host user add`", app.manifest.name);
    }
    let start = StartOptions {
        determinism: flags.determinism(app.manifest.seed),
        log_format,
        log: None,
        data_dir: Some(data_dir),
    };
    Ok((start, users))
}

/// `parigot-host call`: starts the wos, makes one call, prints each result in WAVE. A guest
/// that fails exits as a failed program does.
fn call(args: CallArgs, cache: ComponentCache, log_format: LogFormat) -> Result<ExitCode> {
    let manifest = Manifest::load(&args.wos)?.for_tests();
    let (app, _) = load_app(manifest, args.start.pulse_ms, BuildPolicy::IfMissing, cache)?;
    let (start, _) = start_options(&app, &args.start, log_format)?;
    let call = AdHocCall::parse(&app, &args.call)?;
    async_runtime()?.block_on(async {
        let running = app.start(start).await?;
        let outcome = call.run(&running, args.start.user.as_deref()).await;
        running.shutdown().await;
        // The guests' own output first, then the results.
        console::drain(CONSOLE_PATIENCE);
        match outcome {
            Ok(results) => {
                for result in results {
                    println!("{result}");
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(error) => {
                report(&error.to_string(), error.chain().skip(1));
                Ok(ExitCode::from(exit::GUEST_FAILED))
            }
        }
    })
}

/// `parigot-host test`: runs the wos's tests, prints a report like `cargo test`'s; exits 1
/// when a test failed.
fn test(args: TestArgs, cache: ComponentCache) -> Result<ExitCode> {
    use parigot_host::testing::runner::{TestOptions, junit, report, run_tests};
    let manifest = Manifest::load(&args.wos)?;
    let tests: Vec<ServiceName> = manifest.tests.keys().cloned().collect();
    if tests.is_empty() {
        bail!("wos `{}` has no tests: add a `[tests.NAME]` table naming a test component", manifest.name);
    }
    let name = manifest.name.clone();
    let pulse = pulse::DEFAULT_INTERVAL.as_millis() as u64;
    let (app, _) = load_app(manifest.with_tests(), pulse, BuildPolicy::IfMissing, cache)?;
    let options = TestOptions { filter: args.filter, seed: args.seed };
    let outcomes = async_runtime()?.block_on(run_tests(&app, &tests, &options))?;
    print!("{}", report(&outcomes));
    if let Some(path) = &args.junit {
        std::fs::write(path, junit(&name, &outcomes)).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let failed = outcomes.iter().any(|outcome| outcome.failure.is_some());
    Ok(if failed { ExitCode::from(exit::PROGRAM_FAILED) } else { ExitCode::SUCCESS })
}

/// The async runtime guest code runs on (on wasmtime fibers) and the server serves from.
fn async_runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// Starts the wos and runs its programs to completion, as `user`.
async fn run_programs(app: std::sync::Arc<App>, start: StartOptions, user: Option<String>) -> Result<ExitCode> {
    let running = app.start(start).await?;
    let outcomes = running.run_programs(user.as_deref()).await;
    let code = exit_code(&outcomes);
    running.shutdown().await;
    Ok(code)
}

/// Serves the wos's public interfaces until SIGINT or SIGTERM, running its programs (if any)
/// once meanwhile, as `user`. After the signal, the calls under way have the wos's shutdown grace period
/// to finish; a second signal exits at once. Exits 0 after a graceful shutdown, unless a
/// program failed.
async fn serve_wos(
    app: std::sync::Arc<App>,
    start: StartOptions,
    options: ServeOptions,
    user: Option<String>,
) -> Result<ExitCode> {
    let signalled = listen_for_signals()?;
    let running = app.start(start).await?;
    let mut until_signal = signalled.clone();
    let shutdown = async move {
        let _ = until_signal.wait_for(|signalled| *signalled).await;
    };
    let server = Server::start(&running, &options, shutdown).await?;
    let scheme = if server.tls { "https" } else { "http" };
    tracing::info!("listening on {scheme}://{} (gRPC and Connect): {}", server.addr, server.services.join(", "));
    let programs = app.services.iter().any(|s| s.is_program()).then(|| {
        let running = running.clone();
        tokio::spawn(async move { running.run_programs(user.as_deref()).await })
    });
    let grace = app.manifest.serve.shutdown_grace;
    let mut after_signal = signalled;
    let grace_over = async move {
        let _ = after_signal.wait_for(|signalled| *signalled).await;
        tokio::time::sleep(grace).await;
    };
    let finish = async {
        server.finished().await?;
        tracing::info!("stopped serving");
        let outcomes = match programs {
            Some(programs) => programs.await?,
            None => Vec::new(),
        };
        let code = exit_code(&outcomes);
        running.shutdown().await;
        Ok(code)
    };
    tokio::select! {
        code = finish => code,
        () = grace_over => {
            tracing::warn!(
                "calls were still under way when the shutdown grace period of {} ended; interrupting them",
                parigot_host::kernel::describe_duration(grace)
            );
            parigot_host::kernel::stop_work_under_way();
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Listens for SIGINT (Ctrl-C) and SIGTERM: the first one sets the returned flag (a graceful
/// shutdown), a second one exits at once.
fn listen_for_signals() -> Result<tokio::sync::watch::Receiver<bool>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let (flag, signalled) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        tracing::info!("{name} received: shutting down (a second signal exits at once)");
        let _ = flag.send(true);
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::warn!("second signal received: exiting at once");
        console::drain(std::time::Duration::from_millis(500));
        std::process::exit(130);
    });
    Ok(signalled)
}

/// `parigot-host proto`: the .proto files of a wos's public interfaces.
fn write_protos(wos: &std::path::Path, out: &std::path::Path, cache: ComponentCache) -> Result<ExitCode> {
    let engine = HostEngine::new(None)?;
    let app = App::load(
        Manifest::load(wos)?,
        &engine,
        &LoadOptions { cache, build: BuildPolicy::Never, remotes: Some(GrpcRemotes::binder(None)) },
    )?;
    for path in parigot_host::wire::write_protos(&app, out)? {
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a wos manifest, or makes a one-service wos of a fused unit (a `.wasm` file), named
/// after the file, with the arguments and environment its wos gave its program (carried in the
/// unit); `--env` adds to or overrides that environment, arguments after `--` replace the
/// arguments.
fn load_manifest(args: &RunArgs) -> Result<Manifest> {
    let path = &args.wos;
    if path.extension().is_none_or(|ext| ext != "wasm") {
        if !args.env.is_empty() || !args.program_args.is_empty() {
            bail!("`--env` and arguments after `--` are for a fused unit; a wos sets `env` and `args` per service");
        }
        return Ok(Manifest::load(path)?);
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default();
    let cleaned: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let name = ServiceName::try_from(cleaned.trim_matches('-').to_owned())
        .or_else(|_| ServiceName::try_from("unit".to_owned()))
        .expect("`unit` is a valid service name");
    let carried = match std::fs::read(path) {
        Ok(bytes) => ProgramSettings::of_unit(&bytes).with_context(|| format!("`{}`", path.display()))?,
        Err(_) => None, // loading reports a missing file with its own advice
    };
    let carried = carried.unwrap_or_default();
    let mut manifest = Manifest::single(name.clone(), path);
    let spec = manifest.services.get_mut(&name).expect("the one service");
    spec.args = if args.program_args.is_empty() { carried.args } else { args.program_args.clone() };
    spec.env = carried.env;
    spec.env.extend(args.env.iter().cloned());
    Ok(manifest)
}

/// Parses `KEY=VALUE`.
fn parse_env(text: &str) -> Result<(String, String), String> {
    text.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| format!("`{text}` is not KEY=VALUE"))
}

/// The process exit code after the programs ran: the first failure decides it.
fn exit_code(outcomes: &[(ServiceName, ProgramOutcome)]) -> ExitCode {
    let mut code = None;
    for (name, outcome) in outcomes {
        let this = match outcome {
            ProgramOutcome::Succeeded => continue,
            ProgramOutcome::ReturnedError => {
                tracing::error!("program `{name}` failed: its `run` returned an error");
                exit::PROGRAM_FAILED
            }
            ProgramOutcome::Exited(status) => {
                tracing::error!("program `{name}` exited with status {status}");
                u8::try_from(*status).unwrap_or(exit::PROGRAM_FAILED)
            }
            ProgramOutcome::Failed(error) => {
                let culprit = match error.downcast_ref::<ServiceFailure>() {
                    Some(failure) if failure.service == name.as_str() => failure.to_string(),
                    Some(failure) => format!("{failure} (called by program `{name}`)"),
                    None => format!("program `{name}` failed"),
                };
                let causes = error.chain().filter(|cause| !cause.is::<ServiceFailure>());
                report(&culprit_hint(culprit), causes);
                exit::GUEST_FAILED
            }
        };
        code.get_or_insert(this);
    }
    code.map_or(ExitCode::SUCCESS, ExitCode::from)
}

fn culprit_hint(culprit: String) -> String {
    format!("{culprit}; the host is unharmed, the failed service was stopped and what it held released")
}

/// Prints an error and its causes, one per line. Wasm backtraces are long and rarely what a
/// user needs first: they are shown with `--log debug`.
fn report<'a>(headline: &str, causes: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>) {
    eprintln!("error: {headline}");
    let show_backtraces = tracing::enabled!(tracing::Level::DEBUG);
    let mut hidden_backtraces = false;
    for cause in causes {
        let text = cause.to_string();
        if text.starts_with(WASM_BACKTRACE) && !show_backtraces {
            hidden_backtraces = true;
            continue;
        }
        eprintln!("  caused by: {}", text.replace('\n', "\n    "));
    }
    if hidden_backtraces {
        eprintln!("  (run with `--log debug` to see the wasm backtrace)");
    }
}

/// How wasmtime introduces a wasm backtrace in an error chain.
const WASM_BACKTRACE: &str = "error while executing at wasm backtrace";

/// `parigot-host build`: the services of a wos that name their `source`, or one component.
fn build(args: BuildArgs) -> Result<ExitCode> {
    if let (Some(source), Some(out)) = (args.source, args.out) {
        let service = source.file_name().map_or_else(|| "component".to_owned(), |n| n.to_string_lossy().into_owned());
        let recipe = parigot_host::build::Recipe {
            service,
            source,
            wit: args.wit,
            world: args.world,
            packages: Vec::new(),
            out,
        };
        recipe.build()?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = args.wos.expect("clap requires a wos or --source");
    // The test components too: `build` prepares everything `test` runs.
    let manifest = Manifest::load(&path)?.with_tests();
    let mut built = 0;
    for (name, spec) in chosen_services(&manifest, &args.services)? {
        if spec.source.is_some() || spec.build.is_some() {
            parigot_host::runtime::build_service(&manifest, name, spec, args.force)?;
            built += 1;
        }
    }
    if built == 0 {
        tracing::info!("no service of wos `{}` has a `source` or a `build` command: nothing to build", manifest.name);
    }
    Ok(ExitCode::SUCCESS)
}

/// The services of `manifest` named in `wanted` (all of them if it is empty), in manifest
/// order; a name the wos lacks is an error.
fn chosen_services<'m>(manifest: &'m Manifest, wanted: &[String]) -> Result<Vec<(&'m ServiceName, &'m ServiceSpec)>> {
    for name in wanted {
        if !manifest.services.keys().any(|known| known.as_str() == name) {
            let known: Vec<&str> = manifest.services.keys().map(|n| n.as_str()).collect();
            bail!("wos `{}` has no service `{name}` (services: {})", manifest.name, known.join(", "));
        }
    }
    let chosen = |name: &ServiceName| wanted.is_empty() || wanted.iter().any(|s| s == name.as_str());
    Ok(manifest.services.iter().filter(|(name, _)| chosen(name)).collect())
}

/// `parigot-host queries`: writes (or with `--check`, checks) the WIT of the services' typed
/// queries.
fn queries(args: QueriesArgs) -> Result<ExitCode> {
    let manifest = Manifest::load(&args.wos)?;
    let mut stale = Vec::new();
    // Services may share a queries file: each file once, and only with one text.
    let mut generated: BTreeMap<PathBuf, (&ServiceName, String)> = BTreeMap::new();
    for (name, spec) in chosen_services(&manifest, &args.services)? {
        let Some(table) = &spec.sqlite else { continue };
        let set = QuerySet::generate(name.as_str(), table)
            .map_err(|why| wasmtime::format_err!("cannot generate the typed queries of service `{name}`: {why}"))?;
        let Some(set) = set else { continue };
        if let Some((first, wit)) = generated.get(&set.wit_path) {
            if *wit != set.wit {
                bail!(
                    "services `{first}` and `{name}` share the queries file of {} but generate different WIT from it \
                     (another `package`, or other migrations); give each its own queries file, or the same settings",
                    set.wit_path.display()
                );
            }
            continue;
        }
        generated.insert(set.wit_path.clone(), (name, set.wit.clone()));
        let wrote = format!("wrote {} queries of service `{name}` as `{}`", set.queries.len(), set.interface);
        if sync_generated(&set.wit_path, &set.wit, args.check, &wrote)? {
            stale.push(set.wit_path.display().to_string());
        }
    }
    if generated.is_empty() {
        tracing::info!("no service of wos `{}` has typed queries (`[services.NAME.sqlite] queries`)", manifest.name);
    }
    if !stale.is_empty() {
        bail!("stale generated queries WIT: {}; run `parigot-host queries {}`", stale.join(", "), args.wos.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the generated file `path` with `text` (with `check`, only compares), printing a line
/// on what it found (`wrote` when it wrote); whether it is stale (only with `check`).
fn sync_generated(path: &Path, text: &str, check: bool, wrote: &str) -> Result<bool> {
    let shown = path.display();
    if check {
        let current = std::fs::read_to_string(path).is_ok_and(|on_disk| on_disk == text);
        println!("{shown}: {}", if current { "up to date" } else { "stale" });
        return Ok(!current);
    }
    let written = parigot_host::build::write_if_changed(path, text).map_err(|why| wasmtime::format_err!("{why}"))?;
    println!("{shown}: {}", if written { wrote } else { "up to date" });
    Ok(false)
}

/// `parigot-host mocks`: writes (or with `--check`, checks) the typed control WIT of the wos's
/// mocks in each of its tests' WIT folders.
fn mocks(args: MocksArgs) -> Result<ExitCode> {
    let manifest = Manifest::load(&args.wos)?;
    if manifest.mocks.is_empty() {
        println!("wos `{}` mocks nothing (no `[mocks]`): nothing to generate", manifest.name);
        return Ok(ExitCode::SUCCESS);
    }
    let mut generated: BTreeMap<PathBuf, String> = BTreeMap::new();
    for (name, spec) in &manifest.tests {
        let found = parigot_host::caps::mocks::control::for_test(&manifest, spec)
            .map_err(|why| wasmtime::format_err!("cannot generate the mock control WIT of test `{name}`: {why}"))?;
        if let Some((path, text)) = found {
            generated.insert(path, text);
        }
    }
    let mut stale = Vec::new();
    let wrote = format!("wrote the control of {} mocked interfaces", manifest.mocks.len());
    for (path, text) in &generated {
        if sync_generated(path, text, args.check, &wrote)? {
            stale.push(path.display().to_string());
        }
    }
    if !stale.is_empty() {
        bail!(
            "stale generated mock control WIT: {}; run `parigot-host mocks {}`",
            stale.join(", "),
            args.wos.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `parigot-host deploy k8s`: writes the manifests and the image of a wos split into groups.
fn deploy_k8s(args: K8sArgs) -> Result<ExitCode> {
    use parigot_host::deploy::{k8s, write_k8s};
    let failed = |why: String| wasmtime::format_err!("cannot deploy to Kubernetes: {why}");
    let request = k8s::Request { name: args.name, image: args.image, replicas: args.replicas };
    let plan = k8s::Plan::new(&args.wos, request).map_err(failed)?;
    let host = std::env::current_exe().map_err(|e| failed(format!("cannot find this host's binary: {e}")))?;
    let written = write_k8s(&plan, &host, &args.out).map_err(failed)?;
    println!("{}: {}", written.manifests.display(), written.objects.join(", "));
    println!("{}: image {} ({})", written.image.display(), plan.options.image, written.digest);
    Ok(ExitCode::SUCCESS)
}

/// `parigot-host user`: changes or lists the users of a wos.
fn user(command: UserCommand) -> Result<ExitCode> {
    let store = |args: &UsersArgs| -> Result<UserStore> {
        let manifest = Manifest::load(&args.wos)?;
        Ok(UserStore::new(&args.data_dir.clone().unwrap_or_else(|| manifest.data_folder())))
    };
    let failed = |why: String| wasmtime::format_err!("{why}");
    match command {
        UserCommand::Add(args) => {
            let users = store(&args.users)?;
            parigot_host::users::check_name(&args.name).map_err(failed)?;
            users.add(&args.name, &read_password(&args.name)?).map_err(failed)?;
            tracing::info!("added user `{}` to {}", args.name, users.path().display());
        }
        UserCommand::Passwd(args) => {
            let users = store(&args.users)?;
            if !users.contains(&args.name).map_err(failed)? {
                bail!("there is no user `{}`; `parigot-host user list` shows the users", args.name);
            }
            users.set_password(&args.name, &read_password(&args.name)?).map_err(failed)?;
            tracing::info!("changed the password of user `{}`", args.name);
        }
        UserCommand::Remove(args) => {
            store(&args.users)?.remove(&args.name).map_err(failed)?;
            tracing::info!("removed user `{}`", args.name);
        }
        UserCommand::List(args) => {
            for name in store(&args)?.list().map_err(failed)? {
                println!("{name}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A new password for user `name`: asked twice without echo on a terminal, else stdin's first
/// line. Never from the command line, where other users of the machine could read it.
fn read_password(name: &str) -> Result<String> {
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("password for `{name}`: "))?;
        let second = rpassword::prompt_password("the same password again: ")?;
        if first != second {
            bail!("the two passwords differ; nothing was changed");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("cannot read the password from stdin")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

fn print_plan(app: &App) {
    println!("wos `{}`: {} services", app.manifest.name, app.services.len());
    for (position, service) in app.services.iter().enumerate() {
        let kind = if service.is_program() { "program" } else { "server" };
        println!("{:>3}. {} ({kind})", position + 1, service.name);
        for link in app.plan.links.iter().filter(|l| l.consumer == service.name) {
            println!("       imports {} from {}", link.import, link.provider);
        }
    }
}

/// Logs to stderr through parigot's line format. `filter` applies to the host's own lines;
/// guests' lines always pass it (each service's `log.level` filters them).
fn init_logging(filter: &str, format: LogFormat, timestamps: bool) {
    let guests = format!("{GUEST_TARGET}=trace");
    let filter = tracing_subscriber::EnvFilter::try_new(format!("{filter},{guests}")).unwrap_or_else(|error| {
        eprintln!("warning: ignoring invalid log filter `{filter}`: {error}");
        tracing_subscriber::EnvFilter::new(format!("info,{guests}"))
    });
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    let colour = format == LogFormat::Text && std::io::IsTerminal::is_terminal(&std::io::stderr()) && !no_color;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(parigot_host::kernel::console::StderrLines::default())
        .event_format(LineFormat { format, timestamps, colour })
        .init();
}
