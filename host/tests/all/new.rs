//! `parigot-host new`: a project started in a temporary folder, outside the repository, in each
//! language (a service with a database and typed queries first, then a plain service and a
//! program added with `new service`), tested with `parigot-host test`, served, and called with
//! curl. Nothing it writes points into parigot's checkout; the toolchains come from PATH.

use crate::support::served::Served;
use crate::support::{componentize_js, host_fails_in, host_in, repo, tool_path};
use std::path::Path;
use std::process::Command;

/// Every file below `dir` that names a path into parigot's checkout.
fn files_naming_the_checkout(dir: &Path) -> Vec<String> {
    let checkout = repo().display().to_string();
    let mut found = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() && name != "target" && name != ".parigot" {
                folders.push(path);
            } else if std::fs::read_to_string(&path).is_ok_and(|text| text.contains(&checkout)) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// A project started with a service with a database in `database`, then a plain service in
/// `plain` and a program in `program` added: it tests, serves and runs.
fn a_new_project_works_at_once([database, plain, program]: [&str; 3]) {
    let _heavy = crate::support::heavy_or_timed();
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("shop");
    let wos = project.join("wos.toml");
    let wos_arg = wos.to_str().unwrap();
    let written = host_in(dir.path(), &["new", "shop", "--lang", database, "--sqlite"]);
    assert!(written.contains("wrote shop/wos.toml") && written.contains("next:"), "{written}");
    host_in(&project, &["new", "service", "plain", "--lang", plain]);
    host_in(&project, &["new", "service", "hi", "--lang", program, "--program"]);
    assert_eq!(files_naming_the_checkout(&project), Vec::<String>::new());

    let report = host_in(dir.path(), &["test", wos_arg]);
    assert!(report.contains("test result: ok. 2 passed, 0 failed"), "{report}");

    let componentize_js = componentize_js().display().to_string();
    let env = [("PATH", tool_path()), ("COMPONENTIZE_JS", componentize_js)];
    let served = Served::start_command("run", &wos, "127.0.0.1:0", &[], &env);
    let json = ["-H", "Content-Type: application/json", "-d", r#"{"name": "ada"}"#];
    for visit in 1..=2 {
        let (status, body) = served.curl("/shop.api.greeter.v0_1_0.Greeter/Hello", &json);
        assert_eq!((status, body.as_str()), (200, format!(r#"{{"ok":"Hello, ada! (visit {visit})"}}"#).as_str()));
    }
    let (status, body) = served.curl("/shop.api.plain.v0_1_0.Plain/Hello", &json);
    assert_eq!((status, body.as_str()), (200, r#"{"result":"Hello, ada!"}"#));
    assert!(served.log_shows("greeter | saying hello greeted=\"ada\" visits=2"), "{}", served.log());
    assert!(served.log_shows("hi | greeting"), "the program ran:\n{}", served.log());
}

#[test]
fn a_new_rust_project_builds_tests_and_serves() {
    a_new_project_works_at_once(["rust"; 3]);
}

#[test]
fn a_new_go_project_builds_tests_and_serves() {
    a_new_project_works_at_once(["go"; 3]);
}

#[test]
fn a_new_python_project_builds_tests_and_serves() {
    a_new_project_works_at_once(["python"; 3]);
}

/// TypeScript and JavaScript in one project (each component takes seconds to build and to
/// compile): typed queries and a program in TypeScript, a plain service and its tests in
/// JavaScript.
#[test]
fn a_new_typescript_and_javascript_project_builds_tests_and_serves() {
    a_new_project_works_at_once(["ts", "js", "ts"]);
}

/// `test --watch`: after a change to a test's sources, the tests run again.
#[test]
fn test_watch_runs_again_after_a_change() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    host_in(dir.path(), &["new", "shop", "--lang", "go"]);
    let project = dir.path().join("shop");
    let mut watching = Command::new(env!("CARGO_BIN_EXE_parigot-host"))
        .args(["test", "wos.toml", "--watch"])
        .current_dir(&project)
        .env("PATH", tool_path())
        .env("PARIGOT_CACHE_DIR", repo().join("target/parigot-test-cache"))
        .env("PARIGOT_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(KillOnDrop)
        .unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let stdout = BufReader::new(watching.0.stdout.take().unwrap());
    std::thread::spawn(move || stdout.lines().map_while(Result::ok).for_each(|line| drop(lines_tx.send(line))));
    let next_result = || loop {
        let line = lines.recv_timeout(std::time::Duration::from_secs(120)).expect("a report within 2 minutes");
        if line.starts_with("test result:") {
            return line;
        }
    };
    assert_eq!(next_result(), "test result: ok. 1 passed, 0 failed");
    let tests = project.join("tests/greeter/export_parigot_test_tests/greeter_tests.go");
    let text = std::fs::read_to_string(&tests).unwrap();
    std::fs::write(&tests, text.replace("\"Hello, ada!\"", "\"Hello, bob!\"")).unwrap();
    assert_eq!(next_result(), "test result: FAILED. 0 passed, 1 failed");
}

/// A child process killed when dropped, so a failed test leaves nothing running.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Build errors name the author's files, before a toolchain runs when the host can tell, and
/// without the toolchains' insides.
#[test]
fn build_errors_name_the_authors_own_files() {
    let dir = tempfile::tempdir().unwrap();
    host_in(dir.path(), &["new", "shop", "--lang", "go"]);
    let project = dir.path().join("shop");
    host_in(&project, &["new", "service", "py", "--lang", "python"]);
    let wos = std::fs::read_to_string(project.join("wos.toml")).unwrap();

    std::fs::write(project.join("wos.toml"), wos.replace("world = \"greeter-service\"", "world = \"greeter-servce\""))
        .unwrap();
    let typo = host_fails_in(&project, &["build", "wos.toml"]);
    assert!(
        typo.contains("the WIT folder wit has no world `greeter-servce` (`world` of service `greeter` in the wos)"),
        "{typo}"
    );
    assert!(typo.contains("did you mean `greeter-service`?"), "{typo}");
    std::fs::write(project.join("wos.toml"), &wos).unwrap();

    let go = project.join("services/greeter/export_shop_api_greeter/greeter.go");
    let source = std::fs::read_to_string(&go).unwrap();
    std::fs::write(&go, source.replace("return \"Hello, \" + name + \"!\"", "return undefinedThing")).unwrap();
    let compile = host_fails_in(&project, &["build", "wos.toml", "--service", "greeter"]);
    assert!(compile.contains("services/greeter/export_shop_api_greeter/greeter.go:"), "{compile}");
    assert!(compile.contains("undefined: undefinedThing"), "{compile}");
    std::fs::write(&go, source).unwrap();

    let python = project.join("services/py/app.py");
    std::fs::write(&python, "import parigot\ndef broken(:\n    pass\n").unwrap();
    let syntax = host_fails_in(&project, &["build", "wos.toml", "--service", "py"]);
    assert!(
        syntax.contains(&format!("File \"{}\", line 2", project.join("services/py/app.py").display()))
            || syntax.contains("File \"services/py/app.py\", line 2"),
        "{syntax}"
    );
    assert!(syntax.contains("SyntaxError"), "{syntax}");
    for inside in ["/0/app.py", "Stack backtrace", "sys.exit(script())"] {
        assert!(!syntax.contains(inside), "{inside} in {syntax}");
    }

    std::fs::write(project.join("wit/zz.wit"), "package shop:api@0.1.0;\ninterface broken { f: func( }\n").unwrap();
    let wit = host_fails_in(&project, &["build", "wos.toml", "--service", "greeter"]);
    assert!(wit.contains("--> wit/zz.wit:2:29"), "{wit}");
}

/// `dev` stopped while it rebuilds a service: the toolchain is stopped and nothing is swapped
/// in; the host does not wait for the rebuild.
#[test]
fn dev_stops_during_a_rebuild_without_waiting_for_it() {
    let dir = tempfile::tempdir().unwrap();
    host_in(dir.path(), &["new", "shop", "--lang", "python"]);
    let project = dir.path().join("shop");
    let served = Served::start_command("dev", &project.join("wos.toml"), "127.0.0.1:0", &[], &[("PATH", tool_path())]);
    assert!(served.log_shows_within("watching the sources", std::time::Duration::from_secs(30)), "{}", served.log());
    let app = project.join("services/greeter/app.py");
    let text = std::fs::read_to_string(&app).unwrap();
    std::fs::write(&app, text.replace("f\"Hello, {name}!\"", "f\"Hi, {name}!\"")).unwrap();
    let rebuilding = "the sources of service `greeter` changed: rebuilding";
    assert!(served.log_shows_within(rebuilding, std::time::Duration::from_secs(60)), "{}", served.log());
    let (_, _, log) = served.terminate();
    assert!(log.contains("stopping: the rebuild of service `greeter` is abandoned"), "{log}");
    assert!(!log.contains("reloaded service"), "{log}");
}

/// Typed queries whose WIT is generated beside their queries file (no `wit` key), in a WIT
/// folder that a Go service's and a Python service's worlds share: the Go build reads the
/// folder whole, so it gets the Python service's queries package too.
#[test]
fn typed_queries_beside_their_file_work_in_a_shared_wit_folder() {
    let dir = tempfile::tempdir().unwrap();
    host_in(dir.path(), &["new", "shop", "--lang", "python", "--sqlite"]);
    let project = dir.path().join("shop");
    let wos = std::fs::read_to_string(project.join("wos.toml")).unwrap();
    let beside = wos.replace("wit = \"wit/deps/shop-greeter-db/queries.wit\"\n", "");
    assert_ne!(beside, wos);
    std::fs::write(project.join("wos.toml"), beside).unwrap();
    std::fs::remove_dir_all(project.join("wit/deps/shop-greeter-db")).unwrap();
    host_in(&project, &["new", "service", "plain", "--lang", "go"]);
    let report = host_in(&project, &["test", "wos.toml"]);
    assert!(report.contains("test result: ok. 2 passed, 0 failed"), "{report}");
    assert!(project.join("services/greeter/db/queries.wit").is_file(), "generated beside the queries file");
}

/// The same layout for a Rust service, whose `generate!` reads the WIT folder itself: the
/// build fails, and says what to do.
#[test]
fn a_rust_build_missing_typed_queries_says_where_they_go() {
    let dir = tempfile::tempdir().unwrap();
    host_in(dir.path(), &["new", "shop", "--lang", "rust", "--sqlite"]);
    let project = dir.path().join("shop");
    let wos = std::fs::read_to_string(project.join("wos.toml")).unwrap();
    std::fs::write(project.join("wos.toml"), wos.replace("wit = \"wit/deps/shop-greeter-db/queries.wit\"\n", ""))
        .unwrap();
    std::fs::remove_dir_all(project.join("wit/deps/shop-greeter-db")).unwrap();
    let failed = host_fails_in(&project, &["build", "wos.toml", "--service", "greeter"]);
    assert!(failed.contains("services/greeter/db/queries.wit, which is outside the folder"), "{failed}");
    assert!(failed.contains("set `wit = \"") && failed.contains("/deps/NAME/queries.wit\"` in the grant"), "{failed}");
}
