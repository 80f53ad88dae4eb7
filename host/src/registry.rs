//! Where the capabilities ([`crate::caps`]) meet a wos: what the host implements for each
//! service beyond what every service has ([`HostInterfaces`]: typed queries, read against
//! their generated WIT; mocked interfaces), and the [`WosPlan`] the capabilities are prepared
//! and linked from. The runtime asks this module, and names no capability.

use crate::caps::mocks;
use crate::caps::sqlite::queries::QuerySet;
use crate::caps::{ServicePlan, WosPlan};
use crate::graph::OwnInterfaces;
use crate::manifest::{Manifest, ServiceSpec};
use crate::names::{InterfaceName, ServiceName};
use crate::surface::{InterfaceSig, Surface};
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::Result;

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

    /// The plan of `manifest`'s `services` (in start-up order, each with its spec and the
    /// imports of its component) that the capabilities are prepared and linked from.
    pub fn plan<'a>(
        &'a self,
        manifest: &'a Manifest,
        services: impl IntoIterator<Item = (&'a ServiceName, &'a ServiceSpec, &'a BTreeMap<InterfaceName, InterfaceSig>)>,
    ) -> WosPlan<'a> {
        let service = |(name, spec, imports): (&'a ServiceName, &'a ServiceSpec, _)| ServicePlan {
            name,
            is_test: manifest.tests.contains_key(name),
            imports,
            log: &spec.log,
            sqlite: spec.sqlite.as_ref(),
            queries: self.queries.get(name),
            files: &spec.files,
        };
        let mut protected = Vec::new();
        if let Some(secret) = &manifest.auth.peer_secret_file {
            protected.push(("the peer secret (`[auth] peer-secret-file`)", secret.clone()));
        }
        if let Some(tls) = &manifest.serve.tls {
            protected.push(("the TLS certificate (`[serve] tls`)", tls.cert.clone()));
            protected.push(("the TLS key (`[serve] tls`)", tls.key.clone()));
        }
        WosPlan {
            name: &manifest.name,
            services: services.into_iter().map(service).collect(),
            mocks: &manifest.mocks,
            mocked: &self.mocked,
            protected,
        }
    }
}
