//! Every kind of bad input ends with a clear error and a non-zero exit, never a panic.

use crate::support::{WitSource, Wos, component, hello_services, host, manifest_text, repo, trapping_component};
use std::path::PathBuf;

/// Exit code for a wos that cannot be started.
const SETUP_FAILED: i32 = 78;
/// Exit code for a guest that trapped.
const GUEST_TRAPPED: i32 = 70;

fn services_with(replacements: &[(&'static str, PathBuf)]) -> Vec<(&'static str, PathBuf)> {
    let mut services = hello_services();
    for (name, path) in replacements {
        match services.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = path.clone(),
            None => services.push((name, path.clone())),
        }
    }
    services
}

fn wos_of(services: &[(&str, PathBuf)]) -> Wos {
    let refs: Vec<_> = services.iter().map(|(n, p)| (*n, p.as_path())).collect();
    Wos::with_services(&refs)
}

#[test]
fn a_missing_manifest() {
    host(&["run", "/no/such/dir/wos.toml"])
        .expect_code(SETUP_FAILED)
        .expect_stderr(&["error: cannot read wos manifest `/no/such/dir/wos.toml`", "check the path"]);
}

#[test]
fn invalid_toml_and_unknown_keys() {
    Wos::new("manifest-version = 1\n[services.a\n").run().expect_code(SETUP_FAILED).expect_stderr(&["line 2"]);
    Wos::new("manifest-version = 1\n[services.a]\ncomponent = \"a.wasm\"\nenvironment = {}\n")
        .run()
        .expect_code(SETUP_FAILED)
        .expect_stderr(&["line 4, column 1: unknown field `environment`"]);
}

#[test]
fn a_missing_component_file() {
    Wos::new("manifest-version = 1\n[services.lost]\ncomponent = \"nowhere.wasm\"\n")
        .run()
        .expect_code(SETUP_FAILED)
        .expect_stderr(&["cannot read the component of service `lost`", "nowhere.wasm", "fix its `component` path"]);
}

#[test]
fn a_file_that_is_not_a_component() {
    let wos = Wos::new("manifest-version = 1\n[services.text]\ncomponent = \"notes.wasm\"\n");
    wos.file("notes.wasm", b"these are not the bytes you are looking for");
    wos.run().expect_code(SETUP_FAILED).expect_stderr(&["(service `text`) is not a WebAssembly component"]);

    let wos = Wos::new("manifest-version = 1\n[services.core]\ncomponent = \"core.wasm\"\n");
    wos.file("core.wasm", b"\0asm\x01\0\0\0");
    wos.run().expect_code(SETUP_FAILED).expect_stderr(&["is a core WebAssembly module, not a component"]);

    let wos = Wos::new("manifest-version = 1\n[services.broken]\ncomponent = \"broken.wasm\"\n");
    wos.file("broken.wasm", b"\0asm\x0d\0\x01\0\xff\xff");
    wos.run().expect_code(SETUP_FAILED).expect_stderr(&["the component of service `broken` is invalid"]);
}

#[test]
fn an_import_nobody_exports() {
    let services: Vec<_> = hello_services().into_iter().filter(|(name, _)| *name != "decorator").collect();
    wos_of(&services).run().expect_code(SETUP_FAILED).expect_stderr(&[
        "service `greeter` imports `example:hello/decorator@0.1.0`, but no service in this wos exports it",
    ]);
}

#[test]
fn two_providers_without_a_choice() {
    let services = services_with(&[("second-signer", component("hello-signer"))]);
    wos_of(&services)
        .run()
        .expect_code(SETUP_FAILED)
        .expect_stderr(&["exported by several services (`second-signer`, `signer`)", "`[services.quoter.links]`"]);
}

#[test]
fn a_choice_of_provider_in_the_wos_is_honoured() {
    let mut services = services_with(&[("second-signer", component("hello-signer"))]);
    services.retain(|(name, _)| *name != "quoter");
    let mut text = manifest_text("", &services);
    text += &format!(
        "[services.quoter]\ncomponent = {:?}\nlinks = {{ \"example:hello/signer\" = \"second-signer\" }}\n",
        component("hello-quoter").display().to_string()
    );
    let run = Wos::new(&text).run().expect_code(0);
    assert!(run.stderr.contains("`example:hello/signer@0.1.0` -> service `second-signer`"), "{}", run.stderr);
}

#[test]
fn an_import_whose_types_differ_from_the_export() {
    let wit = r#"
        package example:hello@0.1.0;
        interface types { record stamped { text: string, trail: list<string> } }
        interface signer { use types.{stamped}; sign: func(text: u32) -> stamped; }
        world signer-service { export signer; }
    "#;
    let wos = wos_of(&hello_services());
    let wrong = wos.file("wrong-signer.wasm", &trapping_component(WitSource::Text(wit), "signer-service"));
    wos_of(&services_with(&[("signer", wrong)])).run().expect_code(SETUP_FAILED).expect_stderr(&[
        "type mismatch in `example:hello/signer@0.1.0#sign` between `quoter` (import) and `signer` (export)",
        "parameter `text` > expected string, found u32",
    ]);
}

#[test]
fn a_dependency_cycle() {
    let wit = r#"
        package test:cycle;
        interface ping { ping: func() -> string; }
        interface pong { pong: func() -> string; }
        world pinger { import pong; export ping; }
        world ponger { import ping; export pong; }
    "#;
    let wos = Wos::new("");
    let pinger = wos.file("pinger.wasm", &trapping_component(WitSource::Text(wit), "pinger"));
    let ponger = wos.file("ponger.wasm", &trapping_component(WitSource::Text(wit), "ponger"));
    wos_of(&[("pinger", pinger), ("ponger", ponger)])
        .run()
        .expect_code(SETUP_FAILED)
        .expect_stderr(&["the services import from each other in a cycle: pinger -> ponger -> pinger"]);
}

#[test]
fn a_guest_that_traps_during_a_call() {
    let wos = Wos::new("");
    let wit_dir = repo().join("examples/hello/wit");
    let trapping = wos.file("signer.wasm", &trapping_component(WitSource::Dir(&wit_dir), "signer-service"));
    let run = wos_of(&services_with(&[("signer", trapping)])).run().expect_code(GUEST_TRAPPED).expect_stderr(&[
        "error: service `signer` trapped in `example:hello/signer@0.1.0#sign` (called by program `entry`)",
        "unreachable",
    ]);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn a_failing_build_command() {
    Wos::new("manifest-version = 1\n[services.web]\ncomponent = \"web.wasm\"\nbuild = \"exit 3\"\n")
        .run()
        .expect_code(SETUP_FAILED)
        .expect_stderr(&["the build command of service `web` failed", "`exit 3`", "fix the build"]);
}

#[test]
fn a_build_command_runs_in_the_folder_of_a_wos_named_without_one() {
    // `run wos.toml` from the wos's own folder: the manifest's folder is the current one.
    let wos =
        Wos::new("manifest-version = 1\n[services.web]\ncomponent = \"web.wasm\"\nbuild = \"touch built; exit 3\"\n");
    let folder = wos.path().parent().unwrap().to_owned();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_parigot-host"))
        .args(["run", "wos.toml"])
        .current_dir(&folder)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the build command of service `web` failed (exit status: 3)"), "{stderr}");
    assert!(folder.join("built").is_file(), "the command ran in the wos's folder");
}

#[test]
fn unit_only_flags_on_a_wos() {
    let wos = Wos::with_services(&[("signer", component("hello-signer").as_path())]);
    host(&["run", wos.path().to_str().unwrap(), "--env", "A=1"])
        .expect_code(SETUP_FAILED)
        .expect_stderr(&["`--env` and arguments after `--` are for a fused unit"]);
}

#[test]
fn check_proto_and_compose_never_run_a_build_command() {
    // The build command would leave a marker file; none of these commands may run it.
    let wos = Wos::new("manifest-version = 1\n[services.web]\ncomponent = \"web.wasm\"\nbuild = \"touch built\"\n");
    let wos_path = wos.path();
    let wos_arg = wos_path.to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let unit = out.path().join("unit.wasm");
    for args in [
        vec!["check", wos_arg],
        vec!["proto", wos_arg, "-o", out.path().to_str().unwrap()],
        vec!["compose", wos_arg, "--emit", unit.to_str().unwrap()],
    ] {
        host(&args).expect_code(78).expect_stderr(&[
            "the component of service `web`",
            "does not exist, and this command does not run build commands",
            "its `build` command is `touch built`",
        ]);
        assert!(!wos_path.with_file_name("built").exists(), "`{}` ran the build command", args[0]);
    }
    host(&["check", wos_arg, "--build"]).expect_code(78).expect_stderr(&["`--build` is for `run`"]);
}

#[test]
fn an_interface_two_services_export_is_not_served_twice() {
    // Two signers export one interface: without an `exports` list that would be one gRPC
    // service with two providers, so it is refused at start-up, before anything listens.
    let wos = wos_of(&[("signer", component("hello-signer")), ("second-signer", component("hello-signer"))]);
    let out = tempfile::tempdir().unwrap();
    for args in [
        vec!["run", wos.path().to_str().unwrap(), "--listen", "127.0.0.1:0"],
        vec!["proto", wos.path().to_str().unwrap(), "-o", out.path().to_str().unwrap()],
    ] {
        host(&args).expect_code(78).expect_stderr(&[
            "services `second-signer` and `signer` both export `example:hello/signer@0.1.0`, so it cannot be served",
            "list the wos's public interfaces in `exports`",
        ]);
    }
}

#[test]
fn instances_on_a_program() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\n[services.dice]\ncomponent = {:?}\ninstances = 2\n",
        component("dice").display().to_string()
    ));
    wos.run().expect_code(SETUP_FAILED).expect_stderr(&[
        "service `dice` is a program (it exports `wasi:cli/run`), which runs once; `instances` is for servers",
    ]);
}
