//! What the host tells about a running wos: the metrics its admin listener serves (`run
//! --admin ADDR`, loopback only), counted from real calls.

use crate::support::served::{Served, curl_url};
use crate::support::{Wos, component, host, host_with_input};
use std::time::{Duration, Instant};

/// The address the admin listener of `served` says it listens on.
pub(crate) fn admin_addr(served: &Served) -> String {
    log_address(served, "admin listening on http://")
}

/// The address `served` logs after `prefix`, once it has.
pub(crate) fn log_address(served: &Served, prefix: &str) -> String {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let log = served.log();
        if let Some(rest) = log.split(prefix).nth(1) {
            return rest.split_whitespace().next().unwrap().to_owned();
        }
        assert!(Instant::now() < until, "no {prefix:?} in:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_admin_listener_serves_calls_latencies_and_failures_for_prometheus() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"parigot:testing/faults\"]\n[services.faulty]\ncomponent = {:?}\n\
         [services.faulty.limits]\ndeadline-ms = 200\nrestart-backoff-ms = 0\n",
        component("faulty-rust").display().to_string()
    ));
    let served = Served::start(&wos.path(), &["--admin", "127.0.0.1:0"]);
    let admin = admin_addr(&served);
    let json = ["-H", "Content-Type: application/json", "-d", "{}"];
    for _ in 0..2 {
        assert_eq!(served.curl("/parigot.testing.faults.v0_1_0.Faults/Ping", &json).0, 200);
    }
    let (status, _) = served.curl("/parigot.testing.faults.v0_1_0.Faults/Spin", &json);
    assert_ne!(status, 200, "the loop is cut at its deadline");
    // The failed instance was dropped: the next call starts a fresh one.
    assert_eq!(served.curl("/parigot.testing.faults.v0_1_0.Faults/Ping", &json).0, 200);
    // Requests refused before the function is called are counted too: a Connect body that is
    // no JSON, and a gRPC one that is no protobuf.
    let not_json = ["-H", "Content-Type: application/json", "-d", "{not json"];
    assert_eq!(served.curl("/parigot.testing.faults.v0_1_0.Faults/Ping", &not_json).0, 400);
    let raw = served.python("grpc_raw.py", &["parigot.testing.faults.v0_1_0.Faults/Ping", "ff"]);
    assert_eq!(raw["code"], "INVALID_ARGUMENT", "{raw}");

    let (status, metrics) = curl_url(&format!("http://{admin}/metrics"), &[]);
    assert_eq!(status, 200, "{metrics}");
    let content_type = std::process::Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{content_type}", &format!("http://{admin}/metrics")])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&content_type.stdout), "text/plain; version=0.0.4; charset=utf-8");
    let ping = "parigot:testing/faults@0.1.0#ping";
    let spin = "parigot:testing/faults@0.1.0#spin";
    for line in [
        format!("parigot_calls_total{{service=\"faulty\",function=\"{ping}\",outcome=\"ok\"}} 3"),
        format!("parigot_calls_total{{service=\"faulty\",function=\"{spin}\",outcome=\"error\"}} 1"),
        format!("parigot_call_duration_seconds_count{{service=\"faulty\",function=\"{ping}\"}} 3"),
        format!("parigot_call_duration_seconds_bucket{{service=\"faulty\",function=\"{spin}\",le=\"0.1\"}} 0"),
        format!("parigot_call_duration_seconds_bucket{{service=\"faulty\",function=\"{spin}\",le=\"0.25\"}} 1"),
        "parigot_failures_total{service=\"faulty\",kind=\"deadline\"} 1".to_owned(),
        format!("parigot_requests_total{{function=\"{ping}\",code=\"ok\"}} 3"),
        format!("parigot_requests_total{{function=\"{spin}\",code=\"deadline_exceeded\"}} 1"),
        format!("parigot_requests_total{{function=\"{ping}\",code=\"invalid_argument\"}} 2"),
        "parigot_restarts_total{service=\"faulty\"} 1".to_owned(),
        "parigot_instances{service=\"faulty\",state=\"busy\"} 0".to_owned(),
        "parigot_instances{service=\"faulty\",state=\"idle\"} 1".to_owned(),
    ] {
        assert!(metrics.contains(&line), "no {line:?} in\n{metrics}");
    }
    // One idle instance, which holds at least its first page of memory.
    let memory = metrics.lines().find(|l| l.starts_with("parigot_memory_bytes{service=\"faulty\"}")).unwrap();
    let bytes: u64 = memory.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(bytes >= 64 * 1024, "{memory}");
    let (status, _) = curl_url(&format!("http://{admin}/nothing"), &[]);
    assert_eq!(status, 404);
}

#[test]
fn logins_at_the_edge_are_counted_by_outcome() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"parigot:testing/users\"]\n[services.faulty]\ncomponent = {:?}\n",
        component("faulty-rust").display().to_string()
    ));
    let path = wos.path();
    host_with_input(&["user", "add", path.to_str().unwrap(), "ada"], "lovelace\n").expect_code(0);
    let served = Served::start(&path, &["--admin", "127.0.0.1:0"]);
    let admin = admin_addr(&served);
    let whoami = "/parigot.testing.users.v0_1_0.Users/Whoami";
    for login in ["ada:lovelace", "ada:lovelace", "ada:babbage"] {
        served.curl(whoami, &["-u", login, "-H", "Content-Type: application/json", "-d", "{}"]);
    }
    served.curl(whoami, &["-H", "Content-Type: application/json", "-d", "{}"]);
    let (_, metrics) = curl_url(&format!("http://{admin}/metrics"), &[]);
    let whoami = "parigot:testing/users@0.1.0#whoami";
    for line in [
        "parigot_logins_total{outcome=\"ok\"} 2".to_owned(),
        "parigot_logins_total{outcome=\"refused\"} 1".to_owned(),
        // The refused login's request never reached the function: it is a request all the same.
        format!("parigot_requests_total{{function=\"{whoami}\",code=\"unauthenticated\"}} 1"),
        format!("parigot_requests_total{{function=\"{whoami}\",code=\"ok\"}} 3"),
    ] {
        assert!(metrics.contains(&line), "no {line:?} in\n{metrics}");
    }
    assert_eq!(
        metrics.matches("parigot_logins_total{").count(),
        2,
        "a call without credentials is no login:\n{metrics}"
    );
}

#[test]
fn the_admin_listener_is_loopback_only_and_needs_a_served_wos() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"parigot:testing/faults\"]\n[services.faulty]\ncomponent = {:?}\n",
        component("faulty-rust").display().to_string()
    ));
    let path = wos.path();
    let path = path.to_str().unwrap();
    host(&["run", path, "--listen", "127.0.0.1:0", "--admin", "0.0.0.0:0"]).expect_code(78).expect_stderr(&[
        "the admin listener (0.0.0.0:0) shows the wos's metrics without a login: give it a loopback address",
    ]);
    host(&["run", path, "--admin", "127.0.0.1:0"])
        .expect_code(78)
        .expect_stderr(&["`--admin` serves the metrics of a served wos"]);
}

/// A child process, killed when dropped.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_real_prometheus_scrapes_the_admin_listener() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"parigot:testing/faults\"]\n[services.faulty]\ncomponent = {:?}\n",
        component("faulty-rust").display().to_string()
    ));
    let served = Served::start(&wos.path(), &["--admin", "127.0.0.1:0"]);
    let admin = admin_addr(&served);
    for _ in 0..3 {
        let json = ["-H", "Content-Type: application/json", "-d", "{}"];
        assert_eq!(served.curl("/parigot.testing.faults.v0_1_0.Faults/Ping", &json).0, 200);
    }
    // Debian's prometheus (`make tools` installs it), scraping every second into a folder of
    // its own, its API on a free loopback port.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: parigot\n    static_configs:\n      \
             - targets: [\"{admin}\"]\n"
        ),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _prometheus = Killed(
        std::process::Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("prometheus runs (Debian's `prometheus` package; `make tools` installs it)"),
    );
    let query = format!(
        "http://127.0.0.1:{port}/api/v1/query?query=parigot_calls_total%7Bfunction%3D%22parigot%3Atesting%2Ffaults%400.1.0%23ping%22%7D"
    );
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = curl_url(&query, &[]);
        if status == 200 {
            let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
            let series = &answer["data"]["result"][0];
            if series["value"][1] == "3" {
                assert_eq!(series["metric"]["service"], "faulty", "{answer}");
                assert_eq!(series["metric"]["outcome"], "ok", "{answer}");
                assert_eq!(series["metric"]["job"], "parigot", "{answer}");
                return;
            }
        }
        assert!(Instant::now() < until, "prometheus has no ping count of 3 after 60 s: {status} {body}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_call_refused_before_it_began_is_counted_as_a_failed_call() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"parigot:testing/faults\"]\n[services.faulty]\ncomponent = {:?}\n\
         instances = 1\nqueue = 0\n",
        component("faulty-rust").display().to_string()
    ));
    let served = Served::start(&wos.path(), &["--admin", "127.0.0.1:0"]);
    let admin = admin_addr(&served);
    let json = |body: &'static str| ["-H", "Content-Type: application/json", "-d", body];
    // The one instance sleeps; meanwhile a ping finds no instance and no place to wait.
    let addr = served.addr.clone();
    let sleeper = std::thread::spawn(move || {
        crate::support::served::curl(&addr, "/parigot.testing.faults.v0_1_0.Faults/Sleep", &json(r#"{"ms": 1500}"#))
    });
    std::thread::sleep(Duration::from_millis(500));
    let (status, body) = served.curl("/parigot.testing.faults.v0_1_0.Faults/Ping", &json("{}"));
    assert_eq!(status, 429, "{body}");
    assert_eq!(sleeper.join().unwrap().0, 200);
    let (_, metrics) = curl_url(&format!("http://{admin}/metrics"), &[]);
    let ping = "parigot:testing/faults@0.1.0#ping";
    for line in [
        format!("parigot_calls_total{{service=\"faulty\",function=\"{ping}\",outcome=\"error\"}} 1"),
        format!("parigot_requests_total{{function=\"{ping}\",code=\"resource_exhausted\"}} 1"),
    ] {
        assert!(metrics.contains(&line), "no {line:?} in\n{metrics}");
    }
}
