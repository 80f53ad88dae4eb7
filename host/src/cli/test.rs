//! `test`: the wos's test components run, a report printed.

use parigot_host::kernel::pulse;
use parigot_host::manifest::Manifest;
use parigot_host::names::ServiceName;
use parigot_host::runtime::BuildPolicy;
use parigot_host::runtime::cache::ComponentCache;
use std::process::ExitCode;
use wasmtime::Result;
use wasmtime::bail;
use wasmtime::error::Context;

use super::*;

/// `parigot-host test`: runs the wos's tests, prints a report like `cargo test`'s; exits 1
/// when a test failed.
pub(crate) fn test(args: TestArgs, cache: ComponentCache) -> Result<ExitCode> {
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
