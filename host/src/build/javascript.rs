//! JavaScript services: componentize-js (StarlingMonkey, SpiderMonkey built for WASI), run by
//! node through its JS API ([`SCRIPT`]), builds `app.js` into a component of the service's
//! world; WASI's HTTP is left out, since parigot does not link `wasi:http`.
//!
//! componentize-js is found at `$COMPONENTIZE_JS` (the package's folder; `make tools` installs
//! it in .tools/npm), else in a `node_modules` folder at or above the service's folder (a
//! project's own `npm install @bytecodealliance/componentize-js@0.23.0`).

use super::messages;
use std::path::{Path, PathBuf};
use std::process::Command;
use wasmtime::error::Context as _;
use wasmtime::{Result, bail};

/// The module a JavaScript service's folder must hold.
pub const MODULE: &str = "app.js";

/// The node script that calls componentize-js.
const SCRIPT: &str = include_str!("componentize.mjs");

/// Where componentize-js lives below a `node_modules` folder.
const PACKAGE: &str = "node_modules/@bytecodealliance/componentize-js";

/// Builds `source/app.js` into a component of `world` (from the WIT folder `wit`) at `out`,
/// with node's script written in `work`.
pub fn build(source: &Path, wit: &Path, world: &str, work: &Path, out: &Path) -> Result<()> {
    let Ok(module) = std::fs::canonicalize(source.join(MODULE)) else {
        bail!("{} has no `{MODULE}`: a JavaScript service's folder holds its module `{MODULE}`", source.display());
    };
    let package = componentize_js(source)?;
    let script = work.join("componentize.mjs");
    std::fs::write(&script, SCRIPT).with_context(|| format!("cannot write {}", script.display()))?;
    let node = std::env::var_os("NODE").unwrap_or_else(|| "node".into());
    let mut command = Command::new(&node);
    command.arg(&script).arg(&package).arg(&module).arg(wit).arg(world).arg(out).current_dir(source);
    match messages::run(&mut command, |line| Some(line.to_owned())) {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => bail!("componentize-js failed ({status}); see its messages above"),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
            "`{}` is not installed (or not on PATH): install Node.js 20 or newer, or set NODE to a node binary",
            node.to_string_lossy()
        ),
        Err(error) => Err(error).with_context(|| format!("cannot run `{}`", node.to_string_lossy())),
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
        wasmtime::format_err!(
            "componentize-js is not installed for {}: `npm install @bytecodealliance/componentize-js@0.23.0 \
             @bytecodealliance/preview2-shim@0.25.0` in the project (in this repository, `make tools` puts it in \
             .tools/npm), or set COMPONENTIZE_JS to the package's folder",
            source.display()
        )
    })
}
