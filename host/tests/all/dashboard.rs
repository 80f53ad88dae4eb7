//! The dashboard, looked at in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, which `make tools` installs) loads it against a running hello and a
//! running Vinny's store, reads the picture and the tables, makes a call through the form and
//! waits for its trace (host/tests/clients/dashboard_check.py). Its traces across hosts are
//! read from its API.

use crate::support::served::{Served, curl_url};
use crate::support::{Wos, component, host_with_input, repo};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Runs dashboard_check.py on `url`, saving its screenshot as `screenshot`, calling
/// `call` (function, arguments, and whether they are `wave` or `json`) through the form if
/// given.
fn look_at(url: &str, screenshot: &std::path::Path, call: Option<(&str, &str, &str)>) -> Value {
    let mut command = Command::new(repo().join(".tools/venv/bin/python"));
    command.arg(repo().join("host/tests/clients/dashboard_check.py")).arg(url).arg(screenshot);
    if let Some((function, args, mode)) = call {
        command.args([function, args, mode]);
    }
    let output = command.output().expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "dashboard_check.py failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("dashboard_check.py printed {stdout:?}: {e}"))
}

/// The screenshot's path: kept in target/ for a look, and for the docs.
fn screenshot(name: &str) -> std::path::PathBuf {
    let dir = repo().join("target/dashboard");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// `parigot-host dev WOS ARGS...`, killed when dropped.
struct Dev {
    child: Child,
    dashboard: String,
}

impl Dev {
    /// Starts `dev` in the repository's folder (`wos` may be relative to it) and waits until
    /// its dashboard listens.
    fn start(wos: &std::path::Path, args: &[&str]) -> Dev {
        let mut child = Command::new(env!("CARGO_BIN_EXE_parigot-host"))
            .current_dir(repo())
            .arg("dev")
            .arg(wos)
            .args(args)
            .env("PARIGOT_CACHE_DIR", repo().join("target/parigot-test-cache"))
            .env("PARIGOT_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stderr.take().unwrap());
        let (found, address) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(rest) = line.split("dashboard on http://").nth(1) {
                    let _ = found.send(rest.trim_end_matches('/').to_owned());
                }
            }
        });
        let dashboard = address.recv_timeout(Duration::from_secs(240)).expect("dev serves its dashboard");
        Dev { child, dashboard }
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_dashboard_of_hello_in_dev_draws_the_wos_and_traces_a_call_made_through_its_form() {
    let _heavy = crate::support::heavy_or_timed();
    let data = tempfile::tempdir().unwrap();
    // A relative path, as a user types it: the services' folders are found all the same.
    let hello = std::path::Path::new("examples/hello/wos.toml");
    let dev = Dev::start(hello, &["--dashboard", "127.0.0.1:0", "--data-dir", data.path().to_str().unwrap()]);
    let url = format!("http://{}/", dev.dashboard);
    let call = ("example:hello/greeter.greet", r#"({name: "dashboard", excitement: 1})"#, "wave");
    let shown = look_at(&url, &screenshot("hello.png"), Some(call));
    assert_eq!(shown["title"], "hello · parigot");
    let mut picture = strings(&shown["picture"]);
    picture.sort();
    assert_eq!(picture, ["decorator", "entry", "greeter", "quoter", "signer"]);
    let arrows: Vec<(String, String)> = shown["arrows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (pair[0].as_str().unwrap().to_owned(), pair[1].as_str().unwrap().to_owned()))
        .collect();
    for hop in [("entry", "greeter"), ("greeter", "decorator"), ("decorator", "quoter"), ("quoter", "signer")] {
        assert!(arrows.contains(&(hop.0.to_owned(), hop.1.to_owned())), "no arrow {hop:?} in {arrows:?}");
    }
    // The services' table: name, language, state...
    let languages: Vec<(String, String)> = shown["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row[0].as_str().unwrap().to_owned(), row[1].as_str().unwrap().to_owned()))
        .collect();
    for expected in
        [("entry", "Rust"), ("greeter", "Go"), ("decorator", "Python"), ("quoter", "JavaScript"), ("signer", "Rust")]
    {
        assert!(languages.contains(&(expected.0.to_owned(), expected.1.to_owned())), "{languages:?}");
    }
    // Each service's state, and each function's calls in the last minute: the program ran
    // and exited, having greeted two names through every server.
    let rows = |key: &str| -> Vec<Vec<String>> { shown[key].as_array().unwrap().iter().map(strings).collect() };
    let states: Vec<(String, String)> =
        rows("services").into_iter().map(|row| (row[0].clone(), row[2].clone())).collect();
    assert!(
        states.contains(&("entry".into(), "exited".into())) && states.contains(&("signer".into(), "ready".into())),
        "{states:?}"
    );
    let functions = rows("functions");
    let greet = functions.iter().find(|row| row[1] == "example:hello/greeter@0.1.0#greet").expect("greet's row");
    assert_eq!((greet[0].as_str(), greet[2].as_str(), greet[6].as_str()), ("greeter", "2", "0"), "{functions:?}");
    // The programs' run, already in the functions' table and the traces.
    assert!(shown["traces"].as_array().unwrap().iter().any(|root| root == "entry wasi:cli/run@0.2.0#run"), "{shown}");
    // The call made through the form, and its trace: the greeter and every hop below it.
    let result = shown["call_result"].as_str().unwrap();
    assert!(result.contains("Hello, Dashboard!") && result.contains("signer (rust)"), "{result}");
    let services: Vec<&str> =
        shown["call_trace"].as_array().unwrap().iter().map(|row| row[0].as_str().unwrap()).collect();
    assert_eq!(services, ["greeter", "decorator", "quoter", "signer"], "{shown}");
    assert!(screenshot("hello.png").metadata().unwrap().len() > 10_000);
}

#[test]
fn the_dashboard_of_vinnys_store_shows_its_databases_and_a_catalog_search_made_in_json() {
    let _heavy = crate::support::heavy_or_timed();
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap();
    let vvv = repo().join("examples/vvv/wos.toml");
    host_with_input(&["user", "add", vvv.to_str().unwrap(), "vinny", "--data-dir", data_dir], "spin\n").expect_code(0);
    let served =
        Served::start_command("dev", &vvv, "127.0.0.1:0", &["--dashboard", "127.0.0.1:0", "--data-dir", data_dir], &[]);
    let dashboard = crate::telemetry::log_address(&served, "dashboard on http://");
    let dashboard = dashboard.trim_end_matches('/');
    // In JSON: the request message of the function's gRPC method.
    let call = ("vvv:shop/catalog.search", r#"{"text": "Bush"}"#, "json");
    let shown = look_at(&format!("http://{dashboard}/"), &screenshot("vvv.png"), Some(call));
    let mut picture = strings(&shown["picture"]);
    picture.sort();
    assert_eq!(picture, ["catalog", "gift-cards", "inventory", "store"]);
    let arrows = shown["arrows"].as_array().unwrap();
    // Clients reach the three served interfaces; the store calls the catalog and the inventory.
    assert_eq!(arrows.iter().filter(|pair| pair[0] == "@edge").count(), 3, "{arrows:?}");
    for provider in ["catalog", "inventory"] {
        assert!(arrows.iter().any(|pair| pair[0] == "store" && pair[1] == provider), "{arrows:?}");
    }
    // Each database's tables, the host's record of its applied migrations among them.
    let mut tables = strings(&shown["tables"]);
    tables.retain(|table| !table.ends_with("._parigot_migrations"));
    tables.sort();
    assert_eq!(tables, ["catalog.items", "gift-cards.cards", "inventory.stock", "store.sales"]);
    assert!(strings(&shown["tables"]).contains(&"store._parigot_migrations".to_owned()));
    assert!(shown["call_result"].as_str().unwrap().contains("Hounds of Love"), "{shown}");
    let trace: Vec<(String, String)> = shown["call_trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row[0].as_str().unwrap().to_owned(), row[1].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(trace[0].0, "catalog");
    assert!(trace.iter().any(|(service, label)| service == "catalog" && label.contains("sqlite")), "{trace:?}");
    // The dashboard answers only to loopback host names, takes calls only as JSON, and
    // refuses what it cannot parse with the reason, never by failing.
    let (status, _) = curl_url(&format!("http://{dashboard}/api/wos"), &["-H", "Host: dashboard.example"]);
    assert_eq!(status, 403);
    let call_url = format!("http://{dashboard}/api/call");
    let (status, _) = curl_url(&call_url, &["-d", r#"{"call": "vvv:shop/catalog.search(\"x\")"}"#]);
    assert_eq!(status, 415, "a form post is not a JSON call");
    let json = ["-H", "Content-Type: application/json", "-d"];
    let deep = format!(r#"{{"call": "vvv:shop/catalog.search({}\"x\"{})"}}"#, "[".repeat(10_000), "]".repeat(10_000));
    let (status, body) = curl_url(&call_url, &[json[0], json[1], json[2], &deep]);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("cannot parse the call"), "{body}");
    let (status, body) = curl_url(&call_url, &[json[0], json[1], json[2], r#"{"call": "vvv:shop/catalog.nothing()"}"#]);
    assert_eq!(status, 400, "{body}");
    let huge = format!(r#"{{"call": "vvv:shop/catalog.search(\"{}\")"}}"#, "x".repeat(2 << 20));
    let file = data.path().join("huge.json");
    std::fs::write(&file, huge).unwrap();
    let (status, _) = curl_url(&call_url, &[json[0], json[1], json[2], &format!("@{}", file.display())]);
    assert_eq!(status, 413, "a call past 1 MiB is refused");
    assert_eq!(curl_url(&format!("http://{dashboard}/api/wos"), &[]).0, 200, "and the dashboard still answers");
}

/// A secret the hosts of one deployment share.
const SECRET: &str = "d2hvIHNoYXJlcyB0aGlzIHNoYXJlcyB0aGUgZGVwbG95bWVudA==";
/// The users interface the faulty service and the relay serve, as a gRPC service.
const USERS: &str = "parigot.testing.users.v0_1_0.Users";

/// The wos `name` of a host of the deployment (it has the secret), serving `service` of
/// `component_name`, whose `users` and `faults` imports are the host at `next`, if given.
fn deployment_host(name: &str, service: &str, component_name: &str, next: Option<&str>) -> Wos {
    let links = next.map_or(String::new(), |next| {
        let remote = format!("{{ remote = \"http://{next}\" }}");
        format!("links = {{ \"parigot:testing/users\" = {remote}, \"parigot:testing/faults\" = {remote} }}\n")
    });
    let wos = Wos::new(&format!(
        "manifest-version = 1\nname = \"{name}\"\nexports = [\"parigot:testing/users@0.1.0\"]\n\
         [auth]\npeer-secret-file = \"deployment.secret\"\n[services.{service}]\ncomponent = {:?}\n{links}",
        component(component_name).display().to_string()
    ));
    wos.file("deployment.secret", format!("{SECRET}\n").as_bytes());
    wos
}

#[test]
fn a_dashboards_waterfall_runs_across_every_host_a_call_crossed() {
    // front (relay, with the dashboard) -> middle (relay) -> back (faulty): three hosts of one
    // deployment. The middle one has no dashboard: it lends the back's spans on with its own.
    let back_wos = deployment_host("back", "faulty", "faulty-rust", None);
    let back = Served::start(&back_wos.path(), &[]);
    let middle_wos = deployment_host("middle", "relay", "faults-relay", Some(&back.addr));
    let middle = Served::start(&middle_wos.path(), &[]);
    let front_wos = deployment_host("front", "relay", "faults-relay", Some(&middle.addr));
    let front = Served::start(&front_wos.path(), &["--dashboard", "127.0.0.1:0"]);
    let dashboard = crate::telemetry::log_address(&front, "dashboard on http://");
    let (status, body) = front.curl(&format!("/{USERS}/Whoami"), &["-H", "Content-Type: application/json", "-d", "{}"]);
    assert_eq!(status, 200, "{body}");
    let (status, traces) = curl_url(&format!("http://{}api/traces", dashboard), &[]);
    assert_eq!(status, 200, "{traces}");
    let traces: Value = serde_json::from_str(&traces).unwrap();
    let trace = traces["traces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|trace| trace["root"].as_str().is_some_and(|root| root.ends_with("#whoami")))
        .unwrap_or_else(|| panic!("no trace of the call: {traces:#}"));
    let spans = trace["spans"].as_array().unwrap();
    let rows: Vec<(&str, &str, &str)> = spans
        .iter()
        .map(|span| {
            (span["service"].as_str().unwrap(), span["kind"].as_str().unwrap(), span["host"].as_str().unwrap_or(""))
        })
        .collect();
    let (middle_url, back_url) = (format!("http://{}", middle.addr), format!("http://{}", back.addr));
    assert_eq!(
        rows,
        [
            ("relay", "server", ""),
            ("relay", "client", ""),
            ("relay", "server", middle_url.as_str()),
            ("relay", "client", middle_url.as_str()),
            ("faulty", "server", back_url.as_str()),
        ],
        "{trace:#}"
    );
    // One waterfall: each span but the first is the child of the one above it.
    for pair in spans.windows(2) {
        assert_eq!(pair[1]["parent"], pair[0]["span"], "{trace:#}");
    }
    // In the browser: a call made through the form draws the same, each span with its host.
    let _heavy = crate::support::heavy_or_timed();
    let shown = look_at(
        &format!("http://{dashboard}"),
        &screenshot("hosts.png"),
        Some(("parigot:testing/users.whoami", "()", "wave")),
    );
    let labels: Vec<String> =
        shown["call_trace"].as_array().unwrap().iter().map(|row| row[1].as_str().unwrap().to_owned()).collect();
    let whoami = "parigot:testing/users@0.1.0#whoami";
    assert_eq!(
        labels,
        [
            format!("relay · {whoami}"),
            format!("relay · → {whoami}"),
            format!("relay · {whoami} on {middle_url}"),
            format!("relay · → {whoami} on {middle_url}"),
            format!("faulty · {whoami} on {back_url}"),
        ],
        "{shown}"
    );
    // The functions' table (as the page first drew it, before the form's call) counts this
    // host's calls only: the relay's one, none of the peers'.
    let functions: Vec<Vec<String>> = shown["functions"].as_array().unwrap().iter().map(strings).collect();
    assert_eq!(functions.iter().map(|row| (row[0].as_str(), row[2].as_str())).collect::<Vec<_>>(), [("relay", "1")]);
}

#[test]
fn spans_are_lent_only_to_a_peer_of_the_deployment_with_its_proof() {
    use parigot_host::users::{PeerClaim, PeerSecret, unix_now};
    let back_wos = deployment_host("back", "faulty", "faulty-rust", None);
    let back = Served::start(&back_wos.path(), &[]);
    let whoami = format!("{USERS}/Whoami");
    let ask = |headers: &[String]| {
        let mut args = vec![whoami.as_str(), "{}", "--metadata", "--header", "parigot-want-spans=1"];
        for header in headers {
            args.extend(["--header", header.as_str()]);
        }
        let answer = back.python("grpc_call.py", &args);
        assert!(answer["ok"].is_object(), "{answer}");
        answer["metadata"].as_array().unwrap().iter().map(|key| key.as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    // A client that only asks is answered, without spans.
    assert!(!ask(&[]).contains(&"parigot-spans-bin".to_owned()));
    // A peer, its proof made with the deployment's secret, gets the call's spans.
    let secret = PeerSecret::from_bytes(SECRET.as_bytes());
    let claim =
        PeerClaim { user: None, chain: "00000000000000aa", method: &format!("/{whoami}"), authority: &back.addr };
    let peer = [
        "parigot-chain=00000000000000aa".to_owned(),
        format!("parigot-peer-proof={}", secret.prove(&claim, unix_now())),
    ];
    assert!(ask(&peer).contains(&"parigot-spans-bin".to_owned()), "{}", back.log());
}
