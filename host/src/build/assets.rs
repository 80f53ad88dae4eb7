//! What the host carries to build services anywhere: parigot's WIT packages, the Go and Python
//! SDKs, and the Go runtime package of the bindings generator (embedded by `build.rs`).

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
