//! What the host tells about a running wos: its metrics ([`metrics`], in Prometheus's format)
//! on an admin listener of its own ([`admin`]), apart from the served interfaces; and its
//! spans and services' log lines, exported to an OpenTelemetry collector ([`otlp`]).
//!
//! A leaf: the runtime and the capabilities record into it; it knows nothing of them.

pub mod admin;
pub mod metrics;
pub mod otlp;

use std::sync::Arc;

/// Where a running wos records what it does: its metrics, always, and its spans and log
/// records when export is on. Cheap to clone.
#[derive(Clone, Default)]
pub struct Telemetry {
    pub metrics: Arc<metrics::Metrics>,
    pub export: Option<otlp::Exporter>,
}
