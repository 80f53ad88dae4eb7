//! What a toolchain says, as the author of the service should see it: the paths of the copies a
//! build works on replaced by the files the author edits, and the toolchain's own insides (its
//! launcher's traceback, its backtraces) left out, unless `--verbose` asks for everything.

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitStatus, Stdio};
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
        return command.status();
    }
    // Rust toolchains (componentize-py, cargo's build scripts) print backtraces when asked.
    command.env("RUST_BACKTRACE", "0").env("RUST_LIB_BACKTRACE", "0");
    let mut child = command.stderr(Stdio::piped()).spawn()?;
    let stderr = child.stderr.take().expect("stderr is piped");
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Some(line) = rewrite(&line) {
            eprintln!("{line}");
        }
    }
    child.wait()
}
