//! Linking: one wasmtime `Linker` per service, with WASI from the host and every
//! service-provided import forwarded to the provider's export.
//!
//! wasmtime cannot wire one instance's export straight into another's import, and here they
//! live in different Stores, so each linked import is an (async) host function of the
//! consumer's Store that makes a supervised call ([`call_service`]) into an instance of the
//! provider, in the provider's own Store, under the consumer's deadline, and hands the
//! results back.

use super::call::{Target, call_service, call_service_typed};
use super::context::CallContext;
use super::inject::Injection;
use super::shape::{PlainList, PlainValue, ShapeVisitor, visit_plain_shape};
use super::spans::SpanStart;
use super::state::{InstanceState, ServiceId};
use crate::caps::sim::Catch;
use crate::graph::{Link, is_host_interface};
use crate::surface::{FuncSig, Surface};
use crate::telemetry::Records;
use crate::telemetry::otlp::SpanKind;
use std::pin::Pin;
use std::sync::Arc;
use wasmtime::component::Linker;
use wasmtime::component::{LinkerInstance, Val};
use wasmtime::{Engine, Result, format_err};

/// Builds the linker for one consumer: WASI, empty instances for types-only imports, a
/// forwarding function for every function of every link in `links` (all of this consumer),
/// each link with its provider's id, and a gRPC call for every function of `remotes`.
/// `provides[provider]` lists the functions each provider's instances must resolve; the
/// forwarders refer to them by their position there.
pub fn consumer_linker(
    engine: &Engine,
    consumer: &str,
    surface: &Surface,
    links: &[(&Link, ServiceId)],
    remotes: &[Arc<dyn RemoteImport>],
    provides: &mut [Vec<(String, String)>],
) -> Result<Linker<InstanceState>> {
    let mut linker = Linker::<InstanceState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    for &(link, provider) in links {
        let mut instance = linker.instance(&link.import.to_string())?;
        for function in &link.functions {
            let slot = provides[provider].len();
            provides[provider].push((link.export.to_string(), function.clone()));
            let label: Arc<str> = format!("{}#{function}", link.export).into();
            let sig = &surface.imports[&link.import].functions[function];
            let consumer: Arc<str> = consumer.into();
            if forward_plain_typed(&mut instance, function, sig, (provider, slot), &label, &consumer)? {
                continue;
            }
            instance.func_new_async(function, move |store, ty, params, results| {
                let (label, consumer) = (label.clone(), consumer.clone());
                let origin = CallOrigin::of(store.data());
                Box::new(async move {
                    let (services, caller, catch) = origin.get()?;
                    if skipped(&catch) {
                        return fill_placeholders(&ty, results);
                    }
                    let fault = services.linked_call_fault(&consumer, provider, &label, &caller);
                    let target = Target::Slot(slot);
                    let call = call_service(&services, provider, target, &label, params, &mut *results, caller);
                    let outcome = Injection::around(fault, call).await;
                    caught(catch.as_deref(), outcome, || fill_placeholders(&ty, results))
                })
            })?;
        }
    }
    for remote in remotes {
        let mut instance = linker.instance(&remote.import().to_string())?;
        for function in remote.functions() {
            let sig = &surface.imports[remote.import()].functions[&function];
            let typed =
                RemoteForwarder { instance: &mut instance, function: &function, remote: remote.clone(), consumer };
            if visit_plain_shape(sig, typed).transpose()?.is_some() {
                continue;
            }
            let (remote, name, consumer) = (remote.clone(), function.clone(), Arc::<str>::from(consumer));
            instance.func_new_async(&function, move |store, ty, params, results| {
                let (remote, name, consumer) = (remote.clone(), name.clone(), consumer.clone());
                let origin = CallOrigin::of(store.data());
                Box::new(async move {
                    let (services, callee, catch) = origin.get()?;
                    if skipped(&catch) {
                        return fill_placeholders(&ty, results);
                    }
                    let span = RemoteSpan::begin(&services, &callee, &consumer, remote.as_ref(), &name);
                    let records = services.telemetry.records.as_ref();
                    let fault = services.remote_call_fault(&consumer, remote.as_ref(), &name, &callee);
                    let outcome =
                        Injection::around(fault, remote.call(&name, params, &mut *results, &callee, records)).await;
                    span.end(&outcome);
                    caught(catch.as_deref(), outcome, || fill_placeholders(&ty, results))
                })
            })?;
        }
    }
    for (import, sig) in &surface.imports {
        if sig.functions.is_empty() && !is_host_interface(import) {
            linker.instance(&import.to_string())?; // types only: nothing to provide
        }
    }
    Ok(linker)
}

/// Where a linked or remote import is called from: the running wos, and the context of the
/// call into the callee (a child of the caller's call), made while the caller's Store is at
/// hand so that nothing of the caller's is cloned.
struct CallOrigin {
    services: Option<Arc<super::running::Services>>,
    callee: Option<CallContext>,
    /// The catch the caller (a test) has open, if any.
    catch: Option<Arc<Catch>>,
}

impl CallOrigin {
    fn of(state: &InstanceState) -> CallOrigin {
        let services = state.services.upgrade();
        let callee = match (&services, &state.context) {
            (Some(services), Some(caller)) => Some(caller.for_callee(&services.ids)),
            _ => None,
        };
        let catch = state.context.as_ref().and_then(|caller| caller.pctx.catching.clone());
        CallOrigin { services, callee, catch }
    }

    /// The wos, the context of the call into the callee and the caller's catch, or why the
    /// import cannot be served.
    fn get(self) -> Result<(Arc<super::running::Services>, CallContext, Option<Arc<Catch>>)> {
        let services = self.services.ok_or_else(|| format_err!("the wos has stopped"))?;
        let callee =
            self.callee.ok_or_else(|| format_err!("an import was called outside any call into the service"))?;
        Ok((services, callee, self.catch))
    }
}

/// Whether a call is not to be made: an earlier call under the caller's catch failed.
fn skipped(catch: &Option<Arc<Catch>>) -> bool {
    catch.as_ref().is_some_and(|catch| catch.holds_one())
}

/// `outcome`, unless it failed under the caller's `catch`: then the failure is kept there and
/// the call answers `placeholder`'s values instead of failing its caller.
fn caught<T>(catch: Option<&Catch>, outcome: Result<T>, placeholder: impl FnOnce() -> Result<T>) -> Result<T> {
    match (outcome, catch) {
        (Err(error), Some(catch)) => {
            catch.keep(&error);
            placeholder()
        }
        (outcome, _) => outcome,
    }
}

/// Fills `results` with placeholders of the types `ty` returns.
fn fill_placeholders(ty: &wasmtime::component::types::ComponentFunc, results: &mut [Val]) -> Result<()> {
    for (slot, ty) in results.iter_mut().zip(ty.results()) {
        *slot = crate::caps::sim::placeholder(&ty)?;
    }
    Ok(())
}

/// Forwards `function` with typed values if its signature is one of plain values
/// ([`super::shape::visit_plain_shape`]); returns whether it did.
fn forward_plain_typed(
    instance: &mut LinkerInstance<'_, InstanceState>,
    function: &str,
    sig: &FuncSig,
    (provider, slot): (ServiceId, usize),
    label: &Arc<str>,
    consumer: &Arc<str>,
) -> Result<bool> {
    let forwarder =
        TypedForwarder { instance, function, provider, slot, label: label.clone(), consumer: consumer.clone() };
    visit_plain_shape(sig, forwarder).transpose().map(|forwarded| forwarded.is_some())
}

/// Defines a typed forwarder for the types it is visited with.
struct TypedForwarder<'a, 'l> {
    instance: &'a mut LinkerInstance<'l, InstanceState>,
    function: &'a str,
    provider: ServiceId,
    slot: usize,
    label: Arc<str>,
    consumer: Arc<str>,
}

impl ShapeVisitor for TypedForwarder<'_, '_> {
    type Output = Result<()>;

    fn visit<P: PlainList, R: PlainList>(self) -> Result<()> {
        forward_typed::<P, R>(self)
    }
}

/// The linked import of `forwarder`'s function as a typed host function that makes a typed
/// supervised call into the provider.
fn forward_typed<P, R>(forwarder: TypedForwarder<'_, '_>) -> Result<()>
where
    P: PlainList,
    R: PlainList,
{
    let TypedForwarder { instance, function, provider, slot, label, consumer } = forwarder;
    instance.func_wrap_async(function, move |store, params: P| {
        let (label, consumer) = (label.clone(), consumer.clone());
        let origin = CallOrigin::of(store.data());
        Box::new(async move {
            let (services, caller, catch) = origin.get()?;
            if skipped(&catch) {
                return Ok(R::default());
            }
            let fault = services.linked_call_fault(&consumer, provider, &label, &caller);
            let call = call_service_typed::<P, R>(&services, provider, Target::Slot(slot), &label, params, caller);
            let outcome = Injection::around(fault, call).await;
            caught(catch.as_deref(), outcome, || Ok(R::default()))
        })
    })
}

/// Defines, for the types it is visited with, a typed host function that calls a remote host.
struct RemoteForwarder<'a, 'l> {
    instance: &'a mut LinkerInstance<'l, InstanceState>,
    function: &'a str,
    remote: Arc<dyn RemoteImport>,
    /// The service whose import it is.
    consumer: &'a str,
}

impl ShapeVisitor for RemoteForwarder<'_, '_> {
    type Output = Result<()>;

    fn visit<P: PlainList, R: PlainList>(self) -> Result<()> {
        let (remote, name, consumer) = (self.remote, self.function.to_owned(), Arc::<str>::from(self.consumer));
        self.instance.func_wrap_async(self.function, move |store, params: P| {
            let (remote, name, consumer) = (remote.clone(), name.clone(), consumer.clone());
            let origin = CallOrigin::of(store.data());
            Box::new(async move {
                let (services, callee, catch) = origin.get()?;
                if skipped(&catch) {
                    return Ok(R::default());
                }
                let span = RemoteSpan::begin(&services, &callee, &consumer, remote.as_ref(), &name);
                let records = services.telemetry.records.as_ref();
                let fault = services.remote_call_fault(&consumer, remote.as_ref(), &name, &callee);
                let call = remote.call_plain(&name, params.into_values(), &callee, records);
                let outcome = Injection::around(fault, call).await;
                span.end(&outcome);
                let answer = outcome.and_then(|values| {
                    R::from_values(values)
                        .ok_or_else(|| format_err!("the remote's answer to `{name}` does not fit its WIT"))
                });
                caught(catch.as_deref(), answer, || Ok(R::default()))
            })
        })
    }
}

/// The caller's side of a call to a remote host: a `Client` span, the parent of the remote
/// host's own.
struct RemoteSpan<'a> {
    services: &'a super::running::Services,
    start: Option<SpanStart>,
    consumer: &'a str,
    label: String,
}

impl<'a> RemoteSpan<'a> {
    fn begin(
        services: &'a super::running::Services,
        callee: &CallContext,
        consumer: &'a str,
        remote: &dyn RemoteImport,
        function: &str,
    ) -> RemoteSpan<'a> {
        let start = SpanStart::of(services, callee).map(|start| start.with("server.address", remote.url()));
        let label = if start.is_some() { format!("{}#{function}", remote.import()) } else { String::new() };
        RemoteSpan { services, start, consumer, label }
    }

    fn end<T>(self, outcome: &Result<T>) {
        if let Some(start) = self.start {
            start.end(self.services, self.consumer, &self.label, SpanKind::Client, outcome.as_ref().err());
        }
    }
}

/// Binds imports to other hosts. The runtime does not know how they are reached: the wire
/// layer implements this over gRPC ([`crate::wire::remote::GrpcRemotes`]).
pub trait RemoteBinder: Send + Sync {
    /// One import per link of `links`, all of them imports of `consumer`.
    fn bind(
        &self,
        consumer: &super::LoadedService,
        links: &[&crate::graph::RemoteLink],
    ) -> Result<Vec<Arc<dyn RemoteImport>>>;
}

/// An imported interface served by another host.
pub trait RemoteImport: Send + Sync {
    /// The interface as the consumer imports it.
    fn import(&self) -> &crate::names::InterfaceName;

    /// The remote host's URL (`http://host:port`), as its spans name it.
    fn url(&self) -> &str;

    /// The link's `timeout-ms`: how long a call waits for the remote host's answer at most.
    fn timeout(&self) -> std::time::Duration;

    /// The imported functions, by name.
    fn functions(&self) -> Vec<String>;

    /// [`RemoteImport::call`] for a signature of plain values ([`super::shape`]): bytes travel
    /// as one buffer.
    fn call_plain<'a>(
        &'a self,
        function: &'a str,
        args: Vec<PlainValue>,
        context: &'a CallContext,
        records: Option<&'a Records>,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<PlainValue>>> + Send + 'a>>;

    /// Calls `function` on the remote host with `params`, filling `results`, in `context`:
    /// within what is left of its deadline, as part of its chain, with its per-call context
    /// (the remote's span is a child of `context`'s). The spans the remote host lends for the
    /// call, if `records` keeps them, go into `records`.
    fn call<'a>(
        &'a self,
        function: &'a str,
        params: &'a [Val],
        results: &'a mut [Val],
        context: &'a CallContext,
        records: Option<&'a Records>,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;
}
