//! Program surgery: `compose --emit` fuses a wos into one component, which runs like the
//! dynamically linked wos and which third-party tools accept.

use crate::support::{Run, WitSource, Wos, component, hello_services, host, manifest_text, repo, trapping_component};
use std::path::{Path, PathBuf};
use std::process::Command;

fn hello_wos() -> String {
    repo().join("examples/hello/wos.toml").display().to_string()
}

/// Fuses the wos at `wos` into `dir/name.wasm`.
fn fuse(wos: &str, dir: &Path, name: &str) -> (Run, PathBuf) {
    let unit = dir.join(format!("{name}.wasm"));
    let run = host(&["compose", wos, "--emit", unit.to_str().unwrap()]);
    (run, unit)
}

/// What the guests printed, without the service-name prefixes.
fn guest_text(run: &Run) -> Vec<String> {
    run.stdout.lines().map(|line| line.split_once(" | ").map_or(line, |(_, text)| text).to_owned()).collect()
}

fn wasm_tools(args: &[&str]) -> String {
    let output = Command::new(repo().join(".tools/venv/bin/wasm-tools")).args(args).output().expect("wasm-tools runs");
    assert!(output.status.success(), "wasm-tools {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_fused_example_prints_what_the_linked_one_prints() {
    let dir = tempfile::tempdir().unwrap();
    let (_, unit) = fuse(&hello_wos(), dir.path(), "hello");
    let linked = host(&["run", &hello_wos()]).expect_code(0);
    // The unit carries its program's `args` and `env` from the wos.
    let fused = host(&["run", unit.to_str().unwrap()]).expect_code(0);
    // The same lines, each run in a trace of its own.
    let untraced = |run| -> Vec<String> { guest_text(run).into_iter().filter(|l| !l.contains("trace: ")).collect() };
    assert_eq!(untraced(&fused), untraced(&linked));
    assert_eq!(guest_text(&fused).len(), guest_text(&linked).len());
    assert!(fused.stdout.starts_with("hello | “~ Hello, World!! ~”"), "{}", fused.stdout);
    // Arguments after `--` replace them; `--env` overrides one variable.
    let other = host(&["run", unit.to_str().unwrap(), "--env", "EXCITEMENT=0", "--", "you"]).expect_code(0);
    assert!(other.stdout.starts_with("hello | “~ Hello, You ~” [signed"), "{}", other.stdout);
}

#[test]
fn a_wos_with_remote_links_cannot_be_fused() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\n[services.driver]\ncomponent = {:?}\n[services.driver.links]\n\
         \"parigot:testing/faults\" = {{ remote = \"http://127.0.0.1:9\" }}\n",
        component("faults-driver").display().to_string()
    ));
    let dir = tempfile::tempdir().unwrap();
    let (run, unit) = fuse(wos.path().to_str().unwrap(), dir.path(), "remote");
    run.expect_code(78).expect_stderr(&[
        "cannot be fused: service `driver` imports `parigot:testing/faults@0.1.0` from the remote host http://127.0.0.1:9",
    ]);
    assert!(!unit.exists());
}

#[test]
fn fusing_is_deterministic_and_the_unit_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let (run, first) = fuse(&hello_wos(), dir.path(), "first");
    run.expect_code(0).expect_stderr(&["fused 5 services into"]);
    let (_, second) = fuse(&hello_wos(), dir.path(), "second");
    assert!(std::fs::read(&first).unwrap() == std::fs::read(&second).unwrap(), "two fusions differ");

    wasm_tools(&["validate", first.to_str().unwrap()]);
    let wit = wasm_tools(&["component", "wit", first.to_str().unwrap()]);
    let items: Vec<&str> =
        wit.lines().map(str::trim).filter(|l| l.starts_with("import ") || l.starts_with("export ")).collect();
    let exports: Vec<&str> = items.iter().copied().filter(|l| l.starts_with("export ")).collect();
    assert_eq!(exports, ["export wasi:cli/run@0.2.0;"], "{wit}");
    for import in items.iter().filter(|l| l.starts_with("import ")) {
        // Only the host's capabilities, and the types-only interface no service provides.
        let host = ["import wasi:", "import parigot:context/pctx@", "import parigot:log/log@"];
        assert!(
            host.iter().any(|h| import.starts_with(h)) || import.starts_with("import example:hello/types@"),
            "{import}"
        );
    }
}

#[test]
fn a_unit_exports_the_public_interfaces_of_its_wos() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"parigot:bench/driver\"]\n[services.driver]\ncomponent = {:?}\n\
         [services.echo]\ncomponent = {:?}\n",
        component("bench-driver").display().to_string(),
        component("bench-echo-rust").display().to_string(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let (run, unit) = fuse(wos.path().to_str().unwrap(), dir.path(), "bench");
    run.expect_code(0);
    let wit = wasm_tools(&["component", "wit", unit.to_str().unwrap()]);
    assert!(wit.contains("export parigot:bench/driver@0.1.0;"), "{wit}");
    assert!(!wit.contains("import parigot:bench/echo"), "{wit}");
}

/// The composer reports bad input with the same errors as the dynamic linker.
#[test]
fn bad_input_gets_the_linker_s_errors() {
    let fixtures = tempfile::tempdir().unwrap();
    let fixture = |name: &str, wit: &str, world: &str| {
        let path = fixtures.path().join(format!("{name}.wasm"));
        std::fs::write(&path, trapping_component(WitSource::Text(wit), world)).unwrap();
        path
    };
    let newer_signer = fixture(
        "signer-0.2",
        "package example:hello@0.2.0;\ninterface types { record stamped { text: string, trail: list<string> } }\n\
         interface signer { use types.{stamped}; sign: func(text: string) -> stamped; }\n\
         world signer-service { export signer; }",
        "signer-service",
    );
    let cycle = "package test:cycle;\ninterface ping { ping: func() -> string; }\n\
                 interface pong { pong: func() -> string; }\n\
                 world pinger { import pong; export ping; }\nworld ponger { import ping; export pong; }";
    let mut version_mismatch = hello_services();
    version_mismatch.retain(|(name, _)| *name != "signer");
    version_mismatch.push(("signer", newer_signer));
    let mut two_signers = hello_services();
    two_signers.push(("second-signer", component("hello-signer")));
    // (what the error says, lines before the services, the services)
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, PathBuf)>);
    let cases: Vec<Case> = vec![
        (
            "but no service in this wos exports it",
            "",
            hello_services().into_iter().filter(|(name, _)| *name != "decorator").collect(),
        ),
        ("exported by several services", "", two_signers),
        ("exports `example:hello/signer@0.2.0`, an incompatible version", "", version_mismatch),
        (
            "in a cycle: pinger -> ponger -> pinger",
            "",
            vec![("pinger", fixture("pinger", cycle, "pinger")), ("ponger", fixture("ponger", cycle, "ponger"))],
        ),
        ("the wos exports `example:hello/nothing`", "exports = [\"example:hello/nothing\"]\n", hello_services()),
    ];
    for (case, prelude, services) in cases {
        let wos = Wos::new(&manifest_text(prelude, &services));
        let linked = wos.run().expect_code(78);
        let dir = tempfile::tempdir().unwrap();
        let (fused, unit) = fuse(wos.path().to_str().unwrap(), dir.path(), "unit");
        let fused = fused.expect_code(78);
        let error = |run: &Run| run.stderr.lines().find(|l| l.starts_with("error: ")).unwrap_or_default().to_owned();
        assert_eq!(error(&fused), error(&linked), "{case}");
        assert!(error(&fused).contains(case), "{case}: {}", fused.stderr);
        assert!(!unit.exists(), "{case}: a unit was written");
    }
}

#[test]
fn a_unit_holds_at_most_one_program() {
    let mut services = hello_services();
    services.push(("dice", component("dice")));
    let wos = Wos::new(&manifest_text("", &services));
    let dir = tempfile::tempdir().unwrap();
    let (run, _) = fuse(wos.path().to_str().unwrap(), dir.path(), "unit");
    run.expect_code(78).expect_stderr(&["has several programs (`dice`, `entry`)"]);
}
