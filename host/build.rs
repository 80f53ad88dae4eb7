//! Embeds what `parigot-host build` needs to build services anywhere, not only in this
//! repository: parigot's WIT packages (`wit/`), the Go and Python SDKs, and the Go runtime
//! package of the bindings generator (which ships inside the `wit-bindgen-go` crate, found
//! with `cargo metadata`). Each tree becomes a list of (relative path, bytes) in
//! `$OUT_DIR/assets.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let repo = manifest_dir.parent().expect("host/ is inside the repository").to_owned();
    let mut out = String::new();
    for (name, dir) in [
        ("WIT", repo.join("wit")),
        ("GO_SDK", repo.join("guests/go/sdk")),
        ("PYTHON_SDK", repo.join("guests/python/parigot")),
        ("GO_RUNTIME", go_runtime(&manifest_dir)),
    ] {
        println!("cargo:rerun-if-changed={}", dir.display());
        embed(&mut out, name, &dir);
    }
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

/// The Go package `go.bytecodealliance.org/pkg` inside the `wit-bindgen-go` crate this build
/// uses (`src/pkg`), located with `cargo metadata`.
fn go_runtime(manifest_dir: &Path) -> PathBuf {
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
    let manifest = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "wit-bindgen-go"))
        .and_then(|p| p["manifest_path"].as_str())
        .expect("parigot-host depends on wit-bindgen-go");
    Path::new(manifest).parent().expect("a crate folder").join("src/pkg")
}
