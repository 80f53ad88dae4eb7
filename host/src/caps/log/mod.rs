//! Logging (`parigot:log`, and `wasi:logging` for components written for other hosts): a
//! guest's levelled, structured lines, rendered by the host with the service's name and the
//! trace id of the call they were logged in.
//!
//! Lines go to a [`LogSink`]: [`TracingSink`] hands them to `tracing`, whose formatter
//! ([`render`]) prints them, and the host's own lines, as text or JSON; [`LogCapture`] keeps
//! them for assertions. A service cannot flood the host: lines over its level are dropped,
//! each line is bounded ([`MAX_LINE`]), and past its rate (`max-lines-per-second`) lines are
//! dropped and counted.

mod host;
pub mod render;
mod sink;

pub use sink::{CapturedLine, LogCapture, LogSink, Record, TracingSink};

use crate::kernel::lock;
use crate::telemetry::Records;
use crate::telemetry::otlp::{self, LogRecord, Severity};
use serde::Deserialize;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The capability: every service may log, into its own [`ServiceLog`].
pub struct Log;

impl super::Unit for Log {
    const ABOUT: super::Capability = super::Capability {
        name: "logging",
        interfaces: &["parigot:log/log@0.1.0", "wasi:logging/logging@0.1.0-draft"],
        grant_key: None,
        test_only: false,
    };
    type Service = ServiceLog;
    type Instance = ();

    fn prepare(wos: &super::WosPlan<'_>, start: &super::Start<'_>) -> wasmtime::Result<Vec<ServiceLog>> {
        let log = |service: &super::ServicePlan<'_>| {
            ServiceLog::new(service.name.as_str(), service.log, start.log.clone(), start.deterministic)
                .recorded_in(start.telemetry.records.clone().filter(|records| records.takes_logs()))
        };
        Ok(wos.services.iter().map(log).collect())
    }

    fn link<T: Send + 'static>(
        linker: &mut wasmtime::component::Linker<T>,
        _wos: &super::WosPlan<'_>,
        _service: &super::ServicePlan<'_>,
        view: fn(&mut T) -> super::View<'_, Self>,
    ) -> wasmtime::Result<()> {
        super::bindings::log::add_to_linker::<T, super::Scoped<Self>>(linker, view)?;
        super::bindings::wasi_logging::add_to_linker::<T, super::Scoped<Self>>(linker, view)
    }
}

/// The `tracing` target of guests' lines (the host's own lines have their module's).
pub const GUEST_TARGET: &str = "parigot::guest";

/// The longest line kept whole (a log message, or a line of a guest's stdout or stderr);
/// longer ones are cut there, with [`CUT_MARK`].
pub const MAX_LINE: usize = 64 * 1024;

/// What ends a line that was cut at [`MAX_LINE`].
pub const CUT_MARK: &str = " [line cut at 64 KiB]";

/// Lines a service may log per second when the wos does not say.
pub const DEFAULT_MAX_LINES_PER_SECOND: u32 = 1000;

/// How important a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    /// The level as an exported log record's severity.
    fn severity(self) -> Severity {
        match self {
            Level::Trace => Severity::Trace,
            Level::Debug => Severity::Debug,
            Level::Info => Severity::Info,
            Level::Warn => Severity::Warn,
            Level::Error => Severity::Error,
        }
    }

    /// The lowercase name, as JSON lines and the wos spell it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// The value of a structured field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    Integer(i64),
    Real(f64),
    Boolean(bool),
}

impl FieldValue {
    /// The value as an exported log record's attribute.
    fn exported(&self) -> otlp::Value {
        match self {
            FieldValue::Text(text) => otlp::Value::Text(text.clone()),
            FieldValue::Integer(n) => otlp::Value::Integer(*n),
            FieldValue::Real(x) => otlp::Value::Real(*x),
            FieldValue::Boolean(b) => otlp::Value::Boolean(*b),
        }
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Text(text) => write!(f, "{text:?}"),
            FieldValue::Integer(n) => write!(f, "{n}"),
            FieldValue::Real(x) => write!(f, "{x}"),
            FieldValue::Boolean(b) => write!(f, "{b}"),
        }
    }
}

impl FieldValue {
    /// About how long the value is once rendered (a text's length; at most 24 for the rest),
    /// without rendering it.
    fn rendered_len(&self) -> usize {
        match self {
            FieldValue::Text(text) => text.len() + 2,
            FieldValue::Integer(_) | FieldValue::Real(_) | FieldValue::Boolean(_) => 24,
        }
    }
}

/// A service's log settings: `[log]` for the whole wos, `[services.NAME.log]` for one service
/// (each key its own, else the wos's, else the default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LogTable {
    /// `level`: the least important level kept (default `info`).
    pub level: Option<Level>,
    /// `max-lines-per-second`: past it, lines are dropped and counted (default 1000).
    pub max_lines_per_second: Option<u32>,
}

/// A service's resolved log settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSettings {
    pub level: Level,
    pub max_lines_per_second: u32,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings { level: Level::Info, max_lines_per_second: DEFAULT_MAX_LINES_PER_SECOND }
    }
}

impl LogSettings {
    /// The settings of a service whose own table is `own`, in a wos whose `[log]` is `wos`.
    pub fn resolve(own: &LogTable, wos: &LogTable) -> Result<LogSettings, String> {
        let defaults = LogSettings::default();
        let max_lines_per_second =
            own.max_lines_per_second.or(wos.max_lines_per_second).unwrap_or(defaults.max_lines_per_second);
        if max_lines_per_second == 0 {
            return Err("`max-lines-per-second = 0` would drop every log line; give at least 1".into());
        }
        Ok(LogSettings { level: own.level.or(wos.level).unwrap_or(defaults.level), max_lines_per_second })
    }
}

/// One service's logging: its name, level, rate limit and sink.
pub struct ServiceLog {
    service: Arc<str>,
    level: Level,
    /// `None` in deterministic mode, where a limit by wall-clock time would make output depend
    /// on speed.
    limit: Option<Mutex<LineRate>>,
    sink: Arc<dyn LogSink>,
    /// Where its lines are recorded too (export, the dashboard), when anything takes them.
    records: Option<Records>,
}

/// A service's rate of lines (log lines, or lines of its stdout or stderr): a token bucket of
/// `max-lines-per-second` lines a second, bursts up to as many.
#[derive(Debug)]
pub struct LineRate {
    per_second: f64,
    tokens: f64,
    refilled: Instant,
    /// Lines dropped since the last one that was kept.
    dropped: u64,
}

impl LineRate {
    /// A full bucket of `per_second` lines a second.
    pub fn new(per_second: u32) -> LineRate {
        let per_second = f64::from(per_second);
        LineRate { per_second, tokens: per_second, refilled: Instant::now(), dropped: 0 }
    }

    /// Takes a token for one more line, if there is one.
    pub fn admit(&mut self) -> Admission {
        let now = Instant::now();
        let refill = now.duration_since(self.refilled).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.per_second);
        self.refilled = now;
        if self.tokens < 1.0 {
            self.dropped += 1;
            return Admission::Drop;
        }
        self.tokens -= 1.0;
        Admission::Keep { dropped_before: self.take_dropped() }
    }

    /// The lines dropped since the last one kept, counting afresh from now.
    pub fn take_dropped(&mut self) -> u64 {
        std::mem::take(&mut self.dropped)
    }
}

impl ServiceLog {
    /// The logging of `service` with `settings`, to `sink`; rate limited unless the run is
    /// deterministic (a limit by wall-clock time would make its output depend on speed).
    pub fn new(service: &str, settings: &LogSettings, sink: Arc<dyn LogSink>, deterministic: bool) -> ServiceLog {
        let limit = (!deterministic).then(|| Mutex::new(LineRate::new(settings.max_lines_per_second)));
        ServiceLog { service: service.into(), level: settings.level, limit, sink, records: None }
    }

    /// This logging, its lines recorded in `records` too.
    pub fn recorded_in(self, records: Option<Records>) -> ServiceLog {
        ServiceLog { records, ..self }
    }

    /// Whether a line at `level` would be kept.
    pub fn enabled(&self, level: Level) -> bool {
        level >= self.level
    }

    /// Logs a line of this service, if its level and rate allow.
    pub fn log(
        &self,
        level: Level,
        message: &str,
        fields: &[(String, FieldValue)],
        call: Option<&super::context::Pctx>,
    ) {
        if !self.enabled(level) {
            return;
        }
        let Admission::Keep { dropped_before } = self.admit() else { return };
        if dropped_before > 0 {
            let note = format!(
                "dropped {dropped_before} log line(s) of this service: it logged more than its `max-lines-per-second`"
            );
            self.emit(Level::Warn, &note, &[], call);
        }
        let (message, fields) = bounded(message, fields);
        self.emit(level, &message, fields, call);
    }

    /// Takes a token from the rate limit, if there is one.
    fn admit(&self) -> Admission {
        match &self.limit {
            Some(limit) => lock(limit).admit(),
            None => Admission::Keep { dropped_before: 0 },
        }
    }

    fn emit(&self, level: Level, message: &str, fields: &[(String, FieldValue)], call: Option<&super::context::Pctx>) {
        self.sink.record(&Record {
            service: &self.service,
            level,
            message,
            fields,
            trace_id: call.map(|pctx| pctx.trace.id),
            request_id: call.map(|pctx| &*pctx.trace.request_id),
        });
        if let Some(records) = &self.records {
            records.log(LogRecord {
                service: self.service.clone(),
                time: std::time::SystemTime::now(),
                severity: level.severity(),
                message: message.to_owned(),
                fields: fields.iter().map(|(key, value)| (key.clone(), value.exported())).collect(),
                call: call.map(|pctx| (pctx.trace.id.0, pctx.span.0)),
            });
        }
    }
}

/// Whether the rate limit lets a line through.
pub enum Admission {
    /// Keep it; `dropped_before` lines were dropped since the last one kept.
    Keep {
        dropped_before: u64,
    },
    Drop,
}

/// `message` cut at [`MAX_LINE`], and as many of `fields` as fit in [`MAX_LINE`] with it.
fn bounded<'m, 'f>(
    message: &'m str,
    fields: &'f [(String, FieldValue)],
) -> (std::borrow::Cow<'m, str>, &'f [(String, FieldValue)]) {
    let message = cut_line(message);
    let mut used = message.len();
    let kept = fields
        .iter()
        .take_while(|(key, value)| {
            used += key.len() + 1 + value.rendered_len();
            used <= MAX_LINE
        })
        .count();
    (message, &fields[..kept])
}

/// `line` cut at [`MAX_LINE`] (on a character boundary), with [`CUT_MARK`], if it is longer.
pub fn cut_line(line: &str) -> std::borrow::Cow<'_, str> {
    if line.len() <= MAX_LINE {
        return line.into();
    }
    let end = (0..=MAX_LINE).rev().find(|&i| line.is_char_boundary(i)).unwrap_or(0);
    format!("{}{CUT_MARK}", &line[..end]).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(settings: LogSettings, deterministic: bool) -> (Arc<LogCapture>, ServiceLog) {
        let capture = Arc::new(LogCapture::default());
        let log = ServiceLog::new("svc", &settings, capture.clone(), deterministic);
        (capture, log)
    }

    #[test]
    fn lines_below_the_services_level_are_dropped() {
        let (capture, log) = capture(LogSettings { level: Level::Warn, ..LogSettings::default() }, false);
        log.log(Level::Info, "quiet", &[], None);
        log.log(Level::Error, "loud", &[], None);
        let lines = capture.lines();
        assert_eq!(lines.iter().map(|l| l.message.as_str()).collect::<Vec<_>>(), ["loud"]);
        assert!(!log.enabled(Level::Debug) && log.enabled(Level::Warn));
    }

    #[test]
    fn past_its_rate_a_service_loses_lines_and_is_told_how_many() {
        let (capture, log) = capture(LogSettings { max_lines_per_second: 5, ..LogSettings::default() }, false);
        for i in 0..20 {
            log.log(Level::Info, &format!("line {i}"), &[], None);
        }
        assert_eq!(capture.lines().len(), 5);
        // A second later the bucket is full again, and the next line says what was lost.
        lock(log.limit.as_ref().unwrap()).refilled -= std::time::Duration::from_secs(1);
        log.log(Level::Info, "after", &[], None);
        let lines = capture.lines();
        assert_eq!(lines.len(), 7);
        assert!(lines[5].message.starts_with("dropped 15 log line(s)"), "{:?}", lines[5]);
        assert_eq!(lines[5].level, Level::Warn);
        assert_eq!(lines[6].message, "after");
    }

    #[test]
    fn deterministic_runs_have_no_rate_limit() {
        let (capture, log) = capture(LogSettings { max_lines_per_second: 1, ..LogSettings::default() }, true);
        for _ in 0..10 {
            log.log(Level::Info, "again", &[], None);
        }
        assert_eq!(capture.lines().len(), 10);
    }

    #[test]
    fn a_long_line_is_cut_and_fields_past_the_bound_are_left_out() {
        let (capture, log) = capture(LogSettings::default(), true);
        let field = ("big".to_owned(), FieldValue::Text("y".repeat(MAX_LINE)));
        log.log(Level::Info, &"é".repeat(MAX_LINE), &[field], None);
        let line = &capture.lines()[0];
        assert!(line.message.ends_with(CUT_MARK) && line.message.len() <= MAX_LINE + CUT_MARK.len());
        assert!(line.fields.is_empty());
    }

    #[test]
    fn settings_come_from_the_service_then_the_wos_then_the_defaults() {
        let own = LogTable { level: Some(Level::Debug), max_lines_per_second: None };
        let wos = LogTable { level: Some(Level::Error), max_lines_per_second: Some(50) };
        let settings = LogSettings::resolve(&own, &wos).unwrap();
        assert_eq!(settings, LogSettings { level: Level::Debug, max_lines_per_second: 50 });
        assert_eq!(LogSettings::resolve(&LogTable::default(), &LogTable::default()).unwrap(), LogSettings::default());
    }
}
