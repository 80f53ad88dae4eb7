//! What the host tells about a running wos: its metrics ([`metrics`], in Prometheus's format)
//! on an admin listener of its own ([`admin`]), apart from the served interfaces; its spans and
//! services' log lines, exported to an OpenTelemetry collector ([`otlp`]) and kept, the latest
//! of them, for the dashboard ([`recent`]); and the spans of a peer host's call, lent to it
//! ([`lent`]).
//!
//! A leaf: the runtime and the capabilities record into it; it knows nothing of them.

pub mod admin;
pub mod lent;
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
    /// `None` when neither export nor the dashboard is on, and no peer may ask for spans:
    /// then no span is even made.
    pub records: Option<Records>,
}

/// Where spans and log records go: the OTLP export, the dashboard's store of the latest, and
/// the taps of peers' calls (spans only).
#[derive(Clone)]
pub struct Records {
    export: Option<otlp::Exporter>,
    recent: Option<Arc<recent::Recent>>,
    taps: Option<Arc<lent::Taps>>,
}

impl Records {
    /// Records going to `export` and `recent`, and to peers that ask for their calls' spans
    /// if `lend`; `None` when none of them is.
    pub fn new(export: Option<otlp::Exporter>, recent: Option<Arc<recent::Recent>>, lend: bool) -> Option<Records> {
        let taps = lend.then(Arc::default);
        (export.is_some() || recent.is_some() || lend).then_some(Records { export, recent, taps })
    }

    /// Whether a span of `trace` goes anywhere: a host that only lends spans makes those of
    /// the traces its peers asked for.
    pub fn takes_span_of(&self, trace: u128) -> bool {
        self.export.is_some() || self.recent.is_some() || self.taps.as_ref().is_some_and(|taps| taps.taps(trace))
    }

    /// Whether log records go anywhere (they are never lent).
    pub fn takes_logs(&self) -> bool {
        self.export.is_some() || self.recent.is_some()
    }

    /// Whether this host keeps the spans of `trace` that a peer would lend: for its dashboard,
    /// or to lend them on to the peer that asked it.
    pub fn keeps_lent_spans_of(&self, trace: u128) -> bool {
        self.recent.is_some() || self.taps.as_ref().is_some_and(|taps| taps.taps(trace))
    }

    pub fn span(&self, span: SpanRecord) {
        if let Some(taps) = &self.taps {
            taps.span(&span);
        }
        if let Some(recent) = &self.recent {
            recent.span(&span);
        }
        if let Some(export) = &self.export {
            export.span(span);
        }
    }

    /// Keeps the spans a peer lent, for the dashboard and the taps, never for export (the peer
    /// exports its own).
    pub fn lent(&self, spans: Vec<SpanRecord>) {
        for span in spans {
            if let Some(taps) = &self.taps {
                taps.span(&span);
            }
            if let Some(recent) = &self.recent {
                recent.span(&span);
            }
        }
    }

    /// Opens a tap on the spans of `trace`, for the peer whose call asked for them; `None` on a
    /// host that lends none.
    pub fn tap(&self, trace: u128) -> Option<lent::Tap> {
        self.taps.as_ref().map(|taps| taps.open(trace))
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
