//! Files: host folders a service is granted, seen by its guest through WASI's filesystem at
//! paths of the wos's choosing (`[services.NAME.files]`), read-only unless the grant says
//! `write = true`. A service granted nothing sees no files at all.
//!
//! WASI's preopens are capabilities: a guest reaches files only through a folder it was
//! given, and wasmtime resolves every path beneath it (cap-std), so `..`, absolute paths and
//! symbolic links that lead outside the folder fail.
//!
//! At start, each granted folder is made canonical and opened once ([`prepare`]); every
//! instance is given that same open folder, never the path again, so nothing done to the path
//! later (a folder replaced by a symbolic link, say) changes what the next instance sees. The
//! grants of a wos may not overlap where one is writable, nor contain the wos's data folder
//! (its databases, its users), its peer secret or its TLS files ([`check_overlaps`]).
//!
//! ```toml
//! [services.notes.files]
//! "/assets" = "static"                          # read-only
//! "/data" = { host = "data", write = true }     # read-write, created if missing
//! ```

use serde::Deserialize;
use std::collections::BTreeMap;
use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// The capability: the folders the wos grants a service, as WASI preopens. It has no WIT of
/// its own (guests use `wasi:filesystem`, which every service imports and which shows nothing
/// without a grant).
pub struct Files;

impl super::Unit for Files {
    const ABOUT: super::Capability =
        super::Capability { name: "files", interfaces: &[], grant_key: Some("files"), test_only: false };
    /// The service's granted folders, opened.
    type Service = OpenedGrants;
    type Instance = ();

    /// Opens every service's granted folders, once, and checks them against one another and
    /// against what no service may see (the data folder, the peer secret, the TLS files).
    fn prepare(wos: &super::WosPlan<'_>, start: &super::Start<'_>) -> wasmtime::Result<Vec<OpenedGrants>> {
        let opened = wos
            .services
            .iter()
            .map(|service| {
                prepare(service.files)
                    .map_err(|why| wasmtime::format_err!("cannot start service `{}`: {why}", service.name))
            })
            .collect::<wasmtime::Result<Vec<_>>>()?;
        if opened.iter().all(OpenedGrants::is_empty) {
            return Ok(opened);
        }
        std::fs::create_dir_all(start.data_dir)
            .map_err(|e| wasmtime::format_err!("cannot create the data folder {}: {e}", start.data_dir.display()))?;
        let mut protected = vec![("the data folder (databases and users)", start.data_dir.to_owned())];
        protected.extend(wos.protected.iter().cloned());
        let named: Vec<(&str, &OpenedGrants)> =
            wos.services.iter().map(|service| service.name.as_str()).zip(&opened).collect();
        check_overlaps(&named, &protected)
            .map_err(|why| wasmtime::format_err!("cannot start wos `{}`: {why}", wos.name))?;
        Ok(opened)
    }

    fn configure_wasi(opened: &OpenedGrants, builder: &mut WasiCtxBuilder) -> wasmtime::Result<()> {
        preopen(builder, opened)
    }
}

/// `[services.NAME.files]`, as written: guest paths and what they show.
pub type FilesTable = BTreeMap<String, RawGrant>;

/// One entry of `[services.NAME.files]`: a host folder, read-only, or a table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum RawGrant {
    /// A host folder, read-only.
    Folder(PathBuf),
    /// `{ host = "...", write = true }`.
    Table {
        host: PathBuf,
        #[serde(default)]
        write: bool,
    },
}

/// A host folder a service's guest sees at `guest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileGrant {
    /// The path the guest opens it by (absolute, normalised).
    pub guest: String,
    /// The host folder.
    pub host: PathBuf,
    /// Whether the guest may create, change and remove files in it.
    pub write: bool,
}

/// The grants of `table`, with host folders resolved against `folder` (the manifest's).
pub fn resolve(table: FilesTable, folder: &Path) -> Result<Vec<FileGrant>, String> {
    table
        .into_iter()
        .map(|(guest, grant)| {
            check_guest_path(&guest)?;
            let (host, write) = match grant {
                RawGrant::Folder(host) => (host, false),
                RawGrant::Table { host, write } => (host, write),
            };
            Ok(FileGrant { guest, host: folder.join(host), write })
        })
        .collect()
}

/// A guest path must be absolute and plain: no `.` or `..` parts, no trailing `/`.
fn check_guest_path(guest: &str) -> Result<(), String> {
    let plain = |part: &str| !part.is_empty() && part != "." && part != "..";
    let valid = guest == "/" || guest.strip_prefix('/').is_some_and(|rest| rest.split('/').all(plain));
    if !valid {
        return Err(format!(
            "files: `{guest}` is not a guest path: write an absolute path without `.` or `..`, as in `\"/data\"`"
        ));
    }
    Ok(())
}

/// A service's granted folders, each opened once: what its instances are given.
#[derive(Debug, Clone, Default)]
pub struct OpenedGrants(Arc<Vec<OpenedGrant>>);

impl OpenedGrants {
    /// Whether the service was granted no folder.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug)]
struct OpenedGrant {
    guest: String,
    /// The canonical host folder (for messages and the overlap checks).
    host: PathBuf,
    write: bool,
    /// The folder, opened.
    folder: std::fs::File,
}

/// Prepares a service's grants before it starts: a read-only folder must exist, a writable
/// one is created if missing; each is made canonical and opened.
fn prepare(grants: &[FileGrant]) -> Result<OpenedGrants, String> {
    let mut opened = Vec::with_capacity(grants.len());
    for grant in grants {
        if grant.write {
            std::fs::create_dir_all(&grant.host)
                .map_err(|e| format!("files `{}`: cannot create {}: {e}", grant.guest, grant.host.display()))?;
        } else if !grant.host.is_dir() {
            return Err(format!(
                "files `{}`: the folder {} does not exist; create it, or correct `[services.NAME.files]`",
                grant.guest,
                grant.host.display()
            ));
        }
        let failed = |e: std::io::Error| format!("files `{}`: cannot open {}: {e}", grant.guest, grant.host.display());
        let host = std::fs::canonicalize(&grant.host).map_err(failed)?;
        let folder = std::fs::File::open(&host).map_err(failed)?;
        opened.push(OpenedGrant { guest: grant.guest.clone(), host, write: grant.write, folder });
    }
    Ok(OpenedGrants(Arc::new(opened)))
}

/// Refuses grants of a wos where one lies inside another and either is writable (the outer
/// one could replace the inner folder, by a symbolic link say, and change what the inner grant
/// shows at the next start), and grants that contain one of `protected` (what no service may
/// see: the data folder, the peer secret, the TLS files), each named for the message. Grants
/// of the very same folder are a wos sharing it on purpose, and allowed.
/// `services` are the wos's services with their prepared grants.
pub fn check_overlaps(services: &[(&str, &OpenedGrants)], protected: &[(&str, PathBuf)]) -> Result<(), String> {
    let grants: Vec<(&str, &OpenedGrant)> =
        services.iter().flat_map(|(service, opened)| opened.0.iter().map(move |grant| (*service, grant))).collect();
    for (service, grant) in &grants {
        for (what, path) in protected {
            let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            if path.starts_with(&grant.host) {
                return Err(format!(
                    "service `{service}`: files `{}` ({}) contains {what} ({}), which no service may see; grant a \
                     folder of its own",
                    grant.guest,
                    grant.host.display(),
                    path.display()
                ));
            }
        }
    }
    for (i, (service, grant)) in grants.iter().enumerate() {
        for (other_service, other) in &grants[i + 1..] {
            let nested = grant.host != other.host
                && (grant.host.starts_with(&other.host) || other.host.starts_with(&grant.host));
            if nested && (grant.write || other.write) {
                return Err(format!(
                    "files `{}` of service `{service}` ({}) and `{}` of service `{other_service}` ({}) overlap, and \
                     one of them is writable: a writable grant may neither contain another nor lie inside one; give \
                     each its own folder (or grant the very same folder to both)",
                    grant.guest,
                    grant.host.display(),
                    other.guest,
                    other.host.display()
                ));
            }
        }
    }
    Ok(())
}

/// Gives the guest of `builder` the folders of `opened`, and nothing else: each the folder
/// opened at start (reached through this process's descriptor of it), whatever its path
/// leads to now.
fn preopen(builder: &mut WasiCtxBuilder, opened: &OpenedGrants) -> wasmtime::Result<()> {
    for grant in opened.0.iter() {
        let perms = if grant.write { FsPerms::ReadWrite } else { FsPerms::ReadOnly };
        let descriptor = format!("/proc/self/fd/{}", grant.folder.as_raw_fd());
        builder.preopened_dir(&descriptor, &grant.guest, perms).map_err(|error| {
            error.context(format!("cannot open {} for the guest's `{}`", grant.host.display(), grant.guest))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_read_only_unless_they_say_write() {
        let table: FilesTable =
            toml::from_str("\"/assets\" = \"static\"\n\"/data\" = { host = \"data\", write = true }").unwrap();
        let grants = resolve(table, Path::new("/wos")).unwrap();
        assert_eq!(
            grants,
            [
                FileGrant { guest: "/assets".into(), host: "/wos/static".into(), write: false },
                FileGrant { guest: "/data".into(), host: "/wos/data".into(), write: true },
            ]
        );
    }

    #[test]
    fn guest_paths_must_be_absolute_and_plain() {
        for bad in ["data", "/data/../etc", "/./data", "/data/", "//data"] {
            let table = FilesTable::from([(bad.to_owned(), RawGrant::Folder("x".into()))]);
            let error = resolve(table, Path::new("/wos")).unwrap_err();
            assert!(error.contains(&format!("`{bad}` is not a guest path")), "{error}");
        }
    }

    #[test]
    fn overlapping_grants_and_grants_of_protected_paths_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let grant = |guest: &str, host: &str, write: bool| {
            std::fs::create_dir_all(dir.path().join(host)).unwrap();
            let grant = FileGrant { guest: guest.into(), host: dir.path().join(host), write };
            prepare(&[grant]).unwrap()
        };
        let (shared, inner, reader) =
            (grant("/s", "shared", true), grant("/i", "shared/inner", false), grant("/r", "ro", false));
        let error = check_overlaps(&[("a", &shared), ("b", &inner)], &[]).unwrap_err();
        assert!(error.contains("files `/s` of service `a`"), "{error}");
        assert!(error.contains("and `/i` of service `b`"), "{error}");
        assert!(error.contains("overlap, and one of them is writable"), "{error}");
        // Read-only grants of one folder are fine.
        let again = grant("/r2", "ro", false);
        assert_eq!(check_overlaps(&[("a", &reader), ("b", &again)], &[]), Ok(()));
        // A grant may not show the data folder.
        std::fs::create_dir_all(dir.path().join("ro/data")).unwrap();
        let protected = [("the data folder (databases, users)", dir.path().join("ro/data"))];
        let error = check_overlaps(&[("a", &reader)], &protected).unwrap_err();
        assert!(error.contains("service `a`: files `/r`"), "{error}");
        assert!(error.contains("contains the data folder (databases, users)"), "{error}");
    }

    #[test]
    fn a_missing_read_only_folder_is_an_error_and_a_writable_one_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let missing = FileGrant { guest: "/in".into(), host: dir.path().join("in"), write: false };
        assert!(prepare(std::slice::from_ref(&missing)).unwrap_err().contains("files `/in`: the folder"));
        let created = FileGrant { guest: "/out".into(), host: dir.path().join("out/deep"), write: true };
        prepare(&[created]).unwrap();
        assert!(dir.path().join("out/deep").is_dir());
    }
}
