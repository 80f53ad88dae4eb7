//! The per-call context and logging, from every guest language: the hello example's hops
//! (Rust -> Go -> Python -> JavaScript -> Rust) each read their context through their SDK, hand baggage on,
//! and log structured lines, which the host renders as text or JSON.

use crate::support::served::Served;
use crate::support::{Run, Wos, hello_services, host, manifest_text, repo};
use serde_json::Value;

fn hello(flags: &[&str]) -> Run {
    let wos = repo().join("examples/hello/wos.toml");
    let mut args = vec!["run", wos.to_str().unwrap()];
    args.extend_from_slice(flags);
    host(&args).expect_code(0)
}

/// `name` with its first letter in upper case, as the greeter greets it.
fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|first| first.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

/// The JSON lines of guest `service` in `stderr`.
fn json_lines(stderr: &str, service: &str) -> Vec<Value> {
    stderr
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .filter(|line| line["service"] == service)
        .collect()
}

/// The trace id the entry program printed first (on stdout; with JSON logs, in the log).
fn printed_trace(run: &Run) -> String {
    let line = run.stdout.lines().chain(run.stderr.lines()).find(|line| line.contains("trace: "));
    let line = line.expect("the entry prints its trace");
    line.split("trace: ").nth(1).unwrap()[..32].to_owned()
}

#[test]
fn every_hop_logs_in_one_trace_with_its_own_span_and_the_baggage_from_upstream() {
    let run = hello(&["--log-format", "json"]);
    let trace = printed_trace(&run);
    let [entry, greeter, decorator, quoter, signer] =
        ["entry", "greeter", "decorator", "quoter", "signer"].map(|service| json_lines(&run.stderr, service));
    // The entry program's own line, then its stdout (in the log, with JSON logs).
    let printed: Vec<&Value> = entry.iter().filter(|line| line["fields"]["stream"] == "stdout").collect();
    assert_eq!(printed.len(), 6, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let entry: Vec<Value> = entry.iter().filter(|line| line["fields"]["stream"].is_null()).cloned().collect();
    assert_eq!(entry.len(), 1, "{}", run.stderr);
    assert_eq!((greeter.len(), decorator.len(), quoter.len(), signer.len()), (2, 2, 2, 2), "{}", run.stderr);
    for line in entry.iter().chain(&greeter).chain(&decorator).chain(&quoter).chain(&signer) {
        assert!(line.get("fields").is_some(), "{line}");
        assert_eq!(line["trace_id"], trace.as_str(), "{line}");
        assert_eq!(line["level"], "info", "{line}");
        assert!(line["request_id"].as_str().is_some_and(|id| id.len() == 16), "{line}");
        assert!(line["time"].is_string(), "{line}");
    }
    for (call, name) in [(0, "world"), (1, "wasm components")] {
        let (g, d, s) = (&greeter[call]["fields"], &decorator[call]["fields"], &signer[call]["fields"]);
        let q = &quoter[call]["fields"];
        // Each hop read its own span, whose parent is the span of the hop before it.
        assert_eq!(g["parent"], entry[0]["fields"]["span"], "{g}");
        assert_eq!(d["parent"], g["span"], "{d}");
        assert_eq!(q["parent"], d["span"], "{q}");
        assert_eq!(s["parent"], q["span"], "{s}");
        assert_ne!(d["span"], q["span"]);
        // The greeter (Go) put the name in the baggage; Python, JavaScript and Rust downstream
        // read it.
        assert_eq!(g["name"], name);
        assert_eq!(d["greeted"], name, "{d}");
        assert_eq!(q["greeted"], name, "{q}");
        assert_eq!(s["greeted"], name, "{s}");
        // Typed fields stay typed.
        assert_eq!(g["excitement"], 2, "{g}");
        assert_eq!(d["excitement"], 2, "{d}");
        assert_eq!(q["characters"], format!("~ Hello, {}!! ~", capitalised(name)).chars().count(), "{q}");
        assert!(s["digest"].as_str().is_some_and(|digest| digest.len() == 8), "{s}");
    }
    assert_eq!(greeter[0]["message"], "greeting");
    assert_eq!(decorator[0]["message"], "decorating");
    assert_eq!(quoter[0]["message"], "quoting");
    assert!(signer[0]["message"].as_str().unwrap().starts_with("signed "), "{}", signer[0]);
}

#[test]
fn text_lines_show_level_service_fields_and_trace() {
    let run = hello(&[]);
    let trace = printed_trace(&run);
    let line = run.stderr.lines().find(|line| line.contains("greeter | ")).expect("the greeter logs");
    assert!(line.contains(" INFO greeter | greeting name=\"world\" excitement=2 span="), "{line}");
    assert!(line.ends_with(&format!("trace={trace}")), "{line}");
    let python = run.stderr.lines().find(|line| line.contains("decorator | ")).expect("the decorator logs");
    assert!(python.contains("decorating excitement=2 greeted=\"world\""), "{python}");
    // Not a terminal: no colour.
    assert!(!run.stderr.contains('\u{1b}'), "{}", run.stderr);
}

#[test]
fn deterministic_runs_log_the_same_ids_without_timestamps() {
    // Compile first: a run that compiles logs so, one that loads from the cache does not.
    host(&["check", repo().join("examples/hello/wos.toml").to_str().unwrap()]).expect_code(0);
    let first = hello(&["--deterministic", "--log-format", "json"]);
    let second = hello(&["--deterministic", "--log-format", "json"]);
    assert_eq!(first.stderr, second.stderr);
    assert_eq!(first.stdout, second.stdout);
    let lines = json_lines(&first.stderr, "signer");
    assert!(lines.iter().all(|line| line.get("time").is_none()), "{}", first.stderr);
    assert_ne!(printed_trace(&first), printed_trace(&hello(&["--seed", "5"])));
}

#[test]
fn a_services_log_level_filters_its_lines_only() {
    let text = manifest_text("[log]\nlevel = \"warn\"\n[services.greeter.log]\nlevel = \"debug\"\n", &hello_services());
    let run = Wos::new(&text).run().expect_code(0);
    assert!(run.stderr.contains("greeter | greeting"), "{}", run.stderr);
    for quiet in ["decorator | ", "quoter | ", "signer | ", "entry | "] {
        assert!(!run.stderr.contains(quiet), "{quiet} logged below its level:\n{}", run.stderr);
    }
}

#[test]
fn a_bad_log_table_names_the_service_and_the_key() {
    for (table, expected) in [
        ("level = \"loud\"", "unknown variant `loud`"),
        ("max-lines-per-second = 0", "service `greeter`: `log`: `max-lines-per-second = 0` would drop every log line"),
        ("colour = true", "unknown field `colour`"),
    ] {
        let text = manifest_text("", &hello_services())
            .replace("[services.greeter]\n", &format!("[services.greeter.log]\n{table}\n[services.greeter]\n"));
        let run = Wos::new(&text).run().expect_code(78);
        assert!(run.stderr.contains(expected), "{table}: {}", run.stderr);
    }
}

#[test]
fn a_served_request_continues_the_clients_trace_and_ignores_malformed_headers() {
    let wos = Wos::new(&manifest_text("exports = [\"example:hello/greeter@0.1.0\"]", &hello_services()[1..]));
    let served = Served::start(&wos.path(), &[]);
    let path = "/example.hello.greeter.v0_1_0.Greeter/Greet";
    let body = r#"{"req": {"name": "ada", "excitement": 1}}"#;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = format!("traceparent: 00-{trace}-00f067aa0ba902b7-01");
    let json = "content-type: application/json";
    let (status, answer) =
        served.curl(path, &["-H", json, "-H", &traceparent, "-H", "baggage: tenant=acme", "-d", body]);
    assert_eq!(status, 200, "{answer}");
    assert!(served.log_shows(&format!("parent=\"00f067aa0ba902b7\" trace={trace}")), "{}", served.log());
    for (name, value) in [("traceparent", "00-zz-nonsense"), ("baggage", "no equals sign"), ("x-request-id", "a b")] {
        let header = format!("{name}: {value}");
        let (status, answer) = served.curl(path, &["-H", json, "-H", &header, "-d", body]);
        assert_eq!(status, 200, "{header}: {answer}");
    }
    let (code, _, log) = served.terminate();
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn a_component_written_for_wasi_logging_logs_unchanged() {
    let wos =
        Wos::new(&manifest_text("[log]\nlevel = \"trace\"", &[("logger", crate::support::component("wasi-logger"))]));
    let run = wos.run().expect_code(0);
    for (level, name) in
        [("TRACE", "trace"), ("DEBUG", "debug"), (" INFO", "info"), (" WARN", "warn"), ("ERROR", "error")]
    {
        let line = format!("{level} logger | a {name} line context=\"{name}\"");
        assert!(run.stderr.contains(&line), "no {line:?} in:\n{}", run.stderr);
    }
    // `critical` has no level above `error` in parigot: it is an error, marked as such.
    assert!(run.stderr.contains("ERROR logger | a critical line context=\"critical\" critical=true"), "{}", run.stderr);
}

#[test]
fn a_service_built_against_a_version_of_parigots_wit_the_host_lacks_is_refused() {
    let wit = "package test:later;\n\
               world uses-later-log { import parigot:log/log@0.2.0; export run: func(); }\n";
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("deps/log");
    std::fs::create_dir_all(&log_dir).unwrap();
    let log_wit = std::fs::read_to_string(repo().join("wit/log/log.wit")).unwrap();
    std::fs::write(log_dir.join("log.wit"), log_wit.replace("parigot:log@0.1.0", "parigot:log@0.2.0")).unwrap();
    std::fs::write(dir.path().join("world.wit"), wit).unwrap();
    let component = crate::support::trapping_component(crate::support::WitSource::Dir(dir.path()), "uses-later-log");
    let wos = Wos::new(&manifest_text("", &[("future", "future.wasm")]));
    wos.file("future.wasm", &component);
    wos.run().expect_code(78).expect_stderr(&[
        "service `future` imports `parigot:log/log@0.2.0`, but this host implements parigot:log/log@0.1.0",
    ]);
}

#[test]
fn a_library_user_captures_the_log_of_a_run_for_assertions() {
    use parigot_host::caps::log::{Level, LogCapture};
    use parigot_host::runtime::{Determinism, StartOptions};
    use std::sync::Arc;

    let wos = Wos::new(&manifest_text("", &hello_services()));
    let app = crate::support::load_app(&wos.path()).unwrap();
    let capture = Arc::new(LogCapture::default());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let run = |capture: Arc<LogCapture>| {
        rt.block_on(async {
            let start =
                StartOptions { determinism: Some(Determinism::default()), log: Some(capture), ..Default::default() };
            let running = app.start(start).await.unwrap();
            running.run_programs(None).await;
            running.shutdown().await;
        })
    };
    run(capture.clone());
    let lines = capture.lines();
    let services: Vec<&str> = lines.iter().map(|line| line.service.as_str()).collect();
    assert_eq!(services, ["entry", "greeter", "decorator", "quoter", "signer"]); // no `args`: it greets "world"
    assert!(lines.iter().all(|line| line.level == Level::Info && line.trace_id == lines[0].trace_id));
    // Deterministic: a second run captures the very same lines.
    let again = Arc::new(LogCapture::default());
    run(again.clone());
    assert_eq!(again.lines(), lines);
}
