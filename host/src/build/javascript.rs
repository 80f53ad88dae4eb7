//! JavaScript and TypeScript services, built by node in two steps ([`SCRIPT`]):
//!
//! 0. A TypeScript module is type-checked by `tsc`, against declarations of the WIT.
//! 1. rolldown (which comes with componentize-js) bundles the service's module (`app.js`, or
//!    `app.ts` with its types stripped) and everything it imports into one ES module; `parigot`
//!    and `parigot/NAME` are the SDK's modules, WIT imports stay imports.
//! 2. componentize-js (StarlingMonkey, SpiderMonkey built for WASI) makes a component of the
//!    service's world of it; WASI's HTTP is left out, since parigot does not link `wasi:http`.
//!
//! JavaScript in a component has no file or argument API of its own: the world componentize-js
//! builds is the service's plus WASI's filesystem and CLI environment ([`service_world`]), which
//! the SDK's `parigot/files` and `parigot/program` use. (What a service may touch is still what
//! its wos grants: without `files`, it has no folder to open.)
//!
//! componentize-js snapshots the engine's heap after running the module, and that snapshot is
//! not the same from one run to the next. So that a rebuild of unchanged sources gives the
//! same component (and hits the compile cache), the previous component is kept when the
//! bundle, the WIT and the tools it was made with are the same ([`Inputs`]).
//!
//! componentize-js is found at `$COMPONENTIZE_JS` (the package's folder; `make tools` installs
//! it in .tools/npm), else in a `node_modules` folder at or above the service's folder (a
//! project's own `npm install @bytecodealliance/componentize-js@0.23.0`).

use super::codegen::typescript;
use super::{assets, fs_util, messages};
use std::path::{Path, PathBuf};
use std::process::Command;
use wasmtime::error::Context as _;
use wasmtime::{Result, bail, format_err};
use wit_parser_go::{Resolve, WorldId};

/// The module of a JavaScript service's folder.
pub const JS_MODULE: &str = "app.js";

/// The module of a TypeScript service's folder.
pub const TS_MODULE: &str = "app.ts";

/// The node script of both steps.
const SCRIPT: &str = include_str!("componentize.mjs");

/// Where componentize-js lives below a `node_modules` folder.
const PACKAGE: &str = "node_modules/@bytecodealliance/componentize-js";

/// The WASI interfaces the SDK imports, added to every JavaScript service's world.
const WASI_IMPORTS: [&str; 2] = ["wasi:filesystem/preopens", "wasi:cli/environment"];

/// A JavaScript service's world, as [`service_world`] writes it.
pub struct ServiceWorld {
    /// Its name in the service's package.
    pub name: String,
    /// The version of WASI's packages it imports.
    wasi: String,
}

/// Writes into the prepared WIT folder `wit` (a copy, with parigot's packages in its `deps/`)
/// the world componentize-js builds: `world`, and [`WASI_IMPORTS`] in the version of WASI the
/// folder's `deps/` has, else in the host's (whose packages are then added there).
pub fn service_world(wit: &Path, world: &str) -> Result<ServiceWorld> {
    let deps = wit.join("deps");
    let wasi = match declared_version(&deps, "wasi:filesystem")? {
        Some(version) => version,
        None => {
            for (file, bytes) in assets::wasi_packages() {
                let target = deps.join(&file);
                if !target.exists() {
                    std::fs::write(&target, bytes).with_context(|| format!("cannot write {}", target.display()))?;
                }
            }
            super::sdk::wasi_package_version("filesystem")
                .ok_or_else(|| format_err!("the host carries no WASI filesystem"))?
        }
    };
    let name = format!("parigot-js-{world}");
    let imports: String = WASI_IMPORTS.iter().map(|import| format!("    import {import}@{wasi};\n")).collect();
    let text = format!(
        "// Written by parigot-host for componentize-js.\nworld {name} {{\n    include {world};\n{imports}}}\n"
    );
    let file = wit.join("parigot-js-world.wit");
    std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
    Ok(ServiceWorld { name, wasi })
}

/// The version of `package` (`wasi:filesystem`) that a WIT file below `deps` declares.
fn declared_version(deps: &Path, package: &str) -> Result<Option<String>> {
    if !deps.is_dir() {
        return Ok(None);
    }
    let header = format!("package {package}@");
    for file in fs_util::list_files(deps)? {
        let text = std::fs::read_to_string(deps.join(&file)).unwrap_or_default();
        let declared = text.lines().find_map(|line| line.trim().strip_prefix(&header));
        if let Some(version) = declared {
            return Ok(Some(version.trim_end_matches(|c: char| c == ';' || c == '{' || c.is_whitespace()).to_owned()));
        }
    }
    Ok(None)
}

/// Builds the module of `source` into a component of `world` (from the prepared WIT folder
/// `wit`, parsed as `resolve`), working in `work`; `previous` is the component it replaces,
/// whose bytes are returned again when it was built from the same inputs. A TypeScript module
/// is type-checked first ([`type_check`]).
pub fn build(
    source: &Path,
    (wit, resolve): (&Path, (&Resolve, WorldId)),
    world: &ServiceWorld,
    work: &Path,
    previous: &Path,
) -> Result<Vec<u8>> {
    let module = module_of(source)?;
    let package = componentize_js(source)?;
    let script = work.join("componentize.mjs");
    std::fs::write(&script, SCRIPT).with_context(|| format!("cannot write {}", script.display()))?;
    let node = Node { source, script: &script, package: &package };
    let sdk = work.join("sdk");
    fs_util::write_tree(assets::JS_SDK, &sdk)?;
    if module.extension().is_some_and(|extension| extension == "ts") {
        type_check(&node, &module, resolve, work)?;
    }
    let bundle = work.join("bundle.js");
    node.run("bundle", &[&module, &sdk, Path::new(&world.wasi), &bundle], |line| Some(line.to_owned()))?;

    let inputs = Inputs::of(&bundle, wit, &world.name, &package)?;
    if let Some(bytes) = inputs.previous_build(previous) {
        tracing::info!("the bundle, WIT and tools are those {} was built from: kept", previous.display());
        return Ok(bytes);
    }
    let out = work.join("component.wasm");
    node.run("component", &[&bundle, wit, Path::new(&world.name), &out], |line| Some(line.to_owned()))?;
    let bytes = std::fs::read(&out).with_context(|| format!("componentize-js wrote no {}", out.display()))?;
    inputs.record(previous, &bytes)?;
    Ok(bytes)
}

/// Checks the TypeScript module `module` (and the modules it imports) with `tsc`, strictly,
/// against the declarations of every interface of `resolve` ([`typescript::declarations`])
/// and the SDK's; and its exports against the interfaces `world` exports, whether or not the
/// module names their types ([`typescript::exports_check`]).
fn type_check(node: &Node, module: &Path, (resolve, world): (&Resolve, WorldId), work: &Path) -> Result<()> {
    let types = work.join("wit.d.ts");
    std::fs::write(&types, typescript::declarations(resolve))?;
    let (check, checks) = typescript::exports_check(resolve, world, &module.display().to_string());
    let exports = work.join("exports.ts");
    std::fs::write(&exports, check)?;
    let sdk = work.join("sdk");
    let config = serde_json::json!({
        "compilerOptions": {
            "target": "es2022",
            "module": "esnext",
            "moduleResolution": "bundler",
            "allowImportingTsExtensions": true,
            "strict": true,
            "noEmit": true,
            "skipLibCheck": true,
            "types": [],
            "paths": {
                "parigot": [sdk.join("index.d.ts")],
                "parigot/*": [sdk.join("*.d.ts")],
            },
        },
        "files": [module, types, exports],
    });
    let tsconfig = work.join("tsconfig.json");
    std::fs::write(&tsconfig, config.to_string())?;
    let shown = TscLine { source: node.source, exports: &exports, checks: &checks };
    node.run("check", &[&tsconfig], |line| Some(shown.line(line)))
}

/// A line of `tsc`'s, as the service's author should see it: a file of the service's folder
/// named by its path from where parigot-host runs (`services/greeter/app.ts:13:5: error ...`),
/// and a failed check of the exports by what it checks.
struct TscLine<'a> {
    source: &'a Path,
    exports: &'a Path,
    checks: &'a [String],
}

impl TscLine<'_> {
    fn line(&self, line: &str) -> String {
        let Some((file, rest)) = line.split_once('(') else { return line.to_owned() };
        let Some((place, message)) = rest.split_once("): ") else { return line.to_owned() };
        let Some((row, column)) = place.split_once(',') else { return line.to_owned() };
        if file.contains(' ') || !row.chars().all(|c| c.is_ascii_digit()) {
            return line.to_owned();
        }
        let same = |a: &Path, b: &Path| a.canonicalize().ok().is_some_and(|a| b.canonicalize().is_ok_and(|b| a == b));
        if same(&self.source.join(file), self.exports) {
            let what = row.parse::<usize>().ok().and_then(|row| self.checks.get(row - 1));
            return format!("the {} does not match its WIT: {message}", what.map_or("exports", String::as_str));
        }
        format!("{}:{row}:{column}: {message}", self.source.join(file).display())
    }
}

/// The service's module: `app.js` or `app.ts`, not both.
fn module_of(source: &Path) -> Result<PathBuf> {
    let found: Vec<PathBuf> =
        [JS_MODULE, TS_MODULE].iter().map(|name| source.join(name)).filter(|path| path.is_file()).collect();
    match found.as_slice() {
        [module] => Ok(std::fs::canonicalize(module)?),
        [] => bail!(
            "{} has no `{JS_MODULE}` or `{TS_MODULE}`: a JavaScript or TypeScript service's folder holds its module",
            source.display()
        ),
        _ => bail!(
            "{} has both `{JS_MODULE}` and `{TS_MODULE}`: keep the one the service is written in",
            source.display()
        ),
    }
}

/// The script's steps, run by node for the service in `source` with componentize-js's
/// `package`.
struct Node<'a> {
    source: &'a Path,
    script: &'a Path,
    package: &'a Path,
}

impl Node<'_> {
    /// Runs `step` with `args`, in the service's folder (so the bundle and `tsc` name its files
    /// by their path there), each line it writes shown as `shown` rewrites it.
    fn run(&self, step: &str, args: &[&Path], shown: impl FnMut(&str) -> Option<String>) -> Result<()> {
        let node = std::env::var_os("NODE").unwrap_or_else(|| "node".into());
        let mut command = Command::new(&node);
        command.arg(self.script).arg(step).arg(self.package).args(args).current_dir(self.source);
        let tool = match step {
            "check" => "tsc (TypeScript's type check)",
            "bundle" => "rolldown",
            _ => "componentize-js",
        };
        match messages::run(&mut command, shown) {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => bail!("{tool} failed ({status}); see its messages above"),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
                "`{}` is not installed (or not on PATH): install Node.js 20 or newer, or set NODE to a node binary",
                node.to_string_lossy()
            ),
            Err(error) => Err(error).with_context(|| format!("cannot run `{}`", node.to_string_lossy())),
        }
    }
}

/// What a component is made of: the bundle, the WIT, the world, componentize-js's version and
/// the script; kept beside the component as a digest.
struct Inputs {
    digest: String,
}

impl Inputs {
    fn of(bundle: &Path, wit: &Path, world: &str, package: &Path) -> Result<Inputs> {
        let mut hasher = blake3::Hasher::new();
        let mut part = |bytes: &[u8]| {
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        part(&std::fs::read(bundle).with_context(|| format!("rolldown wrote no {}", bundle.display()))?);
        for file in fs_util::list_files(wit)? {
            part(file.to_string_lossy().as_bytes());
            part(&std::fs::read(wit.join(&file))?);
        }
        part(world.as_bytes());
        part(&std::fs::read(package.join("package.json")).unwrap_or_default());
        part(SCRIPT.as_bytes());
        Ok(Inputs { digest: hasher.finalize().to_hex().to_string() })
    }

    /// Where the digest of `component`'s inputs is kept, with the digest of the component
    /// built from them.
    fn file(component: &Path) -> PathBuf {
        let mut name = component.as_os_str().to_owned();
        name.push(".inputs");
        PathBuf::from(name)
    }

    /// What [`Inputs::file`] holds for `built`, the component built from these inputs.
    fn record_of(&self, built: &[u8]) -> String {
        format!("{} {}", self.digest, blake3::hash(built).to_hex())
    }

    /// The bytes of `component`, when it was built from these inputs: the record says so, and
    /// the component is the one it names (another build may be replacing it right now).
    fn previous_build(&self, component: &Path) -> Option<Vec<u8>> {
        let recorded = std::fs::read_to_string(Self::file(component)).ok()?;
        let bytes = std::fs::read(component).ok()?;
        (recorded == self.record_of(&bytes)).then_some(bytes)
    }

    /// Records these inputs for `component`, whose bytes (about to be written) are `built`.
    fn record(&self, component: &Path, built: &[u8]) -> Result<()> {
        let file = Self::file(component);
        if let Some(folder) = file.parent().filter(|folder| !folder.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)?;
        }
        std::fs::write(&file, self.record_of(built)).with_context(|| format!("cannot write {}", file.display()))
    }
}

/// The folder of the componentize-js package: `$COMPONENTIZE_JS`, else the first
/// `node_modules` at or above `source` that has it.
fn componentize_js(source: &Path) -> Result<PathBuf> {
    if let Some(folder) = std::env::var_os("COMPONENTIZE_JS") {
        return Ok(PathBuf::from(folder));
    }
    let source = std::fs::canonicalize(source).unwrap_or_else(|_| source.to_owned());
    source.ancestors().map(|folder| folder.join(PACKAGE)).find(|package| package.is_dir()).ok_or_else(|| {
        format_err!(
            "componentize-js is not installed for {}: `npm install @bytecodealliance/componentize-js@0.23.0 \
             @bytecodealliance/preview2-shim@0.25.0` in the project (in this repository, `make tools` puts it in \
             .tools/npm), or set COMPONENTIZE_JS to the package's folder",
            source.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_previous_build_is_kept_only_when_its_inputs_and_its_bytes_are_those_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let component = dir.path().join("service.wasm");
        let inputs = Inputs { digest: "inputs".into() };
        std::fs::write(&component, b"old").unwrap();
        // Recorded by a build whose bytes are not written yet: the old ones are not taken.
        inputs.record(&component, b"new").unwrap();
        assert_eq!(inputs.previous_build(&component), None);
        std::fs::write(&component, b"new").unwrap();
        assert_eq!(inputs.previous_build(&component).as_deref(), Some(&b"new"[..]));
        assert_eq!(Inputs { digest: "other".into() }.previous_build(&component), None);
    }

    #[test]
    fn a_service_folder_holds_app_js_or_app_ts_not_both_nor_neither() {
        let dir = tempfile::tempdir().unwrap();
        let neither = module_of(dir.path()).unwrap_err().to_string();
        assert!(neither.contains("has no `app.js` or `app.ts`"), "{neither}");
        std::fs::write(dir.path().join(TS_MODULE), "export const x = 1;\n").unwrap();
        assert!(module_of(dir.path()).unwrap().ends_with(TS_MODULE));
        std::fs::write(dir.path().join(JS_MODULE), "export const x = 1;\n").unwrap();
        let both = module_of(dir.path()).unwrap_err().to_string();
        assert!(both.contains("has both `app.js` and `app.ts`: keep the one the service is written in"), "{both}");
    }
}
