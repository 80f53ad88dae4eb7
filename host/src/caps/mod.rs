//! Capabilities: what the host itself gives guests, through parigot's own WIT packages (`wit/`
//! at the repository root).
//!
//! Each capability is one folder here: its part of the wos.toml schema, its per-service and
//! per-instance state, and its host implementation of the WIT it owns. This module is the one
//! place that lists them ([`CAPABILITIES`]), links their bindings into a service's linker and
//! checks a service's imports against what the wos grants it.
//!
//! Grants are deny by default: a service that imports a capability it was not granted is
//! refused before anything starts, with the wos.toml key to add. The per-call context and
//! logging expose nothing of the host or of other services (a service only ever sees its own
//! call's context and writes its own log lines), so every service has them without a grant; a
//! database (`sqlite`) needs its grant.
//!
//! A capability sees an instance through a [`View`]: the context of the call under way, the
//! service's capability state and the instance's own. It knows nothing of Stores, pools or the
//! wire.

mod bindings;
pub mod context;
pub mod files;
pub mod log;
pub mod mocks;
pub mod registry;
pub mod session;
pub mod sqlite;

use crate::names::InterfaceName;
use std::time::Duration;
use wasmtime::Result;
use wasmtime::component::{HasData, Linker};

/// One capability: the interfaces it implements and how a service is granted it.
pub struct Capability {
    /// Its name in messages and in the docs.
    pub name: &'static str,
    /// The interfaces it implements, as `namespace:package/interface@version`.
    pub interfaces: &'static [&'static str],
    /// The wos.toml key that grants it to a service, or `None` if every service has it.
    pub grant_key: Option<&'static str>,
    /// Whether only tests may have it (`parigot-host test` and `call`): it could read or steer
    /// what other services do, or act as any user, which nothing served may.
    pub test_only: bool,
}

/// Every capability the host implements. Adding one: a folder here, its WIT under `wit/`, and
/// a line in this list.
pub const CAPABILITIES: &[Capability] =
    &[context::CAPABILITY, log::CAPABILITY, sqlite::CAPABILITY, mocks::CAPABILITY, session::CAPABILITY];

/// The capability that implements `interface` (any version), if the host implements it.
pub fn capability_of(interface: &InterfaceName) -> Option<&'static Capability> {
    capability_in(CAPABILITIES, interface)
}

fn capability_in<'a>(capabilities: &'a [Capability], interface: &InterfaceName) -> Option<&'a Capability> {
    capabilities.iter().find(|cap| cap.interfaces.iter().any(|own| same_path(own, interface)))
}

/// Whether `own` (`ns:pkg/iface@version`) names the same interface as `interface`, whatever
/// its version.
fn same_path(own: &str, interface: &InterfaceName) -> bool {
    own.split('@').next() == Some(interface.path())
}

/// Why a service's import of a capability cannot be satisfied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GrantError {
    #[error(
        "service `{service}` imports `{interface}` ({capability}), which the wos does not grant it; \
         grant it with `{key}` in `[services.{service}]`, or remove the import"
    )]
    NotGranted { service: String, interface: String, capability: &'static str, key: &'static str },
    #[error(
        "service `{service}` imports `{interface}`, but this host implements {}; rebuild the service \
         against that version of parigot's WIT (`wit/` in the parigot repository)",
        implemented.join(", ")
    )]
    Version { service: String, interface: String, implemented: Vec<&'static str> },
    #[error(
        "service `{service}` imports `{interface}` ({capability}), which only tests may use: it exists under \
         `parigot-host test` and `parigot-host call`, never in a wos that runs or serves; remove the import"
    )]
    TestOnly { service: String, interface: String, capability: &'static str },
}

/// Checks one import of service `service` that a capability implements: the version must be
/// one the host implements, the service must be granted it (`granted` tells, by grant key),
/// and a test-only capability needs a wos run by tests (`testing`).
pub fn check_import(
    service: &str,
    interface: &InterfaceName,
    granted: impl Fn(&str) -> bool,
    testing: bool,
) -> Result<(), GrantError> {
    check_import_in(CAPABILITIES, service, interface, granted, testing)
}

fn check_import_in(
    capabilities: &'static [Capability],
    service: &str,
    interface: &InterfaceName,
    granted: impl Fn(&str) -> bool,
    testing: bool,
) -> Result<(), GrantError> {
    let Some(capability) = capability_in(capabilities, interface) else { return Ok(()) };
    if capability.test_only && !testing {
        return Err(GrantError::TestOnly {
            service: service.into(),
            interface: interface.to_string(),
            capability: capability.name,
        });
    }
    let implemented: Vec<&'static str> =
        capability.interfaces.iter().copied().filter(|own| same_path(own, interface)).collect();
    let accepted = implemented.iter().any(|own| InterfaceName::parse(own).is_some_and(|own| own.accepts(interface)));
    if !accepted {
        return Err(GrantError::Version { service: service.into(), interface: interface.to_string(), implemented });
    }
    match capability.grant_key {
        Some(key) if !granted(key) => Err(GrantError::NotGranted {
            service: service.into(),
            interface: interface.to_string(),
            capability: capability.name,
            key,
        }),
        _ => Ok(()),
    }
}

/// What a capability sees of one instance while its guest calls it.
pub struct View<'a> {
    /// The context of the call under way (none between calls).
    pub call: Option<&'a mut context::Pctx>,
    /// How long the call under way may still run, when it has a deadline.
    pub time_left: Option<Duration>,
    /// The instance's memory limit (the service's `memory-mib`), in bytes.
    pub memory_limit: u64,
    /// How much of it the instance has not used yet, in bytes: the most the host may hold for
    /// it while a call collects what it will hand over (a query's rows).
    pub memory_room: u64,
    /// The service's capability state, shared by its instances.
    pub service: &'a ServiceCaps,
    /// The instance's own capability state.
    pub instance: &'a mut InstanceCaps,
}

/// The capability state of one service, shared by all its instances.
pub struct ServiceCaps {
    /// Where its log lines go, and how many it may write.
    pub log: log::ServiceLog,
    /// Its database, if the wos grants it one.
    pub sqlite: Option<sqlite::ServiceDatabase>,
    /// The folders the wos grants it, opened.
    pub files: files::OpenedGrants,
    /// The mocks of the wos (one book for all its services).
    pub mocks: std::sync::Arc<mocks::MockBook>,
}

/// The capability state of one instance.
#[derive(Default)]
pub struct InstanceCaps {
    /// Its connection to the service's database, once it has used it.
    pub sqlite: sqlite::InstanceDatabase,
}

impl InstanceCaps {
    /// The call under way has ended: what belonged to it (a transaction left open) is undone.
    pub fn call_ended(&mut self) {
        self.sqlite.call_ended();
    }
}

/// Marks [`View`] as what the capabilities' bindings are given.
struct Caps;

impl HasData for Caps {
    type Data<'a> = View<'a>;
}

/// Links every capability's bindings into `linker`, each host function reaching its instance
/// through `view`.
pub fn add_to_linker<T: Send + 'static>(linker: &mut Linker<T>, view: fn(&mut T) -> View<'_>) -> Result<()> {
    bindings::context::add_to_linker::<T, Caps>(linker, view)?;
    bindings::log::add_to_linker::<T, Caps>(linker, view)?;
    bindings::wasi_logging::add_to_linker::<T, Caps>(linker, view)?;
    bindings::sqlite::add_to_linker::<T, Caps>(linker, view)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A capability that needs a grant, as the database and files will.
    const GUARDED: &[Capability] = &[Capability {
        name: "a guarded thing",
        interfaces: &["parigot:guarded/api@0.1.0"],
        grant_key: Some("guarded"),
        test_only: false,
    }];

    fn check(interface: &str, granted: bool) -> Result<(), GrantError> {
        let interface = InterfaceName::parse(interface).unwrap();
        check_import_in(GUARDED, "svc", &interface, |key| granted && key == "guarded", false)
    }

    #[test]
    fn an_ungranted_capability_is_refused_with_the_key_to_add() {
        let error = check("parigot:guarded/api@0.1.0", false).unwrap_err();
        assert_eq!(
            error.to_string(),
            "service `svc` imports `parigot:guarded/api@0.1.0` (a guarded thing), which the wos does not grant it; \
             grant it with `guarded` in `[services.svc]`, or remove the import"
        );
        assert_eq!(check("parigot:guarded/api@0.1.0", true), Ok(()));
    }

    #[test]
    fn a_version_the_host_lacks_is_refused_and_other_interfaces_pass() {
        let error = check("parigot:guarded/api@0.2.0", true).unwrap_err();
        assert!(error.to_string().contains("this host implements parigot:guarded/api@0.1.0"), "{error}");
        // A compatible version is the same capability: it still needs its grant.
        assert!(matches!(check("parigot:guarded/api@0.1.3", false), Err(GrantError::NotGranted { .. })));
        assert_eq!(check("example:shop/orders@1.0.0", false), Ok(()));
    }

    #[test]
    fn context_and_logging_need_no_grant() {
        for interface in ["parigot:context/pctx@0.1.0", "parigot:log/log@0.1.0", "wasi:logging/logging@0.1.0-draft"] {
            let name = InterfaceName::parse(interface).unwrap();
            assert!(capability_of(&name).is_some(), "{interface}");
            assert_eq!(check_import("svc", &name, |_| false, false), Ok(()), "{interface}");
        }
    }

    #[test]
    fn test_only_capabilities_are_refused_outside_tests() {
        for interface in ["parigot:test/mocks@0.1.0", "parigot:test/session@0.1.0"] {
            let name = InterfaceName::parse(interface).unwrap();
            let error = check_import("svc", &name, |_| true, false).unwrap_err();
            assert!(matches!(error, GrantError::TestOnly { .. }), "{interface}: {error}");
            assert!(error.to_string().contains("which only tests may use"), "{error}");
            assert_eq!(check_import("svc", &name, |_| false, true), Ok(()), "{interface}");
        }
    }
}
