//! The compiled-component cache: compiling a component (seconds for a Python one) happens once
//! per component content and engine configuration; later starts map the compiled artifact
//! from disk in milliseconds.
//!
//! Entries are named by a content hash of the component and a hash of the engine's
//! compatibility settings, and are written to a temporary file and renamed into place, so
//! concurrent hosts (parallel tests, say) never see a half-written entry.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::Result;
use wasmtime::component::Component;
use wasmtime::error::Context;

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
    /// A cache in `dir` (created when first written).
    pub fn new(dir: PathBuf) -> Self {
        ComponentCache { dir }
    }

    /// The default folder: `$PARIGOT_CACHE_DIR`, else `$XDG_CACHE_HOME/parigot`, else
    /// `~/.cache/parigot`, else a folder in the system's temporary directory.
    pub fn default_dir() -> PathBuf {
        let env_dir = |var: &str| std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from);
        env_dir("PARIGOT_CACHE_DIR")
            .or_else(|| env_dir("XDG_CACHE_HOME").map(|d| d.join("parigot")))
            .or_else(|| env_dir("HOME").map(|d| d.join(".cache").join("parigot")))
            .unwrap_or_else(|| std::env::temp_dir().join("parigot-cache"))
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the compiled form of `bytes` lives (whether or not it exists yet).
    pub fn entry_path(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut engine_hash);
        let content = blake3::hash(bytes);
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
        std::fs::create_dir_all(&self.dir).with_context(|| format!("creating {}", self.dir.display()))?;
        let mut temp = tempfile::NamedTempFile::new_in(&self.dir)?;
        std::io::Write::write_all(&mut temp, &component.serialize()?)?;
        temp.persist(entry)?;
        Ok(())
    }
}
