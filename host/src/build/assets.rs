//! What the host carries to build services anywhere: parigot's WIT packages, the Rust, Go,
//! Python and JavaScript SDKs, and the Go runtime package of the bindings generator (embedded by `build.rs`).

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Embedded files: (path relative to their tree, bytes).
pub type Files = Vec<(&'static str, &'static [u8])>;

/// parigot's WIT packages as a guest's WIT folder holds them in `deps/`: one folder per
/// package (`parigot-context`, `parigot-log`, ...), each with its files.
pub fn wit_packages() -> Vec<(String, Files)> {
    let mut packages: Vec<(String, Files)> = Vec::new();
    for &(path, bytes) in WIT {
        let Some((package, file)) = path.split_once('/') else { continue };
        let folder = format!("parigot-{package}");
        match packages.iter_mut().find(|(name, _)| *name == folder) {
            Some((_, files)) => files.push((file, bytes)),
            None => packages.push((folder, vec![(file, bytes)])),
        }
    }
    packages
}

/// WASI's WIT packages (`wasi:cli`, `wasi:io`, ...), one file each, as a WIT folder's `deps/`
/// holds them: `wasi-cli.wit`, ... (what a program's world needs for `export wasi:cli/run`).
pub fn wasi_packages() -> Vec<(String, &'static [u8])> {
    WASI_WIT.iter().map(|(file, bytes)| (format!("wasi-{file}"), *bytes)).collect()
}

/// A digest of everything above: a component built by another version of these files (an
/// older host's SDK or WIT) is rebuilt, even when its own sources did not change. Computed
/// once per process.
pub fn digest() -> &'static str {
    static DIGEST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DIGEST.get_or_init(compute_digest)
}

fn compute_digest() -> String {
    let mut hasher = blake3::Hasher::new();
    let manifest: Files = vec![("Cargo.toml", RUST_SDK_MANIFEST.as_bytes())];
    for (tree, files) in [
        ("wit", WIT),
        ("go-sdk", GO_SDK),
        ("python-sdk", PYTHON_SDK),
        ("js-sdk", JS_SDK),
        ("go-runtime", GO_RUNTIME),
        ("rust-sdk", RUST_SDK),
        ("wasi-wit", WASI_WIT),
        ("rust-sdk-manifest", &manifest),
    ] {
        for (path, bytes) in files {
            for part in [tree.as_bytes(), path.as_bytes(), bytes] {
                hasher.update(&(part.len() as u64).to_le_bytes());
                hasher.update(part);
            }
        }
    }
    hasher.finalize().to_hex().to_string()
}
