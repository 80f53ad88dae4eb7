//! What the capabilities are told of a wos: each service's part of the wos.toml that concerns
//! them, its imports, and what the wos defines for the host to implement (typed queries,
//! mocks). The registry ([`crate::registry`]) makes it from the manifest, so that no
//! capability reads the manifest.

use super::files::FileGrant;
use super::log::{LogSettings, LogSink};
use super::mocks::MockTable;
use super::sqlite::SqliteTable;
use super::sqlite::queries::QuerySet;
use crate::names::{InterfaceName, ServiceName};
use crate::surface::InterfaceSig;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A wos, as the capabilities see it.
pub struct WosPlan<'a> {
    /// Its name, for messages.
    pub name: &'a str,
    /// Its services, in start-up order.
    pub services: Vec<ServicePlan<'a>>,
    /// Its mocks (`[mocks]`, tests only).
    pub mocks: &'a MockTable,
    /// The functions of each mocked interface (by path) that its services import, all
    /// importers' together.
    pub mocked: &'a BTreeMap<String, InterfaceSig>,
    /// Files no grant may reach, each with what it is: the peer secret, the TLS files.
    pub protected: Vec<(&'static str, PathBuf)>,
}

/// One service of a wos, as the capabilities see it.
pub struct ServicePlan<'a> {
    pub name: &'a ServiceName,
    /// Whether it is a test component (`[tests.NAME]`).
    pub is_test: bool,
    /// What its component imports.
    pub imports: &'a BTreeMap<InterfaceName, InterfaceSig>,
    /// `[services.NAME.log]`.
    pub log: &'a LogSettings,
    /// `[services.NAME.sqlite]`, its database grant.
    pub sqlite: Option<&'a SqliteTable>,
    /// The typed queries of its database grant, read and checked against their generated WIT.
    pub queries: Option<&'a Arc<QuerySet>>,
    /// `[services.NAME.files]`, its granted folders.
    pub files: &'a [FileGrant],
}

impl ServicePlan<'_> {
    /// Whether the service imports the test-only `interface` (any version), which `gives`
    /// what only a test may have (`which lets its caller act as any user`); an error naming
    /// both when the service is no test component.
    pub fn imports_test_only(&self, interface: &str, gives: &str) -> wasmtime::Result<bool> {
        let path = interface.split('@').next();
        if !self.imports.keys().any(|import| Some(import.path()) == path) {
            return Ok(false);
        }
        if !self.is_test {
            wasmtime::bail!(
                "service `{}` imports `{interface}`, {gives}: only test components (`[tests.NAME]`) may import \
                 it; remove the import",
                self.name
            );
        }
        Ok(true)
    }
}

/// How a wos starts.
pub struct Start<'a> {
    /// Where its databases and users are.
    pub data_dir: &'a Path,
    /// Where its services' log lines go.
    pub log: &'a Arc<dyn LogSink>,
    /// Whether it runs deterministically (no limits by wall-clock time).
    pub deterministic: bool,
    /// Where statements' durations and spans, and log records for export, go.
    pub telemetry: &'a crate::telemetry::Telemetry,
    /// The faults a simulation injects (into statements).
    pub faults: Option<&'a Arc<crate::sim::Faults>>,
}
