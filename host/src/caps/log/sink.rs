//! Where log lines go: to `tracing` (and so to the terminal or a log pipeline), or into a
//! [`LogCapture`] for assertions.

use super::{FieldValue, GUEST_TARGET, Level, render::LogFormat};
use crate::caps::context::TraceId;
use std::sync::Mutex;

/// One log line of a service.
#[derive(Debug)]
pub struct Record<'a> {
    pub service: &'a str,
    pub level: Level,
    pub message: &'a str,
    pub fields: &'a [(String, FieldValue)],
    /// The trace of the call it was logged in.
    pub trace_id: Option<TraceId>,
    pub request_id: Option<&'a str>,
}

/// Takes the log lines of services.
pub trait LogSink: Send + Sync {
    fn record(&self, record: &Record<'_>);
}

/// Hands lines to `tracing`, with the service, trace and request ids as fields and the
/// structured fields already rendered for `format` (the formatter prints them as they are).
pub struct TracingSink {
    pub format: LogFormat,
}

impl LogSink for TracingSink {
    fn record(&self, record: &Record<'_>) {
        let fields = match self.format {
            LogFormat::Text => super::render::text_fields(record.fields),
            LogFormat::Json => super::render::json_fields(record.fields),
        };
        let trace_id = record.trace_id.map(tracing::field::display);
        let (service, request_id, message) = (record.service, record.request_id, record.message);
        macro_rules! emit {
            ($level:expr) => {
                tracing::event!(target: GUEST_TARGET, $level, service, trace_id, request_id, fields, "{message}")
            };
        }
        match record.level {
            Level::Trace => emit!(tracing::Level::TRACE),
            Level::Debug => emit!(tracing::Level::DEBUG),
            Level::Info => emit!(tracing::Level::INFO),
            Level::Warn => emit!(tracing::Level::WARN),
            Level::Error => emit!(tracing::Level::ERROR),
        }
    }
}

/// Keeps every line, for a test to look at afterwards.
#[derive(Debug, Default)]
pub struct LogCapture {
    lines: Mutex<Vec<CapturedLine>>,
}

/// A line a [`LogCapture`] kept.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedLine {
    pub service: String,
    pub level: Level,
    pub message: String,
    pub fields: Vec<(String, FieldValue)>,
    pub trace_id: Option<String>,
    pub request_id: Option<String>,
}

impl LogCapture {
    /// The lines kept so far, in the order they were logged.
    pub fn lines(&self) -> Vec<CapturedLine> {
        self.lines.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl LogSink for LogCapture {
    fn record(&self, record: &Record<'_>) {
        let line = CapturedLine {
            service: record.service.to_owned(),
            level: record.level,
            message: record.message.to_owned(),
            fields: record.fields.to_vec(),
            trace_id: record.trace_id.map(|id| id.to_string()),
            request_id: record.request_id.map(str::to_owned),
        };
        self.lines.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }
}
