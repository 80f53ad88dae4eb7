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
use super::shape::{PlainList, PlainValue, ShapeVisitor, visit_plain_shape};
use super::spans::SpanStart;
use super::state::{InstanceState, ServiceId};
use crate::graph::{Link, is_host_interface};
use crate::surface::{FuncSig, Surface};
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
            if forward_plain_typed(&mut instance, function, sig, provider, slot, &label)? {
                continue;
            }
            instance.func_new_async(function, move |store, _ty, params, results| {
                let label = label.clone();
                let origin = CallOrigin::of(store.data());
                Box::new(async move {
                    let (services, caller) = origin.get()?;
                    call_service(&services, provider, Target::Slot(slot), &label, params, results, caller).await
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
            instance.func_new_async(&function, move |store, _ty, params, results| {
                let (remote, name, consumer) = (remote.clone(), name.clone(), consumer.clone());
                let origin = CallOrigin::of(store.data());
                Box::new(async move {
                    let (services, callee) = origin.get()?;
                    let span = RemoteSpan::begin(&services, &callee, &consumer, remote.as_ref(), &name);
                    let outcome = remote.call(&name, params, results, &callee).await;
                    span.end(&outcome);
                    outcome
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
}

impl CallOrigin {
    fn of(state: &InstanceState) -> CallOrigin {
        let services = state.services.upgrade();
        let callee = match (&services, &state.context) {
            (Some(services), Some(caller)) => Some(caller.for_callee(&services.ids)),
            _ => None,
        };
        CallOrigin { services, callee }
    }

    /// The wos and the context of the call into the callee, or why the import cannot be
    /// served.
    fn get(self) -> Result<(Arc<super::running::Services>, CallContext)> {
        let services = self.services.ok_or_else(|| format_err!("the wos has stopped"))?;
        let callee =
            self.callee.ok_or_else(|| format_err!("an import was called outside any call into the service"))?;
        Ok((services, callee))
    }
}

/// Forwards `function` with typed values if its signature is one of plain values
/// ([`super::shape::visit_plain_shape`]); returns whether it did.
fn forward_plain_typed(
    instance: &mut LinkerInstance<'_, InstanceState>,
    function: &str,
    sig: &FuncSig,
    provider: ServiceId,
    slot: usize,
    label: &Arc<str>,
) -> Result<bool> {
    let forwarder = TypedForwarder { instance, function, provider, slot, label: label.clone() };
    visit_plain_shape(sig, forwarder).transpose().map(|forwarded| forwarded.is_some())
}

/// Defines a typed forwarder for the types it is visited with.
struct TypedForwarder<'a, 'l> {
    instance: &'a mut LinkerInstance<'l, InstanceState>,
    function: &'a str,
    provider: ServiceId,
    slot: usize,
    label: Arc<str>,
}

impl ShapeVisitor for TypedForwarder<'_, '_> {
    type Output = Result<()>;

    fn visit<P: PlainList, R: PlainList>(self) -> Result<()> {
        forward_typed::<P, R>(self.instance, self.function, self.provider, self.slot, self.label)
    }
}

/// A linked import of `function` as a typed host function that makes a typed supervised call
/// into the provider.
fn forward_typed<P, R>(
    instance: &mut LinkerInstance<'_, InstanceState>,
    function: &str,
    provider: ServiceId,
    slot: usize,
    label: Arc<str>,
) -> Result<()>
where
    P: PlainList,
    R: PlainList,
{
    instance.func_wrap_async(function, move |store, params: P| {
        let label = label.clone();
        let origin = CallOrigin::of(store.data());
        Box::new(async move {
            let (services, caller) = origin.get()?;
            call_service_typed::<P, R>(&services, provider, Target::Slot(slot), &label, params, caller).await
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
                let (services, callee) = origin.get()?;
                let span = RemoteSpan::begin(&services, &callee, &consumer, remote.as_ref(), &name);
                let outcome = remote.call_plain(&name, params.into_values(), &callee).await;
                span.end(&outcome);
                R::from_values(outcome?)
                    .ok_or_else(|| format_err!("the remote's answer to `{name}` does not fit its WIT"))
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

    /// The imported functions, by name.
    fn functions(&self) -> Vec<String>;

    /// [`RemoteImport::call`] for a signature of plain values ([`super::shape`]): bytes travel
    /// as one buffer.
    fn call_plain<'a>(
        &'a self,
        function: &'a str,
        args: Vec<PlainValue>,
        context: &'a CallContext,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<PlainValue>>> + Send + 'a>>;

    /// Calls `function` on the remote host with `params`, filling `results`, in `context`:
    /// within what is left of its deadline, as part of its chain, with its per-call context
    /// (the remote's span is a child of `context`'s).
    fn call<'a>(
        &'a self,
        function: &'a str,
        params: &'a [Val],
        results: &'a mut [Val],
        context: &'a CallContext,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;
}
