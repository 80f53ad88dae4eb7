//! Rust services: `cargo build --release --target wasm32-wasip2` of the service's crate, whose
//! `wit-bindgen` makes the component itself.

use super::messages;
use super::sdk::{RUST_SDK_FOLDER, uses_project_sdk, write_rust_sdk};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use wasmtime::error::Context as _;
use wasmtime::{Result, bail};

/// The target every Rust service is built for.
const TARGET: &str = "wasm32-wasip2";

/// Builds the crate in `source`; returns the component's bytes.
pub fn build(source: &Path) -> Result<Vec<u8>> {
    let manifest = source.join("Cargo.toml");
    write_project_sdk(source)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .args(["build", "--release", "--target", TARGET, "--message-format", "json-render-diagnostics"])
        .arg("--manifest-path")
        .arg(&manifest)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let output = messages::Tracked::spawn(&mut command).and_then(messages::Tracked::wait_with_output);
    let output = match output {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "`cargo` is not installed (or not on PATH): install Rust with rustup, then `rustup target add {TARGET}`"
            )
        }
        Err(error) => return Err(error).with_context(|| format!("cannot run `{}`", cargo.to_string_lossy())),
    };
    if !output.status.success() {
        bail!(
            "cargo build failed ({}); see its messages above (if the target is missing: `rustup target add {TARGET}`)",
            output.status
        );
    }
    let artifact = artifact(&String::from_utf8_lossy(&output.stdout), &manifest).with_context(|| {
        format!("cargo built no `.wasm` for {}: is it a `cdylib` or a binary crate?", manifest.display())
    })?;
    std::fs::read(&artifact).with_context(|| format!("cannot read {}", artifact.display()))
}

/// Writes the Rust SDK where the project of the crate in `source` expects it (its workspace's
/// `Cargo.toml`, or its own, names [`RUST_SDK_FOLDER`]), so a fresh copy of a project builds:
/// the SDK is the host's, not a file of the project.
fn write_project_sdk(source: &Path) -> Result<()> {
    let Ok(source) = std::fs::canonicalize(source) else { return Ok(()) };
    for folder in source.ancestors() {
        let manifest = folder.join("Cargo.toml");
        if uses_project_sdk(&manifest) {
            write_rust_sdk(&folder.join(RUST_SDK_FOLDER))?;
            return Ok(());
        }
        if std::fs::read_to_string(&manifest).is_ok_and(|text| text.contains("[workspace]")) {
            return Ok(());
        }
    }
    Ok(())
}

/// The `.wasm` file cargo's JSON messages say it built for the package of `manifest`.
fn artifact(messages: &str, manifest: &Path) -> Option<PathBuf> {
    let manifest = std::fs::canonicalize(manifest).ok()?;
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| {
            message["manifest_path"].as_str().and_then(|p| std::fs::canonicalize(p).ok()).as_ref() == Some(&manifest)
        })
        .flat_map(|message| message["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|file| file.as_str().map(PathBuf::from))
        .rfind(|file| file.extension().is_some_and(|ext| ext == "wasm"))
}
