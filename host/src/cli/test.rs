//! `test`: the test components of one or more wos run, one report printed; with `--watch`,
//! again on every change to their sources.

use parigot_host::kernel::pulse;
use parigot_host::manifest::Manifest;
use parigot_host::names::ServiceName;
use parigot_host::runtime::BuildPolicy;
use parigot_host::runtime::cache::ComponentCache;
use parigot_host::testing::runner::{TestOptions, TestOutcome, junit, report, run_tests};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;
use wasmtime::Result;
use wasmtime::bail;
use wasmtime::error::Context;

use super::*;

/// `parigot-host test`: runs the tests of every wos named (or found below a folder named),
/// prints a report like `cargo test`'s; exits 1 when a test failed. With `--watch`, runs them
/// again after every change to a source.
pub(crate) fn test(args: TestArgs, cache: ComponentCache) -> Result<ExitCode> {
    let manifests = wos_to_test(&args.paths)?;
    if !args.watch {
        return run_once(&manifests, &args, &cache);
    }
    loop {
        // Sources as the run starts: an edit made while it runs starts another.
        let seen = newest_source_change(&manifests);
        // A build that fails, or a test that does, is reported; the watch goes on.
        if let Err(error) = run_once(&manifests, &args, &cache) {
            eprintln!("error: {error:#}");
        }
        println!("\nwatching the sources for changes (Ctrl-C to stop)");
        wait_for_change(&manifests, seen);
    }
}

/// Runs the tests of `manifests` once and prints the report; the exit code of the run.
fn run_once(manifests: &[Manifest], args: &TestArgs, cache: &ComponentCache) -> Result<ExitCode> {
    let several = manifests.len() > 1;
    let mut outcomes: Vec<TestOutcome> = Vec::new();
    for manifest in manifests {
        let tests: Vec<ServiceName> = manifest.tests.keys().cloned().collect();
        let pulse = pulse::DEFAULT_INTERVAL.as_millis() as u64;
        let edits = args.watch;
        let (app, _) = load_app(manifest.clone().with_tests(), pulse, BuildPolicy::IfMissing, cache.clone(), edits)?;
        let sim = args.sim.then_some(args.runs);
        let options = TestOptions { filter: args.filter.clone(), seed: args.seed, sim };
        let mut ran = async_runtime()?.block_on(run_tests(&app, &tests, &options))?;
        if several {
            ran.iter_mut().for_each(|outcome| outcome.name = format!("{}/{}", manifest.name, outcome.name));
        }
        outcomes.extend(ran);
    }
    if let Some(filter) = &args.filter
        && outcomes.is_empty()
    {
        bail!(
            "no test's name contains `{filter}`; `--filter` keeps the tests whose `component::test` name contains it"
        );
    }
    print!("{}", report(&outcomes));
    if let Some(path) = &args.junit {
        let names: Vec<&str> = manifests.iter().map(|manifest| manifest.name.as_str()).collect();
        std::fs::write(path, junit(&names.join("+"), &outcomes))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let failed = outcomes.iter().any(|outcome| outcome.failure.is_some());
    Ok(if failed { ExitCode::from(exit::PROGRAM_FAILED) } else { ExitCode::SUCCESS })
}

/// The wos to test: each file of `paths`, and every wos.toml with tests below each folder.
fn wos_to_test(paths: &[PathBuf]) -> Result<Vec<Manifest>> {
    let mut manifests = Vec::new();
    for path in paths {
        if path.is_dir() {
            let found: Vec<Manifest> = wos_files_below(path)?
                .iter()
                .map(|file| Manifest::load(file).map_err(wasmtime::Error::from))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .filter(|manifest| !manifest.tests.is_empty())
                .collect();
            if found.is_empty() {
                bail!("no wos.toml with tests (`[tests.NAME]`) below {}", path.display());
            }
            manifests.extend(found);
        } else if path.is_file() {
            let manifest = Manifest::load(path)?;
            if manifest.tests.is_empty() {
                bail!("wos `{}` has no tests: add a `[tests.NAME]` table naming a test component", manifest.name);
            }
            manifests.push(manifest);
        } else {
            bail!("{} is neither a wos file nor a folder; to run only some tests, use `--filter TEXT`", path.display());
        }
    }
    Ok(manifests)
}

/// Every `wos.toml` below `folder`, in name order, leaving out hidden folders and build
/// outputs (`target`, `node_modules`).
fn wos_files_below(folder: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut folders = vec![folder.to_owned()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).with_context(|| format!("cannot read {}", folder.display()))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    folders.push(path);
                }
            } else if name == "wos.toml" {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// When a source of a service or test of `manifests` last changed.
fn newest_source_change(manifests: &[Manifest]) -> Option<SystemTime> {
    manifests.iter().filter_map(parigot_host::dev::sources_changed_at).max()
}

/// Waits until a source changed after `seen` and the writes have been quiet for a moment.
fn wait_for_change(manifests: &[Manifest], seen: Option<SystemTime>) {
    loop {
        std::thread::sleep(parigot_host::dev::POLL);
        let mut last = newest_source_change(manifests);
        if last <= seen {
            continue;
        }
        loop {
            std::thread::sleep(parigot_host::dev::QUIET);
            let now = newest_source_change(manifests);
            if now == last {
                return;
            }
            last = now;
        }
    }
}
