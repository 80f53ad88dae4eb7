//! A reproducible OCI image written as an OCI image layout (a folder: `oci-layout`,
//! `index.json`, `blobs/sha256/…`), without a container engine. The same inputs give the same
//! bytes, so the same digests: files sorted, times, owners and gzip headers fixed.
//!
//! Load it with `skopeo copy oci:DIR:TAG docker-daemon:TAG`, or `tar -C DIR -cf - . | docker
//! load` (Docker 25 and later read OCI layouts), or push it with `skopeo copy oci:DIR:TAG
//! docker://REGISTRY/NAME:TAG`.

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeSet;
use std::path::Path;

/// One file of a layer: its absolute path in the image, contents and mode.
#[derive(Debug, Clone)]
pub struct ImageFile {
    pub path: String,
    pub bytes: Vec<u8>,
    pub mode: u32,
}

impl ImageFile {
    pub fn from_bytes(path: &str, bytes: Vec<u8>, mode: u32) -> ImageFile {
        ImageFile { path: path.to_owned(), bytes, mode }
    }

    /// The file at `source` on this machine, at `path` in the image.
    pub fn from_path(path: &str, source: &Path, mode: u32) -> Result<ImageFile, String> {
        let bytes = std::fs::read(source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        Ok(ImageFile::from_bytes(path, bytes, mode))
    }
}

/// What the image holds and how it starts.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// Its layers, lowest first.
    pub layers: Vec<Vec<ImageFile>>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    /// `uid:gid`.
    pub user: String,
    pub working_dir: String,
    /// The reference it is tagged with in the layout's index (`name:tag`).
    pub reference: String,
}

/// A blob of the layout: its media type, digest and size.
struct Blob {
    media_type: &'static str,
    bytes: Vec<u8>,
}

impl Blob {
    fn digest(&self) -> String {
        format!("sha256:{}", hex(&Sha256::digest(&self.bytes)))
    }

    fn descriptor(&self) -> Value {
        json!({"mediaType": self.media_type, "digest": self.digest(), "size": self.bytes.len()})
    }
}

/// Writes `spec` as an OCI image layout into `folder` (created; its old blobs replaced);
/// returns the digest of the image manifest.
pub fn write_layout(spec: &ImageSpec, folder: &Path) -> Result<String, String> {
    let mut blobs = Vec::new();
    let mut diff_ids = Vec::new();
    let mut layer_descriptors = Vec::new();
    for files in &spec.layers {
        let tar = layer_tar(files)?;
        diff_ids.push(format!("sha256:{}", hex(&Sha256::digest(&tar))));
        let layer = Blob { media_type: "application/vnd.oci.image.layer.v1.tar+gzip", bytes: gzip(&tar)? };
        layer_descriptors.push(layer.descriptor());
        blobs.push(layer);
    }
    let config = json!({
        "architecture": oci_architecture(),
        "os": "linux",
        "config": {
            "User": spec.user,
            "Entrypoint": spec.entrypoint,
            "Cmd": spec.cmd,
            "Env": spec.env,
            "WorkingDir": spec.working_dir,
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    let config = Blob { media_type: "application/vnd.oci.image.config.v1+json", bytes: to_json(&config) };
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config.descriptor(),
        "layers": layer_descriptors,
    });
    blobs.push(config);
    let manifest = Blob { media_type: "application/vnd.oci.image.manifest.v1+json", bytes: to_json(&manifest) };
    let mut descriptor = manifest.descriptor();
    descriptor["annotations"] = json!({"org.opencontainers.image.ref.name": tag_of(&spec.reference)});
    let index =
        json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [descriptor]});
    let digest = manifest.digest();
    blobs.push(manifest);

    let blob_folder = folder.join("blobs/sha256");
    if blob_folder.exists() {
        std::fs::remove_dir_all(&blob_folder).map_err(|e| format!("cannot clear {}: {e}", blob_folder.display()))?;
    }
    std::fs::create_dir_all(&blob_folder).map_err(|e| format!("cannot create {}: {e}", blob_folder.display()))?;
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    for blob in &blobs {
        write(&blob_folder.join(blob.digest().trim_start_matches("sha256:")), &blob.bytes)?;
    }
    write(&folder.join("oci-layout"), &to_json(&json!({"imageLayoutVersion": "1.0.0"})))?;
    write(&folder.join("index.json"), &to_json(&index))?;
    Ok(digest)
}

/// The tag part of `reference` (`name:tag` → `tag`; `latest` without one).
fn tag_of(reference: &str) -> &str {
    match reference.rsplit_once(':') {
        Some((_, tag)) if !tag.contains('/') => tag,
        _ => "latest",
    }
}

/// The layer's tar: every file and its parent folders, sorted by path, owned by root, with
/// time zero.
fn layer_tar(files: &[ImageFile]) -> Result<Vec<u8>, String> {
    let mut folders = BTreeSet::new();
    for file in files {
        let mut path = Path::new(file.path.trim_start_matches('/'));
        while let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            folders.insert(parent.to_string_lossy().into_owned());
            path = parent;
        }
    }
    let mut entries: Vec<(String, Option<&ImageFile>)> = folders.into_iter().map(|f| (format!("{f}/"), None)).collect();
    entries.extend(files.iter().map(|file| (file.path.trim_start_matches('/').to_owned(), Some(file))));
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(twice) = entries.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(format!("two files of one layer have the path /{}", twice[0].0));
    }
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic);
    for (path, file) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        let failed = |e: std::io::Error| format!("cannot add /{path} to the image: {e}");
        match file {
            None => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                builder.append_data(&mut header, &path, std::io::empty()).map_err(failed)?;
            }
            Some(file) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(file.mode);
                header.set_size(file.bytes.len() as u64);
                builder.append_data(&mut header, &path, file.bytes.as_slice()).map_err(failed)?;
            }
        }
    }
    builder.into_inner().map_err(|e| format!("cannot finish a layer: {e}"))
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Write as _;
    let mut encoder = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).and_then(|()| encoder.finish()).map_err(|e| format!("cannot compress a layer: {e}"))
}

fn to_json(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON values serialize")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// This machine's architecture, as OCI names it.
fn oci_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// The shared libraries `binary` loads (and the loader), as `ldd` lists them on this machine,
/// at the paths the binary looks for them: the image's base, so that the host runs in an
/// image with nothing else in it. A static binary needs none.
pub fn runtime_libraries(binary: &Path) -> Result<Vec<ImageFile>, String> {
    let output = std::process::Command::new("ldd")
        .arg(binary)
        .output()
        .map_err(|e| format!("cannot run `ldd` to find the libraries {} needs: {e}", binary.display()))?;
    let listing = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || listing.contains("not a dynamic executable") || listing.contains("statically linked")
    {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for line in listing.lines() {
        // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` or `/lib64/ld-linux-x86-64.so.2 (0x…)`.
        let path = match line.split_once("=>") {
            Some((_, target)) => target.split_whitespace().next(),
            None => line.split_whitespace().next().filter(|p| p.starts_with('/')),
        };
        if let Some(path) = path.filter(|p| p.starts_with('/')) {
            files.push(ImageFile::from_path(path, Path::new(path), 0o755)?);
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(contents: &[u8]) -> ImageSpec {
        ImageSpec {
            layers: vec![vec![
                ImageFile::from_bytes("/app/b.txt", contents.to_vec(), 0o644),
                ImageFile::from_bytes("/app/sub/a.wasm", b"wasm".to_vec(), 0o644),
            ]],
            entrypoint: vec!["/app/parigot-host".into()],
            cmd: vec!["--help".into()],
            env: vec![],
            user: "65532:65532".into(),
            working_dir: "/app".into(),
            reference: "example/app:1.0".into(),
        }
    }

    #[test]
    fn the_same_inputs_give_the_same_digest_and_other_inputs_another() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = write_layout(&spec(b"x"), one.path()).unwrap();
        assert_eq!(write_layout(&spec(b"x"), two.path()).unwrap(), first);
        assert_ne!(write_layout(&spec(b"y"), two.path()).unwrap(), first);
        let index: Value = serde_json::from_slice(&std::fs::read(one.path().join("index.json")).unwrap()).unwrap();
        assert_eq!(index["manifests"][0]["digest"], first);
        assert_eq!(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "1.0");
    }

    #[test]
    fn a_layer_lists_folders_before_their_files_all_owned_by_root_at_time_zero() {
        let tar = layer_tar(&spec(b"x").layers[0]).unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u64, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    e.header().mtime().unwrap(),
                    e.header().uid().unwrap(),
                )
            })
            .collect();
        let paths: Vec<&str> = entries.iter().map(|(p, _, _)| p.as_str()).collect();
        assert_eq!(paths, ["app/", "app/b.txt", "app/sub/", "app/sub/a.wasm"]);
        assert!(entries.iter().all(|(_, mtime, uid)| *mtime == 0 && *uid == 0));
        let twice =
            layer_tar(&[ImageFile::from_bytes("/a", vec![], 0o644), ImageFile::from_bytes("/a", vec![], 0o644)]);
        assert!(twice.unwrap_err().contains("/a"));
    }
}
