//! Checking credentials at the edge: argon2id verification off the async workers, with bounded
//! concurrency and a bounded queue, the same cost for an unknown user as for a wrong password,
//! failed logins throttled by user and by client address ([`super::throttle`]), and a
//! short-lived cache of verified credentials that a change of the users file empties.

use super::throttle::{LoginThrottle, Throttled};
use super::{Credentials, Malformed, UserStore, password_matches};
use crate::kernel::queue::WaitQueue;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a verified credential is trusted without verifying it again.
const CACHE_TTL: Duration = Duration::from_secs(30);

/// At most this many credentials are cached; past it the cache starts over.
const CACHE_ENTRIES: usize = 10_000;

/// The most logins that may wait for a verification at once; past it a login is refused.
pub const MAX_WAITING: usize = 256;

/// Why a request is not logged in.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    #[error(transparent)]
    Malformed(#[from] Malformed),
    /// An unknown user or a wrong password (the answer does not say which).
    #[error("wrong user name or password")]
    Wrong,
    /// The users file cannot be read, or too many logins wait for a verification.
    #[error("{0}")]
    Unavailable(String),
    /// Too many failed logins for the user or from the client: refused without a check.
    #[error(transparent)]
    Throttled(#[from] Throttled),
}

/// Checks credentials against a wos's users.
pub struct Authenticator {
    store: UserStore,
    loaded: Mutex<Loaded>,
    cache: Mutex<BTreeMap<[u8; 32], Verified>>,
    /// This process's key for the cache's digests of credentials.
    key: [u8; 32],
    /// Verifications running at once, at most one per CPU.
    permits: tokio::sync::Semaphore,
    /// Logins waiting for a verification.
    waiting: WaitQueue,
    /// Failed logins, by user and by client address.
    throttle: LoginThrottle,
    /// A hash an unknown user's password is verified against, so that it costs what a known
    /// user's does.
    dummy: Arc<str>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").field("users", &self.store.path()).finish_non_exhaustive()
    }
}

/// The users as last read.
struct Loaded {
    stamp: Option<FileStamp>,
    users: Arc<BTreeMap<String, String>>,
    /// Counts the reads of a changed file; cache entries of another generation are stale.
    generation: u64,
}

/// What tells one version of the users file from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: std::time::SystemTime,
    len: u64,
    inode: u64,
}

struct Verified {
    user: String,
    at: Instant,
    generation: u64,
}

impl Authenticator {
    /// An authenticator for the users of `store`; reads the file at once, so a broken one is
    /// an error at start-up.
    pub fn new(store: UserStore) -> Result<Authenticator, String> {
        use argon2::password_hash::rand_core::{OsRng, RngCore as _};
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        let mut noise = [0u8; 32];
        OsRng.fill_bytes(&mut noise);
        let dummy = super::hash_password(&blake3::hash(&noise).to_hex())?;
        let parallelism = std::thread::available_parallelism().map_or(1, usize::from);
        let authenticator = Authenticator {
            store,
            loaded: Mutex::new(Loaded { stamp: None, users: Arc::default(), generation: 0 }),
            cache: Mutex::default(),
            key,
            permits: tokio::sync::Semaphore::new(parallelism),
            waiting: WaitQueue::new(MAX_WAITING),
            throttle: LoginThrottle::default(),
            dummy: dummy.into(),
        };
        authenticator.current()?;
        Ok(authenticator)
    }

    /// The user `credentials` log in as, sent by a client at `client` (if known). A
    /// credential verified lately is taken from the cache, even while its user is throttled.
    pub async fn verify(&self, credentials: Credentials, client: Option<IpAddr>) -> Result<String, Denied> {
        let (users, generation) = self.current().map_err(Denied::Unavailable)?;
        let digest = self.digest(&credentials);
        if let Some(user) = self.cached(&digest, generation) {
            return Ok(user);
        }
        self.throttle.check(&credentials.user, client)?;
        let known = users.get(&credentials.user).cloned();
        let hash = known.clone().map_or_else(|| self.dummy.clone(), Arc::from);
        let password = credentials.password;
        let matches = {
            let _place = self.waiting.join().ok_or_else(|| {
                Denied::Unavailable(format!(
                    "{MAX_WAITING} logins already wait for their password check; try again shortly"
                ))
            })?;
            let permit =
                self.permits.acquire().await.map_err(|_| Denied::Unavailable("the host is stopping".into()))?;
            let matches = tokio::task::spawn_blocking(move || password_matches(&password, &hash))
                .await
                .map_err(|e| Denied::Unavailable(format!("the password check failed: {e}")))?;
            drop(permit);
            matches
        };
        if known.is_none() || !matches {
            self.throttle.failed(&credentials.user, client);
            return Err(Denied::Wrong);
        }
        self.throttle.succeeded(&credentials.user);
        let mut cache = crate::kernel::lock(&self.cache);
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(digest, Verified { user: credentials.user.clone(), at: Instant::now(), generation });
        Ok(credentials.user)
    }

    /// The users, read again if the file changed since (which empties the cache), and their
    /// generation.
    fn current(&self) -> Result<(Arc<BTreeMap<String, String>>, u64), String> {
        let stamp = file_stamp(self.store.path());
        let mut loaded = crate::kernel::lock(&self.loaded);
        if loaded.generation == 0 || loaded.stamp != stamp {
            loaded.users = Arc::new(self.store.hashes()?);
            loaded.stamp = stamp;
            loaded.generation += 1;
            crate::kernel::lock(&self.cache).clear();
        }
        Ok((loaded.users.clone(), loaded.generation))
    }

    fn cached(&self, digest: &[u8; 32], generation: u64) -> Option<String> {
        let cache = crate::kernel::lock(&self.cache);
        let entry = cache.get(digest)?;
        (entry.generation == generation && entry.at.elapsed() < CACHE_TTL).then(|| entry.user.clone())
    }

    /// A digest of the credentials under this process's key: what the cache keeps instead
    /// of the password.
    fn digest(&self, credentials: &Credentials) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        hasher.update(&(credentials.user.len() as u64).to_le_bytes());
        hasher.update(credentials.user.as_bytes());
        hasher.update(credentials.password.as_bytes());
        *hasher.finalize().as_bytes()
    }
}

fn file_stamp(path: &std::path::Path) -> Option<FileStamp> {
    use std::os::unix::fs::MetadataExt as _;
    let metadata = std::fs::metadata(path).ok()?;
    Some(FileStamp { modified: metadata.modified().ok()?, len: metadata.len(), inode: metadata.ino() })
}
