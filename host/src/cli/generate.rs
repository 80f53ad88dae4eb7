//! `build`, `queries`, `mocks` and `proto`: what the host generates for a wos.

use parigot_host::build::codegen::queries::GeneratedQueries;
use parigot_host::manifest::{Manifest, ServiceSpec};
use parigot_host::names::ServiceName;
use parigot_host::runtime::cache::ComponentCache;
use parigot_host::runtime::engine::HostEngine;
use parigot_host::runtime::{App, BuildPolicy, LoadOptions};
use parigot_host::wire::remote::GrpcRemotes;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wasmtime::Result;
use wasmtime::bail;

use super::*;

/// `parigot-host proto`: the .proto files of a wos's public interfaces.
pub(crate) fn write_protos(wos: &std::path::Path, out: &std::path::Path, cache: ComponentCache) -> Result<ExitCode> {
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

/// `parigot-host build`: the services of a wos that name their `source`, or one component.
pub(crate) fn build(args: BuildArgs) -> Result<ExitCode> {
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
pub(crate) fn chosen_services<'m>(
    manifest: &'m Manifest,
    wanted: &[String],
) -> Result<Vec<(&'m ServiceName, &'m ServiceSpec)>> {
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
pub(crate) fn queries(args: QueriesArgs) -> Result<ExitCode> {
    let manifest = Manifest::load(&args.wos)?;
    let mut stale = Vec::new();
    // Services may share a queries file: each file once, and only with one text.
    let mut generated: BTreeMap<PathBuf, (&ServiceName, String)> = BTreeMap::new();
    for (name, spec) in chosen_services(&manifest, &args.services)? {
        let Some(table) = &spec.sqlite else { continue };
        let set = GeneratedQueries::generate(name.as_str(), table)
            .map_err(|why| wasmtime::format_err!("cannot generate the typed queries of service `{name}`: {why}"))?;
        let Some(set) = set else { continue };
        if let Some((first, wit)) = generated.get(&set.path) {
            if *wit != set.wit {
                bail!(
                    "services `{first}` and `{name}` share the queries file of {} but generate different WIT from it \
                     (another `package`, or other migrations); give each its own queries file, or the same settings",
                    set.path.display()
                );
            }
            continue;
        }
        generated.insert(set.path.clone(), (name, set.wit.clone()));
        let wrote = format!("wrote {} queries of service `{name}` as `{}`", set.set.queries.len(), set.set.interface);
        if sync_generated(&set.path, &set.wit, args.check, &wrote)? {
            stale.push(set.path.display().to_string());
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
pub(crate) fn sync_generated(path: &Path, text: &str, check: bool, wrote: &str) -> Result<bool> {
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
pub(crate) fn mocks(args: MocksArgs) -> Result<ExitCode> {
    let manifest = Manifest::load(&args.wos)?;
    if manifest.mocks.is_empty() {
        println!("wos `{}` mocks nothing (no `[mocks]`): nothing to generate", manifest.name);
        return Ok(ExitCode::SUCCESS);
    }
    let mut generated: BTreeMap<PathBuf, String> = BTreeMap::new();
    for (name, spec) in &manifest.tests {
        let found = parigot_host::build::codegen::mock_controls::for_test(&manifest, spec)
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
