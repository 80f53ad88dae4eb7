//! What the host tells about a running wos: its metrics ([`metrics`], in Prometheus's format)
//! on an admin listener of its own ([`admin`]), apart from the served interfaces; its spans and
//! services' log lines, exported to an OpenTelemetry collector ([`otlp`]) and kept, the latest
//! of them, for the dashboard ([`recent`]).
//!
//! A leaf: the runtime and the capabilities record into it; it knows nothing of them.

pub mod admin;
pub mod metrics;
pub mod otlp;
pub mod recent;

use otlp::{LogRecord, SpanRecord};
use std::sync::Arc;

/// Where a running wos records what it does: its metrics, always, and its spans and log
/// records when something takes them. Cheap to clone.
#[derive(Clone, Default)]
pub struct Telemetry {
    pub metrics: Arc<metrics::Metrics>,
    /// `None` when neither export nor the dashboard is on: then no span is even made.
    pub records: Option<Records>,
}

/// Where spans and log records go: the OTLP export, the dashboard's store of the latest, or
/// both.
#[derive(Clone)]
pub struct Records {
    export: Option<otlp::Exporter>,
    recent: Option<Arc<recent::Recent>>,
}

impl Records {
    /// Records going to `export` and `recent`; `None` when both are.
    pub fn new(export: Option<otlp::Exporter>, recent: Option<Arc<recent::Recent>>) -> Option<Records> {
        (export.is_some() || recent.is_some()).then_some(Records { export, recent })
    }

    pub fn span(&self, span: SpanRecord) {
        if let Some(recent) = &self.recent {
            recent.span(&span);
        }
        if let Some(export) = &self.export {
            export.span(span);
        }
    }

    pub fn log(&self, record: LogRecord) {
        if let Some(recent) = &self.recent {
            recent.log(&record);
        }
        if let Some(export) = &self.export {
            export.log(record);
        }
    }

    /// Waits, at most `budget`, until what was recorded has been exported.
    pub async fn flush(&self, budget: std::time::Duration) {
        if let Some(export) = &self.export {
            export.flush(budget).await;
        }
    }
}
