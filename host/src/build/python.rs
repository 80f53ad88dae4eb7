//! Python services: `componentize-py`, which embeds CPython and pre-initialises the service's
//! module (`app.py`) at build time, with the Python SDK on the module path.

use std::path::Path;
use std::process::Command;
use wasmtime::error::Context as _;
use wasmtime::{Result, bail};

/// The module a Python service's folder must hold.
const MODULE: &str = "app";

/// Builds `source/app.py` into a component of `world` (from the WIT folder `wit`) at `out`,
/// with the SDK written below `work`.
pub fn build(source: &Path, wit: &Path, world: &str, work: &Path, out: &Path) -> Result<()> {
    if !source.join(format!("{MODULE}.py")).is_file() {
        bail!("{} has no `{MODULE}.py`: a Python service's folder holds its module `{MODULE}`", source.display());
    }
    let sdk = work.join("python");
    super::fs_util::write_tree(super::assets::PYTHON_SDK, &sdk.join("parigot"))?;
    let tool = std::env::var_os("COMPONENTIZE_PY").unwrap_or_else(|| "componentize-py".into());
    let status = Command::new(&tool)
        // componentize-py must not run inside a virtual environment's interpreter settings.
        .env_remove("VIRTUAL_ENV")
        .arg("-d")
        .arg(wit)
        .args(["-w", world, "componentize", MODULE, "-p"])
        .arg(source)
        .arg("-p")
        .arg(&sdk)
        .arg("-o")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .status();
    match status {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => bail!("componentize-py failed ({status}); see its messages above"),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
            "`{}` is not installed (or not on PATH): `pip install componentize-py==0.25.1` (in this \
             repository, `make tools` puts it in .tools/venv/bin), or set COMPONENTIZE_PY",
            tool.to_string_lossy()
        ),
        Err(error) => Err(error).with_context(|| format!("cannot run `{}`", tool.to_string_lossy())),
    }
}
