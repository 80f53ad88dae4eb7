//! Go services: mainline Go (no TinyGo), bindings from `wit-bindgen-go`.
//!
//! The steps, each in its own function:
//!
//! 1. parse the WIT folder (with parigot's packages in its `deps/`) and select the world;
//! 2. lay out a Go module (`wit_component`) in the build's scratch folder: the bindings, the
//!    service's own sources (same relative paths as in its folder), the Go SDK as package
//!    `wit_component/parigot` (and its sub-packages), and the bindings' runtime package, which
//!    a `replace` directive makes available offline (see [`super::go_mod`]);
//! 3. `go build` a wasip1 core module (a reactor: `-buildmode=c-shared`, or the first call
//!    traps; `-checklinkname=0`, or the bindings' use of `runtime.sbrk` does not link);
//! 4. embed the world's type information and wrap the module into a component, adapting its
//!    WASI preview 1 imports with the reactor adapter.

use super::go_mod::{self, GoModule};
use super::{fs_util, messages};
use std::path::Path;
use std::process::Command;
use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
};
use wasmtime::error::Context as _;
use wasmtime::{Result, bail};
use wit_component_go::{ComponentEncoder, StringEncoding};
use wit_parser_go::{Resolve, WorldId};

/// Where, in the Go module, the shared SDK goes: guests import it as `wit_component/parigot`.
const SDK_DIR: &str = "parigot";
/// Where, in the Go module, the copy of the bindings' runtime package goes. The leading `_`
/// keeps it out of `./...` patterns; its own `go.mod` keeps it out of the main module.
const RUNTIME_DIR: &str = "_deps/go.bytecodealliance.org/pkg";
/// The core module `go build` writes, in the scratch directory.
const CORE_MODULE: &str = "core.wasm";

/// Builds the Go sources in `source` into a component of `world` (of `resolve`), laying the Go
/// module out in `work`; returns the component's bytes.
pub fn build(source: &Path, resolve: &Resolve, world: WorldId, work: &Path) -> Result<Vec<u8>> {
    lay_out_module(source, work, resolve, world)
        .with_context(|| format!("cannot prepare the Go module in {}", work.display()))?;
    let core = go_build(work, source)?;
    encode_component(core, resolve, world)
        .context("cannot make the component: does the Go code implement every export of the world?")
}

/// Fills `work` with the Go module to build.
fn lay_out_module(source: &Path, work: &Path, resolve: &Resolve, world: WorldId) -> Result<()> {
    generate_bindings(resolve, world, work).context("cannot generate the Go bindings")?;
    fs_util::copy_tree(source, work).with_context(|| {
        format!(
            "cannot copy the Go sources from {} (a source file must not have the path of a generated \
             one, such as go.mod or wit_exports.go)",
            source.display()
        )
    })?;
    fs_util::write_tree(super::assets::GO_SDK, &work.join(SDK_DIR))
        .with_context(|| format!("cannot write the Go SDK (the service must not have a `{SDK_DIR}` folder)"))?;
    let runtime_dir = work.join(RUNTIME_DIR);
    fs_util::write_tree(super::assets::GO_RUNTIME, &runtime_dir)?;
    let runtime = GoModule::read(&runtime_dir)?;
    if runtime.path != go_mod::bindings_runtime_module_path() {
        bail!("the embedded Go runtime package is module {}, not the one the bindings import", runtime.path);
    }
    point_go_mod_at_runtime(work, &runtime)
}

/// Generates the bindings of `world` into `work`, as module `wit_component`.
fn generate_bindings(resolve: &Resolve, world: WorldId, work: &Path) -> Result<()> {
    // The generator may add type information to the resolve; keep the caller's (which is
    // embedded in the component) exactly as parsed.
    let mut resolve = resolve.clone();
    let mut files = wit_bindgen_core::Files::default();
    wit_bindgen_go::Opts::default()
        .build()
        .generate(&mut resolve, world, &mut files)
        .map_err(wasmtime::Error::from_anyhow)?;
    for (path, contents) in files.iter() {
        fs_util::write_new_file(work, Path::new(path), contents)?;
    }
    Ok(())
}

/// Rewrites the generated `go.mod` in `work` to use the copy of the runtime package.
fn point_go_mod_at_runtime(work: &Path, runtime: &GoModule) -> Result<()> {
    let path = work.join("go.mod");
    let generated = std::fs::read_to_string(&path)
        .with_context(|| format!("the bindings generator wrote no {}", path.display()))?;
    let rewritten = go_mod::rewrite_go_mod(&generated, runtime, RUNTIME_DIR);
    std::fs::write(&path, rewritten).with_context(|| format!("cannot write {}", path.display()))
}

/// Runs `go build` in `work` and returns the core module it produced.
///
/// The `go` binary is `$GO` if set, else the first on `PATH`. The build is offline and uses the
/// local toolchain unless the environment says otherwise.
fn go_build(work: &Path, source: &Path) -> Result<Vec<u8>> {
    let go = std::env::var_os("GO").unwrap_or_else(|| "go".into());
    let mut command = Command::new(&go);
    command
        .current_dir(work)
        .args(["build", "-buildmode=c-shared", "-trimpath"])
        .arg("-ldflags=-checklinkname=0 -s -w")
        .args(["-o", CORE_MODULE, "."])
        .env("GOOS", "wasip1")
        .env("GOARCH", "wasm")
        .env("GOWORK", "off");
    for (name, default) in [("GOTOOLCHAIN", "local"), ("GOPROXY", "off"), ("GOFLAGS", "-mod=mod")] {
        if std::env::var_os(name).is_none() {
            command.env(name, default);
        }
    }
    let status = messages::run(&mut command, |line| Some(own_path(line, source)));
    let status = match status {
        Ok(status) => status,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
            "`{}` is not installed (or not on PATH): install Go >= 1.27.1 (in this repository, \
             `make tools` puts it in .tools/venv/bin), or set GO to a go binary",
            go.to_string_lossy()
        ),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot run {}", go.to_string_lossy()));
        }
    };
    if !status.success() {
        bail!(
            "go build failed ({status}); see the compiler's messages above (a missing package \
             `wit_component/export_...` means the folder lacks the package implementing that export)"
        );
    }
    let core = work.join(CORE_MODULE);
    std::fs::read(&core).with_context(|| format!("go build wrote no {}", core.display()))
}

/// A line of the Go compiler's with the source file it names (with `-trimpath`, relative to
/// the module, as `PACKAGE/FILE.go:LINE:COL` or `./PACKAGE/...`) given as the service's own
/// file in `source`.
fn own_path(line: &str, source: &Path) -> String {
    let relative = line.strip_prefix("./").unwrap_or(line);
    match relative.split_once(".go:") {
        Some((file, rest)) if source.join(format!("{file}.go")).is_file() => {
            format!("{}/{file}.go:{rest}", source.display())
        }
        _ => line.to_owned(),
    }
}

/// Turns the core module into a component of `world`: embeds the world's type information
/// (strings in UTF-8), adapts WASI preview 1 to preview 2 with the reactor adapter, and
/// validates the result.
fn encode_component(mut core: Vec<u8>, resolve: &Resolve, world: WorldId) -> Result<Vec<u8>> {
    let anyhow = wasmtime::Error::from_anyhow;
    wit_component_go::embed_component_metadata(&mut core, resolve, world, StringEncoding::UTF8, false)
        .map_err(anyhow)
        .context("embedding the world's type information failed")?;
    ComponentEncoder::default()
        .module(&core)
        .and_then(|encoder| {
            encoder.adapter(WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER)
        })
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(anyhow)
}
