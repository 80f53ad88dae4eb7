//! Capabilities: what the host itself gives guests, through parigot's own WIT packages (`wit/`
//! at the repository root).
//!
//! Each capability is a unit ([`Unit`]) in one folder here: its part of the wos.toml schema
//! and its checks, who may import it ([`Capability`]: its grant key, whether only tests may),
//! how it is linked, its state for each service and each instance, what it undoes when a call
//! ends, and its budgets. The `units!` list below is the one place that registers them;
//! from it come [`CAPABILITIES`], the state structs and the functions the runtime calls
//! ([`prepare_services`], [`link_service`], [`configure_wasi`]), so the runtime names no
//! capability.
//!
//! Grants are deny by default: a service that imports a capability it was not granted is
//! refused before anything starts, with the wos.toml key to add ([`check_import`]). The
//! per-call context and logging expose nothing of the host or of other services, so every
//! service has them without a grant.
//!
//! A unit sees an instance through a [`View`] of its own: the context of the call under way,
//! the instance's memory, and that unit's state alone, never another unit's. It knows nothing
//! of Stores, pools, the manifest or the wire: what it needs of the wos comes in a
//! [`WosPlan`].

mod bindings;
pub mod context;
pub mod files;
pub mod log;
pub mod mocks;
mod plan;
pub mod session;
pub mod sim;
pub mod sqlite;

pub use plan::{ServicePlan, Start, WosPlan};

use crate::names::InterfaceName;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::Result;
use wasmtime::component::{HasData, Linker};
use wasmtime_wasi::WasiCtxBuilder;

/// What a capability is and who may have it.
pub struct Capability {
    /// Its name in messages and in the docs.
    pub name: &'static str,
    /// The interfaces it implements, as `namespace:package/interface@version` (beyond these, a
    /// unit may implement interfaces the wos defines: typed queries, mocked interfaces).
    pub interfaces: &'static [&'static str],
    /// The wos.toml key that grants it to a service, or `None` if every service has it.
    pub grant_key: Option<&'static str>,
    /// Whether only tests may have it (`parigot-host test` and `call`): it could read or steer
    /// what other services do, or act as any user, which nothing served may.
    pub test_only: bool,
}

/// One capability: its policy, its state, its linking and its teardown.
pub trait Unit: Sized + 'static {
    /// What it is and who may import it.
    const ABOUT: Capability;
    /// Its state for one service, shared by the service's instances.
    type Service: Send + Sync + 'static;
    /// Its state for one instance.
    type Instance: Default + Send + 'static;

    /// Its state for every service of `wos`, in the wos's start-up order, made before anything
    /// starts (databases opened and migrated, folders opened and checked).
    fn prepare(wos: &WosPlan<'_>, start: &Start<'_>) -> Result<Vec<Self::Service>>;

    /// Links into `linker` what `service` may import of it, each host function reaching the
    /// calling instance through `view` (nothing, for a unit without WIT of its own).
    fn link<T: Send + 'static>(
        _linker: &mut Linker<T>,
        _wos: &WosPlan<'_>,
        _service: &ServicePlan<'_>,
        _view: fn(&mut T) -> View<'_, Self>,
    ) -> Result<()> {
        Ok(())
    }

    /// Adds to a new instance's WASI context what the unit gives it there (granted folders).
    fn configure_wasi(_service: &Self::Service, _builder: &mut WasiCtxBuilder) -> Result<()> {
        Ok(())
    }

    /// The call under way has ended: what belonged to it (a transaction left open) is undone.
    fn call_ended(_instance: &mut Self::Instance) {}
}

/// What unit `U` sees of one instance while its guest calls it.
pub struct View<'a, U: Unit> {
    /// The context of the call under way (none between calls).
    pub call: Option<&'a mut context::Pctx>,
    /// How long the call under way may still run, when it has a deadline.
    pub time_left: Option<Duration>,
    /// The instance's memory limit (the service's `memory-mib`), in bytes.
    pub memory_limit: u64,
    /// How much of it the instance has not used yet, in bytes: the most the host may hold for
    /// it while a call collects what it will hand over (a query's rows).
    pub memory_room: u64,
    /// The unit's state for the service.
    pub service: &'a U::Service,
    /// The unit's state for the instance.
    pub instance: &'a mut U::Instance,
}

impl<U: Unit> View<'_, U> {
    /// The context of the call under way, which `function` of `interface` needs: the runtime
    /// sets one for every call and start-up, so its absence is a host bug (a trap, not a guest
    /// error).
    pub fn pctx(&mut self, interface: &str, function: &str) -> wasmtime::Result<&mut context::Pctx> {
        let outside = || wasmtime::format_err!("`{interface}#{function}` was called outside any call");
        self.call.as_deref_mut().ok_or_else(outside)
    }
}

/// What an instance's Store data gives the capabilities: [`View`] of every unit at once.
pub struct Parts<'a> {
    pub call: Option<&'a mut context::Pctx>,
    pub time_left: Option<Duration>,
    pub memory_limit: u64,
    pub memory_room: u64,
    pub service: &'a ServiceCaps,
    pub instance: &'a mut InstanceCaps,
}

/// A Store's data that instances of services are linked against.
pub trait CapsHost: Send + 'static {
    /// What the capabilities see of the instance.
    fn caps_parts(&mut self) -> Parts<'_>;
}

/// Marks [`View`] of `U` as what `U`'s bindings are given.
pub struct Scoped<U>(PhantomData<U>);

impl<U: Unit> HasData for Scoped<U> {
    type Data<'a> = View<'a, U>;
}

/// The registered units, each with its place in [`ServiceCaps`] and [`InstanceCaps`].
pub struct Registered;

/// Where unit `U`'s state is in the state of all units.
pub trait Holds<U: Unit> {
    fn parts<'a>(service: &'a ServiceCaps, instance: &'a mut InstanceCaps) -> (&'a U::Service, &'a mut U::Instance);
}

/// Unit `U`'s view of the instance whose Store data is `host`.
fn view_of<T: CapsHost, U: Unit>(host: &mut T) -> View<'_, U>
where
    Registered: Holds<U>,
{
    let parts = host.caps_parts();
    let (service, instance) = <Registered as Holds<U>>::parts(parts.service, parts.instance);
    View {
        call: parts.call,
        time_left: parts.time_left,
        memory_limit: parts.memory_limit,
        memory_room: parts.memory_room,
        service,
        instance,
    }
}

/// Registers the units: their policies in [`CAPABILITIES`], their state in [`ServiceCaps`]
/// and [`InstanceCaps`], and each in the functions the runtime calls.
macro_rules! units {
    ($($field:ident: $unit:ty),* $(,)?) => {
        /// Every capability the host implements.
        pub const CAPABILITIES: &[Capability] = &[$(<$unit as Unit>::ABOUT),*];

        /// The capability state of one service, shared by all its instances: each unit's own.
        pub struct ServiceCaps {
            $(pub $field: <$unit as Unit>::Service,)*
        }

        /// The capability state of one instance: each unit's own.
        #[derive(Default)]
        pub struct InstanceCaps {
            $(pub $field: <$unit as Unit>::Instance,)*
        }

        $(impl Holds<$unit> for Registered {
            fn parts<'a>(
                service: &'a ServiceCaps,
                instance: &'a mut InstanceCaps,
            ) -> (&'a <$unit as Unit>::Service, &'a mut <$unit as Unit>::Instance) {
                (&service.$field, &mut instance.$field)
            }
        })*

        impl InstanceCaps {
            /// The call under way has ended: each unit undoes what belonged to it.
            pub fn call_ended(&mut self) {
                $(<$unit as Unit>::call_ended(&mut self.$field);)*
            }
        }

        /// Prepares the capability state of every service of `wos` (in start-up order) before
        /// anything starts.
        pub fn prepare_services(wos: &WosPlan<'_>, start: &Start<'_>) -> Result<Vec<Arc<ServiceCaps>>> {
            $(let mut $field = one_each::<$unit>(wos, start)?;)*
            Ok((0..wos.services.len())
                .map(|_| Arc::new(ServiceCaps { $($field: $field.next().expect("one state per service"),)* }))
                .collect())
        }

        /// Links every unit's interfaces that `service` may import into `linker`.
        pub fn link_service<T: CapsHost>(linker: &mut Linker<T>, wos: &WosPlan<'_>, service: &ServicePlan<'_>) -> Result<()> {
            $(<$unit as Unit>::link(linker, wos, service, view_of::<T, $unit>)?;)*
            Ok(())
        }

        /// Adds to a new instance's WASI context what each unit gives it there.
        pub fn configure_wasi(caps: &ServiceCaps, builder: &mut WasiCtxBuilder) -> Result<()> {
            $(<$unit as Unit>::configure_wasi(&caps.$field, builder)?;)*
            Ok(())
        }
    };
}

units! {
    context: context::Context,
    log: log::Log,
    sqlite: sqlite::Sqlite,
    files: files::Files,
    mocks: mocks::Mocks,
    session: session::Session,
    sim: sim::Sim,
}

/// `U`'s state for each service of `wos`, checked to be one per service.
fn one_each<U: Unit>(wos: &WosPlan<'_>, start: &Start<'_>) -> Result<std::vec::IntoIter<U::Service>> {
    let states = U::prepare(wos, start)?;
    if states.len() != wos.services.len() {
        wasmtime::bail!(
            "host bug: {} prepared {} states for the {} services of wos `{}`",
            U::ABOUT.name,
            states.len(),
            wos.services.len(),
            wos.name
        );
    }
    Ok(states.into_iter())
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::ServiceName;
    use std::collections::BTreeMap;

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
    fn every_unit_prepares_its_own_state_for_every_service() {
        let dir = tempfile::tempdir().unwrap();
        let (with_db, without) =
            (ServiceName::try_from("notes".to_owned()).unwrap(), ServiceName::try_from("web".to_owned()).unwrap());
        let (imports, log) = (BTreeMap::new(), log::LogSettings::default());
        let grant = sqlite::SqliteTable::default();
        let plan = |name, sqlite| ServicePlan {
            name,
            is_test: false,
            imports: &imports,
            log: &log,
            sqlite,
            queries: None,
            files: &[],
        };
        let (mocks, mocked) = (mocks::MockTable::new(), BTreeMap::new());
        let wos = WosPlan {
            name: "shop",
            services: vec![plan(&with_db, Some(&grant)), plan(&without, None)],
            mocks: &mocks,
            mocked: &mocked,
            protected: Vec::new(),
        };
        let sink: Arc<dyn log::LogSink> = Arc::new(log::LogCapture::default());
        let start = Start {
            data_dir: dir.path(),
            log: &sink,
            deterministic: true,
            telemetry: &Default::default(),
            faults: None,
        };
        let caps = prepare_services(&wos, &start).unwrap();
        assert_eq!(caps.len(), 2);
        assert!(caps[0].sqlite.is_some() && caps[1].sqlite.is_none(), "a database only where granted");
        assert!(dir.path().join("notes.sqlite3").is_file());
        assert!(Arc::ptr_eq(&caps[0].mocks, &caps[1].mocks), "one book of mocks for the wos");
        assert!(caps.iter().all(|service| service.files.is_empty()), "no folders without a grant");
        let names: Vec<&str> = CAPABILITIES.iter().map(|cap| cap.name).collect();
        assert_eq!(
            names,
            [
                "the per-call context",
                "logging",
                "a SQLite database",
                "files",
                "the mocks of the wos",
                "the test session",
                "the simulation"
            ]
        );
    }

    #[test]
    fn test_only_capabilities_are_refused_outside_tests() {
        for interface in ["parigot:test/mocks@0.1.0", "parigot:test/session@0.1.0", "parigot:test/sim@0.1.0"] {
            let name = InterfaceName::parse(interface).unwrap();
            let error = check_import("svc", &name, |_| true, false).unwrap_err();
            assert!(matches!(error, GrantError::TestOnly { .. }), "{interface}: {error}");
            assert!(error.to_string().contains("which only tests may use"), "{error}");
            assert_eq!(check_import("svc", &name, |_| false, true), Ok(()), "{interface}");
        }
    }
}
