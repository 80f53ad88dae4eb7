//! The compile cache as a start uses it: a component file known by its stamp is not read
//! again, but one changed in place, even with its size and modification time kept, is; and a
//! served wos's WIT comes from the cache's copy exactly as from the component.

use crate::support::{component, host_with_env, repo};
use parigot_host::runtime::cache::SETTLED;
use std::path::Path;
use std::time::Duration;

/// Runs the wos at `wos` with the compile cache in `cache`; its stdout.
fn run_with_cache(wos: &Path, cache: &Path) -> String {
    let cache = cache.to_str().expect("utf-8 path");
    host_with_env(&["run", wos.to_str().expect("utf-8 path")], &[("PARIGOT_CACHE_DIR", cache)]).expect_code(0).stdout
}

#[test]
fn a_component_rewritten_in_place_with_the_same_size_and_time_never_runs_stale() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, wasm) = (dir.path().join("cache"), dir.path().join("dice.wasm"));
    let original = std::fs::read(component("dice")).unwrap();
    std::fs::write(&wasm, &original).unwrap();
    let wos = dir.path().join("wos.toml");
    std::fs::write(&wos, "manifest-version = 1\n[services.dice]\ncomponent = \"dice.wasm\"\n").unwrap();

    // Settled, so the first run records the file's stamp and the second knows it by that.
    std::thread::sleep(SETTLED + Duration::from_millis(200));
    assert!(run_with_cache(&wos, &cache).contains("roll: "));
    let records = std::fs::read_dir(cache.join("files")).expect("the stamp was recorded").count();
    assert_eq!(records, 1);
    assert!(run_with_cache(&wos, &cache).contains("roll: "));

    // The same bytes but for one string in its data, written over the old ones, with the
    // modification time set back.
    let at = original.windows(6).position(|w| w == b"roll: ").expect("the component prints `roll: `");
    let before = std::fs::metadata(&wasm).unwrap();
    {
        use std::io::{Seek, Write};
        let mut file = std::fs::OpenOptions::new().write(true).open(&wasm).unwrap();
        file.seek(std::io::SeekFrom::Start(at as u64)).unwrap();
        file.write_all(b"ROLL: ").unwrap();
        file.set_modified(before.modified().unwrap()).unwrap();
    }
    let after = std::fs::metadata(&wasm).unwrap();
    assert_eq!((after.len(), after.modified().unwrap()), (before.len(), before.modified().unwrap()));

    let output = run_with_cache(&wos, &cache);
    assert!(output.contains("ROLL: ") && !output.contains("roll: "), "{output}");
}

#[test]
fn a_served_wos_gets_the_same_protos_from_the_kept_wit_as_from_its_components() {
    let cache = repo().join("target/parigot-test-cache");
    let wos = repo().join("examples/vvv/wos.toml");
    let manifest = parigot_host::manifest::Manifest::load(&wos).unwrap();
    let kept: Vec<_> = manifest
        .services
        .values()
        .map(|spec| cache.join(format!("{}.wit.wasm", blake3::hash(&std::fs::read(&spec.component).unwrap()).to_hex())))
        .collect();
    let protos = |out: &Path| {
        host_with_env(&["proto", wos.to_str().unwrap(), "--out", out.to_str().unwrap()], &[]).expect_code(0);
        files_below(out)
    };
    let dir = tempfile::tempdir().unwrap();
    for path in &kept {
        let _ = std::fs::remove_file(path);
    }
    let from_components = protos(&dir.path().join("cold"));
    let served = kept.iter().filter(|path| path.exists()).count();
    assert!(served >= 3, "the WIT of each served service is kept: {kept:?}");
    let from_kept = protos(&dir.path().join("warm"));
    assert!(!from_components.is_empty());
    assert_eq!(from_components, from_kept);
}

/// Every file below `dir`, by its path from there, with its text; sorted.
fn files_below(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                folders.push(entry.path());
            } else {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                files.push((entry.path().strip_prefix(dir).unwrap().to_owned(), text));
            }
        }
    }
    files.sort();
    files
}
