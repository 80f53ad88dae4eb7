//! Embeds what `parigot-host build` needs to build services anywhere, not only in this
//! repository: parigot's WIT packages (`wit/`), the Rust, Go, Python and JavaScript SDKs, WASI's WIT (from
//! the `wasmtime-wasi` crate) and the Go runtime package of the bindings generator (inside the
//! `wit-bindgen-go` crate; both crates found with `cargo metadata`). Each tree becomes a list of
//! (relative path, bytes) in `$OUT_DIR/assets.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let repo = manifest_dir.parent().expect("host/ is inside the repository").to_owned();
    let crate_folder = crate_folders(&manifest_dir);
    let mut out = String::new();
    for (name, dir) in [
        ("WIT", repo.join("wit")),
        ("GO_SDK", repo.join("guests/go/sdk")),
        ("PYTHON_SDK", repo.join("guests/python/parigot")),
        ("JS_SDK", repo.join("guests/js/parigot")),
        ("RUST_SDK", repo.join("guests/rust/parigot/src")),
        // The Go package `go.bytecodealliance.org/pkg`, which ships inside the bindings generator.
        ("GO_RUNTIME", crate_folder("wit-bindgen-go").join("src/pkg")),
        ("WASI_WIT", crate_folder("wasmtime-wasi").join("src/p2/wit/deps")),
    ] {
        println!("cargo:rerun-if-changed={}", dir.display());
        embed(&mut out, name, &dir);
    }
    let sdk_manifest = repo.join("guests/rust/parigot/Cargo.toml");
    println!("cargo:rerun-if-changed={}", sdk_manifest.display());
    println!("cargo:rerun-if-changed={}", repo.join("Cargo.toml").display());
    let read =
        |path: &Path| std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let workspace = read(&repo.join("Cargo.toml"));
    let standalone = standalone_manifest(&read(&sdk_manifest), &workspace);
    writeln!(out, "pub static RUST_SDK_MANIFEST: &str = {standalone:?};").unwrap();
    let wit_bindgen = workspace_value(&workspace, "wit-bindgen");
    writeln!(out, "pub static WIT_BINDGEN_VERSION: &str = {:?};", wit_bindgen.trim_matches('"')).unwrap();
    let path = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("assets.rs");
    std::fs::write(path, out).expect("write assets.rs");
}

/// Appends `pub static NAME: &[(&str, &[u8])]` with every file below `dir` (sorted; hidden
/// entries, Markdown and HTML left out, so only sources and licences are embedded).
fn embed(out: &mut String, name: &str, dir: &Path) {
    let mut files = Vec::new();
    collect(dir, Path::new(""), &mut files);
    files.sort();
    writeln!(out, "pub static {name}: &[(&str, &[u8])] = &[").unwrap();
    for file in files {
        let absolute = dir.join(&file);
        writeln!(out, "    ({:?}, include_bytes!({:?})),", file.to_string_lossy(), absolute.display().to_string())
            .unwrap();
    }
    writeln!(out, "];").unwrap();
}

fn collect(root: &Path, relative: &Path, files: &mut Vec<PathBuf>) {
    let dir = root.join(relative);
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display())) {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".md") || name.ends_with(".html") {
            continue;
        }
        let path = relative.join(&name);
        let metadata = std::fs::metadata(entry.path()).expect("metadata");
        if metadata.is_dir() {
            if name != "docs" {
                collect(root, &path, files);
            }
        } else {
            files.push(path);
        }
    }
}

/// The Rust SDK's `Cargo.toml` as a crate outside this workspace has it: every key it inherits
/// from the workspace (`edition.workspace = true`, `wit-bindgen = { workspace = true }`) given
/// the workspace's value.
fn standalone_manifest(sdk: &str, workspace: &str) -> String {
    let mut out = String::new();
    for line in sdk.lines() {
        let key = line.split(['.', '=']).next().unwrap_or_default().trim();
        if line.contains(".workspace = true") || line.contains("{ workspace = true }") {
            writeln!(out, "{key} = {}", workspace_value(workspace, key)).unwrap();
        } else {
            writeln!(out, "{line}").unwrap();
        }
    }
    out
}

/// The value of `key` in the workspace's `Cargo.toml` (`workspace`), as written.
fn workspace_value(workspace: &str, key: &str) -> String {
    let line = workspace
        .lines()
        .find(|line| line.split('=').next().is_some_and(|name| name.trim() == key))
        .unwrap_or_else(|| panic!("the workspace's Cargo.toml has no `{key}`"));
    line.split_once('=').expect("a key = value line").1.trim().to_owned()
}

/// The folders of the crates this build depends on, by name, from `cargo metadata`.
fn crate_folders(manifest_dir: &Path) -> impl Fn(&str) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = std::env::var("TARGET").expect("cargo sets it");
    let output = Command::new(cargo)
        // Not `--offline`: on a fresh machine the metadata covers packages no build has fetched
        // yet (dev-dependencies), which cargo then downloads.
        .args(["metadata", "--format-version", "1", "--filter-platform", &target, "--manifest-path"])
        .arg(manifest_dir.join("Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    move |name| {
        let manifest = metadata["packages"]
            .as_array()
            .and_then(|packages| packages.iter().find(|p| p["name"] == name))
            .and_then(|p| p["manifest_path"].as_str())
            .unwrap_or_else(|| panic!("parigot-host depends on {name}"));
        Path::new(manifest).parent().expect("a crate folder").to_owned()
    }
}
