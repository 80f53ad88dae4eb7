//! Serving over gRPC and Connect, checked with clients nobody here wrote: Python grpcio (with
//! server reflection and health checking), curl, and buf.

use crate::support::served::Served;
use crate::support::{LANGUAGES, Wos, component};
use serde_json::{Value, json};

const PRICING: &str = "parigot.testing.pricing.v0_1_0.Pricing";
const FAULTS: &str = "parigot.testing.faults.v0_1_0.Faults";

/// A shop wos: the pricing service and a faulty one, both public, served by a pool of 2 with
/// a 4 KiB request limit; the faulty service restarts after it fails.
fn shop() -> Wos {
    shop_with("")
}

/// [`shop`], with `extra` at the end of its wos.toml.
fn shop_with(extra: &str) -> Wos {
    Wos::new(&format!(
        r#"manifest-version = 1
name = "shop"
exports = ["parigot:testing/pricing@0.1.0", "parigot:testing/faults@0.1.0"]

[serve]
pool = 2
max-message-bytes = 4096

[limits]
deadline-ms = 500
restart = "on-failure"
restart-backoff-ms = 1

[services.pricing]
component = {:?}

[services.faulty]
component = {:?}
{extra}"#,
        component("pricing").display().to_string(),
        component("faulty-rust").display().to_string(),
    ))
}

/// An order that uses every kind of field: 3 x 250 + 1 x 400, halved, plus gift wrap.
fn order(coupon: &str) -> Value {
    json!({ "order": {
        "customer": "ada",
        "currency": "CURRENCY_USD",
        "lines": [ { "sku": "tea", "quantity": 3, "unit_cents": 250 }, { "sku": "cake", "quantity": 1, "unit_cents": 400 } ],
        "coupon": coupon,
        "extras": { "gift_wrap": true },
    }})
}

/// FNV-1a 64 of `text`, big-endian, as protobuf JSON writes bytes (base64).
fn reference(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, hash.to_be_bytes())
}

fn call(served: &Served, method: &str, request: &Value) -> Value {
    served.python("grpc_call.py", &[method, &request.to_string()])
}

#[test]
fn grpc_clients_discover_and_call_every_interface_through_reflection() {
    let wos = shop();
    let served = Served::start(&wos.path(), &[]);
    let listed = served.python("grpc_list.py", &[]);
    let services: Vec<&str> = listed["services"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    for expected in [PRICING, FAULTS, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"] {
        assert!(services.contains(&expected), "{listed}");
    }
    assert_eq!(served.python("health_check.py", &[]), json!({ "status": "SERVING" }));
    assert_eq!(served.python("health_check.py", &[PRICING]), json!({ "status": "SERVING" }));

    let quoted = call(&served, &format!("{PRICING}/Quote"), &order("HALF"));
    assert_eq!(
        quoted,
        json!({ "ok": { "ok": {
            "total_cents": "825",
            "currency": "CURRENCY_USD",
            "notes": ["coupon HALF: -50%", "gift wrap: +250"],
            "reference": reference("ada"),
        }}})
    );
    // A `result` error is the response's error case, not a failed call.
    let refused = call(&served, &format!("{PRICING}/Quote"), &order("FREE"));
    assert_eq!(refused, json!({ "ok": { "error": { "unknown_coupon": "FREE" } } }));
    let empty = call(
        &served,
        &format!("{PRICING}/Quote"),
        &json!({ "order": { "customer": "bob", "currency": "CURRENCY_EUR" } }),
    );
    assert_eq!(empty, json!({ "ok": { "error": { "empty_order": {} } } }));
    assert_eq!(
        call(&served, &format!("{PRICING}/Initial"), &json!({ "name": "Zoë" })),
        json!({ "ok": { "result": "Z" } })
    );
    assert_eq!(call(&served, &format!("{PRICING}/Initial"), &json!({ "name": "" })), json!({ "ok": {} }));
}

#[test]
fn connect_serves_json_and_binary_over_http1_and_http2() {
    let wos = shop();
    let served = Served::start(&wos.path(), &[]);
    let path = format!("/{PRICING}/Quote");
    let body = order("HALF").to_string();
    for version in ["--http1.1", "--http2-prior-knowledge"] {
        let (status, answer) = served.curl(&path, &[version, "-H", "Content-Type: application/json", "-d", &body]);
        assert_eq!(status, 200, "{answer}");
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["ok"]["totalCents"], "825", "{answer}");
        assert_eq!(answer["ok"]["reference"], reference("ada"), "{answer}");
    }
    // Binary: InitialRequest { name: "Zoë" } in, InitialResponse { result: "Z" } out.
    let request = wos.file("initial.bin", &[0x0a, 0x04, b'Z', b'o', 0xc3, 0xab]);
    let (status, answer) = served.curl(
        &format!("/{PRICING}/Initial"),
        &["-H", "Content-Type: application/proto", "--data-binary", &format!("@{}", request.display())],
    );
    assert_eq!((status, answer.as_bytes()), (200, &[0x0a, 0x01, b'Z'][..]));
}

#[test]
fn connect_streams_reach_health_and_end_with_their_status() {
    let wos = shop();
    let served = Served::start(&wos.path(), &[]);
    let check = |name: &str, frames: &[u8]| {
        let request = wos.file(name, frames);
        let args = [
            "--http2-prior-knowledge",
            "-H",
            "Content-Type: application/connect+proto",
            "--data-binary",
            &format!("@{}", request.display()),
        ];
        served.curl("/grpc.health.v1.Health/Check", &args)
    };
    // One empty HealthCheckRequest: a SERVING answer (field 1 = 1), then an end frame `{}`.
    let (status, answer) = check("one.bin", &[0, 0, 0, 0, 0]);
    assert_eq!((status, answer.as_bytes()), (200, &[0, 0, 0, 0, 2, 0x08, 0x01, 2, 0, 0, 0, 2, b'{', b'}'][..]));
    // No request message at all: the stream still answers 200, its error in the end frame.
    let (status, answer) = check("none.bin", &[]);
    assert_eq!(status, 200, "{answer:?}");
    assert_eq!(answer.as_bytes()[0], 2, "only the end frame: {answer:?}");
    let end: Value = serde_json::from_slice(&answer.as_bytes()[5..]).unwrap();
    assert!(end["error"]["code"].is_string() && end["error"]["message"].is_string(), "{end}");
}

#[test]
fn failures_come_back_as_status_codes_and_the_host_keeps_serving() {
    let wos = shop();
    let served = Served::start(&wos.path(), &[]);
    let crash = call(&served, &format!("{FAULTS}/Crash"), &json!({ "message": "boom" }));
    assert_eq!(crash["code"], "INTERNAL", "{crash}");
    assert!(crash["details"].as_str().unwrap().contains("service `faulty` trapped in"), "{crash}");
    let spin = call(&served, &format!("{FAULTS}/Spin"), &json!({}));
    assert_eq!(spin["code"], "DEADLINE_EXCEEDED", "{spin}");
    assert!(spin["details"].as_str().unwrap().contains("ran past its deadline of 500 ms"), "{spin}");
    let unknown = served.python("grpc_raw.py", &[&format!("{PRICING}/Refund"), ""]);
    assert_eq!(unknown["code"], "UNIMPLEMENTED", "{unknown}");
    // The same over Connect.
    let (status, answer) = served
        .curl(&format!("/{FAULTS}/Crash"), &["-H", "Content-Type: application/json", "-d", r#"{"message": "again"}"#]);
    assert_eq!(status, 500, "{answer}");
    assert_eq!(serde_json::from_str::<Value>(&answer).unwrap()["code"], "internal");
    // Restarted after each failure, the faulty service answers again.
    assert_eq!(call(&served, &format!("{FAULTS}/Ping"), &json!({}))["ok"]["result"], 1);
    assert!(call(&served, &format!("{PRICING}/Quote"), &order("HALF"))["ok"]["ok"].is_object());
}

#[test]
fn every_answer_carries_its_request_id_and_the_log_has_the_rest() {
    let wos = shop();
    let served = Served::start(&wos.path(), &[]);
    let dump = tempfile::NamedTempFile::new().unwrap();
    let answer = |function: &str, body: &str| {
        let args = [
            "-H",
            "Content-Type: application/json",
            "-H",
            "x-request-id: order-42",
            "-D",
            dump.path().to_str().unwrap(),
            "-d",
            body,
        ];
        let (status, _) = served.curl(&format!("/{FAULTS}/{function}"), &args);
        let headers = std::fs::read_to_string(dump.path()).unwrap().to_ascii_lowercase();
        (status, headers)
    };
    let (status, headers) = answer("Ping", "{}");
    assert_eq!(status, 200);
    assert!(headers.contains("x-request-id: order-42"), "{headers}");
    let (status, headers) = answer("Crash", r#"{"message": "boom"}"#);
    assert_eq!(status, 500);
    assert!(headers.contains("x-request-id: order-42"), "{headers}");
    assert!(served.log_shows("(Internal, request order-42)"), "{}", served.log());
}

#[test]
fn malformed_grpc_requests_are_refused_with_invalid_argument() {
    let wos = shop();
    let served = Served::start(&wos.path(), &[]);
    let quote = format!("{PRICING}/Quote");
    let cases = [
        ("not protobuf at all", "ffffffff", "INVALID_ARGUMENT", "not a valid"),
        // QuoteRequest { order: Order { customer: <the byte 0xff> } }
        ("invalid UTF-8 in a string", "0a030a01ff", "INVALID_ARGUMENT", "not a valid"),
        // QuoteRequest { order: Order { currency: 7 } }
        ("an enum number with no case", "0a021007", "INVALID_ARGUMENT", "7 is not a case of the enum"),
        // Over the 4 KiB limit: a 5000-byte customer name.
        ("an oversized message", &format!("0a8b270a8827{}", "61".repeat(5000)), "RESOURCE_EXHAUSTED", "limit"),
    ];
    for (what, hex, code, detail) in cases {
        let answer = served.python("grpc_raw.py", &[&quote, hex]);
        assert_eq!(answer["code"], code, "{what}: {answer}");
        assert!(answer["details"].as_str().unwrap().contains(detail), "{what}: {answer}");
    }
    assert!(call(&served, &quote, &order("HALF"))["ok"]["ok"].is_object(), "the host keeps serving");
}

/// A malformed Connect request and what it should get.
type ConnectCase<'a> = (&'a str, &'a str, Vec<&'a str>, u16, Option<&'a str>);

#[test]
fn malformed_connect_requests_get_the_right_http_status() {
    let wos = shop();
    let served = Served::start(&wos.path(), &[]);
    let quote = format!("/{PRICING}/Quote");
    let json_header = "Content-Type: application/json";
    let big = json!({ "order": { "customer": "a".repeat(5000) } }).to_string();
    // What is wrong, the path, curl's arguments, the HTTP status and the Connect code expected.
    let cases: [ConnectCase<'_>; 6] = [
        ("malformed JSON", &quote, vec!["-H", json_header, "-d", "{\"order\": "], 400, Some("invalid_argument")),
        ("an unknown field", &quote, vec!["-H", json_header, "-d", r#"{"ordre": {}}"#], 400, Some("invalid_argument")),
        ("an oversized body", &quote, vec!["-H", json_header, "-d", &big], 429, Some("resource_exhausted")),
        ("an unknown method", "/nope.Nope/Nope", vec!["-H", json_header, "-d", "{}"], 501, Some("unimplemented")),
        ("a wrong content type", &quote, vec!["-H", "Content-Type: text/plain", "-d", "{}"], 415, None),
        ("a GET", &quote, vec![], 405, None),
    ];
    for (what, path, args, status, code) in cases {
        let (got, body) = served.curl(path, &args);
        assert_eq!(got, status, "{what}: {body}");
        if let Some(code) = code {
            let error: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: {body}: {e}"));
            assert_eq!(error["code"], code, "{what}: {body}");
            assert!(!error["message"].as_str().unwrap().is_empty(), "{what}: {body}");
        }
    }
    let (status, _) = served.curl(&quote, &["-H", json_header, "-d", &order("HALF").to_string()]);
    assert_eq!(status, 200, "the host keeps serving");
}

#[test]
fn truncated_and_mistyped_grpc_frames_are_refused() {
    let wos = shop();
    let served = Served::start(&wos.path(), &[]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let quote = format!("/{PRICING}/Quote");
    // A frame that announces 16 bytes and carries 1.
    let truncated = runtime.block_on(raw_grpc(&served.addr, &quote, "application/grpc", vec![0, 0, 0, 0, 16, 0x0a]));
    assert_eq!(truncated.0, Some(tonic::Code::Internal), "{truncated:?}");
    // A compressed-frame flag without a negotiated compression.
    let compressed = runtime.block_on(raw_grpc(&served.addr, &quote, "application/grpc", vec![1, 0, 0, 0, 0]));
    assert_eq!(compressed.0, Some(tonic::Code::Internal), "{compressed:?}");
    assert!(call(&served, &quote[1..], &order("HALF"))["ok"]["ok"].is_object(), "the host keeps serving");
}

/// Sends one raw HTTP/2 request; returns its gRPC status (from headers or trailers), if any.
async fn raw_grpc(addr: &str, path: &str, content_type: &str, body: Vec<u8>) -> (Option<tonic::Code>, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let request = http::Request::post(format!("http://{addr}{path}"))
        .header("content-type", content_type)
        .header("te", "trailers")
        .body(tonic::body::Body::new(http_body_util::Full::new(bytes::Bytes::from(body))))
        .unwrap();
    let response = channel.oneshot(request).await.unwrap();
    let headers = response.headers().clone();
    let collected = response.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let status = tonic::Status::from_header_map(&headers).or_else(|| tonic::Status::from_header_map(&trailers));
    (status.as_ref().map(tonic::Status::code), status.map(|s| s.message().to_owned()).unwrap_or_default())
}

#[test]
fn buf_curl_calls_over_grpc_and_connect_through_reflection() {
    let wos = shop();
    let served = Served::start(&wos.path(), &[]);
    let protos = tempfile::tempdir().unwrap();
    crate::support::host(&["proto", wos.path().to_str().unwrap(), "-o", protos.path().to_str().unwrap()])
        .expect_code(0);
    let schema = protos.path().to_str().unwrap();
    let method = format!("{PRICING}/Quote");
    let body = order("HALF").to_string();
    let protocols = [
        &["--protocol", "grpc", "--http2-prior-knowledge"][..],
        // buf curl asks for the schema over a Connect stream, which needs HTTP/2 ...
        &["--protocol", "connect", "--http2-prior-knowledge"][..],
        // ... so over HTTP/1.1 a Connect client takes it from the emitted .proto files.
        &["--protocol", "connect", "--schema", schema][..],
    ];
    for protocol in protocols {
        let output = served.buf_curl(&method, &[protocol, &["-d", &body]].concat());
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{protocol:?}: {stdout}{}", String::from_utf8_lossy(&output.stderr));
        let answer: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(answer["ok"]["totalCents"], "825", "{protocol:?}: {answer}");
    }
    // Listing the services over Connect is reflection over a Connect stream too.
    let output = served.buf_curl("", &["--protocol", "connect", "--http2-prior-knowledge", "--list-methods"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.lines().any(|line| line == method), "{stdout}");
    // A Connect stream to a method nobody serves ends with the error in its last frame.
    let output = served.buf_curl(
        "parigot.testing.pricing.v0_1_0.Pricing/Nope",
        &["--protocol", "connect", "--http2-prior-knowledge", "-d", "{}"],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("Nope"), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn sigterm_lets_calls_under_way_finish_then_exits_0() {
    let wos = shop();
    let served = Served::start(&wos.path(), &["--pool", "1", "--log", "info,parigot_host=debug"]);
    let addr = served.addr.clone();
    // A call that runs until its 500 ms deadline, under way when SIGTERM arrives.
    let spin = std::thread::spawn(move || {
        crate::support::served::python_client("grpc_call.py", &addr, &[&format!("{FAULTS}/Spin"), "{}"])
    });
    while !served.log().contains(&format!("calling /{FAULTS}/Spin")) && !spin.is_finished() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let (code, _, log) = served.terminate();
    let answer = spin.join().unwrap();
    assert_eq!(answer["code"], "DEADLINE_EXCEEDED", "the call under way got its answer: {answer}\n{log}");
    assert_eq!(code, Some(0), "{log}");
    for part in ["SIGTERM received", "shutting down", "stopped serving", "stopping service `pricing`"] {
        assert!(log.contains(part), "{part}:\n{log}");
    }
}

#[test]
fn a_computing_guest_does_not_hold_up_the_other_requests() {
    // Two guests spin for 4 s on a runtime with a worker per core (2 here); a third instance of
    // the pool is free for a quote, which the workers take up between the spinning guests'
    // pulse beats.
    let wos = shop_with("[services.faulty.limits]\ndeadline-ms = 4000\n");
    let served = Served::start(&wos.path(), &["--pool", "3", "--log", "info,parigot_host=debug"]);
    let json = ["-H", "Content-Type: application/json", "-d"];
    let spins: Vec<_> = (0..2)
        .map(|_| {
            let addr = served.addr.clone();
            std::thread::spawn(move || {
                crate::support::served::curl(&addr, &format!("/{FAULTS}/Spin"), &[&json[..], &["{}"]].concat())
            })
        })
        .collect();
    let spinning = format!("calling /{FAULTS}/Spin");
    while served.log().matches(&spinning).count() < 2 && !spins.iter().any(|s| s.is_finished()) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let (status, quote) =
        served.curl(&format!("/{PRICING}/Quote"), &[&json[..], &[&order("HALF").to_string()]].concat());
    assert_eq!(status, 200, "{quote}");
    assert!(spins.iter().all(|s| !s.is_finished()), "the quote came back while both guests still spun");
    for spin in spins {
        let (status, body) = spin.join().unwrap();
        assert_eq!(status, 504, "the spins end at their deadline: {body}");
    }
}

#[test]
fn a_port_in_use_or_a_wos_with_nothing_to_serve_is_a_setup_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let wos = shop();
    crate::support::host(&["run", wos.path().to_str().unwrap(), "--listen", &addr]).expect_code(78).expect_stderr(&[
        &format!("cannot listen on {addr}"),
        "choose another with `--listen` (port 0 picks a free one)",
    ]);
    let programs_only = Wos::with_services(&[("dice", &component("dice"))]);
    crate::support::host(&["run", programs_only.path().to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .expect_code(78)
        .expect_stderr(&["has nothing to serve: none of its services exports an interface"]);
}

#[test]
fn a_request_that_crashes_a_service_costs_only_that_request() {
    // The default restart policy, two instances: the crash takes one down, a fresh one
    // replaces it, and nothing after the crash notices.
    let wos = Wos::new(&format!(
        "manifest-version = 1\n[serve]\npool = 2\n[services.faulty]\ncomponent = {:?}\n",
        component("faulty-rust").display().to_string()
    ));
    let served = Served::start(&wos.path(), &[]);
    let ping = || call(&served, &format!("{FAULTS}/Ping"), &json!({}));
    assert_eq!(ping()["ok"]["result"], 1);
    let (status, answer) = served
        .curl(&format!("/{FAULTS}/Crash"), &["-H", "Content-Type: application/json", "-d", r#"{"message": "x"}"#]);
    assert_eq!(status, 500, "{answer}");
    for _ in 0..3 {
        assert!(ping()["ok"]["result"].is_u64(), "ping after the crash: {}", served.log());
    }
    assert_eq!(served.python("health_check.py", &[FAULTS]), json!({ "status": "SERVING" }));
}

const TOP: &str = "parigot.testing.top.v0_1_0.Top";

/// The diamond of the kernel tests, serving `top` and `faults` (the shared service below).
fn served_diamond(extra: &str) -> (Wos, Served) {
    let wos = crate::kernel::diamond(&format!(
        "exports = [\"parigot:testing/top@0.1.0\", \"parigot:testing/faults@0.1.0\"]\n{extra}"
    ));
    let served = Served::start(&wos.path(), &[]);
    (wos, served)
}

#[test]
fn concurrent_requests_over_a_diamond_with_one_shared_instance_below_all_succeed() {
    let (_wos, served) = served_diamond("");
    let answers = served.python("grpc_many.py", &[&format!("{TOP}/Both"), "{}", "64"]);
    assert_eq!(answers, json!({ "codes": { "OK": 64 }, "details": [] }));
    // Both sides of every request reached d's one instance, which kept count.
    assert_eq!(call(&served, &format!("{FAULTS}/Ping"), &json!({}))["ok"]["result"], 129);
}

#[test]
fn a_connect_body_that_does_not_arrive_in_time_is_refused() {
    // A client that announces 100 bytes, sends 10 and waits: the request ends at its own
    // deadline (500 ms here; 30 s at most), not when the client decides.
    use std::io::{Read as _, Write as _};
    let wos = shop();
    let served = Served::start(&wos.path(), &[]);
    let mut slow = std::net::TcpStream::connect(&served.addr).unwrap();
    let request = format!(
        "POST /{FAULTS}/Ping HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         connect-timeout-ms: 500\r\nContent-Length: 100\r\n\r\n{{\"a\": 1,  ",
        served.addr
    );
    slow.write_all(request.as_bytes()).unwrap();
    slow.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut answer = vec![0u8; 4096];
    let read = slow.read(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 504"), "{answer}");
    assert!(answer.contains("the request body did not arrive within 500 ms"), "{answer}");
}

#[test]
fn connections_past_max_connections_wait_for_a_place() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\n[serve]\nmax-connections = 1\n[services.faulty]\ncomponent = {:?}\n",
        component("faulty-rust").display().to_string()
    ));
    let served = Served::start(&wos.path(), &[]);
    let ping = |extra: &[&str]| {
        let args = [&["-H", "Content-Type: application/json", "-d", "{}"][..], extra].concat();
        served.curl(&format!("/{FAULTS}/Ping"), &args).0
    };
    assert_eq!(ping(&[]), 200);
    // A client that connects and says nothing holds the one place...
    let idle = std::net::TcpStream::connect(&served.addr).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(ping(&["--max-time", "1"]), 0, "a second connection waits");
    // ...until it leaves.
    drop(idle);
    assert_eq!(ping(&[]), 200);
}

#[test]
fn readiness_follows_a_service_s_restart_back_off() {
    // Two failures in a row put the faulty service in a 1.5 s back-off: not ready meanwhile,
    // ready again after it.
    let (_wos, served) = served_diamond("[services.d.limits]\nrestart-backoff-ms = 1500");
    let ready = || served.python("health_check.py", &["parigot.readiness"]);
    assert_eq!(ready(), json!({ "status": "SERVING" }));
    for _ in 0..2 {
        let answer = call(&served, &format!("{FAULTS}/Crash"), &json!({ "message": "boom" }));
        assert_eq!(answer["code"], "INTERNAL", "{answer}");
    }
    assert!(
        served
            .log_shows_within("the server is not ready: service(s) d refuse calls", std::time::Duration::from_secs(5))
    );
    assert_eq!(ready(), json!({ "status": "NOT_SERVING" }));
    assert!(
        served.log_shows_within("the server is ready again", std::time::Duration::from_secs(10)),
        "{}",
        served.log()
    );
    assert_eq!(ready(), json!({ "status": "SERVING" }));
    // Liveness never wavered.
    assert_eq!(served.python("health_check.py", &[]), json!({ "status": "SERVING" }));
}

#[test]
fn a_service_failed_for_good_turns_what_depends_on_it_not_serving() {
    // The default policy (on-failure, 5 failures in a row at most), with a short back-off so
    // the test is quick: d crashes on every request until it has failed for good.
    let (_wos, served) = served_diamond("[services.d.limits]\nrestart-backoff-ms = 10");
    assert_eq!(served.python("health_check.py", &[TOP]), json!({ "status": "SERVING" }));
    let mut crashes = 0;
    while !served.log().contains("has failed for good") && crashes < 40 {
        let answer = call(&served, &format!("{FAULTS}/Crash"), &json!({ "message": "boom" }));
        crashes += usize::from(answer["code"] == "INTERNAL");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(crashes, 6, "five restarts, then failed for good: {}", served.log());
    assert!(served.log_shows("it failed 6 times in a row, more than its `max-restarts` of 5"), "{}", served.log());
    assert!(served.log_shows(&format!("`{TOP}` is NOT_SERVING: service `d`")), "{}", served.log());
    assert!(served.log_shows(&format!("`{FAULTS}` is NOT_SERVING: service `d`")), "{}", served.log());
    for service in [TOP, FAULTS] {
        assert_eq!(served.python("health_check.py", &[service]), json!({ "status": "NOT_SERVING" }), "{service}");
    }
    // The server as a whole too: what the liveness probe of `deploy k8s` asks (service ""),
    // so that the orchestrator restarts a host whose service will not recover.
    assert_eq!(served.python("health_check.py", &[]), json!({ "status": "NOT_SERVING" }));
    assert!(served.log_shows("the server is NOT_SERVING: service `d` has failed for good"), "{}", served.log());
    let refused = call(&served, &format!("{TOP}/Both"), &json!({}));
    assert_eq!(refused["code"], "UNAVAILABLE", "{refused}");
    assert!(refused["details"].as_str().unwrap().contains("service `d` cannot take the call"), "{refused}");
}

#[test]
fn sleeping_requests_end_at_their_deadline_and_give_their_instances_back() {
    // As many sleeping requests as the pool has instances, in Rust, Go and Python: each ends
    // at its deadline, the server answers the next request, and SIGTERM still exits. (Two
    // failures in a row would make the next fresh instance wait for the restart back-off:
    // this wos has none, so the next request is answered at once.)
    for language in LANGUAGES {
        // The deadline also bounds an instance's start, which a machine busy with the rest of
        // the suite (browsers included) can slow past 300 ms for Python and JavaScript.
        let wos = Wos::new(&format!(
            "manifest-version = 1\n[serve]\npool = 2\n[services.faulty]\ncomponent = {:?}\n\
             [services.faulty.limits]\ndeadline-ms = 1000\nrestart-backoff-ms = 0\n",
            component(&format!("faulty-{language}")).display().to_string()
        ));
        let served = Served::start(&wos.path(), &[]);
        let answers = served.python("grpc_many.py", &[&format!("{FAULTS}/Sleep"), r#"{"ms": 600000}"#, "2"]);
        assert_eq!(answers["codes"], json!({ "DEADLINE_EXCEEDED": 2 }), "{language}: {answers}");
        assert!(answers["details"][0].as_str().unwrap().contains("ran past its deadline of 1 s"), "{answers}");
        assert_eq!(call(&served, &format!("{FAULTS}/Ping"), &json!({}))["ok"]["result"], 1, "{language}");
        let (code, _, log) = served.terminate();
        assert_eq!(code, Some(0), "{language}: {log}");
    }
}

/// A served Rust faulty service with a minute's deadline and `extra` in its `[serve]` table,
/// and a thread that calls `sleep` for ten minutes, already under way.
fn sleeping_call(extra: &str) -> (Wos, Served, std::thread::JoinHandle<Value>) {
    let wos = Wos::new(&format!(
        "manifest-version = 1\n[serve]\n{extra}\n[services.faulty]\ncomponent = {:?}\n\
         [services.faulty.limits]\ndeadline-ms = 60000\n",
        component("faulty-rust").display().to_string()
    ));
    let served = Served::start(&wos.path(), &["--log", "info,parigot_host=debug"]);
    let addr = served.addr.clone();
    let sleep = std::thread::spawn(move || {
        crate::support::served::python_client("grpc_call.py", &addr, &[&format!("{FAULTS}/Sleep"), r#"{"ms": 600000}"#])
    });
    assert!(served.log_shows(&format!("calling /{FAULTS}/Sleep")), "{}", served.log());
    (wos, served, sleep)
}

#[test]
fn calls_still_under_way_when_the_grace_period_ends_are_interrupted() {
    let (_wos, served, sleep) = sleeping_call("shutdown-grace-ms = 300");
    let (code, _, log) = served.terminate();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("when the shutdown grace period of 300 ms ended; interrupting them"), "{log}");
    let answer = sleep.join().unwrap();
    assert!(answer["code"].is_string(), "the client got an error, not an answer: {answer}");
}

#[test]
fn a_second_signal_exits_at_once() {
    let (_wos, served, sleep) = sleeping_call("");
    let (code, _, log) = served.terminate_with(2);
    assert_eq!(code, Some(130), "{log}");
    assert!(log.contains("second signal received: exiting at once"), "{log}");
    sleep.join().unwrap();
}

#[test]
fn a_large_list_of_bytes_is_served_in_every_language() {
    // 8 MiB, over gRPC's default 4 MiB limit, so the wos raises it; a bytes-in signature is
    // served typed, one buffer rather than a value per byte.
    let ones = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, vec![1u8; 8 << 20]);
    for language in LANGUAGES {
        let wos = Wos::new(&format!(
            "manifest-version = 1\n[serve]\nmax-message-bytes = 16777216\n[services.faulty]\ncomponent = {:?}\n",
            component(&format!("faulty-{language}")).display().to_string()
        ));
        let served = Served::start(&wos.path(), &[]);
        let request = json!({ "data": ones });
        let body = wos.file("request.json", request.to_string().as_bytes());
        let (status, answer) = served.curl(
            &format!("/{FAULTS}/Weigh"),
            &["-H", "Content-Type: application/json", "--data-binary", &format!("@{}", body.display())],
        );
        assert_eq!(status, 200, "{language}: {answer}");
        assert_eq!(serde_json::from_str::<Value>(&answer).unwrap()["result"], "8388608", "{language}");
    }
}
