//! JavaScript and TypeScript services: a service whose folder holds `app.js` is built with
//! componentize-js, linked and called like the others (here it takes the place of the Go
//! greeter of a new project, whose Go tests then pass against it, and it is served); one with
//! `app.ts` is type-checked against its WIT first. (Every capability's tests run a JavaScript
//! guest too, and `new.rs` starts JavaScript and TypeScript projects.)

use crate::support::served::Served;
use crate::support::{componentize_js, host_fails_in, host_in, tool_path};

const GREETER: &str = r#"// The greeter of the project, in JavaScript: `shop:api/greeter`.
import { log } from "parigot";

export const greeter = {
  hello(name) {
    console.log(`saying hello to ${name}`);
    return `Hello, ${name}!`;
  },
};

// `console` writes to the host's log, at the level of each method, rather than to stdout.
log.routeConsole();
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
    assert!(served.log_shows("saying hello to ada"), "console.log reaches the host's log:\n{}", served.log());
    let log = served.log();
    let line = log.lines().find(|line| line.contains("saying hello to ada")).unwrap();
    let line: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!((&line["service"], &line["level"]), (&"greeter".into(), &"info".into()), "{line}");
    assert!(line["fields"]["stream"].is_null(), "a log line, not the service's stdout: {line}");
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

#[test]
fn a_typescript_service_is_checked_against_its_wit_before_it_is_built() {
    let dir = tempfile::tempdir().unwrap();
    host_in(dir.path(), &["new", "shop", "--lang", "ts"]);
    let project = dir.path().join("shop");
    let app = project.join("services/greeter/app.ts");
    let source = std::fs::read_to_string(&app).unwrap();
    let build =
        ["build", "--source", "services/greeter", "--wit", "wit", "--world", "greeter-service", "--out", "g.wasm"];

    let two_arguments = source.replace("hello(name: string): string {", "hello(name: string, loud: boolean): string {");
    assert_ne!(two_arguments, source);
    std::fs::write(&app, two_arguments).unwrap();
    let stderr = host_fails_in(&project, &build);
    assert!(stderr.contains("the export `greeter` (shop:api/greeter@0.1.0) does not match its WIT"), "{stderr}");
    assert!(stderr.contains("'(name: string, loud: boolean) => string' is not assignable"), "{stderr}");

    let wrong_type = source.replace("    log.info(", "    const length: number = name;\n    log.info(");
    std::fs::write(&app, wrong_type).unwrap();
    let stderr = host_fails_in(&project, &build);
    assert!(stderr.contains("services/greeter/app.ts:12:11: error TS2322"), "{stderr}");

    // A function added to the WIT: the service lacks it, and the editors' declarations have it.
    std::fs::write(&app, &source).unwrap();
    let wit = project.join("wit/greeter.wit");
    let text = std::fs::read_to_string(&wit).unwrap();
    std::fs::write(
        &wit,
        text.replace(
            "hello: func(name: string) -> string;",
            "hello: func(name: string) -> string;\n    bye: func() -> string;",
        ),
    )
    .unwrap();
    let stderr = host_fails_in(&project, &build);
    assert!(stderr.contains("Property 'bye' is missing"), "{stderr}");
    let declared = std::fs::read_to_string(project.join(".parigot/types/wit.d.ts")).unwrap();
    assert!(declared.contains("export function bye(): string;"), "{declared}");
    assert!(!project.join("g.wasm").exists(), "nothing was built");
}
