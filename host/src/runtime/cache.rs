//! The compiled-component cache: compiling a component (seconds for a Python one) happens once
//! per component content and engine configuration; later starts map the compiled artifact
//! from disk in milliseconds.
//!
//! Entries are named by a content hash of the component and a hash of the engine's
//! compatibility settings, and are written to a temporary file and renamed into place, so
//! concurrent hosts (parallel tests, say) never see a half-written entry.
//!
//! Hashing a component means reading all of it (tens of MiB for a Python or JavaScript
//! service), so the cache also records, per file, the content hash it last computed with the
//! file's identity (device and inode), size, and modification and change times
//! ([`FileStamp`]). A start whose file still has the recorded stamp takes the hash from the
//! record without reading the file. Any write to the file moves its change time (which, unlike
//! the modification time, no one can set back), and a replaced file has another inode, so a
//! changed component never matches a record. A stamp is recorded only once the file has been
//! still for [`SETTLED`]: a write within the file system's timestamp granularity of the read
//! could otherwise leave the stamp as it was.
//!
//! The cache holds native code that the host maps and runs, so whoever can write to it can
//! run code as the host: the folder is created `0700`, and a folder that belongs to another
//! user, or that others may write to, is refused.

use std::hash::{Hash, Hasher};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::error::Context;
use wasmtime::{Result, bail};

/// A folder of precompiled components.
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: PathBuf,
    /// The hash of the last engine's compatibility settings, with that engine (hashing them
    /// walks the whole configuration, and every entry's name needs it).
    engine_tag: Arc<Mutex<Option<(Engine, u64)>>>,
}

/// How long a component file must have been unchanged before its content hash is recorded
/// against its stamp.
pub const SETTLED: Duration = Duration::from_secs(2);

/// The content hash of a component file, and its bytes when they had to be read for it.
#[derive(Debug)]
pub struct Identified {
    /// The blake3 hash of the file's bytes.
    pub digest: blake3::Hash,
    /// The bytes, when the hash was computed from them rather than taken from a record.
    pub bytes: Option<Vec<u8>>,
}

/// What identifies a file's version without reading it: which file it is (device, inode),
/// its size, and when its contents and its metadata last changed (nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    device: u64,
    inode: u64,
    size: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl FileStamp {
    /// The stamp of the file at `path` as it is now.
    pub fn of(path: &Path) -> std::io::Result<FileStamp> {
        let m = std::fs::metadata(path)?;
        Ok(FileStamp {
            device: m.dev(),
            inode: m.ino(),
            size: m.size(),
            modified: (m.mtime(), m.mtime_nsec()),
            changed: (m.ctime(), m.ctime_nsec()),
        })
    }

    /// Whether the file has been still for [`SETTLED`] at `now`: neither its contents nor its
    /// metadata changed since (a stamp taken sooner may not show a write that follows).
    fn settled(&self, now: SystemTime) -> bool {
        let Ok(now) = now.duration_since(SystemTime::UNIX_EPOCH) else { return false };
        let latest = self.modified.max(self.changed);
        let Ok(seconds) = u64::try_from(latest.0) else { return false };
        let latest = Duration::new(seconds, u32::try_from(latest.1).unwrap_or(0));
        now.checked_sub(SETTLED).is_some_and(|edge| latest < edge)
    }

    /// The name of this file's record: one record per file (device and inode).
    fn record_name(&self) -> String {
        format!("{:x}-{:x}", self.device, self.inode)
    }

    /// The stamp as a record writes it.
    fn text(&self) -> String {
        let (m, c) = (self.modified, self.changed);
        format!("{} {} {} {} {}", self.size, m.0, m.1, c.0, c.1)
    }

    /// The record of `digest` as this stamp's content.
    fn record(&self, digest: &blake3::Hash) -> String {
        format!("{} {}\n", self.text(), digest.to_hex())
    }

    /// The content hash in `record`, if it was recorded against this very stamp.
    fn digest_in(&self, record: &str) -> Option<blake3::Hash> {
        let (stamp, digest) = record.trim_end().rsplit_once(' ')?;
        if stamp != self.text() {
            return None;
        }
        blake3::Hash::from_hex(digest).ok()
    }
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
        Ok(ComponentCache { dir, engine_tag: Arc::default() })
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

    /// The content hash of the component file at `path`: from the cache's record of the file
    /// when its stamp ([`FileStamp`]) is the recorded one, else hashed from the bytes `read`
    /// returns (which come back with it), and recorded for the next start once the file has
    /// settled. The stamp is taken before the read, so a write during the read leaves a record
    /// that the next start's stamp does not match.
    pub fn identify(&self, path: &Path, read: impl FnOnce() -> Result<Vec<u8>>) -> Result<Identified> {
        self.identify_at(path, read, SystemTime::now())
    }

    /// [`ComponentCache::identify`] at time `now`.
    fn identify_at(&self, path: &Path, read: impl FnOnce() -> Result<Vec<u8>>, now: SystemTime) -> Result<Identified> {
        let stamp = FileStamp::of(path).ok();
        let records = self.dir.join("files");
        if let Some(stamp) = &stamp
            && let Ok(record) = std::fs::read_to_string(records.join(stamp.record_name()))
            && let Some(digest) = stamp.digest_in(&record)
        {
            return Ok(Identified { digest, bytes: None });
        }
        let bytes = read()?;
        let digest = blake3::hash(&bytes);
        if let Some(stamp) = stamp.filter(|stamp| stamp.settled(now))
            && let Err(error) = self.record(&records, &stamp, &digest)
        {
            tracing::debug!("could not record the content hash of {}: {error:#}", path.display());
        }
        Ok(Identified { digest, bytes: Some(bytes) })
    }

    /// Records `digest` as the content of the file with `stamp`, replacing the file's record.
    fn record(&self, records: &Path, stamp: &FileStamp, digest: &blake3::Hash) -> Result<()> {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(records)?;
        let mut temp = tempfile::NamedTempFile::new_in(records)?;
        std::io::Write::write_all(&mut temp, stamp.record(digest).as_bytes())?;
        temp.persist(records.join(stamp.record_name()))?;
        Ok(())
    }

    /// Where the compiled form of a component whose bytes hash to `content` (blake3) lives,
    /// whether or not it exists yet.
    pub fn entry_path(&self, engine: &Engine, content: &blake3::Hash) -> PathBuf {
        self.dir.join(format!("{}-{:016x}.cwasm", content.to_hex(), self.engine_tag(engine)))
    }

    /// The hash of `engine`'s compatibility settings, which names its entries.
    fn engine_tag(&self, engine: &Engine) -> u64 {
        let mut last = self.engine_tag.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match &*last {
            Some((known, tag)) if Engine::same(known, engine) => *tag,
            _ => {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                engine.precompile_compatibility_hash().hash(&mut hasher);
                let tag = hasher.finish();
                *last = Some((engine.clone(), tag));
                tag
            }
        }
    }

    /// Where the WIT of a component whose bytes hash to `content` is kept (as a WIT package;
    /// it does not depend on the engine).
    pub fn wit_path(&self, content: &blake3::Hash) -> PathBuf {
        self.dir.join(format!("{}.wit.wasm", content.to_hex()))
    }

    /// Writes `bytes` at `path` in the cache, whole or not at all; a cache that cannot be
    /// written only costs a later start some work, so failing is logged, not returned.
    pub fn keep(&self, path: &Path, bytes: &[u8]) {
        let written = tempfile::NamedTempFile::new_in(&self.dir).and_then(|mut temp| {
            std::io::Write::write_all(&mut temp, bytes)?;
            temp.persist(path).map(drop).map_err(|e| e.error)
        });
        if let Err(error) = written {
            tracing::warn!("could not write {} in the compile cache: {error:#}", path.display());
        }
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
        match component.serialize() {
            Ok(image) => self.keep(entry, &image),
            Err(error) => tracing::warn!("could not serialize the compiled component for the cache: {error:#}"),
        }
        Ok(component)
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

    /// A new cache and a file holding `bytes` beside it (in a folder that goes with the guard).
    fn cache_and_file(bytes: &[u8]) -> (tempfile::TempDir, ComponentCache, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let cache = ComponentCache::open(dir.path().join("cache")).unwrap();
        let file = dir.path().join("a.wasm");
        std::fs::write(&file, bytes).unwrap();
        (dir, cache, file)
    }

    /// Reads `path` as [`ComponentCache::identify`] does, noting that it did.
    fn identify(cache: &ComponentCache, path: &Path, now: SystemTime) -> (blake3::Hash, bool) {
        let read = || Ok(std::fs::read(path)?);
        let identified = cache.identify_at(path, read, now).unwrap();
        (identified.digest, identified.bytes.is_some())
    }

    #[test]
    fn a_settled_file_is_hashed_once_and_then_known_by_its_stamp() {
        let (_dir, cache, file) = cache_and_file(b"first");
        let later = SystemTime::now() + SETTLED * 2;
        assert_eq!(identify(&cache, &file, later), (blake3::hash(b"first"), true));
        assert_eq!(identify(&cache, &file, later), (blake3::hash(b"first"), false));
    }

    #[test]
    fn a_file_that_just_changed_is_not_recorded() {
        let (_dir, cache, file) = cache_and_file(b"fresh");
        let now = SystemTime::now();
        assert!(identify(&cache, &file, now).1);
        assert!(identify(&cache, &file, now).1, "a file younger than SETTLED is read every time");
    }

    #[test]
    fn a_file_rewritten_in_place_with_its_size_and_time_restored_is_read_again() {
        let (_dir, cache, file) = cache_and_file(b"version 1");
        let before = FileStamp::of(&file).unwrap();
        let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
        let later = SystemTime::now() + SETTLED * 2;
        identify(&cache, &file, later);
        // Past the timestamp granularity of the file system, as a later edit would be.
        std::thread::sleep(Duration::from_millis(50));
        {
            let mut handle = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
            std::io::Write::write_all(&mut handle, b"version 2").unwrap();
            handle.set_modified(modified).unwrap();
        }
        let after = FileStamp::of(&file).unwrap();
        assert_eq!((after.inode, after.size, after.modified), (before.inode, before.size, before.modified));
        assert_eq!(identify(&cache, &file, later), (blake3::hash(b"version 2"), true));
    }

    #[test]
    fn a_record_of_another_stamp_or_a_broken_one_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.wasm");
        std::fs::write(&file, b"x").unwrap();
        let stamp = FileStamp::of(&file).unwrap();
        let digest = blake3::hash(b"x");
        assert_eq!(stamp.digest_in(&stamp.record(&digest)), Some(digest));
        let other = FileStamp { size: stamp.size + 1, ..stamp };
        assert_eq!(other.digest_in(&stamp.record(&digest)), None);
        assert_eq!(stamp.digest_in(&format!("{} not-a-hash\n", stamp.text())), None);
        assert_eq!(stamp.digest_in(""), None);
    }

    #[test]
    fn a_file_is_settled_only_when_both_its_times_are_old_enough() {
        let at = |s: i64| (s, 0);
        let stamp = FileStamp { device: 1, inode: 2, size: 3, modified: at(100), changed: at(100) };
        let when = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        assert!(stamp.settled(when(103)));
        assert!(!stamp.settled(when(101)));
        assert!(!FileStamp { changed: at(102), ..stamp }.settled(when(103)));
    }

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
