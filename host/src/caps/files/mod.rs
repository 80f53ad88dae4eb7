//! Files: host folders a service is granted, seen by its guest through WASI's filesystem at
//! paths of the wos's choosing (`[services.NAME.files]`), read-only unless the grant says
//! `write = true`. A service granted nothing sees no files at all.
//!
//! WASI's preopens are capabilities: a guest reaches files only through a folder it was
//! given, and wasmtime resolves every path beneath it (cap-std), so `..`, absolute paths and
//! symbolic links that lead outside the folder fail.
//!
//! ```toml
//! [services.notes.files]
//! "/assets" = "static"                          # read-only
//! "/data" = { host = "data", write = true }     # read-write, created if missing
//! ```

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

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

/// Checks a service's grants before it starts: a read-only folder must exist; a writable one
/// is created if missing.
pub fn prepare(grants: &[FileGrant]) -> Result<(), String> {
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
    }
    Ok(())
}

/// Gives the guest of `builder` the folders of `grants`, and nothing else.
pub fn preopen(builder: &mut WasiCtxBuilder, grants: &[FileGrant]) -> wasmtime::Result<()> {
    for grant in grants {
        let perms = if grant.write { FsPerms::ReadWrite } else { FsPerms::ReadOnly };
        builder.preopened_dir(&grant.host, &grant.guest, perms).map_err(|error| {
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
    fn a_missing_read_only_folder_is_an_error_and_a_writable_one_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let missing = FileGrant { guest: "/in".into(), host: dir.path().join("in"), write: false };
        assert!(prepare(std::slice::from_ref(&missing)).unwrap_err().contains("files `/in`: the folder"));
        let created = FileGrant { guest: "/out".into(), host: dir.path().join("out/deep"), write: true };
        prepare(&[created]).unwrap();
        assert!(dir.path().join("out/deep").is_dir());
    }
}
