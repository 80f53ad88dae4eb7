//! What the host tells about a running wos: its metrics ([`metrics`], in Prometheus's format)
//! on an admin listener of its own ([`admin`]), apart from the served interfaces.

pub mod admin;
pub mod metrics;
