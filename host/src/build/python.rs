//! Python services: `componentize-py`, which embeds CPython and pre-initialises the service's
//! module (`app.py`) at build time, with the Python SDK on the module path.

use super::messages;
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
    let mut command = Command::new(&tool);
    command
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
        .stdout(std::process::Stdio::null());
    let mut shown = Shown::new(source);
    let status = messages::run(&mut command, |line| shown.line(line));
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

/// componentize-py's messages as the service's author should see them: the module paths it
/// gives the folders on its path (`/0/` for the service's, `/1/` for the SDK's) replaced by the
/// real ones, and the traceback of its own launcher (which wraps every error of the service's
/// code in an `AssertionError`) left out.
struct Shown {
    source: String,
    in_launcher: bool,
}

impl Shown {
    fn new(source: &Path) -> Shown {
        Shown { source: format!("{}/", source.display()), in_launcher: false }
    }

    fn line(&mut self, line: &str) -> Option<String> {
        if line == "Traceback (most recent call last):" {
            self.in_launcher = true;
        }
        if self.in_launcher {
            let message = line.strip_prefix("AssertionError: ")?;
            self.in_launcher = false;
            return Some(self.paths(message));
        }
        Some(self.paths(line))
    }

    fn paths(&self, line: &str) -> String {
        line.replace("\"/0/", &format!("\"{}", self.source)).replace("\"/1/", "\"(parigot's Python SDK)/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_launcher_goes_and_paths_are_the_services() {
        let mut shown = Shown::new(Path::new("services/greeter"));
        let said = [
            "Traceback (most recent call last):",
            "  File \"/x/bin/componentize-py\", line 8, in <module>",
            "    sys.exit(script())",
            "AssertionError:   File \"/0/app.py\", line 2",
            "    def broken(:",
            "SyntaxError: invalid syntax",
        ];
        let shown: Vec<String> = said.iter().filter_map(|line| shown.line(line)).collect();
        assert_eq!(
            shown,
            ["  File \"services/greeter/app.py\", line 2", "    def broken(:", "SyntaxError: invalid syntax"]
        );
    }
}
