//! A call from the dashboard's form with its arguments in JSON: the request message of the
//! function's gRPC method, as a Connect client would send it (`parigot-host proto` writes the
//! `.proto`), and the answer as that method's response message in JSON.

use crate::runtime::Running;
use crate::wire::convert::{params_from_request, response_from_results};
use crate::wire::schema::Schema;
use crate::wire::{InterfaceSide, interface_protos};
use prost_reflect::DynamicMessage;
use serde_json::Value as Json;
use wasmtime::component::Val;

/// Calls `function` of the exported `interface` (`ns:pkg/iface`, a version optional) with the
/// request message `request`: the response message, or why the call could not be made.
pub async fn call(running: &Running, interface: &str, function: &str, request: Json) -> Result<Json, String> {
    let app = running.app();
    let unversioned = |name: &crate::names::InterfaceName| name.to_string().split('@').next().map(str::to_owned);
    let wanted = interface.split('@').next().unwrap_or(interface);
    let (service, exported) = app
        .services
        .iter()
        .find_map(|service| {
            let exported = service.surface.exports.keys().find(|name| unversioned(name).as_deref() == Some(wanted))?;
            Some((service, exported))
        })
        .ok_or_else(|| format!("no service of the wos exports `{interface}`"))?;
    let sig = service.surface.exports[exported]
        .functions
        .get(function)
        .ok_or_else(|| format!("`{exported}` has no function `{function}`"))?;
    let bug = |e: wasmtime::Error| format!("cannot map `{exported}` to protobuf: {e:#}");
    let files = interface_protos(&[(service, exported)], InterfaceSide::Export).map_err(bug)?;
    let schema = Schema::compile(&files).map_err(bug)?;
    let rpc = schema.rpc(&files[0].service, function).map_err(bug)?;
    let message = DynamicMessage::deserialize(rpc.input.clone(), request)
        .map_err(|e| format!("the arguments are not a valid `{}`: {e}", rpc.input.full_name()))?;
    let params =
        params_from_request(&message, sig).map_err(|e| format!("the arguments do not fit `{function}`: {e}"))?;
    let mut results = vec![Val::Bool(false); sig.results.len()];
    running
        .call(service.name.as_str(), &exported.to_string(), function, &params, &mut results)
        .await
        .map_err(|e| format!("{e:#}"))?;
    serde_json::to_value(response_from_results(&rpc.output, sig, &results))
        .map_err(|e| format!("cannot write the answer as JSON: {e}"))
}
