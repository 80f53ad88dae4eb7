//! Shared helpers: paths to built components, running the host binary, writing wos files and
//! generating small fixture components from WIT.

pub mod served;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host/ is inside the repo").to_owned()
}

/// Held by the tests that time writes against a disk under load (the durability tests) and by
/// the tests that load the machine most (toolchain builds of whole projects, browsers), so that the
/// first never run beside the second: on 2 cores, a cargo or componentize build beside sixteen
/// writers that each fsync makes a write wait past SQLite's busy timeout.
pub fn heavy_or_timed() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The guest languages, as the test guests' names end (`faulty-js`, `notes-go`...).
pub const LANGUAGES: [&str; 4] = ["rust", "go", "python", "js"];

/// A component built by `make guests`: a test guest in target/wasm, or (`hello-NAME`) a
/// service of the hello example, which its wos builds from source into its .parigot/build.
pub fn component(name: &str) -> PathBuf {
    let path = match name.strip_prefix("hello-") {
        Some(service) => repo().join("examples/hello/.parigot/build").join(format!("{service}.wasm")),
        None => repo().join("target/wasm").join(format!("{name}.wasm")),
    };
    assert!(path.exists(), "{} is missing: run `make guests` (or `make test`) first", path.display());
    path
}

/// The result of one run of the host binary.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts the exit code, showing the output when it differs.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(self.code, Some(code), "stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// Asserts that stderr contains every one of `parts`.
    pub fn expect_stderr(self, parts: &[&str]) -> Run {
        for part in parts {
            assert!(self.stderr.contains(part), "stderr lacks {part:?}:\n{}", self.stderr);
        }
        self
    }
}

/// Runs `parigot-host ARGS` with the shared test compile cache.
pub fn host(args: &[&str]) -> Run {
    host_with_env(args, &[])
}

/// [`host`] with environment variables `env` set for the run.
pub fn host_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_parigot-host"))
        .args(args)
        .env("PARIGOT_CACHE_DIR", repo().join("target/parigot-test-cache"))
        .env("PARIGOT_LOG", "info")
        .envs(env.iter().copied())
        .output()
        .expect("the host binary runs");
    Run::from(output)
}

/// Loads the wos at `path` with the shared test compile cache, building nothing.
pub fn load_app(path: &Path) -> wasmtime::Result<std::sync::Arc<parigot_host::runtime::App>> {
    use parigot_host::runtime::{App, BuildPolicy, LoadOptions, cache::ComponentCache, engine::HostEngine};
    let cache = ComponentCache::open(repo().join("target/parigot-test-cache"))?;
    let options = LoadOptions { cache, build: BuildPolicy::Never, remotes: None };
    App::load(parigot_host::manifest::Manifest::load(path)?, &HostEngine::new(None)?, &options)
}

/// A WIT `string` value.
pub fn text(value: &str) -> wasmtime::component::Val {
    wasmtime::component::Val::String(value.into())
}

/// The text of a WIT `string` value; panics on any other value.
pub fn string(value: &wasmtime::component::Val) -> String {
    match value {
        wasmtime::component::Val::String(s) => s.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

/// Runs `parigot-host ARGS` with `input` on its stdin (not a terminal), with the shared test
/// compile cache.
pub fn host_with_input(args: &[&str], input: &str) -> Run {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_parigot-host"))
        .args(args)
        .env("PARIGOT_CACHE_DIR", repo().join("target/parigot-test-cache"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the host binary runs");
    child.stdin.take().expect("piped stdin").write_all(input.as_bytes()).expect("write stdin");
    Run::from(child.wait_with_output().expect("the host binary ends"))
}

/// The PATH with the project's toolchains (go, componentize-py) first.
pub fn tool_path() -> String {
    format!("{}:{}", repo().join(".tools/venv/bin").display(), std::env::var("PATH").unwrap_or_default())
}

/// `parigot-host ARGS` run in the folder `dir`, as a user of a project runs it: the toolchains
/// (go, componentize-py, componentize-js) found as `make tools` installs them, the shared test
/// compile cache, the host's log at `warn`, and backtraces asked for (the toolchains' must
/// still not show). Returns the raw output.
pub fn host_in_folder(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parigot-host"))
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1")
        .env("PATH", tool_path())
        .env("COMPONENTIZE_JS", componentize_js())
        .env("PARIGOT_CACHE_DIR", repo().join("target/parigot-test-cache"))
        .env("PARIGOT_LOG", "warn")
        .output()
        .expect("the host binary runs")
}

/// [`host_in_folder`], asserting it succeeds; its stdout.
pub fn host_in(dir: &Path, args: &[&str]) -> String {
    let output = host_in_folder(dir, args);
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "parigot-host {}:\nstdout:\n{stdout}\nstderr:\n{stderr}", args.join(" "));
    stdout.into_owned()
}

/// [`host_in_folder`], asserting it fails; its stderr.
pub fn host_fails_in(dir: &Path, args: &[&str]) -> String {
    let output = host_in_folder(dir, args);
    assert!(!output.status.success(), "parigot-host {} succeeded", args.join(" "));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Where `make tools` installs componentize-js.
pub fn componentize_js() -> PathBuf {
    repo().join(".tools/npm/node_modules/@bytecodealliance/componentize-js")
}

/// A wos in a temporary folder.
pub struct Wos {
    dir: tempfile::TempDir,
}

impl Wos {
    /// Writes `text` as `wos.toml` in a new temporary folder.
    pub fn new(text: &str) -> Wos {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("wos.toml"), text).expect("write wos.toml");
        Wos { dir }
    }

    /// A wos with one `[services.NAME]` per entry, each with the given component file.
    pub fn with_services(services: &[(&str, &Path)]) -> Wos {
        Wos::new(&manifest_text("", services))
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("wos.toml")
    }

    /// Writes a file next to wos.toml (in a folder made for it, if `name` names one) and
    /// returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("inside the wos folder")).expect("make the file's folder");
        std::fs::write(&path, bytes).expect("write file");
        path
    }

    /// Runs `parigot-host run` on this wos.
    pub fn run(&self) -> Run {
        host(&["run", self.path().to_str().expect("utf-8 path")])
    }
}

/// The text of a wos manifest: the version line, then `top` (top-level keys), then one
/// `[services.NAME]` table per entry with its component file.
pub fn manifest_text<P: AsRef<Path>>(top: &str, services: &[(&str, P)]) -> String {
    let mut text = format!("manifest-version = 1\n{top}\n");
    for (name, path) in services {
        text += &format!("[services.{name}]\ncomponent = {:?}\n", path.as_ref().display().to_string());
    }
    text
}

/// The hello example's five services with their built components, to mix with fixtures.
pub fn hello_services() -> Vec<(&'static str, PathBuf)> {
    vec![
        ("entry", component("hello-entry")),
        ("greeter", component("hello-greeter")),
        ("decorator", component("hello-decorator")),
        ("quoter", component("hello-quoter")),
        ("signer", component("hello-signer")),
    ]
}

/// Builds a component for `world` of the WIT package in `wit` (a file's text or a folder)
/// whose every export traps with `unreachable` when called: enough to exercise linking, and
/// a guest that is certain to trap.
pub fn trapping_component(wit: WitSource<'_>, world: &str) -> Vec<u8> {
    use wit_component::{ComponentEncoder, StringEncoding, dummy_module, embed_component_metadata};
    use wit_parser::{LiftLowerAbi, ManglingAndAbi, Resolve};
    let mut resolve = Resolve::default();
    let package = match wit {
        WitSource::Text(text) => resolve.push_str("fixture.wit", text),
        WitSource::Dir(dir) => resolve.push_dir(dir).map(|(package, _)| package),
    }
    .expect("fixture WIT parses");
    let world = resolve.select_world(&[package], Some(world)).expect("fixture world exists");
    let mut module = dummy_module(&resolve, world, ManglingAndAbi::Legacy(LiftLowerAbi::Sync));
    embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8).expect("embed WIT");
    ComponentEncoder::default().module(&module).expect("module").validate(true).encode().expect("encode component")
}

/// Where fixture WIT comes from.
pub enum WitSource<'a> {
    Text(&'a str),
    Dir(&'a Path),
}
