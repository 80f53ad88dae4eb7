//! The host's stdout and stderr: one thread writes them, and everything else (the host's log,
//! guests' log lines, their stdout and stderr) hands it whole lines through a bounded queue.
//! A guest writing, or a terminal or pipe that reads slowly, therefore never blocks an async
//! worker, and what waits to be written is bounded.
//!
//! When the queue is full, a line is either dropped (counted, and the next line written says
//! how many were lost) or waited for, as [`set_policy`] says: dropping keeps the host
//! responsive, which serving needs; waiting keeps every byte in order whatever the speed,
//! which deterministic runs need (their output must not depend on timing). Waiting is the
//! default. One writer keeps the order of lines as they were handed over.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Lines that may wait for the writer.
const QUEUE: usize = 4096;

/// Which of the host's streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// What the writer is handed.
enum Job {
    Write(Stream, Vec<u8>),
    /// Everything handed over before this has been written: tell the sender.
    Drained(SyncSender<()>),
}

struct Console {
    queue: SyncSender<Job>,
    /// Lines dropped since the last one written, by stream.
    dropped: [AtomicU64; 2],
}

static CONSOLE: OnceLock<Console> = OnceLock::new();

/// Whether a full queue drops lines (else the writer waits).
static DROP_WHEN_FULL: AtomicBool = AtomicBool::new(false);

/// Whether lines are dropped (`true`) or waited for (`false`, the default) when the writer
/// falls behind by a full queue.
pub fn set_policy(drop_when_full: bool) {
    DROP_WHEN_FULL.store(drop_when_full, Ordering::Release);
}

fn console() -> &'static Console {
    CONSOLE.get_or_init(|| {
        let (queue, jobs) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("parigot-console".into())
            .spawn(move || write_all(jobs))
            .expect("the host can start its console thread");
        Console { queue, dropped: [AtomicU64::new(0), AtomicU64::new(0)] }
    })
}

/// Hands `bytes` (one or more whole lines) to the writer of `stream`.
pub fn write(stream: Stream, bytes: Vec<u8>) {
    let console = console();
    if !DROP_WHEN_FULL.load(Ordering::Acquire) {
        let _ = console.queue.send(Job::Write(stream, bytes));
        return;
    }
    match console.queue.try_send(Job::Write(stream, bytes)) {
        Ok(()) | Err(TrySendError::Disconnected(_)) => {}
        Err(TrySendError::Full(_)) => {
            console.dropped[stream as usize].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Waits (at most `patience`) until every line handed over so far has been written: before
/// the process exits.
pub fn drain(patience: Duration) {
    let Some(console) = CONSOLE.get() else { return };
    let (done, written) = sync_channel(1);
    if console.queue.send(Job::Drained(done)).is_ok() {
        let _ = written.recv_timeout(patience);
    }
}

/// The writer: writes each line to its stream, after a note of the lines dropped before it.
fn write_all(jobs: Receiver<Job>) {
    let console = console();
    for job in jobs {
        match job {
            Job::Write(stream, bytes) => {
                let dropped = console.dropped[stream as usize].swap(0, Ordering::Relaxed);
                let note = (dropped > 0).then(|| {
                    format!("[parigot: {dropped} line(s) dropped here: the output was not read fast enough]\n")
                });
                // A closed stdout or stderr must not stop the host.
                let _ = match stream {
                    Stream::Stdout => emit(&mut std::io::stdout().lock(), note.as_deref(), &bytes),
                    Stream::Stderr => emit(&mut std::io::stderr().lock(), note.as_deref(), &bytes),
                };
            }
            Job::Drained(done) => {
                let _ = done.send(());
            }
        }
    }
}

fn emit(out: &mut impl std::io::Write, note: Option<&str>, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(note) = note {
        out.write_all(note.as_bytes())?;
    }
    out.write_all(bytes)?;
    out.flush()
}

/// A writer for the host's log (`tracing`): each formatted line goes to the console's stderr.
#[derive(Debug, Default)]
pub struct StderrLines {
    pending: Mutex<Vec<u8>>,
}

impl std::io::Write for &StderrLines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut pending = crate::kernel::lock(&self.pending);
        pending.extend_from_slice(bytes);
        if let Some(end) = pending.iter().rposition(|&b| b == b'\n') {
            let rest = pending.split_off(end + 1);
            write(Stream::Stderr, std::mem::replace(&mut *pending, rest));
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for StderrLines {
    type Writer = &'a StderrLines;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}
