//! Requests to functions whose signature is one of plain values ([`crate::runtime::shape`]):
//! the request's fields become Rust values (a bytes field one `Vec<u8>`) and the call is
//! typed, so a large `list<u8>` never becomes one dynamic value per byte.

use super::Endpoint;
use crate::runtime::shape::{PlainList, PlainValue, ShapeVisitor, visit_plain_shape};
use crate::runtime::{Caller, Running};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use wasmtime::Result;
use wasmtime::error::Context;

/// A typed call of one endpoint's function.
pub(super) trait TypedCall: Send + Sync {
    /// Calls the function with `args` (the request's fields, in order) and returns its results.
    fn call(
        &self,
        running: Running,
        caller: Caller,
        endpoint: Arc<Endpoint>,
        args: Vec<PlainValue>,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<PlainValue>>> + Send>>;
}

/// The typed call of a function with signature `sig`, if it is one of plain values.
pub(super) fn typed_call(sig: &crate::surface::FuncSig) -> Option<Arc<dyn TypedCall>> {
    visit_plain_shape(sig, MakeTypedCall)
}

struct MakeTypedCall;

impl ShapeVisitor for MakeTypedCall {
    type Output = Arc<dyn TypedCall>;

    fn visit<P: PlainList, R: PlainList>(self) -> Arc<dyn TypedCall> {
        Arc::new(Typed::<P, R>(PhantomData))
    }
}

/// A typed call with parameters `P` and results `R`.
struct Typed<P, R>(PhantomData<fn() -> (P, R)>);

impl<P: PlainList, R: PlainList> TypedCall for Typed<P, R> {
    fn call(
        &self,
        running: Running,
        caller: Caller,
        endpoint: Arc<Endpoint>,
        args: Vec<PlainValue>,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<PlainValue>>> + Send>> {
        Box::pin(async move {
            let params = P::from_values(args).context("the request's fields do not fit the function")?;
            let (service, interface, function) = (endpoint.provider.as_str(), &endpoint.interface, &endpoint.function);
            let results: R = running.call_typed(caller, service, interface, function, params).await?;
            Ok(results.into_values())
        })
    }
}
