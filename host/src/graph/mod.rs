//! The resolved application: which service provides each imported interface, whether the
//! types agree, and the order in which services start.
//!
//! Input is the manifest plus each service's [`Surface`] (read from its component); output is
//! a [`Plan`] or a [`LinkError`] that says what is wrong and how to fix it. Nothing here
//! instantiates anything: the runtime, the composer and the wire layer all build on the same
//! plan and the same checks.

#![allow(
    clippy::result_large_err,
    reason = "link errors are built once, on the way out; keeping them plain values keeps them easy to match in tests"
)]

use crate::manifest::{Manifest, RemoteSpec};

use crate::names::{InterfaceName, ServiceName};
use crate::surface::{FuncSig, InterfaceSig, Surface, ValType};
use std::collections::{BTreeMap, BTreeSet};

/// Interfaces in these namespaces are provided by the host, not by services.
const HOST_NAMESPACES: &[&str] = &["wasi"];

/// A wos whose imports are all satisfied and whose services can start in `order`.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Start-up order: every provider before the services that import from it; ties by name.
    pub order: Vec<ServiceName>,
    /// Service-to-service links, ordered by consumer and then interface.
    pub links: Vec<Link>,
    /// The wos's public interfaces, each with the service that exports it, in manifest order.
    pub exports: Vec<PublicExport>,
    /// Imports bound to other parigot hosts, ordered by consumer and then interface.
    pub remotes: Vec<RemoteLink>,
}

/// One import of one service satisfied by another parigot host over gRPC.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteLink {
    pub consumer: ServiceName,
    /// The interface as the consumer imports it.
    pub import: InterfaceName,
    pub remote: RemoteSpec,
    /// The functions the consumer imports, by name.
    pub functions: BTreeMap<String, FuncSig>,
}

/// A public interface of the wos and the service behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicExport {
    /// The interface as the provider exports it.
    pub interface: InterfaceName,
    pub provider: ServiceName,
}

/// One import of one service satisfied by another service's export.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub consumer: ServiceName,
    /// The interface as the consumer imports it.
    pub import: InterfaceName,
    pub provider: ServiceName,
    /// The interface as the provider exports it (versions may differ compatibly).
    pub export: InterfaceName,
    /// The functions the consumer imports, in name order.
    pub functions: Vec<String>,
}

/// Why a wos cannot be linked. Each message says what is wrong and what to do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinkError {
    #[error(
        "service `{consumer}` imports `{interface}`, but no service in this wos exports it; add a \
         service whose component exports `{interface}`, or remove the import from `{consumer}`"
    )]
    Unsatisfied { consumer: ServiceName, interface: InterfaceName },

    #[error(
        "service `{consumer}` imports `{interface}`, but `{provider}` exports `{found}`, an \
         incompatible version; rebuild one of them against the same version of the WIT package"
    )]
    VersionMismatch { consumer: ServiceName, interface: InterfaceName, provider: ServiceName, found: InterfaceName },

    #[error(
        "service `{consumer}` imports `{interface}`, which is exported by several services ({}); \
         choose one in the wos: `[services.{consumer}.links]` `\"{}\" = \"{}\"`",
        join(providers), interface.path(), providers[0]
    )]
    Ambiguous { consumer: ServiceName, interface: InterfaceName, providers: Vec<ServiceName> },

    #[error(
        "service `{consumer}` links `{interface}` to `{provider}`, but `{provider}` does not \
         export it{}; link it to a service that does, or fix the component",
        exported_list(exports)
    )]
    NotExportedByLinkTarget {
        consumer: ServiceName,
        interface: InterfaceName,
        provider: ServiceName,
        exports: Vec<InterfaceName>,
    },

    #[error(
        "service `{consumer}` imports function `{function}` of `{interface}`, but `{provider}` \
         does not export it (it exports: {}); rebuild both services against the same WIT",
        if available.is_empty() { "no functions".to_owned() } else { available.join(", ") }
    )]
    MissingFunction {
        consumer: ServiceName,
        interface: InterfaceName,
        function: String,
        provider: ServiceName,
        available: Vec<String>,
    },

    #[error(
        "type mismatch in `{interface}#{function}` between `{consumer}` (import) and `{provider}` \
         (export): {difference}; `{consumer}` expects `{expected}` but `{provider}` provides \
         `{found}`; rebuild both services against the same WIT"
    )]
    TypeMismatch {
        consumer: ServiceName,
        provider: ServiceName,
        interface: InterfaceName,
        function: String,
        difference: String,
        expected: String,
        found: String,
    },

    #[error(
        "`{interface}#{function}`, imported by `{consumer}`, passes a {kind}, which cannot cross \
         between services yet; pass plain data (records, lists, strings...) instead"
    )]
    UnsupportedType { consumer: ServiceName, interface: InterfaceName, function: String, kind: &'static str },

    #[error(
        "the wos exports `{interface}` (its `exports` list), but {}; list only interfaces that \
         exactly one service exports",
        if providers.is_empty() { "no service exports it".to_owned() } else { format!("several services do ({})", join(providers)) }
    )]
    PublicExport { interface: InterfaceName, providers: Vec<ServiceName> },

    #[error(
        "service `{consumer}` has a `links` entry for `{interface}`, which it does not import ({}); \
         remove the entry or correct the interface name",
        if imports.is_empty() { "it imports no service interfaces".to_owned() } else { format!("it imports {}", imports.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")) }
    )]
    UnusedLink { consumer: ServiceName, interface: InterfaceName, imports: Vec<InterfaceName> },

    #[error(
        "service `{consumer}` imports `{interface}#{function}`, which its queries do not define as it expects \
         ({difference}); the service was built against another version of its queries' WIT: rebuild it \
         (`parigot-host build`)"
    )]
    StaleQueries { consumer: ServiceName, interface: InterfaceName, function: String, difference: String },

    /// An import of a capability the service was not granted, or in a version the host lacks.
    #[error(transparent)]
    Capability(#[from] crate::caps::GrantError),

    #[error(
        "wos `{wos}` has `[mocks]`, which only tests use (`parigot-host test` and `parigot-host call`): a \
         wos that runs or serves has real providers; remove `[mocks]`, or run it with `parigot-host test`"
    )]
    MocksOutsideTests { wos: String },

    #[error(
        "the services import from each other in a cycle: {}; a cycle cannot be started (each \
         would need the other to be running first): break it by moving the shared interface \
         into a service of its own",
        cycle.iter().map(ServiceName::as_str).collect::<Vec<_>>().join(" -> ")
    )]
    Cycle { cycle: Vec<ServiceName> },
}

fn join(names: &[ServiceName]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

fn exported_list(exports: &[InterfaceName]) -> String {
    if exports.is_empty() {
        " (it exports no interfaces)".to_owned()
    } else {
        format!(" (it exports {})", exports.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", "))
    }
}

/// Whether the host, rather than a service, provides `interface`.
pub fn is_host_interface(interface: &InterfaceName) -> bool {
    HOST_NAMESPACES.contains(&interface.namespace()) || crate::caps::capability_of(interface).is_some()
}

/// Interfaces the host implements for one service alone (its typed queries), by service.
pub type OwnInterfaces = BTreeMap<ServiceName, BTreeMap<InterfaceName, InterfaceSig>>;

/// Resolves a wos: picks a provider for every service-provided import, checks types, and
/// orders start-up. `surfaces` must hold one entry per service of `manifest`; `own` has the
/// interfaces the host implements for single services, which their imports are checked
/// against.
pub fn resolve(
    manifest: &Manifest,
    surfaces: &BTreeMap<ServiceName, Surface>,
    own: &OwnInterfaces,
) -> Result<Plan, LinkError> {
    if !manifest.testing && !manifest.mocks.is_empty() {
        return Err(LinkError::MocksOutsideTests { wos: manifest.name.clone() });
    }
    let mut links = Vec::new();
    let mut remotes = Vec::new();
    for (consumer, spec) in &manifest.services {
        for (import, sig) in &surfaces[consumer].imports {
            if let Some(provided) = own.get(consumer).and_then(|own| own.get(import)) {
                check_own(consumer, import, sig, provided)?;
                continue;
            }
            let granted = |grant_key: &str| spec.granted(grant_key);
            crate::caps::check_import(consumer.as_str(), import, granted, manifest.testing)?;
            if is_host_interface(import) || sig.functions.is_empty() {
                continue; // types-only interfaces need no provider
            }
            if let Some((_, remote)) = spec.remotes.iter().find(|(name, _)| name.accepts(import)) {
                remotes.push(RemoteLink {
                    consumer: consumer.clone(),
                    import: import.clone(),
                    remote: remote.clone(),
                    functions: sig.functions.clone(),
                });
                continue;
            }
            let chosen = spec.links.iter().find(|(name, _)| name.accepts(import)).map(|(_, p)| p);
            let (provider, export) = pick_provider(consumer, import, chosen, surfaces)?;
            check_functions(consumer, import, sig, provider, &surfaces[provider].exports[&export])?;
            links.push(Link {
                consumer: consumer.clone(),
                import: import.clone(),
                provider: provider.clone(),
                export,
                functions: sig.functions.keys().cloned().collect(),
            });
        }
    }
    check_link_entries(manifest, surfaces)?;
    let order = start_order(manifest.services.keys(), &links)?;
    let exports =
        manifest.exports.iter().map(|interface| public_export(interface, surfaces)).collect::<Result<_, _>>()?;
    Ok(Plan { order, links, exports, remotes })
}

/// Every `links` entry (to a service or to a remote host) must name an interface its service
/// imports: a typo must not leave the import to the default choice unnoticed.
fn check_link_entries(manifest: &Manifest, surfaces: &BTreeMap<ServiceName, Surface>) -> Result<(), LinkError> {
    for (consumer, spec) in &manifest.services {
        let imports: Vec<&InterfaceName> =
            surfaces[consumer].imports.keys().filter(|import| !is_host_interface(import)).collect();
        for interface in spec.links.keys().chain(spec.remotes.keys()) {
            if !imports.iter().any(|import| interface.accepts(import)) {
                return Err(LinkError::UnusedLink {
                    consumer: consumer.clone(),
                    interface: interface.clone(),
                    imports: imports.into_iter().cloned().collect(),
                });
            }
        }
    }
    Ok(())
}

/// Finds the one service that exports the public interface `interface`.
fn public_export(
    interface: &InterfaceName,
    surfaces: &BTreeMap<ServiceName, Surface>,
) -> Result<PublicExport, LinkError> {
    let mut found = surfaces.iter().filter_map(|(provider, surface)| {
        surface.exports.keys().find(|export| interface.accepts(export)).map(|export| (provider, export))
    });
    match (found.next(), found.next()) {
        (Some((provider, export)), None) => Ok(PublicExport { interface: export.clone(), provider: provider.clone() }),
        (first, second) => Err(LinkError::PublicExport {
            interface: interface.clone(),
            providers: first.into_iter().chain(second).chain(found).map(|(p, _)| p.clone()).collect(),
        }),
    }
}

/// Finds the one service that satisfies `import` of `consumer`, honouring an explicit choice.
fn pick_provider<'a>(
    consumer: &ServiceName,
    import: &InterfaceName,
    chosen: Option<&'a ServiceName>,
    surfaces: &'a BTreeMap<ServiceName, Surface>,
) -> Result<(&'a ServiceName, InterfaceName), LinkError> {
    let compatible_export =
        |provider: &ServiceName| surfaces[provider].exports.keys().find(|export| import.accepts(export)).cloned();
    if let Some(provider) = chosen {
        return compatible_export(provider).map(|export| (provider, export)).ok_or_else(|| {
            LinkError::NotExportedByLinkTarget {
                consumer: consumer.clone(),
                interface: import.clone(),
                provider: provider.clone(),
                exports: surfaces[provider].exports.keys().cloned().collect(),
            }
        });
    }
    let candidates: Vec<(&ServiceName, InterfaceName)> = surfaces
        .keys()
        .filter(|provider| *provider != consumer)
        .filter_map(|provider| compatible_export(provider).map(|export| (provider, export)))
        .collect();
    match candidates.len() {
        1 => Ok(candidates.into_iter().next().expect("one candidate")),
        0 => Err(unsatisfied(consumer, import, surfaces)),
        _ => Err(LinkError::Ambiguous {
            consumer: consumer.clone(),
            interface: import.clone(),
            providers: candidates.into_iter().map(|(p, _)| p.clone()).collect(),
        }),
    }
}

/// Explains an import nobody exports: a different version of it, or nothing at all.
fn unsatisfied(consumer: &ServiceName, import: &InterfaceName, surfaces: &BTreeMap<ServiceName, Surface>) -> LinkError {
    let other_version = surfaces.iter().filter(|(provider, _)| *provider != consumer).find_map(|(provider, s)| {
        s.exports.keys().find(|export| export.path() == import.path()).map(|found| (provider, found))
    });
    match other_version {
        Some((provider, found)) => LinkError::VersionMismatch {
            consumer: consumer.clone(),
            interface: import.clone(),
            provider: provider.clone(),
            found: found.clone(),
        },
        None => LinkError::Unsatisfied { consumer: consumer.clone(), interface: import.clone() },
    }
}

/// Checks that `provided` has every function `imported` needs, with the same signature.
fn check_functions(
    consumer: &ServiceName,
    interface: &InterfaceName,
    imported: &InterfaceSig,
    provider: &ServiceName,
    provided: &InterfaceSig,
) -> Result<(), LinkError> {
    for (function, expected) in &imported.functions {
        let Some(found) = provided.functions.get(function) else {
            return Err(LinkError::MissingFunction {
                consumer: consumer.clone(),
                interface: interface.clone(),
                function: function.clone(),
                provider: provider.clone(),
                available: provided.functions.keys().cloned().collect(),
            });
        };
        if let Some(kind) = unsupported_kind(expected) {
            return Err(LinkError::UnsupportedType {
                consumer: consumer.clone(),
                interface: interface.clone(),
                function: function.clone(),
                kind,
            });
        }
        if let Some(difference) = signature_difference(expected, found) {
            return Err(LinkError::TypeMismatch {
                consumer: consumer.clone(),
                provider: provider.clone(),
                interface: interface.clone(),
                function: function.clone(),
                difference,
                expected: expected.to_string(),
                found: found.to_string(),
            });
        }
    }
    Ok(())
}

/// Checks an import of an interface the host implements for `consumer` alone.
fn check_own(
    consumer: &ServiceName,
    interface: &InterfaceName,
    imported: &InterfaceSig,
    provided: &InterfaceSig,
) -> Result<(), LinkError> {
    for (function, expected) in &imported.functions {
        let difference = match provided.functions.get(function) {
            None => Some("no such query".to_owned()),
            Some(found) => signature_difference(expected, found),
        };
        if let Some(difference) = difference {
            return Err(LinkError::StaleQueries {
                consumer: consumer.clone(),
                interface: interface.clone(),
                function: function.clone(),
                difference,
            });
        }
    }
    Ok(())
}

/// The first difference between two function signatures, described for a person.
fn signature_difference(expected: &FuncSig, found: &FuncSig) -> Option<String> {
    if expected.params.len() != found.params.len() {
        return Some(format!("expected {} parameters, found {}", expected.params.len(), found.params.len()));
    }
    if expected.results.len() != found.results.len() {
        return Some(format!("expected {} results, found {}", expected.results.len(), found.results.len()));
    }
    let params = expected
        .params
        .iter()
        .zip(&found.params)
        .find_map(|((name, a), (_, b))| a.difference(b).map(|d| format!("parameter `{name}` > {d}")));
    params.or_else(|| {
        expected.results.iter().zip(&found.results).find_map(|(a, b)| a.difference(b).map(|d| format!("result > {d}")))
    })
}

/// The first kind of value in `sig` that cannot be forwarded between services.
fn unsupported_kind(sig: &FuncSig) -> Option<&'static str> {
    fn walk(ty: &ValType) -> Option<&'static str> {
        match ty {
            ValType::Unsupported(kind) => Some(kind),
            ValType::List(t) | ValType::Option(t) => walk(t),
            ValType::Record(fields) => fields.iter().find_map(|(_, t)| walk(t)),
            ValType::Tuple(types) => types.iter().find_map(walk),
            ValType::Variant(cases) => cases.iter().find_map(|(_, t)| t.as_ref().and_then(walk)),
            ValType::Result { ok, err } => ok.as_deref().and_then(walk).or_else(|| err.as_deref().and_then(walk)),
            _ => None,
        }
    }
    sig.params.iter().map(|(_, t)| t).chain(&sig.results).find_map(walk)
}

/// Orders services so that providers start before their consumers, breaking ties by name.
fn start_order<'a>(
    services: impl Iterator<Item = &'a ServiceName>,
    links: &[Link],
) -> Result<Vec<ServiceName>, LinkError> {
    let mut needs: BTreeMap<&ServiceName, BTreeSet<&ServiceName>> = services.map(|s| (s, BTreeSet::new())).collect();
    for link in links {
        needs.get_mut(&link.consumer).expect("consumer is a service").insert(&link.provider);
    }
    let mut order: Vec<ServiceName> = Vec::with_capacity(needs.len());
    while !needs.is_empty() {
        let ready = needs.iter().find(|(_, providers)| providers.is_empty()).map(|(s, _)| *s);
        let Some(next) = ready else {
            return Err(LinkError::Cycle { cycle: find_cycle(&needs) });
        };
        needs.remove(next);
        for providers in needs.values_mut() {
            providers.remove(next);
        }
        order.push(next.clone());
    }
    Ok(order)
}

/// Walks "needs" edges from the first remaining service until a service repeats.
fn find_cycle(needs: &BTreeMap<&ServiceName, BTreeSet<&ServiceName>>) -> Vec<ServiceName> {
    let mut path: Vec<&ServiceName> = vec![needs.keys().next().expect("a cycle has members")];
    loop {
        let current = path[path.len() - 1];
        let next = *needs[current].iter().next().expect("every remaining service waits for another");
        if let Some(start) = path.iter().position(|s| *s == next) {
            let mut cycle: Vec<ServiceName> = path[start..].iter().map(|s| (*s).clone()).collect();
            cycle.push(next.clone());
            return cycle;
        }
        path.push(next);
    }
}

#[cfg(test)]
mod tests;
