//! `parigot-host build`: services built from their sources in every language, up-to-date
//! checks, and the errors of a missing toolchain, an unknown language or a missing world.

use crate::support::{Wos, component, host, host_with_env, repo, tool_path};

/// A wos of the hello example's Go greeter and Python decorator, built from the example's
/// sources into the wos's own folder, and the JavaScript quoter and Rust signer as built by
/// `make guests`.
fn sources_wos() -> Wos {
    let hello = repo().join("examples/hello");
    let source = |name: &str, world: &str| {
        format!("[services.{name}]\nsource = {:?}\nworld = \"{world}\"\n", hello.join(name).display().to_string())
    };
    Wos::new(&format!(
        "manifest-version = 1\n{}{}[services.quoter]\ncomponent = {:?}\n[services.signer]\ncomponent = {:?}\n\
         [services.entry]\ncomponent = {:?}\n",
        source("greeter", "greeter-service"),
        source("decorator", "decorator-service"),
        component("hello-quoter").display().to_string(),
        component("hello-signer").display().to_string(),
        component("hello-entry").display().to_string()
    ))
}

#[test]
fn services_build_from_go_and_python_sources_then_only_when_their_sources_change() {
    let wos = sources_wos();
    let path = wos.path();
    let path = path.to_str().unwrap();
    let env = [("PATH", tool_path())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = host_with_env(&["build", path], &env)
        .expect_code(0)
        .expect_stderr(&["building service `greeter` (Go) from", "building service `decorator` (Python) from"]);
    for built in ["greeter", "decorator"] {
        assert!(
            wos.path().parent().unwrap().join(format!(".parigot/build/{built}.wasm")).is_file(),
            "{}",
            first.stderr
        );
    }
    host_with_env(&["build", path], &env)
        .expect_code(0)
        .expect_stderr(&["service `greeter` is up to date", "service `decorator` is up to date"]);
    // What was built runs.
    let run = host_with_env(&["run", path], &env).expect_code(0);
    assert!(run.stdout.contains("“~ Hello, World! ~” [signed "), "{}", run.stdout);
    host_with_env(&["build", path, "--service", "greeter", "--force"], &env)
        .expect_code(0)
        .expect_stderr(&["building service `greeter` (Go)"]);
    host(&["build", path, "--service", "nobody"]).expect_code(78).expect_stderr(&["has no service `nobody`"]);
}

#[test]
fn a_missing_toolchain_names_the_service_and_the_tool() {
    let wos = sources_wos();
    let path = wos.path();
    let run = host_with_env(&["build", path.to_str().unwrap(), "--service", "greeter"], &[("PATH", "/usr/bin:/bin")]);
    run.expect_code(78).expect_stderr(&[
        "cannot build service `greeter` from",
        "`go` is not installed (or not on PATH): install Go >= 1.27.1",
    ]);
    let run = host_with_env(&["build", path.to_str().unwrap(), "--service", "decorator"], &[("PATH", "/usr/bin:/bin")]);
    run.expect_code(78).expect_stderr(&["cannot build service `decorator` from", "`componentize-py` is not installed"]);
}

#[test]
fn sources_of_no_known_language_or_without_a_world_are_refused() {
    let wos = Wos::new("manifest-version = 1\n[services.odd]\nsource = \"odd\"\n");
    std::fs::create_dir_all(wos.path().parent().unwrap().join("odd")).unwrap();
    wos.file("odd/README", b"not code");
    host(&["build", wos.path().to_str().unwrap()]).expect_code(78).expect_stderr(&[
        "cannot build service `odd`",
        "cannot tell the language of",
        "a Rust service has a `Cargo.toml`, a Go service `.go` files, a Python service an `app.py`",
    ]);
    let decorator = repo().join("examples/hello/decorator").display().to_string();
    let wos = Wos::new(&format!("manifest-version = 1\n[services.deco]\nsource = {decorator:?}\n"));
    host_with_env(&["build", wos.path().to_str().unwrap()], &[("PATH", &tool_path())])
        .expect_code(78)
        .expect_stderr(&["a Python service needs its `world`"]);
}

#[test]
fn a_service_needs_a_component_or_a_source_and_not_two_ways_to_build() {
    for (table, expected) in [
        ("args = []", "it needs `component` (a `.wasm` component file) or `source`"),
        (
            "source = \"s\"\nbuild = \"make\"",
            "`build` (a command) and `source` (a folder the host builds) are two ways",
        ),
        ("component = \"x.wasm\"\nworld = \"w\"", "`world` and `wit` describe a `source` folder to build from"),
    ] {
        let wos = Wos::new(&format!("manifest-version = 1\n[services.svc]\n{table}\n"));
        wos.run().expect_code(78).expect_stderr(&["service `svc`", expected]);
    }
}

#[test]
fn check_does_not_build_a_service_from_source() {
    let wos = Wos::new("manifest-version = 1\n[services.svc]\nsource = \"svc\"\n");
    host(&["check", wos.path().to_str().unwrap()])
        .expect_code(78)
        .expect_stderr(&["service `svc` has not been built yet", "run `parigot-host build"]);
}
