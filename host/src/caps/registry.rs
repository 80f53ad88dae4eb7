//! The one place that knows which capability serves which import: what `runtime` asks when it
//! loads a wos (the interfaces the host implements for each service, [`HostInterfaces`]), when
//! it links a service ([`link_imports`]) and when it starts one (its capability state,
//! [`prepare_services`]). `runtime` names no capability.
//!
//! Every service has the per-call context and logging, linked by [`super::add_to_linker`] with
//! WASI; what depends on the wos is linked here: a service's typed queries, the mocks of a
//! test wos, their controls and the test session (these three only under `parigot-host test`
//! and `call`: [`super::Capability::test_only`], checked with the grants by the graph).

use super::files::{self, OpenedGrants};
use super::log::{LogSink, ServiceLog};
use super::mocks::{self, MockBook, MockTable};
use super::sqlite::ServiceDatabase;
use super::sqlite::queries::{self, QuerySet};
use super::{ServiceCaps, View};
use crate::graph::OwnInterfaces;
use crate::kernel::blocking::BlockingPool;
use crate::manifest::{Manifest, ServiceSpec};
use crate::names::{InterfaceName, ServiceName};
use crate::surface::{InterfaceSig, Surface};
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::Result;
use wasmtime::component::Linker;
use wasmtime::error::Context;

/// What the host implements for the services of a wos, beyond what every service has: each
/// service's typed queries, and the mocked interfaces (with their controls) of a test wos.
pub struct HostInterfaces {
    /// The typed queries of each service whose database grant has them.
    pub queries: BTreeMap<ServiceName, Arc<QuerySet>>,
    /// The functions of each mocked interface (by path) that the services import, all
    /// importers' together.
    mocked: BTreeMap<String, InterfaceSig>,
}

impl HostInterfaces {
    /// Reads the typed queries of `manifest`'s services (checked against the generated WIT on
    /// disk) and gathers what its mocks must answer, from the services' `surfaces`.
    pub fn load(manifest: &Manifest, surfaces: &BTreeMap<ServiceName, Surface>) -> Result<HostInterfaces> {
        let mut queries = BTreeMap::new();
        for (name, spec) in &manifest.services {
            let Some(table) = &spec.sqlite else { continue };
            let set = crate::build::codegen::queries::load_current(name.as_str(), table, &manifest.path)
                .map_err(|why| wasmtime::format_err!("cannot load the typed queries of service `{name}`: {why}"))?;
            if let Some(set) = set {
                queries.insert(name.clone(), Arc::new(set));
            }
        }
        let mut mocked: BTreeMap<String, InterfaceSig> = BTreeMap::new();
        for surface in surfaces.values() {
            for (import, sig) in surface.imports.iter().filter(|(import, _)| mocks::mocks(&manifest.mocks, import)) {
                let merged = mocked.entry(import.path().to_owned()).or_default();
                for (name, function) in &sig.functions {
                    merged.functions.entry(name.clone()).or_insert_with(|| function.clone());
                }
            }
        }
        Ok(HostInterfaces { queries, mocked })
    }

    /// The interfaces the host implements for each service, with the types it expects (what
    /// the graph checks the services' imports against): typed queries, and the mocked
    /// interfaces and mock controls it imports.
    pub fn signatures(&self, manifest: &Manifest, surfaces: &BTreeMap<ServiceName, Surface>) -> OwnInterfaces {
        let mut own: OwnInterfaces = self
            .queries
            .iter()
            .map(|(name, set)| {
                (name.clone(), BTreeMap::from([(set.interface.clone(), InterfaceSig::of_queries(&set.queries))]))
            })
            .collect();
        // A mocked import, and the typed control of a mock, are the host's to answer, with the
        // types the importer expects.
        for (name, surface) in surfaces {
            let host_answers = |import: &InterfaceName| {
                manifest.mocks(import) || mocks::control::steered(&manifest.mocks, import).is_some()
            };
            for (import, sig) in surface.imports.iter().filter(|(import, _)| host_answers(import)) {
                own.entry(name.clone()).or_default().insert(import.clone(), sig.clone());
            }
        }
        own
    }
}

/// A service's imports, as [`link_imports`] needs them.
pub struct ServiceImports<'a> {
    pub service: &'a ServiceName,
    pub imports: &'a BTreeMap<InterfaceName, InterfaceSig>,
    /// Whether the service is a test component (`[tests.NAME]`).
    pub is_test: bool,
}

/// Links into `linker` the capabilities that `service` imports and the wos provides for it
/// alone (its typed queries; the mocks of `mocked` and their controls; the test session),
/// each reaching the calling instance through `view`.
pub fn link_imports<T: Send + 'static>(
    linker: &mut Linker<T>,
    service: &ServiceImports<'_>,
    host: &HostInterfaces,
    mocked: &MockTable,
    view: fn(&mut T) -> View<'_>,
) -> Result<()> {
    let name = service.service;
    if let Some(set) = host.queries.get(name)
        && let Some(import) = service.imports.keys().find(|import| **import == set.interface)
    {
        tracing::info!("linking `{name}`: `{import}` -> its typed queries");
        queries::add_to_linker(linker, &import.to_string(), set, view)?;
    }
    for (import, sig) in service.imports.iter().filter(|(import, _)| mocks::mocks(mocked, import)) {
        tracing::info!("linking `{name}`: `{import}` -> a mock");
        let functions: Vec<String> = sig.functions.keys().cloned().collect();
        mocks::add_mock_to_linker(linker, import, &functions, view)?;
    }
    if service.imports.keys().any(mocks::is_control) {
        mocks::add_control_to_linker(linker, view)?;
    }
    let session = InterfaceName::parse(super::session::INTERFACE).expect("a valid interface name");
    if service.imports.keys().any(|import| import.path() == session.path()) {
        if !service.is_test {
            wasmtime::bail!(
                "service `{name}` imports `{session}`, which lets its caller act as any user: only test components \
                 (`[tests.NAME]`) may import it; remove the import"
            );
        }
        super::session::add_to_linker(linker, view)?;
    }
    for (import, sig) in service.imports {
        let Some(target) = mocks::control::steered(mocked, import) else { continue };
        let Some(target_sig) = host.mocked.get(target.path()) else {
            wasmtime::bail!(
                "service `{name}` imports `{import}`, which steers the mock of `{target}`, but no service of the wos \
                 imports `{target}`; remove it from `[mocks]` or test a service that uses it"
            );
        };
        let functions: Vec<String> = sig.functions.keys().cloned().collect();
        mocks::add_typed_control_to_linker(linker, import, target, target_sig, &functions, view)
            .with_context(|| format!("cannot link service `{name}`"))?;
    }
    Ok(())
}

/// Prepares the capability state of `services` (in start-up order) of the wos `manifest`
/// before anything starts: their logs (to `log`, rate-limited unless `deterministic`), their
/// databases in `data_dir` (created, migrated), their granted folders (opened, and checked
/// against one another and against what no service may see), the wos's mocks.
pub fn prepare_services(
    manifest: &Manifest,
    services: &[(&ServiceName, &ServiceSpec)],
    data_dir: &std::path::Path,
    log: &Arc<dyn LogSink>,
    deterministic: bool,
) -> Result<Vec<Arc<ServiceCaps>>> {
    let files = prepare_files(manifest, services, data_dir)?;
    let sqlite_threads = BlockingPool::for_this_machine();
    let mocks = Arc::new(MockBook::new(&manifest.mocks));
    services
        .iter()
        .zip(files)
        .map(|((name, spec), files)| {
            let sqlite = spec
                .sqlite
                .as_ref()
                .map(|grant| ServiceDatabase::prepare(name.as_str(), data_dir, grant, sqlite_threads.clone()))
                .transpose()
                .map_err(|why| wasmtime::format_err!("cannot start service `{name}`: its database: {why}"))?;
            Ok(Arc::new(ServiceCaps {
                log: ServiceLog::new(name.as_str(), &spec.log, log.clone(), deterministic),
                sqlite,
                files,
                mocks: mocks.clone(),
            }))
        })
        .collect()
}

/// Opens every service's granted folders, once, and checks them against one another and
/// against what no service may see (the data folder `data_dir`, the peer secret, the TLS
/// files).
fn prepare_files(
    manifest: &Manifest,
    services: &[(&ServiceName, &ServiceSpec)],
    data_dir: &std::path::Path,
) -> Result<Vec<OpenedGrants>> {
    let opened = services
        .iter()
        .map(|(name, spec)| {
            files::prepare(&spec.files).map_err(|why| wasmtime::format_err!("cannot start service `{name}`: {why}"))
        })
        .collect::<Result<Vec<_>>>()?;
    if opened.iter().all(OpenedGrants::is_empty) {
        return Ok(opened);
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| wasmtime::format_err!("cannot create the data folder {}: {e}", data_dir.display()))?;
    let mut protected = vec![("the data folder (databases and users)", data_dir.to_owned())];
    if let Some(secret) = &manifest.auth.peer_secret_file {
        protected.push(("the peer secret (`[auth] peer-secret-file`)", secret.clone()));
    }
    if let Some(tls) = &manifest.serve.tls {
        protected.push(("the TLS certificate (`[serve] tls`)", tls.cert.clone()));
        protected.push(("the TLS key (`[serve] tls`)", tls.key.clone()));
    }
    let named: Vec<(&str, &OpenedGrants)> = services.iter().map(|(name, _)| name.as_str()).zip(&opened).collect();
    files::check_overlaps(&named, &protected)
        .map_err(|why| wasmtime::format_err!("cannot start wos `{}`: {why}", manifest.name))?;
    Ok(opened)
}
