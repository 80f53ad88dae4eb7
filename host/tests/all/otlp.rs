//! OpenTelemetry export: spans and log records sent over OTLP (gRPC and HTTP/protobuf) to a
//! receiver built from the official definitions (host/tests/clients/otlp_receiver.py, on PyPI's
//! opentelemetry-proto and grpcio), checked for their parent links within a host and across
//! two.

use crate::support::served::{Served, curl_url};
use crate::support::{Wos, component, host_with_env, repo};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The OTLP receiver, running until [`Receiver::records`] ends it.
struct Receiver {
    child: Child,
    grpc: u16,
    http: u16,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Receiver {
    fn start() -> Receiver {
        let mut child = Command::new(repo().join(".tools/venv/bin/python"))
            .arg(repo().join("host/tests/clients/otlp_receiver.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the receiver starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut ready = String::new();
        stdout.read_line(&mut ready).unwrap();
        let ports: Vec<u16> = ready.split_whitespace().skip(1).map(|port| port.parse().unwrap()).collect();
        assert_eq!(ports.len(), 2, "the receiver said {ready:?}");
        Receiver { child, grpc: ports[0], http: ports[1], stdout }
    }

    /// The variables that point a host at this receiver over `protocol`.
    fn env(&self, protocol: &str) -> Vec<(&'static str, String)> {
        let port = if protocol == "grpc" { self.grpc } else { self.http };
        vec![
            ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://127.0.0.1:{port}")),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.to_owned()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
        ]
    }

    /// Everything received, once the hosts that export to it have stopped.
    fn records(mut self) -> Vec<Value> {
        drop(self.child.stdin.take());
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        self.child.wait().unwrap();
        rest.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
    }
}

fn spans(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|record| record["signal"] == "span").collect()
}

fn field<'a>(record: &'a Value, key: &str) -> &'a str {
    record[key].as_str().unwrap_or_else(|| panic!("no {key} in {record}"))
}

/// The spans of `service`.
fn of<'a>(spans: &[&'a Value], service: &str) -> Vec<&'a Value> {
    spans.iter().copied().filter(|span| span["service"] == service).collect()
}

/// Whether `child`'s parent is one of `parents`.
fn child_of(child: &Value, parents: &[&Value]) -> bool {
    parents.iter().any(|parent| parent["span"] == child["parent"])
}

#[test]
fn the_hello_trace_reaches_a_receiver_with_its_parent_links_over_grpc_and_http() {
    let hello = repo().join("examples/hello/wos.toml");
    for protocol in ["grpc", "http/protobuf"] {
        let receiver = Receiver::start();
        let env = receiver.env(protocol);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        host_with_env(&["run", hello.to_str().unwrap()], &env).expect_code(0);
        let records = receiver.records();
        let spans = spans(&records);
        let via = if protocol == "grpc" { "grpc" } else { "http" };
        assert!(records.iter().all(|record| record["via"] == via && record["namespace"] == "hello"), "{records:#?}");
        // entry (Rust) runs once and greets two names: greeter (Go) -> decorator (Python) ->
        // quoter (JavaScript) -> signer (Rust) for each, one trace, each hop the child of the last.
        let trace = field(spans[0], "trace");
        assert!(spans.iter().all(|span| span["trace"] == trace && span["status"] == "STATUS_CODE_OK"), "{spans:#?}");
        let entry = of(&spans, "entry");
        assert_eq!(entry.len(), 1, "{spans:#?}");
        assert_eq!((field(entry[0], "parent"), field(entry[0], "name")), ("", "wasi:cli/run@0.2.0#run"));
        let mut above = entry;
        for (service, function) in [
            ("greeter", "example:hello/greeter@0.1.0#greet"),
            ("decorator", "example:hello/decorator@0.1.0#decorate"),
            ("quoter", "example:hello/quoter@0.1.0#quote"),
            ("signer", "example:hello/signer@0.1.0#sign"),
        ] {
            let hops = of(&spans, service);
            assert_eq!(hops.len(), 2, "{service}: {spans:#?}");
            for hop in &hops {
                assert_eq!((field(hop, "name"), field(hop, "kind")), (function, "SPAN_KIND_SERVER"));
                assert!(child_of(hop, &above), "{service}'s span {hop} is no child of {above:#?}");
                let (interface, method) = function.split_once('#').unwrap();
                assert_eq!(hop["attributes"]["rpc.service"], interface);
                assert_eq!(hop["attributes"]["rpc.method"], method);
            }
            above = hops;
        }
        // Log lines, from the SDK of every language, carry the trace and span of the call they
        // were logged in, and their fields.
        for (service, message) in [
            ("entry", "greeting 2 name(s)"),
            ("greeter", "greeting"),
            ("decorator", "decorating"),
            ("quoter", "quoting"),
            ("signer", "signed 24 byte(s)"),
        ] {
            let lines: Vec<&Value> = records.iter().filter(|r| r["signal"] == "log" && r["body"] == message).collect();
            assert!(!lines.is_empty(), "no {message:?} from {service}: {records:#?}");
            for line in lines {
                assert_eq!((line["service"].as_str(), line["severity"].as_str()), (Some(service), Some("INFO")));
                assert_eq!(line["trace"], trace);
                assert!(of(&spans, service).iter().any(|span| span["span"] == line["span"]), "{line}");
            }
        }
        let decorating = records.iter().find(|r| r["body"] == "decorating").unwrap();
        assert_eq!(decorating["attributes"]["excitement"], 2);
    }
}

#[test]
fn one_trace_runs_across_two_hosts() {
    let receiver = Receiver::start();
    let env = receiver.env("grpc");
    let service = |name: &str, links: &str| {
        format!(
            "[services.{name}]\ncomponent = {:?}\n{links}\n",
            component(&format!("hello-{name}")).display().to_string()
        )
    };
    let signer = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"example:hello/signer@0.1.0\"]\n{}",
        service("signer", "")
    ));
    let signer = Served::start_command("run", &signer.path(), "127.0.0.1:0", &[], &env);
    let signer_addr = signer.addr.clone();
    let front = Wos::new(&format!(
        "manifest-version = 1\n{}{}{}{}",
        service("entry", "args = [\"world\"]"),
        service("greeter", ""),
        service("decorator", ""),
        service(
            "quoter",
            &format!("links = {{ \"example:hello/signer\" = {{ remote = \"http://{}\" }} }}", signer.addr)
        ),
    ));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    host_with_env(&["run", front.path().to_str().unwrap()], &env).expect_code(0);
    signer.terminate();
    let records = receiver.records();
    let spans = spans(&records);
    let trace = field(of(&spans, "entry")[0], "trace");
    assert!(spans.iter().all(|span| span["trace"] == trace), "one trace: {spans:#?}");
    let quoter = of(&spans, "quoter");
    let (server, client): (Vec<&Value>, Vec<&Value>) =
        quoter.iter().partition(|span| span["kind"] == "SPAN_KIND_SERVER");
    assert_eq!((server.len(), client.len()), (1, 1), "{quoter:#?}");
    assert_eq!(field(client[0], "name"), "example:hello/signer@0.1.0#sign");
    assert_eq!(client[0]["attributes"]["rpc.system"], "grpc");
    assert_eq!(client[0]["attributes"]["server.address"], format!("http://{}", signer_addr));
    assert!(child_of(client[0], &server), "the call out is the quoter's: {quoter:#?}");
    // The other host's span of the same call is the child of the caller's client span.
    let signer = of(&spans, "signer");
    assert_eq!(signer.len(), 1, "{spans:#?}");
    assert_eq!(field(signer[0], "kind"), "SPAN_KIND_SERVER");
    assert!(child_of(signer[0], &client), "{signer:#?} under {client:#?}");
}

#[test]
fn sqlite_statements_are_spans_and_durations_by_query_name_never_by_value() {
    let receiver = Receiver::start();
    let top = format!(
        "exports = [\"parigot:tagged-notes/tagged-notes@0.1.0\"]\n\
         [telemetry]\notlp-endpoint = \"http://127.0.0.1:{}\"\notlp-protocol = \"http/protobuf\"\n",
        receiver.http
    );
    let wos = crate::typed_queries::tagged_notes_wos(&top, &[("notes", "notes-rust")]);
    let served = Served::start(&wos.path(), &["--admin", "127.0.0.1:0"]);
    let admin = crate::telemetry::admin_addr(&served);
    let add = "/parigot.tagged_notes.tagged_notes.v0_1_0.TaggedNotes/Add";
    let note = ["-H", "Content-Type: application/json", "-d", r#"{"title": "secret-title-7", "tags": ["x"]}"#];
    assert_eq!(served.curl(add, &note).0, 200);
    let (_, metrics) = curl_url(&format!("http://{admin}/metrics"), &[]);
    for query in ["AddNote", "TagNote"] {
        let line =
            format!("parigot_sqlite_statement_duration_seconds_count{{service=\"notes\",statement=\"{query}\"}} 1");
        assert!(metrics.contains(&line), "no {line:?} in\n{metrics}");
    }
    served.terminate();
    let records = receiver.records();
    let spans = spans(&records);
    let call = spans.iter().find(|span| field(span, "name").ends_with("#add")).expect("the call's span");
    let statements: Vec<&&Value> = spans.iter().filter(|span| field(span, "name").starts_with("sqlite ")).collect();
    let names: Vec<&str> = statements.iter().map(|span| field(span, "name")).collect();
    assert_eq!(names, ["sqlite BEGIN", "sqlite AddNote", "sqlite TagNote", "sqlite COMMIT"], "{spans:#?}");
    for statement in statements {
        assert_eq!((&statement["parent"], &statement["trace"]), (&call["span"], &call["trace"]));
        assert_eq!(field(statement, "kind"), "SPAN_KIND_CLIENT");
        assert_eq!(statement["attributes"]["db.system.name"], "sqlite");
    }
    let text = serde_json::to_string(&records).unwrap();
    assert!(!text.contains("secret-title-7"), "a parameter's value was exported: {text}");
}

#[test]
fn a_collector_that_never_answers_slows_no_call_and_what_cannot_wait_is_dropped_and_counted() {
    // A listener nobody accepts on: connections succeed, exports wait for an answer until
    // their timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"parigot:testing/faults\"]\n[services.faulty]\ncomponent = {:?}\n\
         [telemetry]\notlp-endpoint = \"http://{}\"\notlp-timeout-ms = 500\nmax-queued = 2\n",
        component("faulty-rust").display().to_string(),
        silent.local_addr().unwrap()
    ));
    // Batches leave at once, and wait for their timeout: meanwhile the queue fills.
    let env = [("OTEL_BSP_SCHEDULE_DELAY", "1".to_owned())];
    let served = Served::start_command("run", &wos.path(), "127.0.0.1:0", &["--admin", "127.0.0.1:0"], &env);
    let admin = crate::telemetry::admin_addr(&served);
    let json = ["-H", "Content-Type: application/json", "-d", "{}"];
    for _ in 0..40 {
        assert_eq!(served.curl("/parigot.testing.faults.v0_1_0.Faults/Ping", &json).0, 200);
    }
    let counted = |metrics: &str, name: &str| -> u64 {
        let line = metrics.lines().find(|line| line.starts_with(name));
        line.and_then(|line| line.rsplit(' ').next()?.parse().ok()).unwrap_or(0)
    };
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, metrics) = curl_url(&format!("http://{admin}/metrics"), &[]);
        let dropped = counted(&metrics, "parigot_telemetry_dropped_total{signal=\"spans\"}");
        let failed = counted(&metrics, "parigot_telemetry_export_failures_total{signal=\"spans\"}");
        if dropped > 0 && failed > 0 {
            assert!(metrics.contains("parigot_calls_total{service=\"faulty\",function=\"parigot:testing/faults@0.1.0#ping\",outcome=\"ok\"} 40"));
            break;
        }
        assert!(Instant::now() < until, "dropped {dropped}, failed {failed}:\n{metrics}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, _, stderr) = served.terminate();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("cannot export spans over OTLP"), "{stderr}");
}

#[test]
fn bad_export_settings_are_named_before_anything_starts() {
    let faulty = component("faulty-rust").display().to_string();
    let wos = Wos::new(&format!(
        "manifest-version = 1\n[services.faulty]\ncomponent = {faulty:?}\n[telemetry]\notlp-endpoint = \"localhost:4317\"\n"
    ));
    let run = wos.run().expect_code(78);
    assert!(
        run.stderr.contains("`[telemetry] otlp-endpoint = \"localhost:4317\"`: give an `http://` or `https://` URL"),
        "{}",
        run.stderr
    );
    let wos = Wos::new(&format!("manifest-version = 1\n[services.faulty]\ncomponent = {faulty:?}\n"));
    let path = wos.path();
    let run = host_with_env(
        &["run", path.to_str().unwrap()],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")],
    );
    let run = run.expect_code(78);
    assert!(
        run.stderr.contains(
            "cannot export telemetry: `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`: OTLP over JSON is not offered"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_logged_in_callers_spans_name_the_user_and_a_failed_call_has_an_error_status() {
    let receiver = Receiver::start();
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"parigot:testing/users\", \"parigot:testing/faults\"]\n\
         [services.faulty]\ncomponent = {:?}\n[services.faulty.limits]\ndeadline-ms = 200\n",
        component("faulty-rust").display().to_string()
    ));
    let path = wos.path();
    crate::support::host_with_input(&["user", "add", path.to_str().unwrap(), "ada"], "lovelace\n").expect_code(0);
    let served = Served::start_command("run", &path, "127.0.0.1:0", &[], &receiver.env("http/protobuf"));
    let json = ["-H", "Content-Type: application/json", "-d", "{}"];
    let whoami = "/parigot.testing.users.v0_1_0.Users/Whoami";
    assert_eq!(served.curl(whoami, &[&["-u", "ada:lovelace"][..], &json[..]].concat()).0, 200);
    assert_ne!(served.curl("/parigot.testing.faults.v0_1_0.Faults/Spin", &json).0, 200);
    served.terminate();
    let records = receiver.records();
    let spans = spans(&records);
    let named = |suffix: &str| *spans.iter().find(|span| field(span, "name").ends_with(suffix)).expect(suffix);
    assert_eq!(named("#whoami")["attributes"]["enduser.id"], "ada");
    let spin = named("#spin");
    assert_eq!(field(spin, "status"), "STATUS_CODE_ERROR");
    assert!(field(spin, "message").contains("ran past its deadline of 200 ms"), "{spin}");
    assert!(spin["attributes"].get("enduser.id").is_none(), "{spin}");
}
