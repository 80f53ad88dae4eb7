//! One wos split across processes: imports bound to a remote parigot host over gRPC.

use crate::support::served::Served;
use crate::support::{LANGUAGES, Wos, component, host};

/// What the entry program printed (its `entry | ` lines, without the prefix, whose width
/// depends on the longest service name of the process).
pub(crate) fn entry_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|line| line.starts_with("entry "))
        .filter_map(|line| line.split_once("| "))
        .map(|(_, text)| text)
        .collect()
}

fn service(name: &str, wasm: &str, links: &str) -> String {
    format!("[services.{name}]\ncomponent = {:?}\n{links}\n", component(wasm).display().to_string())
}

/// A `links` line binding `interface` to the host at `addr`, with `settings` added to its table.
fn remote_link(interface: &str, addr: &str, settings: &str) -> String {
    format!("links = {{ \"{interface}\" = {{ remote = \"http://{addr}\"{settings} }} }}")
}

/// A wos of the faults driver with `args` (a TOML list), its `faults` bound to the host at
/// `addr` with `settings` added to the link's table.
fn remote_driver(args: &str, addr: &str, settings: &str) -> Wos {
    let links = format!("args = {args}\n{}", remote_link("parigot:testing/faults", addr, settings));
    Wos::new(&format!("manifest-version = 1\n{}", service("driver", "faults-driver", &links)))
}

#[test]
fn the_hello_example_runs_split_across_three_processes_with_the_same_output() {
    let whole = host(&["run", crate::support::repo().join("examples/hello/wos.toml").to_str().unwrap()]).expect_code(0);

    // Process 1 serves the signer; process 2 the decorator and its quoter, whose signer is
    // process 1; process 3 runs the entry program and the greeter, whose decorator is process 2.
    let signer = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"example:hello/signer@0.1.0\"]\n{}",
        service("signer", "hello-signer", "")
    ));
    let signer = Served::start(&signer.path(), &[]);
    let decorator = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"example:hello/decorator@0.1.0\"]\n{}{}",
        service("decorator", "hello-decorator", ""),
        service("quoter", "hello-quoter", &remote_link("example:hello/signer", &signer.addr, ""))
    ));
    let decorator = Served::start(&decorator.path(), &[]);
    let front = Wos::new(&format!(
        "manifest-version = 1\n{}{}",
        service("entry", "hello-entry", "args = [\"world\", \"wasm components\"]\nenv = { EXCITEMENT = \"2\" }"),
        service("greeter", "hello-greeter", &remote_link("example:hello/decorator", &decorator.addr, "")),
    ));
    let split = front.run().expect_code(0).expect_stderr(&["-> remote host http://"]);
    let untraced = |stdout: &str| -> Vec<String> {
        entry_lines(stdout).into_iter().filter(|line| !line.contains("trace: ")).map(str::to_owned).collect()
    };
    assert_eq!(untraced(&split.stdout), untraced(&whole.stdout));
    assert_eq!(untraced(&split.stdout).len(), 4, "{}", split.stdout);
    assert!(decorator.log().contains("-> remote host"), "{}", decorator.log());
    // The per-call context crosses the processes: every hop logs in the entry's trace.
    let trace = entry_lines(&split.stdout)[2].trim().strip_prefix("trace: ").expect("a trace line").to_owned();
    let traced = format!("trace={trace}");
    assert!(split.stderr.contains("greeter | greeting name=\"world\""), "{}", split.stderr);
    for (process, log) in [("front", split.stderr.clone()), ("decorator", decorator.log()), ("signer", signer.log())] {
        assert!(log.contains(&traced), "the {process} process did not log in trace {trace}:\n{log}");
    }
}

#[test]
fn a_remote_that_is_down_fails_the_call_with_a_clear_error_within_its_timeout() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let front = Wos::new(&format!(
        "manifest-version = 1\n{}{}",
        service("entry", "hello-entry", "args = [\"world\"]"),
        service(
            "greeter",
            "hello-greeter",
            &remote_link("example:hello/decorator", &format!("127.0.0.1:{port}"), ", timeout-ms = 800, retries = 2"),
        ),
    ));
    let started = std::time::Instant::now();
    front.run().expect_code(70).expect_stderr(&[
        &format!("the remote host http://127.0.0.1:{port} failed `example:hello/decorator@0.1.0#decorate`"),
        "Unavailable",
    ]);
    // Not a hang: three attempts with back-off fit well within the 800 ms budget, far below this.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn a_remote_that_is_slow_fails_the_call_when_the_callers_budget_ends() {
    // The remote's own deadline is a minute: only the caller's budget can end the call sooner.
    let remote = Wos::new(&format!(
        "manifest-version = 1\n{}[services.faulty.limits]\ndeadline-ms = 60000\nrestart = \"on-failure\"\n\
         restart-backoff-ms = 0\n",
        service("faulty", "faulty-rust", "")
    ));
    let remote = Served::start(&remote.path(), &[]);
    let front = remote_driver(r#"["ping", "spin"]"#, &remote.addr, ", timeout-ms = 700, retries = 2");
    let started = std::time::Instant::now();
    let run = front.run().expect_code(70).expect_stderr(&[
        &format!("the remote host http://{} did not answer `parigot:testing/faults@0.1.0#spin`", remote.addr),
        "within 700 ms",
    ]);
    assert!(run.stdout.contains("ping -> 1"), "the link works: {}", run.stdout);
    // Not the remote's minute: the caller gave up at its own budget.
    assert!(started.elapsed() < std::time::Duration::from_secs(45));
    // The caller's deadline went along with the call (`grpc-timeout`), so the remote stopped
    // the spinning guest too, rather than let it spin on for its own minute.
    assert!(remote.log_shows("the caller's deadline of"), "{}", remote.log());
    // And it serves on: the failed service restarts on its next call.
    let ping = remote.python("grpc_call.py", &["parigot.testing.faults.v0_1_0.Faults/Ping", "{}"]);
    assert!(ping["ok"]["result"].is_number(), "{ping}");
}

/// The `.proto` file of `parigot:testing/faults`, as `parigot-host proto` writes it.
fn faults_proto() -> String {
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"parigot:testing/faults@0.1.0\"]\n{}",
        service("faulty", "faulty-rust", "")
    ));
    let out = tempfile::tempdir().unwrap();
    let run = host(&["proto", wos.path().to_str().unwrap(), "-o", out.path().to_str().unwrap()]).expect_code(0);
    std::fs::read_to_string(run.stdout.trim()).unwrap()
}

/// A gRPC server that offers nothing but server reflection, describing `proto_text`: a
/// stand-in for a remote host built from another version of the WIT.
fn reflection_only_server(runtime: &tokio::runtime::Runtime, proto_text: String) -> String {
    use parigot_host::wire::{proto::ProtoFile, schema::Schema};
    let file = ProtoFile { path: "other/faults.proto".into(), service: String::new(), text: proto_text };
    let schema = Schema::compile(&[file]).unwrap();
    let reflection =
        tonic_reflection::server::Builder::configure().register_file_descriptor_set(schema.files).build_v1().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    runtime.spawn(
        tonic::transport::Server::builder()
            .add_service(reflection)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    addr
}

#[test]
fn a_remote_built_from_another_wit_is_refused_with_the_difference_named() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ours = faults_proto();
    let driver = |addr: &str| remote_driver(r#"["ping"]"#, addr, "");

    // `ping` answers a u64 there, a u32 here.
    assert!(ours.contains("uint32 result = 1;"), "{ours}");
    let changed = reflection_only_server(&runtime, ours.replacen("uint32 result = 1;", "uint64 result = 1;", 1));
    driver(&changed).run().expect_code(70).expect_stderr(&[
        &format!("the remote host http://{changed} failed `parigot:testing/faults@0.1.0#ping`"),
        "it serves `parigot:testing/faults@0.1.0` from a different WIT: in the answer of `Ping`, \
         field `result` is uint32 here, uint64 there",
    ]);

    // Another version of the package: the service has another name there.
    let other_version = reflection_only_server(&runtime, ours.replace("v0_1_0", "v0_2_0"));
    driver(&other_version).run().expect_code(70).expect_stderr(&[
        "it does not serve `parigot.testing.faults.v0_1_0.Faults`",
        "only grpc.reflection.v1.ServerReflection, parigot.testing.faults.v0_2_0.Faults",
    ]);
}

#[test]
fn the_split_example_files_are_valid_wos_files() {
    // `make demo-split` runs these on fixed ports; here they only need to load and link.
    for part in ["signer", "decorator", "front"] {
        let path = crate::support::repo().join(format!("examples/hello/split/{part}.toml"));
        host(&["check", path.to_str().unwrap()]).expect_code(0);
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn a_loop_of_remote_links_back_to_a_service_its_chain_holds_is_refused_at_once() {
    // Two hosts, each a relay with one instance whose `faults` is the other host: a call into
    // either comes back to the first relay, whose one instance the same chain holds.
    let ports = [free_port(), free_port()];
    // The chain crosses with the peer proof, so both hosts share the deployment's secret.
    let relay = |other: u16| {
        let remote = format!("{{ remote = \"http://127.0.0.1:{other}\" }}");
        let links =
            format!("links = {{ \"parigot:testing/faults\" = {remote}, \"parigot:testing/users\" = {remote} }}");
        let auth = "[auth]\npeer-secret-file = \"deployment.secret\"\n";
        let wos = Wos::new(&format!(
            "manifest-version = 1\n{auth}{}instances = 1\n",
            service("relay", "faults-relay", &links)
        ));
        wos.file("deployment.secret", b"d2hvIHNoYXJlcyB0aGlzIHNoYXJlcyB0aGUgZGVwbG95bWVudA==\n");
        wos
    };
    let (one, two) = (relay(ports[1]), relay(ports[0]));
    let first = Served::start_on(&one.path(), &format!("127.0.0.1:{}", ports[0]), &[]);
    let _second = Served::start_on(&two.path(), &format!("127.0.0.1:{}", ports[1]), &[]);
    let answer = first.python("grpc_call.py", &["parigot.testing.faults.v0_1_0.Faults/Ping", "{}"]);
    let details = answer["details"].as_str().unwrap_or_default();
    assert!(
        details.contains("this call's own chain already holds its 1 instance(s)"),
        "{answer}\n{}\n{}",
        first.log(),
        _second.log()
    );
    assert!(!details.contains("did not answer"), "refused at once, not at a deadline: {answer}");
}

#[test]
fn a_chain_header_from_a_client_is_refused() {
    // Only a peer host of the deployment, with its proof, may say which chain a call is in: a
    // forged live chain id could make a victim's calls fail as re-entrant.
    let remote = Wos::new(&format!("manifest-version = 1\n{}", service("faulty", "faulty-rust", "")));
    let served = Served::start(&remote.path(), &[]);
    for chain in ["not-hex", "00000000000000aa"] {
        let (status, body) = served.curl(
            "/parigot.testing.faults.v0_1_0.Faults/Ping",
            &["-H", "Content-Type: application/json", "-H", &format!("parigot-chain: {chain}"), "-d", "{}"],
        );
        assert_eq!(status, 401, "{body}");
        assert!(body.contains("are accepted only from a parigot host of the same deployment"), "{body}");
    }
}

#[test]
fn a_large_list_of_bytes_crosses_a_remote_link() {
    // 40 MiB to a remote faulty service of every language, whose host raises its message
    // limit. The bytes travel as one buffer on both sides of the link: as dynamic values they
    // would need 1.25 GiB on the caller's side, more than its 1 GiB memory limit allows.
    for language in LANGUAGES {
        let remote = Wos::new(&format!(
            "manifest-version = 1\n[serve]\nmax-message-bytes = 67108864\n{}",
            service("faulty", &format!("faulty-{language}"), "")
        ));
        let remote = Served::start(&remote.path(), &[]);
        let run = remote_driver(r#"["weigh:40"]"#, &remote.addr, ", timeout-ms = 30000").run().expect_code(0);
        assert!(run.stdout.contains("weigh:40 -> sum 41943040"), "{language}: {}", run.stdout);
    }
}
