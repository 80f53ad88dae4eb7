//! Running a toolchain: what it says, as the author of the service should see it (the paths of
//! the copies a build works on replaced by the files the author edits, the toolchain's own
//! insides, its launcher's traceback and its backtraces, left out unless `--verbose` asks for
//! everything), and stopping the toolchains under way when the host stops ([`stop_toolchains`]).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Shows toolchains' messages as they are (`--verbose`).
pub fn set_verbose(verbose: bool) {
    VERBOSE.store(verbose, Ordering::Relaxed);
}

/// Whether toolchains' messages are shown as they are.
pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// Runs `command` with its standard error read line by line and written to ours through
/// `rewrite` (which drops a line by returning `None`), unless [`verbose`]; its standard output
/// is left as the command has it. The status it ended with.
pub fn run(command: &mut Command, mut rewrite: impl FnMut(&str) -> Option<String>) -> std::io::Result<ExitStatus> {
    if verbose() {
        return Tracked::spawn(command)?.wait();
    }
    // Rust toolchains (componentize-py, cargo's build scripts) print backtraces when asked.
    command.env("RUST_BACKTRACE", "0").env("RUST_LIB_BACKTRACE", "0");
    let mut child = Tracked::spawn(command.stderr(Stdio::piped()))?;
    let stderr = child.take_stderr().expect("stderr is piped");
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Some(line) = rewrite(&line) {
            eprintln!("{line}");
        }
    }
    child.wait()
}

/// The toolchains running now, by process id.
static RUNNING: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Asks every toolchain under way to stop (SIGTERM): the host is stopping, and what they build
/// would not be used.
pub fn stop_toolchains() {
    for pid in crate::kernel::lock(&RUNNING).iter() {
        // SAFETY: `kill` only sends a signal; the process is a child this host started and has
        // not yet waited for, so its id is not reused.
        unsafe { libc::kill(*pid as libc::pid_t, libc::SIGTERM) };
    }
}

/// A toolchain's process, known to [`stop_toolchains`] until it has been waited for.
pub struct Tracked {
    /// The process, until it is waited for.
    child: Option<Child>,
    pid: u32,
}

impl Tracked {
    /// Starts `command`.
    pub fn spawn(command: &mut Command) -> std::io::Result<Tracked> {
        let child = command.spawn()?;
        let pid = child.id();
        crate::kernel::lock(&RUNNING).insert(pid);
        Ok(Tracked { child: Some(child), pid })
    }

    /// Waits for it to end.
    pub fn wait(mut self) -> std::io::Result<ExitStatus> {
        self.child.take().expect("waited for once").wait()
    }

    /// Waits for it to end, with what it wrote to its piped standard output and error.
    pub fn wait_with_output(mut self) -> std::io::Result<std::process::Output> {
        self.child.take().expect("waited for once").wait_with_output()
    }

    fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.as_mut()?.stderr.take()
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        crate::kernel::lock(&RUNNING).remove(&self.pid);
    }
}
