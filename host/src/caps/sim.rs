//! What a simulation gives a test (`parigot:test/sim`): operations that may fail, run so that a
//! failed call becomes a value instead of failing the test ([`Catch`]), and the faults the host
//! injected in the run ([`crate::sim`]). Only test components may import it.
//!
//! Catching is the runtime's to do, where a linked or remote call fails: the call's context
//! carries the catch ([`super::context::Pctx::catching`]) while the test has one open; a caught
//! call answers placeholder values ([`placeholder`]), which the SDKs never hand to the test.

use super::{ServicePlan, Start, Unit, View, WosPlan};
use crate::kernel::ServiceFailure;
use crate::sim::Faults;
use std::sync::{Arc, Mutex, PoisonError};
use wasmtime::component::types::Type;
use wasmtime::component::{ComponentType, Lift, Linker, Lower, Val};
use wasmtime::{Result, bail, format_err};

/// The capability's interface.
pub const INTERFACE: &str = "parigot:test/sim@0.1.0";

/// The capability: a test's failed calls caught, and the run's injected faults.
pub struct Sim;

/// Why a call failed, as the test is told.
#[derive(Debug, Clone, PartialEq, ComponentType, Lift, Lower)]
#[component(record)]
pub struct CallFailure {
    service: String,
    function: String,
    kind: String,
    message: String,
}

/// A fault the simulation injected, as the test is told.
#[derive(Debug, Clone, ComponentType, Lift, Lower)]
#[component(record)]
struct Fault {
    step: u64,
    kind: String,
    service: String,
    at: String,
    trace: String,
}

/// A catch a test opened: the first failure caught since.
#[derive(Debug, Default)]
pub struct Catch(Mutex<Option<CallFailure>>);

impl Catch {
    /// Whether a failure was caught already (the calls after it are not made).
    pub fn holds_one(&self) -> bool {
        self.lock().is_some()
    }

    /// Keeps `error` if it is the first failure caught.
    pub fn keep(&self, error: &wasmtime::Error) {
        let mut first = self.lock();
        if first.is_none() {
            *first = Some(CallFailure::of(error));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<CallFailure>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl CallFailure {
    /// The failure `error` tells of: where it began (the deepest service failure in it).
    fn of(error: &wasmtime::Error) -> CallFailure {
        let message = format!("{error:#}");
        match ServiceFailure::origin(error) {
            Some(failure) => CallFailure {
                service: failure.service.clone(),
                function: failure.function.clone(),
                kind: failure.kind.metric_name().to_owned(),
                message,
            },
            None => CallFailure { service: String::new(), function: String::new(), kind: "other".into(), message },
        }
    }
}

impl Unit for Sim {
    const ABOUT: super::Capability =
        super::Capability { name: "the simulation", interfaces: &[INTERFACE], grant_key: None, test_only: true };
    /// The run's faults, if it is a simulation's.
    type Service = Option<Arc<Faults>>;
    type Instance = ();

    fn prepare(wos: &WosPlan<'_>, start: &Start<'_>) -> Result<Vec<Option<Arc<Faults>>>> {
        Ok(vec![start.faults.cloned(); wos.services.len()])
    }

    /// Links the interface for a test component that imports it; any other service is refused.
    fn link<T: Send + 'static>(
        linker: &mut Linker<T>,
        _wos: &WosPlan<'_>,
        service: &ServicePlan<'_>,
        view: fn(&mut T) -> View<'_, Self>,
    ) -> Result<()> {
        if !service.imports_test_only(INTERFACE, "which catches failed calls and lists a simulation's faults")? {
            return Ok(());
        }
        let mut instance = linker.instance(INTERFACE)?;
        instance.func_wrap("catch-failures", move |mut store, (): ()| {
            let mut view = view(store.data_mut());
            let pctx = view.pctx(INTERFACE, "catch-failures")?;
            pctx.catching = Some(Arc::default());
            Ok(())
        })?;
        instance.func_wrap("caught", move |mut store, (): ()| {
            let mut view = view(store.data_mut());
            let pctx = view.pctx(INTERFACE, "caught")?;
            let caught = pctx.catching.take().and_then(|catch| catch.lock().take());
            Ok((caught,))
        })?;
        instance.func_wrap("injected", move |mut store, (): ()| {
            let faults = view(store.data_mut()).service.as_ref().map(|faults| faults.injected()).unwrap_or_default();
            let faults: Vec<Fault> = faults
                .into_iter()
                .map(|fault| Fault {
                    step: fault.step,
                    kind: fault.fault.key().to_owned(),
                    service: fault.service,
                    at: fault.what,
                    trace: format!("{:032x}", fault.trace),
                })
                .collect();
            Ok((faults,))
        })?;
        Ok(())
    }
}

/// A placeholder value of `ty`, which a caught call answers: zero, empty, `none`, the first case
/// of a variant or enum, `ok` of a result. An error for a resource, which has none.
pub fn placeholder(ty: &Type) -> Result<Val> {
    Ok(match ty {
        Type::Bool => Val::Bool(false),
        Type::S8 => Val::S8(0),
        Type::U8 => Val::U8(0),
        Type::S16 => Val::S16(0),
        Type::U16 => Val::U16(0),
        Type::S32 => Val::S32(0),
        Type::U32 => Val::U32(0),
        Type::S64 => Val::S64(0),
        Type::U64 => Val::U64(0),
        Type::Float32 => Val::Float32(0.0),
        Type::Float64 => Val::Float64(0.0),
        Type::Char => Val::Char('\0'),
        Type::String => Val::String(String::new()),
        Type::List(_) => Val::List(Vec::new()),
        Type::Record(record) => Val::Record(
            record.fields().map(|field| Ok((field.name.to_owned(), placeholder(&field.ty)?))).collect::<Result<_>>()?,
        ),
        Type::Tuple(tuple) => Val::Tuple(tuple.types().map(|ty| placeholder(&ty)).collect::<Result<_>>()?),
        Type::Variant(variant) => {
            let case = variant.cases().next().ok_or_else(|| format_err!("a variant without cases"))?;
            let payload = case.ty.as_ref().map(placeholder).transpose()?.map(Box::new);
            Val::Variant(case.name.to_owned(), payload)
        }
        Type::Enum(cases) => {
            Val::Enum(cases.names().next().ok_or_else(|| format_err!("an enum without cases"))?.to_owned())
        }
        Type::Option(_) => Val::Option(None),
        Type::Result(result) => Val::Result(Ok(result.ok().map(|ok| placeholder(&ok)).transpose()?.map(Box::new))),
        Type::Flags(_) => Val::Flags(Vec::new()),
        _ => bail!("a caught call cannot answer a resource (or async value): it has no placeholder"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::FailureKind;
    use wasmtime::component::Component;
    use wasmtime::{Config, Engine};

    #[test]
    fn a_caught_failure_names_where_it_began() {
        let deepest = ServiceFailure::new("d", "parigot:testing/faults@0.1.0#crash", FailureKind::Trap);
        let outer = ServiceFailure::new("top", "parigot:testing/top@0.1.0#both", FailureKind::Trap).caused_by(deepest);
        let failure = CallFailure::of(&wasmtime::Error::from(outer));
        assert_eq!(
            (failure.service.as_str(), failure.function.as_str(), failure.kind.as_str()),
            ("d", "parigot:testing/faults@0.1.0#crash", "trap")
        );
        assert!(failure.message.starts_with("service `top` trapped"), "{}", failure.message);
        let other = CallFailure::of(&wasmtime::format_err!("the wos has stopped"));
        assert_eq!((other.service.as_str(), other.kind.as_str()), ("", "other"));
        let catch = Catch::default();
        assert!(!catch.holds_one());
        catch.keep(&wasmtime::format_err!("first"));
        catch.keep(&wasmtime::format_err!("second"));
        assert_eq!(catch.lock().as_ref().map(|failure| failure.message.as_str()), Some("first"));
    }

    #[test]
    fn placeholders_fit_every_kind_of_result() {
        // A component importing a function whose result has every kind of type the WIT has
        // but resources: a placeholder of each.
        let wit = "package t:t;
            world w {
                record item { n: u32, name: string, tags: list<string> }
                variant maybe { none, some(item) }
                enum which { first, second }
                flags marks { a, b }
                import make: func() -> tuple<item, maybe, which, marks, option<u8>, result<item, string>, char, f64, bool, s64>;
            }";
        let mut resolve = wit_parser::Resolve::default();
        let package = resolve.push_str("t.wit", wit).unwrap();
        let world = resolve.select_world(&[package], Some("w")).unwrap();
        let abi = wit_parser::ManglingAndAbi::Legacy(wit_parser::LiftLowerAbi::Sync);
        let mut module = wit_component::dummy_module(&resolve, world, abi);
        wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8)
            .unwrap();
        let bytes = wit_component::ComponentEncoder::default().module(&module).unwrap().encode().unwrap();
        let mut config = Config::new();
        config.wasm_component_model(true);
        let engine = Engine::new(&config).unwrap();
        let component = Component::new(&engine, bytes).unwrap();
        let component_type = component.component_type();
        let (_, import) = component_type.imports(&engine).next().unwrap();
        let wasmtime::component::types::ComponentItem::ComponentFunc(func) = import.ty else {
            panic!("not a function")
        };
        let ty = func.results().next().unwrap();
        let value = placeholder(&ty).unwrap();
        let Val::Tuple(parts) = &value else { panic!("{value:?}") };
        assert_eq!(parts[1], Val::Variant("none".into(), None));
        assert_eq!(parts[2], Val::Enum("first".into()));
        assert_eq!(parts[4], Val::Option(None));
        assert!(matches!(&parts[5], Val::Result(Ok(Some(_)))));
        let Val::Record(fields) = &parts[0] else { panic!("{value:?}") };
        let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["n", "name", "tags"]);
        assert_eq!((&parts[3], &parts[6], &parts[9]), (&Val::Flags(Vec::new()), &Val::Char('\0'), &Val::S64(0)));
    }
}
