//! The `parigot-host` command line. Exit codes are documented in docs/reference/cli.md and
//! defined in `cli::exit`; each command is a module of `cli`.

mod cli;

use clap::Parser;
use cli::*;
use parigot_host::caps::log::GUEST_TARGET;
use parigot_host::caps::log::render::{LineFormat, LogFormat};
use parigot_host::kernel::console;
use parigot_host::runtime::cache::ComponentCache;
use std::process::ExitCode;
use wasmtime::Result;

fn main() -> ExitCode {
    let cli = Cli::parse();
    parigot_host::build::messages::set_verbose(cli.verbose);
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

/// Runs the command `cli` names.
fn run(cli: Cli) -> Result<ExitCode> {
    let log_format = cli.log_format;
    let cache = cli.cache_dir.map_or_else(ComponentCache::default_dir, Ok).and_then(ComponentCache::open);
    match cli.command {
        Command::Proto(ProtoArgs { wos, out }) => write_protos(&wos, &out, cache?),
        Command::Build(args) => build(args),
        Command::Queries(args) => queries(args),
        Command::Mocks(args) => mocks(args),
        Command::Deploy(DeployCommand::K8s(args)) => deploy_k8s(args),
        Command::User(command) => user(command),
        Command::New(args) => new(args),
        Command::Sdk(args) => sdk(args),
        Command::Call(args) => call(args, cache?, log_format),
        Command::Test(args) => test(args, cache?),
        Command::Run(args) => run_wos(args, Mode::Run, cache, log_format),
        Command::Dev(args) => run_wos(args, Mode::Dev, cache, log_format),
        Command::Compose(ComposeArgs { run, emit: Some(path) }) => run_wos(run, Mode::Fuse(path), cache, log_format),
        Command::Compose(ComposeArgs { run, emit: None }) => run_wos(run, Mode::Run, cache, log_format),
        Command::Check(args) => run_wos(args, Mode::Check, cache, log_format),
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
