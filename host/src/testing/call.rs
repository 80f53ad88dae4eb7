//! Ad-hoc calls: `parigot-host call WOS 'ns:pkg/iface.func(arg, ...)'` calls any function a
//! service of the wos exports, its arguments and results in WAVE (the WebAssembly value
//! encoding of the `wasm-wave` crate, which wasmtime's values read and write).
//!
//! The interface may carry a version after its name (`ns:pkg/iface@0.1.0.func(...)`) or, as
//! WAVE writes it, after the function (`ns:pkg/iface.func@0.1.0(...)`); without one, any
//! version the wos exports matches.

use crate::names::{InterfaceName, ServiceName};
use crate::runtime::{App, Caller, Running};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::wasm_wave::untyped::UntypedFuncCall;
use wasmtime::component::{Type, Val};

/// A call, parsed and typed against the wos.
#[derive(Debug)]
pub struct AdHocCall {
    /// The service that exports the function.
    pub service: ServiceName,
    /// The interface as that service exports it.
    pub interface: String,
    pub function: String,
    params: Vec<Val>,
    results: usize,
}

/// Why a call's text does not make a call.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CallError {
    message: String,
}

impl CallError {
    fn new(message: impl Into<String>) -> CallError {
        CallError { message: message.into() }
    }

    /// An error at byte `at` of `text`, shown with a caret under it.
    fn at(text: &str, at: usize, why: &str) -> CallError {
        let column = text[..at.min(text.len())].chars().count();
        CallError::new(format!("{why}, at column {}:\n  {text}\n  {}^", column + 1, " ".repeat(column)))
    }
}

impl AdHocCall {
    /// Parses `text` and types its arguments against the function the wos exports.
    pub fn parse(app: &App, text: &str) -> Result<AdHocCall, CallError> {
        let text = text.trim();
        let open = text.find('(').ok_or_else(|| {
            CallError::new(format!(
                "`{text}` is not a call: write `namespace:package/interface.function(arg, ...)`, arguments in WAVE"
            ))
        })?;
        let (interface, function) = split_name(&text[..open]).ok_or_else(|| {
            CallError::at(text, 0, "expected `namespace:package/interface.function` before the arguments")
        })?;
        let (service, exported) = provider(app, &interface)?;
        let func = function_type(app, &service, &exported, function)?;
        // WAVE parses `function(args)`; its spans are mapped back into `text`.
        let call_text = format!("{function}{}", &text[open..]);
        let shift = open - function.len();
        let call = UntypedFuncCall::parse(&call_text).map_err(|e| {
            CallError::at(text, shift + e.span().start, &format!("cannot parse the call: {}", e.kind()))
        })?;
        let param_types: Vec<Type> = func.params().map(|(_, ty)| ty).collect();
        let params = call.to_wasm_params::<Val>(&param_types).map_err(|e| {
            let detail = e.detail().map(|d| format!(" ({d})")).unwrap_or_default();
            let which = argument_at(&call, e.span().start)
                .and_then(|index| func.params().nth(index).map(|(name, ty)| (index, name.to_owned(), ty)));
            let why = match which {
                Some((index, name, ty)) => format!(
                    "argument {} (`{name}`) must be a WAVE value of type `{}`, for example `{}`: {}{detail}",
                    index + 1,
                    type_text(&ty),
                    example(&ty),
                    e.kind()
                ),
                None => format!("{}{detail}; `{function}` takes {}", e.kind(), signature(function, &func)),
            };
            CallError::at(text, shift + e.span().start, &why)
        })?;
        Ok(AdHocCall {
            service,
            interface: exported.to_string(),
            function: function.to_owned(),
            params,
            results: func.results().len(),
        })
    }

    /// Makes the call in `running`, as `user` if given; returns each result in WAVE.
    pub async fn run(&self, running: &Running, user: Option<&str>) -> wasmtime::Result<Vec<String>> {
        let pctx = user.map(|user| running.context_at_edge(Default::default(), Some(user)));
        let caller = Caller { pctx, ..Caller::default() };
        let mut results = vec![Val::Bool(false); self.results];
        running
            .call_as(caller, self.service.as_str(), &self.interface, &self.function, &self.params, &mut results)
            .await?;
        results.iter().map(|value| value.to_wave()).collect()
    }
}

/// Which argument of `call` the byte `at` (of its text) falls in.
fn argument_at(call: &UntypedFuncCall<'_>, at: usize) -> Option<usize> {
    let arguments = call.params_node()?.as_tuple().ok()?;
    arguments.enumerate().find(|(_, node)| node.span().contains(&at)).map(|(index, _)| index)
}

/// `name: type, ...` in parentheses, with an example call: what `function` takes.
fn signature(function: &str, func: &wasmtime::component::types::ComponentFunc) -> String {
    let params: Vec<String> = func.params().map(|(name, ty)| format!("{name}: {}", type_text(&ty))).collect();
    let examples: Vec<String> = func.params().map(|(_, ty)| example(&ty)).collect();
    format!("({}), for example `{function}({})`", params.join(", "), examples.join(", "))
}

/// A WIT type as WIT writes it (named types by their structure).
fn type_text(ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::S8 => "s8".into(),
        Type::U8 => "u8".into(),
        Type::S16 => "s16".into(),
        Type::U16 => "u16".into(),
        Type::S32 => "s32".into(),
        Type::U32 => "u32".into(),
        Type::S64 => "s64".into(),
        Type::U64 => "u64".into(),
        Type::Float32 => "f32".into(),
        Type::Float64 => "f64".into(),
        Type::Char => "char".into(),
        Type::String => "string".into(),
        Type::List(list) => format!("list<{}>", type_text(&list.ty())),
        Type::Option(option) => format!("option<{}>", type_text(&option.ty())),
        Type::Result(result) => match (result.ok(), result.err()) {
            (Some(ok), Some(err)) => format!("result<{}, {}>", type_text(&ok), type_text(&err)),
            (Some(ok), None) => format!("result<{}>", type_text(&ok)),
            (None, Some(err)) => format!("result<_, {}>", type_text(&err)),
            (None, None) => "result".into(),
        },
        Type::Tuple(tuple) => {
            format!("tuple<{}>", tuple.types().map(|ty| type_text(&ty)).collect::<Vec<_>>().join(", "))
        }
        Type::Record(record) => {
            let fields: Vec<String> = record.fields().map(|f| format!("{}: {}", f.name, type_text(&f.ty))).collect();
            format!("record {{ {} }}", fields.join(", "))
        }
        Type::Variant(variant) => {
            let cases: Vec<String> = variant
                .cases()
                .map(|case| match case.ty {
                    Some(ty) => format!("{}({})", case.name, type_text(&ty)),
                    None => case.name.to_owned(),
                })
                .collect();
            format!("variant {{ {} }}", cases.join(", "))
        }
        Type::Enum(enumeration) => format!("enum {{ {} }}", enumeration.names().collect::<Vec<_>>().join(", ")),
        Type::Flags(flags) => format!("flags {{ {} }}", flags.names().collect::<Vec<_>>().join(", ")),
        other => format!("{other:?}"),
    }
}

/// A value of `ty` in WAVE, to show what an argument looks like.
fn example(ty: &Type) -> String {
    match ty {
        Type::Bool => "true".into(),
        Type::S8 | Type::U8 | Type::S16 | Type::U16 | Type::S32 | Type::U32 | Type::S64 | Type::U64 => "42".into(),
        Type::Float32 | Type::Float64 => "1.5".into(),
        Type::Char => "'a'".into(),
        Type::String => "\"text\"".into(),
        Type::List(list) => format!("[{}]", example(&list.ty())),
        Type::Option(option) => format!("some({})", example(&option.ty())),
        Type::Result(result) => match result.ok() {
            Some(ok) => format!("ok({})", example(&ok)),
            None => "ok".into(),
        },
        Type::Tuple(tuple) => format!("({})", tuple.types().map(|ty| example(&ty)).collect::<Vec<_>>().join(", ")),
        Type::Record(record) => {
            let fields: Vec<String> = record.fields().map(|f| format!("{}: {}", f.name, example(&f.ty))).collect();
            format!("{{{}}}", fields.join(", "))
        }
        Type::Variant(variant) => match variant.cases().next() {
            Some(case) => match case.ty {
                Some(ty) => format!("{}({})", case.name, example(&ty)),
                None => case.name.to_owned(),
            },
            None => "?".into(),
        },
        Type::Enum(enumeration) => enumeration.names().next().unwrap_or("?").to_owned(),
        Type::Flags(flags) => format!("{{{}}}", flags.names().next().unwrap_or_default()),
        _ => "?".into(),
    }
}

/// `ns:pkg/iface.func`, `ns:pkg/iface@1.2.3.func` or `ns:pkg/iface.func@1.2.3`: the interface
/// (with its version, if any) and the function.
fn split_name(name: &str) -> Option<(InterfaceName, &str)> {
    let name = name.trim();
    let (path, function, version) = match name.split_once('@') {
        None => {
            let (path, function) = name.rsplit_once('.')?;
            (path, function, None)
        }
        Some((before, after)) => match before.rsplit_once('.').filter(|(path, _)| path.contains('/')) {
            // `ns:pkg/iface.func@1.2.3`
            Some((path, function)) if semver::Version::parse(after).is_ok() => (path, function, Some(after)),
            // `ns:pkg/iface@1.2.3.func`
            _ => {
                let (version, function) = after.rsplit_once('.')?;
                (before, function, Some(version))
            }
        },
    };
    let full = match version {
        Some(version) => format!("{path}@{version}"),
        None => path.to_owned(),
    };
    let is_label = !function.is_empty() && function.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    Some((InterfaceName::parse(&full)?, function)).filter(|_| is_label)
}

/// The one service that exports `interface`, and the name it exports it by.
fn provider(app: &App, interface: &InterfaceName) -> Result<(ServiceName, InterfaceName), CallError> {
    let providers: Vec<(ServiceName, InterfaceName)> = app
        .services
        .iter()
        .flat_map(|service| {
            service
                .surface
                .exports
                .keys()
                .filter(|exported| interface.accepts(exported))
                .map(|exported| (service.name.clone(), exported.clone()))
        })
        .collect();
    match providers.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(CallError::new(format!(
            "no service of wos `{}` exports `{interface}`; `parigot-host check` lists what each imports and exports",
            app.manifest.name
        ))),
        several => Err(CallError::new(format!(
            "several services export `{interface}` ({}); name a version, or call a wos with one of them",
            several.iter().map(|(service, exported)| format!("`{service}`: {exported}")).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// The type of `function` in the `interface` that `service` exports.
fn function_type(
    app: &App,
    service: &ServiceName,
    interface: &InterfaceName,
    function: &str,
) -> Result<wasmtime::component::types::ComponentFunc, CallError> {
    let loaded = app.services.iter().find(|s| &s.name == service).expect("the provider is a service of the wos");
    let engine = app.engine();
    let name = interface.to_string();
    let instance = loaded.component.component_type().exports(engine).find_map(|(export, item)| match item.ty {
        ComponentItem::ComponentInstance(instance) if export == name => Some(instance),
        _ => None,
    });
    let instance = instance.expect("the surface lists what the component exports");
    let mut functions = Vec::new();
    for (name, item) in instance.exports(engine) {
        if let ComponentItem::ComponentFunc(func) = item.ty {
            if name == function {
                return Ok(func);
            }
            functions.push(name.to_owned());
        }
    }
    Err(CallError::new(format!(
        "`{interface}` has no function `{function}`; it has {}",
        functions.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_with_the_version_in_either_place() {
        let split = |text: &str| split_name(text).map(|(i, f)| (i.to_string(), f.to_owned()));
        let expected = Some(("parigot:testing/users@0.1.0".to_owned(), "whoami".to_owned()));
        assert_eq!(split("parigot:testing/users@0.1.0.whoami"), expected);
        assert_eq!(split("parigot:testing/users.whoami@0.1.0"), expected);
        assert_eq!(
            split("parigot:testing/users.members-only"),
            Some(("parigot:testing/users".into(), "members-only".into()))
        );
        for bad in ["whoami", "parigot:testing/users", "parigot:testing/users.", "users.whoami", "a:b/c@x.f"] {
            assert_eq!(split(bad), None, "{bad}");
        }
    }
}
