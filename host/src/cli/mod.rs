//! The command line, one module per command; what several commands share is here: loading
//! and starting a wos, the async runtime, exit codes and the error report.

mod args;
mod call;
mod deploy;
mod generate;
mod new;
mod run;
mod test;
mod users;

pub(crate) use args::*;
pub(crate) use call::*;
pub(crate) use deploy::*;
pub(crate) use generate::*;
pub(crate) use new::*;
pub(crate) use run::*;
pub(crate) use test::*;
pub(crate) use users::*;

use parigot_host::caps::log::render::LogFormat;
use parigot_host::kernel::ServiceFailure;
use parigot_host::manifest::Manifest;
use parigot_host::names::ServiceName;
use parigot_host::runtime::cache::ComponentCache;
use parigot_host::runtime::engine::HostEngine;
use parigot_host::runtime::function_cache::FunctionCache;
use parigot_host::runtime::{App, BuildPolicy, LoadOptions, ProgramOutcome, StartOptions};
use parigot_host::telemetry::otlp::ExportConfig;
use parigot_host::users::{PeerSecret, UserStore};
use parigot_host::wire::remote::GrpcRemotes;
use std::process::ExitCode;
use wasmtime::Result;
use wasmtime::bail;

/// Exit codes of `parigot-host`.
pub(crate) mod exit {
    /// A program returned an error from `run`.
    pub const PROGRAM_FAILED: u8 = 1;
    /// A guest failed: it trapped (a panic, an uncaught exception...), ran past its deadline or
    /// past its memory limit.
    pub const GUEST_FAILED: u8 = 70;
    /// The wos could not be started: bad manifest, missing or invalid component, link error.
    pub const SETUP_FAILED: u8 = 78;
}

/// How long the host waits at exit for its stdout and stderr to be written out.
pub(crate) const CONSOLE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// Loads `manifest` to run it: its remote links (with the deployment's secret, which is
/// returned too, for serving) and the engine with a pulse every `pulse_ms` (0: none). In an
/// edit loop (`edits`), the engine keeps compiled functions too, so a component compiled again
/// after a change reuses what did not change.
pub(crate) fn load_app(
    manifest: Manifest,
    pulse_ms: u64,
    build: BuildPolicy,
    cache: ComponentCache,
    edits: bool,
) -> Result<(std::sync::Arc<App>, Option<PeerSecret>)> {
    let peer = manifest.auth.peer_secret_file.as_deref().map(PeerSecret::load).transpose();
    let peer = peer.map_err(|why| wasmtime::format_err!("{why}"))?;
    let functions = edits.then(|| FunctionCache::open(&cache).map(std::sync::Arc::new)).transpose()?;
    let options = LoadOptions { cache, build, remotes: Some(GrpcRemotes::binder(peer.clone())) };
    let pulse = (pulse_ms > 0).then(|| std::time::Duration::from_millis(pulse_ms));
    let app = App::load(manifest, &HostEngine::with_function_cache(pulse, functions)?, &options)?;
    Ok((app, peer))
}

/// How to start `app` as `flags` say, and its users; an error when `--user` names none of them.
pub(crate) fn start_options(app: &App, flags: &StartFlags, log_format: LogFormat) -> Result<(StartOptions, UserStore)> {
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
        export: export_config(&app.manifest)?,
        recent: None,
        // A host with the deployment's secret lends its peers the spans of their calls.
        lend_spans: app.manifest.auth.peer_secret_file.is_some(),
        faults: None,
    };
    Ok((start, users))
}

/// Where the wos's spans and log records are exported: its `[telemetry]` table and the
/// `OTEL_*` variables of the environment.
fn export_config(manifest: &Manifest) -> Result<Option<ExportConfig>> {
    ExportConfig::resolve(&manifest.name, &manifest.telemetry, &|name| std::env::var(name).ok())
        .map_err(|why| wasmtime::format_err!("cannot export telemetry: {why}"))
}

/// The async runtime guest code runs on (on wasmtime fibers) and the server serves from.
pub(crate) fn async_runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// The process exit code after the programs ran: the first failure decides it.
pub(crate) fn exit_code(outcomes: &[(ServiceName, ProgramOutcome)]) -> ExitCode {
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

pub(crate) fn culprit_hint(culprit: String) -> String {
    format!("{culprit}; the host is unharmed, the failed service was stopped and what it held released")
}

/// Prints an error and its causes, one per line. Wasm backtraces are long and rarely what a
/// user needs first: they are shown with `--log debug`.
pub(crate) fn report<'a>(headline: &str, causes: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>) {
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
pub(crate) const WASM_BACKTRACE: &str = "error while executing at wasm backtrace";
