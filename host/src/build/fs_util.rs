//! File-system helpers of the builds: tree copies, embedded trees and atomic writes.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use wasmtime::error::Context as _;
use wasmtime::{Result, bail};

/// Writes `contents` to `path` (relative to `root`), creating parent directories, and refuses
/// to overwrite an existing file so that clashes between sources are reported, not hidden.
pub fn write_new_file(root: &Path, path: &Path, contents: &[u8]) -> Result<()> {
    let target = root.join(path);
    if target.exists() {
        bail!("{} would be written twice", target.display());
    }
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    fs::write(&target, contents).with_context(|| format!("cannot write {}", target.display()))
}

/// Folders that builds and package managers write into a source folder (Python's byte code,
/// cargo's output, npm's packages): not sources, so never copied nor watched.
const BUILD_OUTPUTS: &[&str] = &["__pycache__", "target", "node_modules"];

/// Whether an entry named `name` of a source folder is part of the sources: not hidden, not a
/// build output.
fn is_source(name: &str, is_dir: bool) -> bool {
    let hidden = name.starts_with('.');
    let build_output = is_dir && BUILD_OUTPUTS.contains(&name);
    !(hidden || build_output)
}

/// Lists the regular files below `dir`, as paths relative to it, skipping hidden entries
/// (names starting with `.`) and build outputs. The list is sorted, so errors are reproducible.
pub fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    collect_files(dir, Path::new(""), &mut files)?;
    files.sort();
    Ok(files)
}

/// Appends the files below `root/relative` to `files`.
fn collect_files(root: &Path, relative: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let dir = root.join(relative);
    let entries = fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let path = relative.join(entry.file_name());
        // `metadata` follows symbolic links, so linked files and folders are copied too.
        let metadata = fs::metadata(entry.path()).with_context(|| format!("cannot read {}", entry.path().display()))?;
        if !is_source(&entry.file_name().to_string_lossy(), metadata.is_dir()) {
            continue;
        }
        if metadata.is_dir() {
            collect_files(root, &path, files)?;
        } else if metadata.is_file() {
            files.push(path);
        }
    }
    Ok(())
}

/// Copies the files below `from` (see [`list_files`]) to the same relative paths below `to`,
/// refusing to overwrite files already there.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for file in list_files(from)? {
        let source = from.join(&file);
        let contents = fs::read(&source).with_context(|| format!("cannot read {}", source.display()))?;
        write_new_file(to, &file, &contents)?;
    }
    Ok(())
}

/// Writes the embedded files `files` (relative path, bytes) below `to`.
pub fn write_tree(files: &[(&str, &[u8])], to: &Path) -> Result<()> {
    for (path, contents) in files {
        write_new_file(to, Path::new(path), contents)?;
    }
    Ok(())
}

/// The most recent modification time of the files below `dir` (none for an empty or missing
/// folder), leaving out hidden entries and build outputs (cargo's `target` can hold thousands
/// of files).
pub fn newest_change(dir: &Path) -> Option<std::time::SystemTime> {
    if let Ok(file) = fs::metadata(dir)
        && file.is_file()
    {
        return file.modified().ok();
    }
    let mut newest = None;
    for entry in fs::read_dir(dir).ok()?.flatten() {
        // `metadata` follows symbolic links, as `list_files` does.
        let Ok(metadata) = fs::metadata(entry.path()) else { continue };
        if !is_source(&entry.file_name().to_string_lossy(), metadata.is_dir()) {
            continue;
        }
        let changed = if metadata.is_dir() { newest_change(&entry.path()) } else { metadata.modified().ok() };
        newest = newest.max(changed);
    }
    newest
}

/// Writes `contents` to `path` atomically: readers see either the old file or the complete
/// new one, never a partial write.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let file_name = path.file_name().with_context(|| format!("{} is not a file path", path.display()))?;
    let temp = parent.join(format!(".{}.{}.tmp", file_name.to_string_lossy(), std::process::id()));
    let result = write_and_rename(&temp, path, contents);
    if result.is_err() {
        // Best effort: the write already failed, and that is the error worth reporting.
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Writes `temp` in full, flushes it to disk and renames it to `path`.
fn write_and_rename(temp: &Path, path: &Path, contents: &[u8]) -> Result<()> {
    let mut file = fs::File::create(temp).with_context(|| format!("cannot create {}", temp.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", temp.display()))?;
    fs::rename(temp, path).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh, empty directory under the system's temp directory.
    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("parigot-fs-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn copy_tree_keeps_relative_paths_and_skips_hidden_files() {
        let root = temp_dir("copy");
        let (from, to) = (root.join("from"), root.join("to"));
        fs::create_dir_all(from.join("pkg/sub")).unwrap();
        fs::create_dir_all(from.join(".git")).unwrap();
        fs::write(from.join("pkg/sub/a.go"), "package sub").unwrap();
        fs::write(from.join("b.go"), "package main").unwrap();
        fs::write(from.join(".git/config"), "").unwrap();

        copy_tree(&from, &to).unwrap();

        assert_eq!(list_files(&to).unwrap(), [PathBuf::from("b.go"), PathBuf::from("pkg/sub/a.go")]);
        assert_eq!(fs::read_to_string(to.join("pkg/sub/a.go")).unwrap(), "package sub");
        // A second copy would overwrite: refused.
        assert!(copy_tree(&from, &to).is_err());
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn the_newest_change_leaves_out_build_output() {
        let root = temp_dir("newest");
        fs::create_dir_all(root.join("src")).unwrap();
        fs::write(root.join("src/lib.rs"), "").unwrap();
        let source = newest_change(&root).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::create_dir_all(root.join("target/release")).unwrap();
        fs::write(root.join("target/release/out.wasm"), "").unwrap();
        fs::write(root.join(".hidden"), "").unwrap();
        assert_eq!(newest_change(&root), Some(source));
        assert_eq!(newest_change(&root.join("missing")), None);
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn write_atomically_replaces_the_file_and_leaves_no_temp_file() {
        let root = temp_dir("atomic");
        let path = root.join("out/c.wasm");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(root.join("out")).unwrap().map(|entry| entry.unwrap().file_name()).collect();
        assert_eq!(names, ["c.wasm"]);
        fs::remove_dir_all(root).unwrap();
    }
}
