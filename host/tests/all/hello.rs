//! The polyglot hello example, end to end: Rust -> Go -> Python -> JavaScript -> Rust in one
//! process.

use crate::support::{host, repo};

fn run_hello() -> crate::support::Run {
    let wos = repo().join("examples/hello/wos.toml");
    host(&["run", wos.to_str().unwrap()]).expect_code(0)
}

#[test]
fn every_hop_adds_to_the_greeting() {
    let run = run_hello();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", run.stdout);
    // Go capitalises and greets, Python decorates (excitement 2), JavaScript quotes, Rust signs.
    assert!(lines[0].starts_with("entry     | “~ Hello, World!! ~” [signed "), "{}", lines[0]);
    assert!(lines[3].starts_with("entry     | “~ Hello, Wasm components!! ~” [signed "), "{}", lines[3]);
    for route in [lines[1], lines[4]] {
        assert_eq!(
            route,
            "entry     |   route: entry (rust) -> greeter (go) -> decorator (python) -> quoter (javascript) -> signer \
             (rust)"
        );
    }
    // One program run is one trace.
    assert!(lines[2].starts_with("entry     |   trace: ") && lines[2].len() == "entry     |   trace: ".len() + 32);
    assert_eq!(lines[2], lines[5]);
}

#[test]
fn providers_start_before_their_consumers() {
    let run = run_hello();
    let started: Vec<&str> = run
        .stderr
        .lines()
        .filter_map(|line| line.split("starting service `").nth(1))
        .filter_map(|rest| rest.split('`').next())
        .collect();
    assert_eq!(started, ["signer", "quoter", "decorator", "greeter", "entry"], "{}", run.stderr);
    assert!(run.stderr.contains("linking `greeter`: `example:hello/decorator@0.1.0` -> service `decorator`"));
}

#[test]
fn two_runs_print_the_same_output_but_for_the_trace_id() {
    run_hello(); // fills the compile cache, so the runs below both start warm
    let without_traces = |run: crate::support::Run| -> Vec<String> {
        run.stdout.lines().filter(|line| !line.contains("trace: ")).map(str::to_owned).collect()
    };
    let (first, second) = (run_hello(), run_hello());
    assert_ne!(first.stdout, second.stdout, "each run is a trace of its own");
    assert_eq!(without_traces(first), without_traces(second));
}

#[test]
fn check_prints_the_plan_without_running() {
    let wos = repo().join("examples/hello/wos.toml");
    let run = host(&["check", wos.to_str().unwrap()]).expect_code(0);
    assert_eq!(
        run.stdout,
        "wos `hello`: 5 services\n  1. signer (server)\n  2. quoter (server)\n       imports \
         example:hello/signer@0.1.0 from signer\n  3. decorator (server)\n       imports \
         example:hello/quoter@0.1.0 from quoter\n  4. greeter (server)\n       imports \
         example:hello/decorator@0.1.0 from decorator\n  5. entry (program)\n       imports \
         example:hello/greeter@0.1.0 from greeter\n"
    );
}
