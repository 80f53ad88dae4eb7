//! Captures each service's stdout and stderr and writes them out line by line, prefixed with
//! the service's name, so that interleaved output from several services stays readable.
//!
//! Complete lines are handed, in the order the guests write them, to the host's console
//! ([`crate::kernel::console`]), whose one thread writes them: a guest's writes never block
//! an async worker on a slow terminal or pipe. A line longer than [`MAX_LINE`] is cut there
//! (written out with a mark), so a guest that never writes a newline cannot make the host
//! buffer without limit; past its `max-lines-per-second` a service's lines are dropped, and
//! the next one kept says how many.

use crate::caps::log::{Admission, FieldValue, Level, LineRate, LogSink, MAX_LINE, Record};
use crate::kernel::console::{self, Stream};
use bytes::Bytes;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// What ends a piece of a line that was cut at [`MAX_LINE`].
const CUT_MARK: &[u8] = crate::caps::log::CUT_MARK.as_bytes();

/// Where a captured stream goes.
#[derive(Clone)]
pub enum Destination {
    Stdout,
    Stderr,
    /// Into the log, as lines of `service` with the field `stream` (for JSON logs, where every
    /// line of the host and its guests is one object in one stream).
    Log {
        service: Arc<str>,
        stream: &'static str,
        sink: Arc<dyn LogSink>,
    },
}

/// One service's stdout or stderr: complete lines are written out as they arrive, prefixed
/// with `prefix`; a trailing partial line is written by [`ServiceOutput::flush`].
#[derive(Clone)]
pub struct ServiceOutput {
    inner: Arc<Mutex<LineBuffer>>,
}

struct LineBuffer {
    prefix: String,
    destination: Destination,
    pending: Vec<u8>,
    /// The service's rate of lines (none in deterministic runs).
    rate: Option<LineRate>,
}

impl ServiceOutput {
    /// Captures a stream whose lines will be written to `destination` after `prefix`, at most
    /// `rate` lines a second if given.
    pub fn new(prefix: String, destination: Destination, rate: Option<LineRate>) -> Self {
        let buffer = LineBuffer { prefix, destination, pending: Vec::new(), rate };
        ServiceOutput { inner: Arc::new(Mutex::new(buffer)) }
    }

    /// Writes out a trailing line that has no newline yet, and says how many lines the
    /// service's rate dropped since the last one written.
    pub fn flush(&self) {
        let mut buffer = self.lock();
        if !buffer.pending.is_empty() {
            buffer.write_line(b"");
        }
        let dropped = buffer.rate.as_mut().map_or(0, LineRate::take_dropped);
        buffer.note_dropped(dropped);
    }

    fn write(&self, bytes: &[u8]) {
        let mut buffer = self.lock();
        let mut rest = bytes;
        while !rest.is_empty() {
            // Only the new bytes are searched: `pending` never holds a newline.
            match rest.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    buffer.append(&rest[..end]);
                    buffer.write_line(b"");
                    rest = &rest[end + 1..];
                }
                None => {
                    buffer.append(rest);
                    rest = &[];
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LineBuffer> {
        // A poisoned lock only means another writer panicked mid-line; the bytes are still fine.
        crate::kernel::lock(&self.inner)
    }
}

impl LineBuffer {
    /// Adds bytes of the line under way (no newline among them), writing out a piece with a
    /// mark each time the line reaches [`MAX_LINE`].
    fn append(&mut self, mut bytes: &[u8]) {
        while self.pending.len() + bytes.len() > MAX_LINE {
            let (head, tail) = bytes.split_at(MAX_LINE - self.pending.len());
            self.pending.extend_from_slice(head);
            self.write_line(CUT_MARK);
            bytes = tail;
        }
        self.pending.extend_from_slice(bytes);
    }

    /// Writes out the line under way, followed by `suffix`, and starts a new one, unless the
    /// service's rate drops it.
    fn write_line(&mut self, suffix: &[u8]) {
        let dropped_before = match self.rate.as_mut().map_or(Admission::Keep { dropped_before: 0 }, LineRate::admit) {
            Admission::Keep { dropped_before } => dropped_before,
            Admission::Drop => {
                self.pending.clear();
                return;
            }
        };
        self.note_dropped(dropped_before);
        let line = std::mem::take(&mut self.pending);
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        self.emit(line, suffix);
    }

    /// Says that `dropped` lines were dropped, if any were.
    fn note_dropped(&self, dropped: u64) {
        if dropped > 0 {
            let note =
                format!("[dropped {dropped} line(s) of this service: it wrote more than its `max-lines-per-second`]");
            self.emit(note.as_bytes(), b"");
        }
    }

    /// Writes out `line` followed by `suffix`.
    fn emit(&self, line: &[u8], suffix: &[u8]) {
        let mut text = Vec::with_capacity(self.prefix.len() + line.len() + suffix.len() + 1);
        if let Destination::Log { service, stream, sink } = &self.destination {
            let mut message = String::from_utf8_lossy(line).into_owned();
            message.push_str(&String::from_utf8_lossy(suffix));
            let fields = [("stream".to_owned(), FieldValue::Text((*stream).to_owned()))];
            let record = Record {
                service,
                level: Level::Info,
                message: &message,
                fields: &fields,
                trace_id: None,
                request_id: None,
            };
            sink.record(&record);
            return;
        }
        text.extend_from_slice(self.prefix.as_bytes());
        text.extend_from_slice(line);
        text.extend_from_slice(suffix);
        text.push(b'\n');
        let stream = if matches!(self.destination, Destination::Stdout) { Stream::Stdout } else { Stream::Stderr };
        console::write(stream, text);
    }
}

impl IsTerminal for ServiceOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for ServiceOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for ServiceOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        ServiceOutput::write(self, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(()) // complete lines are already written; partial lines wait for their newline
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(64 * 1024)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for ServiceOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for ServiceOutput {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        ServiceOutput::write(&self, buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
