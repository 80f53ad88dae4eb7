//! Loading a wos's components: building them when asked, checking that each file is a
//! component, and compiling it (or mapping it from the cache).

use super::cache::{CacheOutcome, ComponentCache};
use crate::build::codegen::queries::GeneratedQueries;
use crate::caps::sqlite::SqliteTable;
use crate::manifest::{Manifest, ServiceSpec};
use crate::names::ServiceName;
use std::path::Path;
use std::time::Instant;
use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::error::Context;
use wasmtime::{Result, bail, format_err};

/// The binary header of a component (magic, version 0x0d, layer 1) and of a core module.
const COMPONENT_HEADER: [u8; 8] = *b"\0asm\x0d\0\x01\0";
const MODULE_HEADER: [u8; 8] = *b"\0asm\x01\0\0\0";

/// When the host runs a service's `build` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildPolicy {
    /// Never (`check`, `proto` and `compose --emit` only read what is there).
    Never,
    /// Only when the component file does not exist.
    IfMissing,
    /// Before every start.
    Always,
}

/// Builds service `name` if the policy asks for it: from its `source` (when its component is
/// missing or older than its sources, or always), or by running its `build` command in the
/// manifest's folder.
pub fn build_if_needed(manifest: &Manifest, name: &ServiceName, spec: &ServiceSpec, policy: BuildPolicy) -> Result<()> {
    if policy != BuildPolicy::Never {
        // Every world of a WIT folder is read with it: the typed queries of all the services
        // that share the folder must be there.
        generate_queries(name, spec)?;
        for (sharing, sharing_spec) in sharing_wit(manifest, spec).into_iter().filter(|(other, _)| *other != name) {
            generate_queries(sharing, sharing_spec)?;
        }
        if manifest.tests.contains_key(name) {
            generate_mock_control(manifest, name, spec)?;
        }
    }
    if let Some(recipe) = recipe(manifest, name, spec) {
        return match policy {
            BuildPolicy::Never if !spec.component.exists() => bail!(
                "service `{name}` has not been built yet (no `{}`), and this command does not build; \
                 run `parigot-host build {}` first",
                spec.component.display(),
                manifest.path.display()
            ),
            BuildPolicy::Never => Ok(()),
            BuildPolicy::IfMissing if !recipe.is_stale() => Ok(()),
            BuildPolicy::IfMissing | BuildPolicy::Always => recipe.build().map(drop),
        };
    }
    let Some(command) = &spec.build else { return Ok(()) };
    match policy {
        BuildPolicy::Never if !spec.component.exists() => bail!(
            "the component of service `{name}` at `{}` does not exist, and this command does not run \
             build commands; build it first (its `build` command is `{command}`; `parigot-host run` runs it \
             for a missing component)",
            spec.component.display()
        ),
        BuildPolicy::Never => return Ok(()),
        BuildPolicy::IfMissing if spec.component.exists() => return Ok(()),
        BuildPolicy::IfMissing | BuildPolicy::Always => {}
    }
    tracing::info!("building service `{name}`: {command}");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(manifest.folder())
        .stdout(std::process::Stdio::inherit())
        .status()
        .with_context(|| format!("cannot start the build command of service `{name}` (`{command}`)"))?;
    if !status.success() {
        bail!(
            "the build command of service `{name}` failed ({status}): `{command}`; fix the build, \
             or point `component` at an existing file"
        );
    }
    Ok(())
}

/// Writes the WIT of service `name`'s typed queries where it goes, if it has them and it
/// changed, so that building the service sees the current one.
pub fn generate_queries(name: &ServiceName, spec: &ServiceSpec) -> Result<()> {
    let Some(table) = &spec.sqlite else { return Ok(()) };
    let set = GeneratedQueries::generate(name.as_str(), table)
        .map_err(|why| format_err!("cannot generate the typed queries of service `{name}`: {why}"))?;
    if let Some(set) = set
        && set.write().map_err(|why| format_err!("service `{name}`: {why}"))?
    {
        tracing::info!("generated {} ({} queries of service `{name}`)", set.path.display(), set.set.queries.len());
    }
    Ok(())
}

/// Writes the typed control WIT of the wos's mocks into test `name`'s WIT folder, if the wos
/// mocks interfaces and it changed, so that building the test sees the current one.
pub fn generate_mock_control(manifest: &Manifest, name: &ServiceName, spec: &ServiceSpec) -> Result<()> {
    let failed = |why: String| format_err!("cannot generate the mock control WIT of test `{name}`: {why}");
    let Some((path, text)) = crate::build::codegen::mock_controls::for_test(manifest, spec).map_err(failed)? else {
        return Ok(());
    };
    if crate::build::write_if_changed(&path, &text).map_err(failed)? {
        tracing::info!("generated {} (typed control of the mocks of wos `{}`)", path.display(), manifest.name);
    }
    Ok(())
}

/// How to build service `name` (of `manifest`) from its sources, if it names them. Its WIT
/// packages are the typed queries of every service whose sources share its WIT folder (its own
/// first): the folder's other worlds import them, and a WIT folder is read whole.
pub fn recipe(manifest: &Manifest, name: &ServiceName, spec: &ServiceSpec) -> Option<crate::build::Recipe> {
    let source = spec.source.as_ref()?;
    let generated = |spec: &ServiceSpec| spec.sqlite.as_ref().and_then(SqliteTable::generated_wit);
    let mut packages: Vec<std::path::PathBuf> = generated(spec).into_iter().collect();
    for (_, sharing) in sharing_wit(manifest, spec) {
        packages.extend(generated(sharing).filter(|package| !packages.contains(package)));
    }
    Some(crate::build::Recipe {
        service: name.to_string(),
        source: source.folder.clone(),
        wit: source.wit.clone(),
        world: source.world.clone(),
        packages,
        out: spec.component.clone(),
    })
}

/// The services and tests of `manifest` whose sources use the same WIT folder as `spec`'s
/// (`spec`'s own service among them); none when `spec` builds from no WIT folder.
fn sharing_wit<'m>(manifest: &'m Manifest, spec: &ServiceSpec) -> Vec<(&'m ServiceName, &'m ServiceSpec)> {
    let wit = |spec: &ServiceSpec| spec.source.as_ref().and_then(|source| source.wit.clone());
    let Some(folder) = wit(spec) else { return Vec::new() };
    manifest
        .services
        .iter()
        .chain(manifest.tests.iter())
        .filter(|(_, other)| wit(other).as_ref() == Some(&folder))
        .collect()
}

/// Reads `path` and checks that it holds a component, with an error that says what it holds
/// instead.
pub fn read_component(name: &ServiceName, path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|error| {
        format_err!(
            "cannot read the component of service `{name}` at `{}`: {error}; build it (e.g. \
             `make guests`), add a `build` command to the service, or fix its `component` path",
            path.display()
        )
    })?;
    let header = bytes.get(..8).unwrap_or(&bytes);
    if header == COMPONENT_HEADER {
        Ok(bytes)
    } else if header == MODULE_HEADER {
        bail!(
            "`{}` (service `{name}`) is a core WebAssembly module, not a component; turn it into \
             one with `wasm-tools component new` (plus a WASI adapter), or build it for \
             wasm32-wasip2",
            path.display()
        )
    } else {
        bail!(
            "`{}` (service `{name}`) is not a WebAssembly component (it does not start with the \
             component header); point `component` at a `.wasm` component file",
            path.display()
        )
    }
}

/// A service's component, compiled or mapped from the compile cache.
pub struct Compiled {
    pub component: Component,
    pub outcome: CacheOutcome,
    /// The content hash of the file it was made from.
    pub digest: blake3::Hash,
}

/// Loads the component of service `name` at `path` from the compile cache, or compiles it and
/// fills the cache. The file is read only when the cache has no record of its content
/// ([`ComponentCache::identify`]) or no compiled image of it.
pub fn load_component(engine: &Engine, cache: &ComponentCache, name: &ServiceName, path: &Path) -> Result<Compiled> {
    let identified = cache.identify(path, || read_component(name, path))?;
    if let Some(component) = cache.load(engine, &cache.entry_path(engine, &identified.digest)) {
        return Ok(Compiled { component, outcome: CacheOutcome::Hit, digest: identified.digest });
    }
    let bytes = match identified.bytes {
        Some(bytes) => bytes,
        None => read_component(name, path)?,
    };
    compile(engine, cache, name, &bytes)
}

/// Compiles the component `bytes` of service `name` and stores the result in the cache.
fn compile(engine: &Engine, cache: &ComponentCache, name: &ServiceName, bytes: &[u8]) -> Result<Compiled> {
    tracing::info!(
        "compiling service `{name}` ({:.1} MiB); this happens once, later starts load it from {}",
        bytes.len() as f64 / (1024.0 * 1024.0),
        cache.dir().display()
    );
    let started = Instant::now();
    let digest = blake3::hash(bytes);
    let component = cache
        .compile_and_store(engine, bytes, &cache.entry_path(engine, &digest))
        .with_context(|| format!("the component of service `{name}` is invalid and cannot be compiled"))?;
    tracing::info!("compiled service `{name}` in {:.1} s (cached for later starts)", started.elapsed().as_secs_f64());
    Ok(Compiled { component, outcome: CacheOutcome::Miss, digest })
}

/// The WIT of service `name`'s component with content hash `digest`: from the compile cache's
/// copy of it (a WIT package of a few KiB), else decoded from the component `bytes` (read only
/// then) and copied into the cache for the next time.
pub fn component_wit(
    cache: &ComponentCache,
    name: &ServiceName,
    digest: &blake3::Hash,
    bytes: impl FnOnce() -> Result<Vec<u8>>,
) -> Result<super::ServiceWit> {
    let kept = cache.wit_path(digest);
    if let Ok(package) = std::fs::read(&kept)
        && let Some(wit) = wit_of_package(&package)
    {
        return Ok(wit);
    }
    let wit = decode_wit(name, &bytes()?)?;
    let package = wit.resolve.worlds[wit.world].package.map(|package| wit_component::encode(&wit.resolve, package));
    match package {
        Some(Ok(package)) => cache.keep(&kept, &package),
        Some(Err(error)) => tracing::debug!("cannot keep the WIT of service `{name}` in the cache: {error:#}"),
        None => {}
    }
    Ok(wit)
}

/// The WIT in a package that [`component_wit`] kept: the one world of its package.
fn wit_of_package(package: &[u8]) -> Option<super::ServiceWit> {
    let wit_component::DecodedWasm::WitPackage(resolve, id) = wit_component::decode(package).ok()? else {
        return None;
    };
    let mut worlds = resolve.packages[id].worlds.values().copied();
    let world = worlds.next().filter(|_| worlds.next().is_none())?;
    Some(super::ServiceWit { resolve, world })
}

/// The WIT the component `bytes` of service `name` carries.
pub fn decode_wit(name: &ServiceName, bytes: &[u8]) -> Result<super::ServiceWit> {
    match wit_component::decode(bytes) {
        Ok(wit_component::DecodedWasm::Component(resolve, world)) => Ok(super::ServiceWit { resolve, world }),
        Ok(wit_component::DecodedWasm::WitPackage(..)) => {
            bail!("the component of service `{name}` is a WIT package, not a component")
        }
        Err(error) => Err(format_err!("cannot read the WIT of service `{name}`: {error:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binary WIT package of `wit`'s text.
    fn package(wit: &str) -> Vec<u8> {
        let mut resolve = wit_parser::Resolve::default();
        let id = resolve.push_str("test.wit", wit).unwrap();
        wit_component::encode(&resolve, id).unwrap()
    }

    #[test]
    fn a_kept_wit_package_gives_its_one_world_and_a_broken_or_ambiguous_one_nothing() {
        let kept = package("package t:t;\nworld w {\n  export f: func();\n}\n");
        let wit = wit_of_package(&kept).expect("the kept package reads back");
        assert_eq!(wit.resolve.worlds[wit.world].name, "w");
        assert!(wit_of_package(&kept[..kept.len() / 2]).is_none());
        assert!(wit_of_package(b"\0asm\x0d\0\x01\0 not a package").is_none());
        assert!(wit_of_package(&package("package t:t;\nworld a {}\nworld b {}\n")).is_none());
    }
}
