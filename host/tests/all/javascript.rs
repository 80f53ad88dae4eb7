//! JavaScript services (the first part of #27): a service whose folder holds `app.js` is built
//! with componentize-js, linked and called like the others. Here it takes the place of the Go
//! greeter of a new project, whose Go tests then pass against it, and it is served.

use crate::support::served::Served;
use crate::support::{repo, tool_path};
use std::path::Path;
use std::process::Command;

/// Runs `parigot-host ARGS` in `dir` with the toolchains (componentize-js among them); asserts
/// it succeeds and returns its stdout.
fn host_in(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_parigot-host"))
        .args(args)
        .current_dir(dir)
        .env("PATH", tool_path())
        .env("COMPONENTIZE_JS", componentize_js())
        .env("PARIGOT_CACHE_DIR", repo().join("target/parigot-test-cache"))
        .env("PARIGOT_LOG", "warn")
        .output()
        .expect("the host binary runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "parigot-host {}:\nstdout:\n{stdout}\nstderr:\n{stderr}", args.join(" "));
    stdout.into_owned()
}

fn componentize_js() -> std::path::PathBuf {
    repo().join(".tools/npm/node_modules/@bytecodealliance/componentize-js")
}

const GREETER: &str = r#"// The greeter of the project, in JavaScript: `shop:api/greeter`.
export const greeter = {
  hello(name) {
    console.log(`saying hello to ${name}`);
    return `Hello, ${name}!`;
  },
};
"#;

#[test]
fn a_javascript_service_builds_links_passes_tests_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    host_in(dir.path(), &["new", "shop", "--lang", "go"]);
    let project = dir.path().join("shop");
    std::fs::create_dir_all(project.join("services/greeter-js")).unwrap();
    std::fs::write(project.join("services/greeter-js/app.js"), GREETER).unwrap();
    let wos = std::fs::read_to_string(project.join("wos.toml")).unwrap();
    let js = wos.replace("source = \"services/greeter\"\n", "source = \"services/greeter-js\"\n");
    assert_ne!(js, wos);
    std::fs::write(project.join("wos.toml"), js).unwrap();

    let report = host_in(&project, &["test", "wos.toml"]);
    assert!(report.contains("test greeter-tests::TestSaysHello ... ok"), "{report}");

    let served = Served::start_command(
        "run",
        &project.join("wos.toml"),
        "127.0.0.1:0",
        // In JSON, the guests' stdout lines are log lines too.
        &["--log-format", "json"],
        &[("PATH", tool_path()), ("COMPONENTIZE_JS", componentize_js().display().to_string())],
    );
    let (status, body) = served.curl(
        "/shop.api.greeter.v0_1_0.Greeter/Hello",
        &["-H", "Content-Type: application/json", "-d", r#"{"name": "ada"}"#],
    );
    assert_eq!((status, body.as_str()), (200, r#"{"result":"Hello, ada!"}"#));
    assert!(served.log_shows("saying hello to ada"), "console.log reaches the host's output:\n{}", served.log());
}

#[test]
fn a_javascript_world_the_wit_lacks_is_named_before_componentize_js_runs() {
    let dir = tempfile::tempdir().unwrap();
    host_in(dir.path(), &["new", "shop", "--lang", "go"]);
    let project = dir.path().join("shop");
    std::fs::create_dir_all(project.join("services/js")).unwrap();
    std::fs::write(project.join("services/js/app.js"), GREETER).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_parigot-host"))
        .args(["build", "--source", "services/js", "--wit", "wit", "--world", "greeter-servce", "--out", "js.wasm"])
        .current_dir(&project)
        .env("PATH", tool_path())
        .env("COMPONENTIZE_JS", componentize_js())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("building service `js` (JavaScript)"), "{stderr}");
    assert!(
        stderr.contains("has no world `greeter-servce`") && stderr.contains("did you mean `greeter-service`?"),
        "{stderr}"
    );
}
