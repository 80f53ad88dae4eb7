//! The compiled-component cache: compiling a component (seconds for a Python one) happens once
//! per component content and engine configuration; later starts map the compiled artifact
//! from disk in milliseconds.
//!
//! Entries are named by a content hash of the component and a hash of the engine's
//! compatibility settings, and are written to a temporary file and renamed into place, so
//! concurrent hosts (parallel tests, say) never see a half-written entry.
//!
//! The cache holds native code that the host maps and runs, so whoever can write to it can
//! run code as the host: the folder is created `0700`, and a folder that belongs to another
//! user, or that others may write to, is refused.

use std::hash::{Hash, Hasher};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::error::Context;
use wasmtime::{Result, bail};

/// A folder of precompiled components.
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: PathBuf,
}

/// Where a component came from, for logging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    Miss,
}

impl ComponentCache {
    /// The cache in `dir`, created (`0700`) if missing. Refuses a folder that is not the
    /// current user's, or that its group or others may write to.
    pub fn open(dir: PathBuf) -> Result<Self> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("cannot create the compile cache folder `{}`", dir.display()))?;
        let metadata = std::fs::metadata(&dir)
            .with_context(|| format!("cannot read the compile cache folder `{}`", dir.display()))?;
        check_private(&dir, metadata.uid(), metadata.permissions().mode())?;
        Ok(ComponentCache { dir })
    }

    /// The default folder: `$PARIGOT_CACHE_DIR`, else `$XDG_CACHE_HOME/parigot`, else
    /// `~/.cache/parigot`.
    pub fn default_dir() -> Result<PathBuf> {
        let env_dir = |var: &str| std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from);
        env_dir("PARIGOT_CACHE_DIR")
            .or_else(|| env_dir("XDG_CACHE_HOME").map(|d| d.join("parigot")))
            .or_else(|| env_dir("HOME").map(|d| d.join(".cache").join("parigot")))
            .context("no folder for the compile cache: neither HOME nor XDG_CACHE_HOME is set; give one with `--cache-dir` or PARIGOT_CACHE_DIR")
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the compiled form of a component whose bytes hash to `content` (blake3) lives,
    /// whether or not it exists yet.
    pub fn entry_path(&self, engine: &Engine, content: &blake3::Hash) -> PathBuf {
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut engine_hash);
        self.dir.join(format!("{}-{:016x}.cwasm", content.to_hex(), engine_hash.finish()))
    }

    /// Loads a cached compiled component, if there is a usable one at `entry`.
    pub fn load(&self, engine: &Engine, entry: &Path) -> Option<Component> {
        if !entry.exists() {
            return None;
        }
        // SAFETY: entries are only ever written by `store` below, from `Component::serialize`
        // of this same engine configuration (the file name carries both hashes), and are
        // renamed into place whole. wasmtime still checks the header and refuses mismatches.
        match unsafe { Component::deserialize_file(engine, entry) } {
            Ok(component) => Some(component),
            Err(error) => {
                tracing::warn!("ignoring unusable cache entry {}: {error:#}", entry.display());
                None
            }
        }
    }

    /// Compiles `bytes` and stores the result at `entry`. A cache that cannot be written only
    /// costs the next start a compile, so failing to write is logged, not returned.
    pub fn compile_and_store(&self, engine: &Engine, bytes: &[u8], entry: &Path) -> Result<Component> {
        let component = Component::new(engine, bytes)?;
        if let Err(error) = self.store(&component, entry) {
            tracing::warn!("could not write compile cache {}: {error:#}", self.dir.display());
        }
        Ok(component)
    }

    fn store(&self, component: &Component, entry: &Path) -> Result<()> {
        let mut temp = tempfile::NamedTempFile::new_in(&self.dir)?;
        std::io::Write::write_all(&mut temp, &component.serialize()?)?;
        temp.persist(entry)?;
        Ok(())
    }
}

/// Refuses a cache folder owned by user `owner` with permission bits `mode` unless it is the
/// current user's and only the owner may write to it.
fn check_private(dir: &Path, owner: u32, mode: u32) -> Result<()> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if owner != me {
        bail!(
            "refusing the compile cache folder `{}`: it belongs to user {owner}, not to the current user \
             ({me}); the cache holds native code the host runs, so it must be your own: choose another with \
             `--cache-dir` or PARIGOT_CACHE_DIR",
            dir.display()
        );
    }
    if mode & 0o022 != 0 {
        bail!(
            "refusing the compile cache folder `{}`: others may write to it (mode {:o}); the cache holds \
             native code the host runs: `chmod go-w {}`, or choose another with `--cache-dir`",
            dir.display(),
            mode & 0o777,
            dir.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_folder_is_created_private() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("a/b");
        ComponentCache::open(dir.clone()).unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    }

    #[test]
    fn a_folder_others_may_write_to_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let error = ComponentCache::open(dir.path().to_owned()).unwrap_err().to_string();
        assert!(error.contains("others may write to it (mode 777)"), "{error}");
        assert!(error.contains("chmod go-w"), "{error}");
    }

    #[test]
    fn a_folder_of_another_user_is_refused() {
        let me = unsafe { libc::geteuid() };
        let error = check_private(Path::new("/x"), me + 1, 0o700).unwrap_err().to_string();
        assert!(error.contains(&format!("it belongs to user {}", me + 1)), "{error}");
        assert!(check_private(Path::new("/x"), me, 0o755).is_ok());
    }
}
