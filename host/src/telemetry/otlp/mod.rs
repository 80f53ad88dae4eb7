//! OpenTelemetry export (OTLP over gRPC or HTTP/protobuf): the spans of the calls a wos serves
//! and makes, and its services' log lines, sent to a collector in batches.
//!
//! Recording never waits: a span or log record goes into a bounded queue, or, when the queue
//! is full (the collector is slow or down), is dropped and counted
//! (`parigot_telemetry_dropped_total{signal}`). One task takes records from the queue, gathers
//! up to [`config::MAX_BATCH`] of them (waiting at most the batch delay for more, woken early
//! only when a whole batch is waiting), and sends them, each export bounded by the timeout; a failed export is counted
//! (`parigot_telemetry_export_failures_total{signal}`) and its records are dropped.

pub mod config;
pub(crate) mod encode;
mod transport;

pub use config::{ExportConfig, Protocol, TelemetryTable};

use super::metrics::Metrics;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{Notify, mpsc, oneshot};

/// What a span is to its trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// A service handling a call (from a client, the host, or another service).
    Server,
    /// A call out of the host: to a remote host, or to a database.
    Client,
}

/// An attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Integer(i64),
    Real(f64),
    Boolean(bool),
}

/// One finished span.
#[derive(Debug, Clone)]
pub struct SpanRecord {
    /// The service it belongs to (its resource's `service.name`).
    pub service: Arc<str>,
    pub trace: u128,
    pub span: u64,
    pub parent: Option<u64>,
    pub name: String,
    pub kind: SpanKind,
    pub start: SystemTime,
    pub duration: Duration,
    /// Its attributes: keys of the host's own spans are static; those of spans a peer lent
    /// are read from the wire.
    pub attributes: Vec<(Cow<'static, str>, Value)>,
    /// Why it failed, if it did (its status is then `ERROR`).
    pub error: Option<String>,
}

/// How severe a log record is, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Severity {
    /// Every severity, least first.
    pub const ALL: [Severity; 5] = [Severity::Trace, Severity::Debug, Severity::Info, Severity::Warn, Severity::Error];

    /// Its lowercase name, as the wos and the log spell a level (`info`).
    pub fn name(self) -> &'static str {
        match self {
            Severity::Trace => "trace",
            Severity::Debug => "debug",
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }

    /// The severity named `name` (`info`).
    pub fn named(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|severity| severity.name() == name)
    }
}

/// One log line of a service.
#[derive(Debug, Clone)]
pub struct LogRecord {
    pub service: Arc<str>,
    pub time: SystemTime,
    pub severity: Severity,
    pub message: String,
    /// Its structured fields.
    pub fields: Vec<(String, Value)>,
    /// The call it was logged in: trace and span.
    pub call: Option<(u128, u64)>,
}

/// What the queue carries.
enum Item {
    Span(SpanRecord),
    Log(LogRecord),
    /// Answered once everything queued before it has been exported (or dropped).
    Flush(oneshot::Sender<()>),
}

/// Records spans and log records for export. Cheap to clone; made by [`Exporter::start`].
#[derive(Clone)]
pub struct Exporter {
    queue: mpsc::Sender<Item>,
    /// Wakes the export task early, when a batch is waiting (or a flush is asked for): it is
    /// not woken for each record, which would cost a task switch per span.
    batch_ready: Arc<Notify>,
    /// The queue's free room at which a batch is waiting.
    ready_below: usize,
    metrics: Arc<Metrics>,
    spans: bool,
    logs: bool,
}

impl Exporter {
    /// Starts exporting as `config` says, on the current tokio runtime; drops and failures
    /// are counted in `metrics`.
    pub fn start(config: ExportConfig, metrics: Arc<Metrics>) -> wasmtime::Result<Exporter> {
        let transport = transport::Transport::new(&config)?;
        let (queue, items) = mpsc::channel(config.max_queued);
        let batch_ready = Arc::new(Notify::new());
        let exporter = Exporter {
            queue,
            batch_ready: batch_ready.clone(),
            ready_below: config.max_queued.saturating_sub(config::MAX_BATCH).max(1),
            metrics: metrics.clone(),
            spans: config.traces.is_some(),
            logs: config.logs.is_some(),
        };
        tokio::spawn(export_batches(items, batch_ready, transport, config, metrics));
        Ok(exporter)
    }

    /// Queues `span`, or drops and counts it when the queue is full.
    pub fn span(&self, span: SpanRecord) {
        if self.spans {
            self.enqueue(Item::Span(span), "spans");
        }
    }

    /// Queues `record`, or drops and counts it when the queue is full.
    pub fn log(&self, record: LogRecord) {
        if self.logs {
            self.enqueue(Item::Log(record), "logs");
        }
    }

    fn enqueue(&self, item: Item, signal: &'static str) {
        if self.queue.try_send(item).is_err() {
            self.metrics.telemetry_dropped(signal);
        } else if self.queue.capacity() < self.ready_below {
            self.batch_ready.notify_one();
        }
    }

    /// Waits, at most `budget`, until everything recorded so far has been exported: what a
    /// stopping host does last.
    pub async fn flush(&self, budget: Duration) {
        let (done, exported) = oneshot::channel();
        let flushed = async {
            if self.queue.send(Item::Flush(done)).await.is_ok() {
                self.batch_ready.notify_one();
                let _ = exported.await;
            }
        };
        if tokio::time::timeout(budget, flushed).await.is_err() {
            tracing::warn!("stopped waiting for the OTLP export after {budget:?}: what was still queued is dropped");
        }
    }
}

/// The export task: gathers batches from `items` and sends them, until every [`Exporter`] is
/// gone. After the first record of a batch it sleeps until the batch delay has passed or
/// `batch_ready` says a whole batch (or a flush) is waiting, then takes what is queued.
async fn export_batches(
    mut items: mpsc::Receiver<Item>,
    batch_ready: Arc<Notify>,
    transport: transport::Transport,
    config: ExportConfig,
    metrics: Arc<Metrics>,
) {
    let mut failing = false;
    while let Some(first) = items.recv().await {
        let mut batch = Batch::default();
        batch.add(first);
        if batch.flushed.is_empty() {
            let _ = tokio::time::timeout(config.batch_delay, batch_ready.notified()).await;
        }
        while batch.len() < config::MAX_BATCH && batch.flushed.is_empty() {
            match items.try_recv() {
                Ok(item) => batch.add(item),
                Err(_) => break,
            }
        }
        for (signal, outcome) in batch.send(&transport, &config).await {
            match outcome {
                Ok(()) => failing = false,
                Err(why) => {
                    metrics.telemetry_export_failed(signal);
                    // Said once per run of failures, not once per batch.
                    if !std::mem::replace(&mut failing, true) {
                        tracing::warn!("cannot export {signal} over OTLP: {why}; they are dropped until it works");
                    }
                }
            }
        }
        for done in batch.flushed {
            let _ = done.send(());
        }
    }
}

/// Records gathered for one export.
#[derive(Default)]
struct Batch {
    spans: Vec<SpanRecord>,
    logs: Vec<LogRecord>,
    flushed: Vec<oneshot::Sender<()>>,
}

impl Batch {
    fn add(&mut self, item: Item) {
        match item {
            Item::Span(span) => self.spans.push(span),
            Item::Log(record) => self.logs.push(record),
            Item::Flush(done) => self.flushed.push(done),
        }
    }

    fn len(&self) -> usize {
        self.spans.len() + self.logs.len()
    }

    /// Sends the spans and the log records, both at once: how each export ended, by signal.
    async fn send(
        &mut self,
        transport: &transport::Transport,
        config: &ExportConfig,
    ) -> Vec<(&'static str, Result<(), String>)> {
        let spans = std::mem::take(&mut self.spans);
        let logs = std::mem::take(&mut self.logs);
        let spans = async {
            if spans.is_empty() {
                return None;
            }
            Some(("spans", transport.spans(encode::spans(spans, config), config.timeout).await))
        };
        let logs = async {
            if logs.is_empty() {
                return None;
            }
            Some(("logs", transport.logs(encode::logs(logs, config), config.timeout).await))
        };
        let (spans, logs) = tokio::join!(spans, logs);
        spans.into_iter().chain(logs).collect()
    }
}
