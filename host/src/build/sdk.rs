//! parigot's WIT packages and its Rust and JavaScript SDKs, written into a project by `parigot-host new` and
//! `parigot-host sdk`, so that a project builds with nothing from parigot's repository: its
//! WIT folder gets `deps/parigot-*` (what `include parigot:sdk/imports@0.1.0;` and the test
//! worlds resolve against), and its Rust services depend on the SDK crate in
//! [`RUST_SDK_FOLDER`], with the WIT it binds inside it. Both are what this host embeds, so they
//! always match the host that runs the services.

use super::assets;
use super::write_if_changed;
use std::path::{Path, PathBuf};
use wasmtime::{Result, format_err};

/// Where a project keeps the Rust SDK, relative to its wos.toml.
pub const RUST_SDK_FOLDER: &str = ".parigot/sdk/rust";

/// Where a project keeps the JavaScript SDK (its modules and their `.d.ts`, for editors and
/// `tsc`; the build bundles the host's own copy), relative to its wos.toml.
pub const JS_SDK_FOLDER: &str = ".parigot/sdk/js";

/// Where a project keeps the TypeScript declarations of its WIT (for editors; the build of a
/// TypeScript service checks against its own), relative to its wos.toml.
pub const WIT_TYPES_FILE: &str = ".parigot/types/wit.d.ts";

/// The version of `wit-bindgen` the Rust SDK is built with, which a project's crates use too.
pub const WIT_BINDGEN_VERSION: &str = assets::WIT_BINDGEN_VERSION;

/// The version of WASI's package `wasi:NAME` (`cli`, `io`, ...) that the host embeds.
pub fn wasi_package_version(name: &str) -> Option<String> {
    let (_, bytes) = assets::WASI_WIT.iter().find(|(file, _)| *file == format!("{name}.wit"))?;
    let text = std::str::from_utf8(bytes).ok()?;
    let declared = text.lines().find_map(|line| line.trim().strip_prefix(&format!("package wasi:{name}@")))?;
    Some(declared.trim_end_matches(';').to_owned())
}

/// Writes parigot's WIT packages into the WIT `deps` folder `deps` (`deps/parigot-context`,
/// ...), and WASI's (`deps/wasi-cli.wit`, ...), replacing what differs; returns the files it
/// wrote. A package folder that is a symbolic link (into a checkout of parigot) is left as it
/// is.
pub fn write_wit_packages(deps: &Path) -> Result<Vec<PathBuf>> {
    let wasi = assets::wasi_packages();
    let mut written = write_files(deps, wasi.iter().map(|(file, bytes)| (file.as_str(), *bytes)))?;
    for (folder, files) in assets::wit_packages() {
        let target = deps.join(&folder);
        if target.is_symlink() {
            continue;
        }
        written.extend(write_files(&target, files.iter().map(|(path, bytes)| (*path, *bytes)))?);
    }
    Ok(written)
}

/// Writes the Rust SDK crate into `folder`, replacing what differs; returns the files it wrote.
/// Its `generate!` reads parigot's WIT from its own `wit/` folder.
pub fn write_rust_sdk(folder: &Path) -> Result<Vec<PathBuf>> {
    let mut written = write_files(folder, [("Cargo.toml", assets::RUST_SDK_MANIFEST.as_bytes())])?;
    let sources: Vec<(String, Vec<u8>)> =
        assets::RUST_SDK.iter().map(|(path, bytes)| (format!("src/{path}"), own_wit_paths(bytes))).collect();
    written.extend(write_files(folder, sources.iter().map(|(path, bytes)| (path.as_str(), bytes.as_slice())))?);
    let wit: Vec<(String, &[u8])> = assets::WIT.iter().map(|(path, bytes)| (format!("wit/{path}"), *bytes)).collect();
    written.extend(write_files(folder, wit.iter().map(|(path, bytes)| (path.as_str(), *bytes)))?);
    Ok(written)
}

/// Writes the JavaScript SDK into `folder`, replacing what differs; returns the files it wrote.
pub fn write_js_sdk(folder: &Path) -> Result<Vec<PathBuf>> {
    write_files(folder, assets::JS_SDK.iter().copied())
}

/// Writes the TypeScript declarations of every interface of the project's WIT folder
/// `project/wit` (its packages and those in its `deps/`) into [`WIT_TYPES_FILE`], unless it
/// holds them already; returns the file if it wrote it.
pub fn write_wit_types(project: &Path) -> Result<Vec<PathBuf>> {
    let wit = project.join("wit");
    let mut resolve = wit_parser_go::Resolve::default();
    super::parse_wit(&wit, || resolve.push_dir(&wit).map_err(|error| resolve.render_error(&error)))
        .map_err(|why| format_err!("cannot read the WIT folder {}: {why}", wit.display()))?;
    let text = super::codegen::typescript::declarations(&resolve);
    let file = project.join(WIT_TYPES_FILE);
    let wrote = write_if_changed(&file, &text).map_err(|why| format_err!("{why}"))?;
    Ok(if wrote { vec![file] } else { Vec::new() })
}

/// Whether the Rust crate whose manifest is `cargo_toml`, or its workspace, uses the SDK that
/// [`write_rust_sdk`] writes.
pub fn uses_project_sdk(cargo_toml: &Path) -> bool {
    std::fs::read_to_string(cargo_toml).is_ok_and(|text| text.contains(RUST_SDK_FOLDER))
}

/// The SDK's source with its WIT paths (into parigot's repository, `../../../wit/`) pointing at
/// its own `wit/` folder instead.
fn own_wit_paths(source: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(source).replace("\"../../../wit/", "\"wit/").into_bytes()
}

/// Writes each (relative path, bytes) below `root` unless it holds them already.
fn write_files<'f>(root: &Path, files: impl IntoIterator<Item = (&'f str, &'f [u8])>) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (path, bytes) in files {
        let target = root.join(path);
        let text = std::str::from_utf8(bytes).map_err(|_| format_err!("{path} is not text"))?;
        if write_if_changed(&target, text).map_err(|why| format_err!("{why}"))? {
            written.push(target);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_reads_its_own_wit_and_names_no_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_rust_sdk(dir.path()).unwrap();
        assert!(!written.is_empty());
        let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
        assert!(!manifest.contains("workspace"), "{manifest}");
        assert!(manifest.contains("wit-bindgen = \""), "{manifest}");
        let lib = std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap();
        assert!(lib.contains("\"wit/context\"") && !lib.contains("../"), "{lib}");
        assert!(dir.path().join("wit/sdk").is_dir() && dir.path().join("wit/context").is_dir());
        assert!(write_rust_sdk(dir.path()).unwrap().is_empty(), "an unchanged SDK is not written again");
    }

    #[test]
    fn wit_packages_are_written_and_refreshed_but_symbolic_links_are_left() {
        let dir = tempfile::tempdir().unwrap();
        let deps = dir.path().join("deps");
        assert!(!write_wit_packages(&deps).unwrap().is_empty());
        for package in ["parigot-context", "parigot-log", "parigot-sdk", "parigot-sqlite", "parigot-test"] {
            assert!(deps.join(package).is_dir(), "{package}");
        }
        assert!(std::fs::read_to_string(deps.join("wasi-cli.wit")).unwrap().starts_with("package wasi:cli@"));
        let edited = deps.join("parigot-sdk").read_dir().unwrap().next().unwrap().unwrap().path();
        std::fs::write(&edited, "stale").unwrap();
        assert_eq!(write_wit_packages(&deps).unwrap(), [edited]);
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::remove_dir_all(deps.join("parigot-log")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, deps.join("parigot-log")).unwrap();
        write_wit_packages(&deps).unwrap();
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing written through a link");
    }
}
