//! Cranelift's cache of compiled functions, on disk in the compile cache's folder: a component
//! rebuilt after a small change (a Python service, whose CPython did not change) compiles only
//! the functions that changed. The edit loops use it (`dev`, `test --watch`), where the same
//! component is compiled again and again; a plain start compiles a component once and keeps it
//! whole in the component cache.
//!
//! Cranelift keys each function by its body, the target and the compiler's settings and
//! version, so an entry is never used for another compiler.

use super::cache::ComponentCache;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use wasmtime::CacheStore;

/// The most the function cache keeps on disk; past it, nothing more is stored until the next
/// start finds it full and empties it.
pub const FUNCTION_CACHE_LIMIT: u64 = 2 << 30;

/// Compiled functions, one file each, below `functions/` of the compile cache.
#[derive(Debug)]
pub struct FunctionCache {
    dir: PathBuf,
    /// Bytes held, as counted at the start and since.
    held: AtomicU64,
}

impl FunctionCache {
    /// The function cache of `components`; emptied first if it holds [`FUNCTION_CACHE_LIMIT`]
    /// or more.
    pub fn open(components: &ComponentCache) -> wasmtime::Result<FunctionCache> {
        let dir = components.dir().join("functions");
        let mut held = size_of_tree(&dir);
        if held >= FUNCTION_CACHE_LIMIT {
            tracing::info!("the function cache in {} is full: emptying it", dir.display());
            let _ = std::fs::remove_dir_all(&dir);
            held = 0;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(FunctionCache { dir, held: AtomicU64::new(held) })
    }

    fn path(&self, key: &[u8]) -> PathBuf {
        let hash = blake3::hash(key).to_hex();
        self.dir.join(&hash[..2]).join(&hash[2..])
    }
}

impl CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        std::fs::read(self.path(key)).ok().map(Cow::Owned)
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let size = value.len() as u64;
        if self.held.fetch_add(size, Ordering::Relaxed) + size > FUNCTION_CACHE_LIMIT {
            self.held.fetch_sub(size, Ordering::Relaxed);
            return false;
        }
        let path = self.path(key);
        // Written aside and renamed: another process reading the entry sees all of it or none.
        let stored = path.parent().is_some_and(|folder| std::fs::create_dir_all(folder).is_ok())
            && tempfile::NamedTempFile::new_in(path.parent().unwrap_or(Path::new(".")))
                .and_then(|mut file| {
                    std::io::Write::write_all(&mut file, &value)?;
                    file.persist(&path).map_err(|e| e.error)
                })
                .is_ok();
        if !stored {
            self.held.fetch_sub(size, Ordering::Relaxed);
        }
        stored
    }
}

/// The bytes of the files below `dir` (two levels, as the cache lays them out).
fn size_of_tree(dir: &Path) -> u64 {
    let files = |dir: &Path| std::fs::read_dir(dir).into_iter().flatten().flatten().collect::<Vec<_>>();
    files(dir)
        .iter()
        .flat_map(|folder| files(&folder.path()))
        .filter_map(|file| file.metadata().ok())
        .map(|metadata| metadata.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_the_limit_holds() {
        let dir = tempfile::tempdir().unwrap();
        let components = ComponentCache::open(dir.path().join("cache")).unwrap();
        let cache = FunctionCache::open(&components).unwrap();
        assert!(cache.get(b"f").is_none());
        assert!(cache.insert(b"f", vec![1, 2, 3]));
        assert_eq!(cache.get(b"f").as_deref(), Some(&[1, 2, 3][..]));
        assert_eq!(FunctionCache::open(&components).unwrap().held.load(Ordering::Relaxed), 3, "counted again");
        cache.held.store(FUNCTION_CACHE_LIMIT - 1, Ordering::Relaxed);
        assert!(!cache.insert(b"g", vec![0; 2]), "past the limit nothing is stored");
        assert!(cache.get(b"g").is_none());
    }
}
