//! JavaScript services (the first part of #27): a service whose folder holds `app.js` is built
//! with componentize-js, linked and called like the others. Here it takes the place of the Go
//! greeter of a new project, whose Go tests then pass against it, and it is served.

use crate::support::served::Served;
use crate::support::{componentize_js, host_fails_in, host_in, tool_path};

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
    let stderr = host_fails_in(
        &project,
        &[
            "--log",
            "info",
            "build",
            "--source",
            "services/js",
            "--wit",
            "wit",
            "--world",
            "greeter-servce",
            "--out",
            "js.wasm",
        ],
    );
    assert!(stderr.contains("building service `js` (JavaScript)"), "{stderr}");
    assert!(
        stderr.contains("has no world `greeter-servce`") && stderr.contains("did you mean `greeter-service`?"),
        "{stderr}"
    );
}
