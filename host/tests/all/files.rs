//! Files from every guest language: host folders granted as WASI preopens at guest paths,
//! read-only or read-write, and nothing else visible: no `..`, absolute path or symbolic link
//! leads outside a grant.

use crate::support::{Wos, load_app, repo, string, text};
use parigot_host::runtime::{Running, StartOptions};
use std::path::{Path, PathBuf};
use wasmtime::component::Val;

const FILES: &str = "parigot:files-test/files@0.1.0";
const SERVICES: [&str; 4] = ["files-rust", "files-go", "files-python", "files-js"];

/// A built service of guests/files (`make guests` builds them).
fn built(service: &str) -> PathBuf {
    let path = repo().join("guests/files/.parigot/build").join(format!("{service}.wasm"));
    assert!(path.exists(), "{} is missing: run `make guests` (or `make test`) first", path.display());
    path
}

/// A running wos of files services; `services` are `(name, component, files table)`.
struct Files {
    rt: tokio::runtime::Runtime,
    running: Running,
    _wos: Wos,
}

impl Files {
    fn start(services: &[(&str, &str, &str)]) -> Files {
        Files::try_start(services).unwrap()
    }

    fn try_start(services: &[(&str, &str, &str)]) -> wasmtime::Result<Files> {
        let mut text = "manifest-version = 1\n".to_owned();
        for (name, component, files) in services {
            let wasm = built(component).display().to_string();
            text += &format!("[services.{name}]\ncomponent = {wasm:?}\n[services.{name}.files]\n{files}\n");
        }
        let wos = Wos::new(&text);
        let app = load_app(&wos.path())?;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let running = rt.block_on(app.start(StartOptions::default()))?;
        Ok(Files { rt, running, _wos: wos })
    }

    fn call(&self, service: &str, function: &str, params: &[Val]) -> Result<Option<Val>, String> {
        let mut results = [Val::Bool(false)];
        self.rt.block_on(self.running.call(service, FILES, function, params, &mut results)).unwrap();
        match results[0].clone() {
            Val::Result(Ok(value)) => Ok(value.map(|v| *v)),
            Val::Result(Err(Some(error))) => Err(string(&error)),
            other => panic!("{service}: {function}: {other:?}"),
        }
    }

    fn read(&self, service: &str, path: &str) -> Result<String, String> {
        self.call(service, "read", &[text(path)]).map(|v| string(&v.expect("text")))
    }

    fn write(&self, service: &str, path: &str, contents: &str) -> Result<(), String> {
        self.call(service, "write", &[text(path), text(contents)]).map(|_| ())
    }

    fn list(&self, service: &str, path: &str) -> Result<Vec<String>, String> {
        self.call(service, "list", &[text(path)]).map(|v| match v {
            Some(Val::List(names)) => names.iter().map(string).collect(),
            other => panic!("{other:?}"),
        })
    }
}

/// A folder with `shared/` (granted) holding `notes.txt` and two symbolic links that lead
/// out of it, and `secret.txt` beside it (never granted).
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        std::fs::create_dir_all(shared.join("sub")).unwrap();
        std::fs::write(shared.join("notes.txt"), "granted").unwrap();
        std::fs::write(shared.join("sub/deeper.txt"), "deeper").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "not for guests").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), shared.join("absolute-link")).unwrap();
        std::os::unix::fs::symlink("../secret.txt", shared.join("relative-link")).unwrap();
        Tree { dir }
    }

    fn shared(&self) -> PathBuf {
        self.dir.path().join("shared")
    }

    fn secret(&self) -> PathBuf {
        self.dir.path().join("secret.txt")
    }
}

fn toml_path(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}

#[test]
fn a_read_write_grant_reads_and_writes_inside_in_every_language() {
    let tree = Tree::new();
    let grant = format!("\"/data\" = {{ host = {}, write = true }}", toml_path(&tree.shared()));
    let services: Vec<_> = SERVICES.iter().map(|s| (*s, *s, grant.as_str())).collect();
    let files = Files::start(&services);
    for service in SERVICES {
        assert_eq!(files.read(service, "/data/notes.txt").as_deref(), Ok("granted"), "{service}");
        assert_eq!(files.read(service, "/data/sub/deeper.txt").as_deref(), Ok("deeper"), "{service}");
        // `..` that stays inside the grant is fine.
        assert_eq!(files.read(service, "/data/sub/../notes.txt").as_deref(), Ok("granted"), "{service}");
        let name = format!("from-{service}.txt");
        files.write(service, &format!("/data/{name}"), &format!("written by {service}")).unwrap();
        assert_eq!(std::fs::read_to_string(tree.shared().join(&name)).unwrap(), format!("written by {service}"));
        assert_eq!(files.read(service, &format!("/data/{name}")).unwrap(), format!("written by {service}"));
    }
    let listed = files.list("files-go", "/data").unwrap();
    assert_eq!(
        listed,
        [
            "absolute-link",
            "from-files-go.txt",
            "from-files-js.txt",
            "from-files-python.txt",
            "from-files-rust.txt",
            "notes.txt",
            "relative-link",
            "sub"
        ]
    );
}

#[test]
fn nothing_outside_a_grant_is_reachable_in_any_language() {
    let tree = Tree::new();
    let grant = format!("\"/data\" = {{ host = {}, write = true }}", toml_path(&tree.shared()));
    let services: Vec<_> = SERVICES.iter().map(|s| (*s, *s, grant.as_str())).collect();
    let files = Files::start(&services);
    let secret = tree.secret().display().to_string();
    for service in SERVICES {
        for path in [
            "/data/../secret.txt",
            "/data/sub/../../secret.txt",
            "/data/absolute-link",
            "/data/relative-link",
            secret.as_str(),
            "/etc/passwd",
        ] {
            let read = files.read(service, path);
            assert!(read.is_err(), "{service}: reading {path} gave {read:?}");
            let write = files.write(service, path, "overwritten");
            assert!(write.is_err(), "{service}: writing {path} succeeded");
        }
        for folder in ["/", "/data/..", "/etc", "/tmp"] {
            let listed = files.list(service, folder);
            assert!(listed.is_err(), "{service}: listing {folder} gave {listed:?}");
        }
    }
    assert_eq!(std::fs::read_to_string(tree.secret()).unwrap(), "not for guests");
}

#[test]
fn a_read_only_grant_refuses_writes_in_every_language() {
    let tree = Tree::new();
    let grant = format!("\"/data\" = {}", toml_path(&tree.shared()));
    let services: Vec<_> = SERVICES.iter().map(|s| (*s, *s, grant.as_str())).collect();
    let files = Files::start(&services);
    for service in SERVICES {
        assert_eq!(files.read(service, "/data/notes.txt").as_deref(), Ok("granted"), "{service}");
        let replace = files.write(service, "/data/notes.txt", "changed");
        assert!(replace.is_err(), "{service}: replacing a read-only file succeeded");
        let create = files.write(service, "/data/new.txt", "new");
        assert!(create.is_err(), "{service}: creating a file in a read-only folder succeeded");
    }
    assert_eq!(std::fs::read_to_string(tree.shared().join("notes.txt")).unwrap(), "granted");
    assert!(!tree.shared().join("new.txt").exists());
}

#[test]
fn services_with_different_grants_see_different_trees() {
    let (one, two) = (Tree::new(), Tree::new());
    std::fs::write(two.shared().join("only-in-two.txt"), "two's").unwrap();
    let first = format!("\"/data\" = {}", toml_path(&one.shared()));
    let second =
        format!("\"/data\" = {}\n\"/extra\" = {}", toml_path(&two.shared()), toml_path(&one.shared().join("sub")));
    let files =
        Files::start(&[("first", "files-rust", &first), ("second", "files-python", &second), ("none", "files-go", "")]);
    assert!(files.read("first", "/data/only-in-two.txt").is_err());
    assert_eq!(files.read("second", "/data/only-in-two.txt").as_deref(), Ok("two's"));
    assert_eq!(files.list("second", "/extra").unwrap(), ["deeper.txt"]);
    assert!(files.list("first", "/extra").is_err());
    // A service granted nothing sees nothing.
    for path in ["/data", "/extra", "/"] {
        assert!(files.list("none", path).is_err(), "{path}");
    }
}

#[test]
fn a_grant_of_a_missing_read_only_folder_stops_the_start_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let grant = format!("\"/data\" = {}", toml_path(&missing));
    let error = format!("{:#}", Files::try_start(&[("files", "files-rust", &grant)]).err().expect("refused"));
    assert!(error.contains("service `files`"), "{error}");
    assert!(error.contains(&missing.display().to_string()), "{error}");
}

#[test]
fn a_folder_swapped_for_a_symbolic_link_changes_nothing_a_fresh_instance_sees() {
    // Each granted folder is opened once, at start: replacing its path afterwards (here by a
    // link to the folder above it, which holds a secret) does not reach the instances made
    // later, such as the fresh one that replaces an instance that ran out of memory.
    let tree = Tree::new();
    std::fs::write(tree.shared().join("big.bin"), vec![7u8; 48 << 20]).unwrap();
    let grant = format!("\"/data\" = {}\n[services.files.limits]\nmemory-mib = 32", toml_path(&tree.shared()));
    let files = Files::start(&[("files", "files-rust", &grant)]);
    assert_eq!(files.read("files", "/data/notes.txt").as_deref(), Ok("granted"));
    std::fs::rename(tree.shared(), tree.dir.path().join("shared-before")).unwrap();
    std::os::unix::fs::symlink(tree.dir.path(), tree.shared()).unwrap();
    let mut results = [Val::Bool(false)];
    let hog = files.rt.block_on(files.running.call("files", FILES, "read", &[text("/data/big.bin")], &mut results));
    assert!(hog.is_err(), "reading 48 MiB into 32 MiB fails the instance");
    assert_eq!(files.read("files", "/data/notes.txt").as_deref(), Ok("granted"), "the fresh instance's folder");
    assert!(files.read("files", "/data/secret.txt").is_err(), "the link's target is not granted");
}

#[test]
fn grants_that_nest_with_a_writable_one_or_show_the_data_folder_stop_the_start() {
    let tree = Tree::new();
    let outer = format!("\"/all\" = {{ host = {}, write = true }}", toml_path(tree.dir.path()));
    let inner = format!("\"/data\" = {}", toml_path(&tree.shared()));
    let error = format!(
        "{:#}",
        Files::try_start(&[("outer", "files-rust", &outer), ("inner", "files-go", &inner)]).err().expect("refused")
    );
    assert!(error.contains("`/all` of service `outer`"), "{error}");
    assert!(error.contains("overlap, and one of them is writable"), "{error}");
    // A folder around the wos's own: it holds the data folder (databases and users).
    let around = format!("\"/up\" = {}", toml_path(&std::env::temp_dir()));
    let error = format!("{:#}", Files::try_start(&[("nosy", "files-rust", &around)]).err().expect("refused"));
    assert!(error.contains("service `nosy`: files `/up`"), "{error}");
    assert!(error.contains("contains the data folder (databases and users)"), "{error}");
}
