//! The users of a wos: names with argon2id password hashes (PHC strings), kept in
//! `DATA_DIR/users.toml` (`parigot-host user add|passwd|remove|list`), and the edge's check of
//! a request's `Authorization: Basic` credentials against them ([`Authenticator`]).
//!
//! Across processes, a user travels only between hosts that share the deployment's secret
//! ([`PeerSecret`]).
//!
//! No plain password is stored or logged. The file is written atomically with mode 0600; a
//! running host notices a change (a new password, a removed user) on the next login, and its
//! cache of verified credentials never outlives one.

mod basic;
mod peer;
pub mod throttle;
mod verify;

pub use basic::{Credentials, Malformed, parse_basic};
pub use peer::{
    PROOF_HEADER, PeerClaim, PeerSecret, ProofRefused, SeenNonces, USER_HEADER, decode_user, encode_user, is_loopback,
    unix_now,
};
pub use verify::{Authenticator, Denied};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The users file's name in the data folder.
pub const USERS_FILE: &str = "users.toml";

/// The longest user name, in bytes.
const MAX_NAME: usize = 64;

/// The longest password, in bytes (argon2 takes any length; a bound keeps a login cheap to
/// refuse).
pub const MAX_PASSWORD: usize = 1024;

/// What the users file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    users: BTreeMap<String, UserEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    /// The argon2id hash of the password, as a PHC string.
    password: String,
}

/// The users file of one wos.
#[derive(Debug, Clone)]
pub struct UserStore {
    path: PathBuf,
}

impl UserStore {
    /// The users of the wos whose data folder is `data_dir`.
    pub fn new(data_dir: &Path) -> UserStore {
        UserStore { path: data_dir.join(USERS_FILE) }
    }

    /// Where the users are kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The user names, sorted.
    pub fn list(&self) -> Result<Vec<String>, String> {
        Ok(self.read()?.users.into_keys().collect())
    }

    /// Adds user `name` with `password`; an error if there is one by that name.
    pub fn add(&self, name: &str, password: &str) -> Result<(), String> {
        check_name(name)?;
        let password = hash_password(password)?;
        self.update(|file| {
            if file.users.contains_key(name) {
                return Err(format!("there is already a user `{name}`; change the password with `user passwd`"));
            }
            file.users.insert(name.to_owned(), UserEntry { password });
            Ok(())
        })
    }

    /// Sets the password of user `name`.
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), String> {
        let password = hash_password(password)?;
        self.update(|file| {
            file.users.get_mut(name).ok_or_else(|| no_such_user(name))?.password = password;
            Ok(())
        })
    }

    /// Removes user `name`.
    pub fn remove(&self, name: &str) -> Result<(), String> {
        self.update(|file| file.users.remove(name).map(drop).ok_or_else(|| no_such_user(name)))
    }

    /// Reads the file, applies `change` and writes the result, holding the users' lock
    /// throughout, so that two `user` commands at once cannot lose each other's change.
    fn update(&self, change: impl FnOnce(&mut UsersFile) -> Result<(), String>) -> Result<(), String> {
        let _lock = self.lock()?;
        let mut file = self.read()?;
        change(&mut file)?;
        self.write(&file)
    }

    /// Takes the users' lock (an exclusive `flock` on `users.toml.lock` beside the file),
    /// waiting for another holder; released when the returned file is dropped.
    fn lock(&self) -> Result<std::fs::File, String> {
        use std::os::fd::AsRawFd as _;
        let folder = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        let path = self.path.with_extension("toml.lock");
        let failed = |e: std::io::Error| format!("cannot lock the users file with {}: {e}", path.display());
        let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(failed)?;
        // SAFETY: `flock` on a descriptor this function owns; it touches no memory.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(failed(std::io::Error::last_os_error()));
        }
        Ok(lock)
    }

    /// Whether there is a user `name`.
    pub fn contains(&self, name: &str) -> Result<bool, String> {
        Ok(self.read()?.users.contains_key(name))
    }

    /// The users with their password hashes (none when there is no file yet).
    fn hashes(&self) -> Result<BTreeMap<String, String>, String> {
        Ok(self.read()?.users.into_iter().map(|(name, entry)| (name, entry.password)).collect())
    }

    fn read(&self) -> Result<UsersFile, String> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(UsersFile::default()),
            Err(e) => return Err(format!("cannot read the users file {}: {e}", self.path.display())),
        };
        let file: UsersFile =
            toml::from_str(&text).map_err(|e| format!("the users file {} is not valid: {e}", self.path.display()))?;
        for (name, entry) in &file.users {
            PasswordHash::new(&entry.password).map_err(|e| {
                format!("the users file {}: user `{name}` has no valid password hash ({e})", self.path.display())
            })?;
        }
        Ok(file)
    }

    /// Replaces the file atomically (a temporary file in the same folder, written to disk, then
    /// renamed, and the rename itself written to disk with the folder), readable by its owner
    /// only.
    fn write(&self, file: &UsersFile) -> Result<(), String> {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let folder = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        let text = toml::to_string(file).map_err(|e| format!("cannot encode the users: {e}"))?;
        let temp = self.path.with_extension("toml.tmp");
        let failed = |e: std::io::Error| format!("cannot write the users file {}: {e}", self.path.display());
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)
            .map_err(failed)?;
        out.write_all(format!("# The users of this wos: `parigot-host user` changes this file.\n{text}").as_bytes())
            .and_then(|()| out.sync_all())
            .map_err(failed)?;
        std::fs::rename(&temp, &self.path).map_err(failed)?;
        std::fs::File::open(folder).and_then(|folder| folder.sync_all()).map_err(failed)
    }
}

fn no_such_user(name: &str) -> String {
    format!("there is no user `{name}`; `parigot-host user list` shows the users")
}

/// A user name: 1 to 64 bytes of letters, digits and `.`, `_`, `-`, `@` (so it never holds
/// the `:` that ends it in a Basic credential, nor anything a log line would misread).
pub fn check_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if name.is_empty() || name.len() > MAX_NAME || !name.chars().all(allowed) {
        return Err(format!(
            "`{}` is not a user name: use 1 to {MAX_NAME} letters, digits, `.`, `_`, `-` or `@`",
            name.escape_debug()
        ));
    }
    Ok(())
}

/// The argon2id hash of `password` with a fresh salt, as a PHC string.
fn hash_password(password: &str) -> Result<String, String> {
    if password.is_empty() {
        return Err("the password is empty".into());
    }
    if password.len() > MAX_PASSWORD {
        return Err(format!("the password is longer than {MAX_PASSWORD} bytes"));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `hash` (a full argon2 verification, whatever the
/// answer).
fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

#[cfg(test)]
mod tests;
