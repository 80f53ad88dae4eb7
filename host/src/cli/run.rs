//! `run`, `check`, `compose` and `dev`: a wos started, served or watched, and its programs
//! run; the signals that stop it.

use parigot_host::caps::log::render::LogFormat;
use parigot_host::compose::ProgramSettings;
use parigot_host::dashboard::{self, DashboardOptions};
use parigot_host::kernel::console;
use parigot_host::manifest::Manifest;
use parigot_host::names::ServiceName;
use parigot_host::runtime::cache::ComponentCache;
use parigot_host::runtime::{App, BuildPolicy, StartOptions};
use parigot_host::telemetry::recent::Recent;
use parigot_host::users::Authenticator;
use parigot_host::wire::serve::{ServeOptions, Server};
use std::process::ExitCode;
use wasmtime::Result;
use wasmtime::bail;
use wasmtime::error::Context;

use super::*;

/// What `run_wos` does with the wos.
pub(crate) enum Mode {
    /// Start it and run its programs, serving it if it serves (`run`, `compose` without
    /// `--emit`).
    Run,
    /// As `Run`, rebuilding and swapping in a service whose sources change (`dev`).
    Dev,
    /// Load and link it only, and print the plan (`check`).
    Check,
    /// Fuse it into one component at this path (`compose --emit`).
    Fuse(std::path::PathBuf),
}

/// `run`, `dev`, `check` and `compose`: loads the wos `args` names and does with it what
/// `mode` says, compiling with `cache`.
pub(crate) fn run_wos(
    args: RunArgs,
    mode: Mode,
    cache: Result<ComponentCache>,
    log_format: LogFormat,
) -> Result<ExitCode> {
    let mut manifest = load_manifest(&args)?;
    if let Some(pool) = args.pool {
        manifest.serve.pool = usize::from(pool);
    }
    let build = match (matches!(mode, Mode::Check | Mode::Fuse(_)), args.build) {
        (true, true) => bail!("`--build` is for `run`: `check` and `compose --emit` never run build commands"),
        (true, false) => BuildPolicy::Never,
        (false, true) => BuildPolicy::Always,
        (false, false) => BuildPolicy::IfMissing,
    };
    let cache = cache?;
    let edits = matches!(mode, Mode::Dev);
    let (app, peer) = load_app(manifest, args.start.pulse_ms, build, cache.clone(), edits)?;
    if let Mode::Fuse(path) = &mode {
        let unit = parigot_host::compose::fuse(&app)?;
        std::fs::write(path, &unit).with_context(|| format!("cannot write `{}`", path.display()))?;
        tracing::info!("fused {} services into {} ({} KiB)", app.services.len(), path.display(), unit.len() / 1024);
        return Ok(ExitCode::SUCCESS);
    }
    let (mut start, users) = start_options(&app, &args.start, log_format)?;
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
    if let Mode::Check = mode {
        // Everything `run` checks before it starts, short of listening.
        if let Some(options) = &serving {
            Server::check(&app, options)?;
        }
        print_plan(&app);
        return Ok(ExitCode::SUCCESS);
    }
    if args.admin.is_some() && serving.is_none() {
        bail!("`--admin` serves the metrics of a served wos: serve it too (`--listen ADDR` or `[serve] listen`)");
    }
    let dev = matches!(mode, Mode::Dev);
    if args.dashboard.is_some() && serving.is_none() && !dev {
        bail!(
            "`--dashboard` shows a wos while it runs: serve it (`--listen ADDR` or `[serve] listen`), or use `dev`, \
             which keeps it running"
        );
    }
    let dashboard = (args.dashboard.is_some() || dev).then(|| {
        let recent = std::sync::Arc::new(Recent::default());
        start.recent = Some(recent.clone());
        let tables = dev.then(|| start.data_dir.clone()).flatten();
        (DashboardOptions { listen: args.dashboard.unwrap_or(DEV_DASHBOARD.into()), tables }, recent)
    });
    let sidecars = Sidecars { admin: args.admin, dashboard, dashboard_fallback: dev && args.dashboard.is_none() };
    match (mode, serving) {
        (Mode::Dev, serving) => {
            let runtime = async_runtime()?;
            let code = runtime.block_on(develop(app, start, serving, sidecars, user, cache, args.rerun_programs));
            // A rebuild or compile abandoned at the stop may still be on a blocking thread:
            // the process does not wait for it.
            runtime.shutdown_background();
            code
        }
        (_, Some(options)) => async_runtime()?.block_on(serve_wos(app, start, options, sidecars, user)),
        (_, None) => {
            let runtime = async_runtime()?;
            let code = runtime.block_on(run_programs(app, start, user));
            // The process exits next: its idle worker threads go with it.
            runtime.shutdown_background();
            code
        }
    }
}

/// Where `dev` serves its dashboard unless told otherwise.
const DEV_DASHBOARD: ([u8; 4], u16) = ([127, 0, 0, 1], 9400);

/// What is served beside the wos's interfaces: the admin listener (metrics) and the dashboard
/// (with the store of the latest spans and log lines it shows).
pub(crate) struct Sidecars {
    admin: Option<std::net::SocketAddr>,
    dashboard: Option<(DashboardOptions, std::sync::Arc<Recent>)>,
    /// Whether the dashboard may move to a free port when its own is taken (`dev`'s default).
    dashboard_fallback: bool,
}

impl Sidecars {
    /// Starts them, each until the signal.
    async fn start(
        self,
        running: &parigot_host::runtime::Running,
        signalled: &tokio::sync::watch::Receiver<bool>,
    ) -> Result<()> {
        let until_signal = || {
            let mut until_signal = signalled.clone();
            async move {
                let _ = until_signal.wait_for(|signalled| *signalled).await;
            }
        };
        if let Some(listen) = self.admin {
            parigot_host::telemetry::admin::start(listen, running.clone(), until_signal()).await?;
        }
        if let Some((options, recent)) = self.dashboard {
            let tables = options.tables.clone();
            let started = dashboard::start(options, running.clone(), recent.clone(), until_signal()).await;
            if let Err(error) = started {
                if !self.dashboard_fallback {
                    return Err(error);
                }
                let anywhere = DashboardOptions { listen: (DEV_DASHBOARD.0, 0).into(), tables };
                dashboard::start(anywhere, running.clone(), recent, until_signal()).await?;
            }
        }
        Ok(())
    }
}

/// `parigot-host dev`: starts the wos (serving it with `serving`), runs its programs, and
/// until SIGINT or SIGTERM swaps in each service whose sources change, running the programs
/// again after every swap.
pub(crate) async fn develop(
    app: std::sync::Arc<App>,
    start: StartOptions,
    serving: Option<ServeOptions>,
    sidecars: Sidecars,
    user: Option<String>,
    cache: ComponentCache,
    rerun_programs: bool,
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
    sidecars.start(&running, &signalled).await?;
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
                if has_programs && rerun_programs {
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

/// Starts the wos and runs its programs to completion, as `user`.
pub(crate) async fn run_programs(
    app: std::sync::Arc<App>,
    start: StartOptions,
    user: Option<String>,
) -> Result<ExitCode> {
    let running = app.start(start).await?;
    let outcomes = running.run_programs(user.as_deref()).await;
    let code = exit_code(&outcomes);
    running.shutdown().await;
    // Every instance is stopped, its output written and its database closed, and the
    // telemetry flushed. The process exits next, and takes what is left (the compiled code,
    // the engine) with it faster than dropping it would unmap it piece by piece.
    std::mem::forget(running);
    Ok(code)
}

/// Serves the wos's public interfaces until SIGINT or SIGTERM, running its programs (if any)
/// once meanwhile, as `user`. After the signal, the calls under way have the wos's shutdown grace period
/// to finish; a second signal exits at once. Exits 0 after a graceful shutdown, unless a
/// program failed.
pub(crate) async fn serve_wos(
    app: std::sync::Arc<App>,
    start: StartOptions,
    options: ServeOptions,
    sidecars: Sidecars,
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
    sidecars.start(&running, &signalled).await?;
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
pub(crate) fn listen_for_signals() -> Result<tokio::sync::watch::Receiver<bool>> {
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

/// Reads a wos manifest, or makes a one-service wos of a fused unit (a `.wasm` file), named
/// after the file, with the arguments and environment its wos gave its program (carried in the
/// unit); `--env` adds to or overrides that environment, arguments after `--` replace the
/// arguments.
pub(crate) fn load_manifest(args: &RunArgs) -> Result<Manifest> {
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

pub(crate) fn print_plan(app: &App) {
    println!("wos `{}`: {} services", app.manifest.name, app.services.len());
    for (position, service) in app.services.iter().enumerate() {
        let kind = if service.is_program() { "program" } else { "server" };
        println!("{:>3}. {} ({kind})", position + 1, service.name);
        for link in app.plan.links.iter().filter(|l| l.consumer == service.name) {
            println!("       imports {} from {}", link.import, link.provider);
        }
    }
}
