//! A `parigot-host run --listen` process in the background, and the clients the tests talk to
//! it with: the Python gRPC scripts in host/tests/clients, curl, and buf.

use super::repo;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A serving host, killed when dropped.
pub struct Served {
    child: Child,
    /// Where it listens, `127.0.0.1:PORT`.
    pub addr: String,
    stderr: Arc<Mutex<String>>,
    /// Copies the host's stderr into `stderr`; ends when the host does.
    log_reader: std::thread::JoinHandle<()>,
}

impl Served {
    /// Starts `parigot-host run WOS --listen 127.0.0.1:0 EXTRA...` and waits until it listens.
    pub fn start(wos: &Path, extra: &[&str]) -> Served {
        Served::start_on(wos, "127.0.0.1:0", extra)
    }

    /// Starts `parigot-host run WOS --listen LISTEN EXTRA...` and waits until it listens.
    pub fn start_on(wos: &Path, listen: &str, extra: &[&str]) -> Served {
        Served::start_command("run", wos, listen, extra, &[])
    }

    /// Starts `parigot-host COMMAND WOS --listen LISTEN EXTRA...` with `env` added to its
    /// environment, and waits until it listens.
    pub fn start_command(command: &str, wos: &Path, listen: &str, extra: &[&str], env: &[(&str, String)]) -> Served {
        Served::spawn(Command::new(env!("CARGO_BIN_EXE_parigot-host")), command, wos, listen, extra, env)
    }

    /// [`Served::start`] with the host's limit on open descriptors (soft and hard) set to
    /// `descriptors`.
    pub fn start_with_descriptors(wos: &Path, descriptors: u64) -> Served {
        use std::os::unix::process::CommandExt as _;
        let mut command = Command::new(env!("CARGO_BIN_EXE_parigot-host"));
        let limit = libc::rlimit { rlim_cur: descriptors, rlim_max: descriptors };
        // SAFETY: `setrlimit` is async-signal-safe and touches only the struct passed.
        unsafe {
            command.pre_exec(move || {
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Served::spawn(command, "run", wos, "127.0.0.1:0", &[], &[])
    }

    fn spawn(
        mut command: Command,
        subcommand: &str,
        wos: &Path,
        listen: &str,
        extra: &[&str],
        env: &[(&str, String)],
    ) -> Served {
        let mut child = command
            .args([subcommand, wos.to_str().unwrap(), "--listen", listen])
            .args(extra)
            .envs(env.iter().map(|(key, value)| (*key, value)))
            .env("PARIGOT_CACHE_DIR", repo().join("target/parigot-test-cache"))
            .env("PARIGOT_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the host binary starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        let log = stderr.clone();
        let log_reader = std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(rest) =
                    line.split("listening on http://").nth(1).or_else(|| line.split("listening on https://").nth(1))
                {
                    let _ = addr_tx.send(rest.split_whitespace().next().unwrap_or_default().to_owned());
                }
                log.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        // A first start compiles the components (tens of seconds for Python in a debug host).
        let addr = match addr_rx.recv_timeout(Duration::from_secs(240)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("the host did not start serving:\n{}", stderr.lock().unwrap());
            }
        };
        Served { child, addr, stderr, log_reader }
    }

    /// The host's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the host logged so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until the log contains `text` (up to 20 s, which only a failing test reaches);
    /// returns whether it did.
    pub fn log_shows(&self, text: &str) -> bool {
        self.log_shows_within(text, Duration::from_secs(20))
    }

    /// [`Served::log_shows`], waiting up to `wait`.
    pub fn log_shows_within(&self, text: &str, wait: Duration) -> bool {
        let until = std::time::Instant::now() + wait;
        while !self.log().contains(text) {
            if std::time::Instant::now() > until {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        true
    }

    /// Sends SIGTERM and waits for the process; returns its exit code and what it printed.
    pub fn terminate(self) -> (Option<i32>, String, String) {
        self.terminate_with(1)
    }

    /// Sends SIGTERM `signals` times (the later ones once the host says it is shutting down)
    /// and waits for the process; returns its exit code and what it printed.
    pub fn terminate_with(mut self, signals: usize) -> (Option<i32>, String, String) {
        for signal in 0..signals {
            if signal > 0 {
                assert!(self.log_shows("shutting down"), "{}", self.log());
            }
            send_sigterm(self.child.id());
        }
        let mut stdout = String::new();
        std::io::Read::read_to_string(self.child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
        let status = self.child.wait().unwrap();
        let log_reader = std::mem::replace(&mut self.log_reader, std::thread::spawn(|| ()));
        log_reader.join().unwrap();
        (status.code(), stdout, self.log())
    }

    /// Kills the host with SIGKILL (no shutdown of any kind) and waits for it; returns what it
    /// logged.
    pub fn kill(mut self) -> String {
        self.child.kill().expect("the host can be killed");
        self.child.wait().unwrap();
        let log_reader = std::mem::replace(&mut self.log_reader, std::thread::spawn(|| ()));
        log_reader.join().unwrap();
        self.log()
    }

    /// Runs a Python client from host/tests/clients against this host; returns its JSON line.
    pub fn python(&self, script: &str, args: &[&str]) -> serde_json::Value {
        python_client(script, &self.addr, args)
    }

    /// `curl` with `args` against `http://ADDR{path}`: (HTTP status, body).
    pub fn curl(&self, path: &str, args: &[&str]) -> (u16, String) {
        curl(&self.addr, path, args)
    }

    /// `buf curl` with `args` against `http://ADDR/{method}`.
    pub fn buf_curl(&self, method: &str, args: &[&str]) -> Output {
        Command::new(repo().join(".tools/npm/node_modules/.bin/buf"))
            .args(["curl", "--timeout", "20s"])
            .args(args)
            .arg(format!("http://{}/{method}", self.addr))
            .output()
            .expect("buf runs (installed by `make tools`)")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `curl ARGS http://ADDR{path}`; returns the HTTP status and the body.
pub fn curl(addr: &str, path: &str, args: &[&str]) -> (u16, String) {
    curl_url(&format!("http://{addr}{path}"), args)
}

/// `curl ARGS URL`; returns the HTTP status (0 when there was no answer) and the body.
pub fn curl_url(url: &str, args: &[&str]) -> (u16, String) {
    let output = Command::new("curl")
        .args(["-sS", "-o", "-", "-w", "\n%{http_code}", "--max-time", "20"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').expect("curl prints the status last");
    (status.trim().parse().expect("an HTTP status"), body.to_owned())
}

/// Runs `host/tests/clients/SCRIPT ADDR ARGS...` and parses the JSON line it prints.
pub fn python_client(script: &str, addr: &str, args: &[&str]) -> serde_json::Value {
    let output = Command::new(repo().join(".tools/venv/bin/python"))
        .arg(repo().join("host/tests/clients").join(script))
        .arg(addr)
        .args(args)
        .output()
        .expect("the client runs (grpcio is installed by `make tools`)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{script} failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{script} printed {stdout:?}: {e}"))
}

fn send_sigterm(pid: u32) {
    let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill runs");
    assert!(status.success(), "kill -TERM {pid} failed");
}
