//! A service's surface: the interfaces its component imports and exports, with the signature
//! of every function, read from the component itself.
//!
//! Signatures are kept as plain values ([`ValType`]) so that linking decisions and type checks
//! can be made, tested and explained without a wasmtime `Store`.

use crate::names::InterfaceName;
use std::collections::BTreeMap;
use std::fmt;
use wasmtime::Engine;
use wasmtime::component::types::{self, ComponentItem};

/// The export that makes a component a program rather than a server.
pub const RUN_INTERFACE: &str = "wasi:cli/run";

/// The interfaces a component imports and exports.
#[derive(Debug, Clone, Default)]
pub struct Surface {
    /// Imported interfaces, by name as the component spells it.
    pub imports: BTreeMap<InterfaceName, InterfaceSig>,
    /// Exported interfaces, by name as the component spells it.
    pub exports: BTreeMap<InterfaceName, InterfaceSig>,
}

/// The functions of one interface, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InterfaceSig {
    pub functions: BTreeMap<String, FuncSig>,
}

/// A function's parameters (with names) and results.
#[derive(Debug, Clone, PartialEq)]
pub struct FuncSig {
    pub params: Vec<(String, ValType)>,
    pub results: Vec<ValType>,
}

/// A WIT value type, structurally (WIT type names are not part of a component's type).
#[derive(Debug, Clone, PartialEq)]
pub enum ValType {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
    String,
    List(Box<ValType>),
    Record(Vec<(String, ValType)>),
    Tuple(Vec<ValType>),
    Variant(Vec<(String, Option<ValType>)>),
    Enum(Vec<String>),
    Option(Box<ValType>),
    Result {
        ok: Option<Box<ValType>>,
        err: Option<Box<ValType>>,
    },
    Flags(Vec<String>),
    /// A type that cannot cross between services yet (resources, futures, streams, ...),
    /// described for error messages.
    Unsupported(&'static str),
}

impl Surface {
    /// Reads the surface of `component`. Items that are not interfaces (a bare function
    /// import, say) are left out; the linker reports them when it cannot satisfy them.
    pub fn of(component: &wasmtime::component::Component, engine: &Engine) -> Surface {
        let ty = component.component_type();
        Surface { imports: interfaces(ty.imports(engine), engine), exports: interfaces(ty.exports(engine), engine) }
    }

    /// Whether the component is a program: it exports `wasi:cli/run`.
    pub fn is_program(&self) -> bool {
        self.exports.keys().any(|name| name.path() == RUN_INTERFACE)
    }
}

fn interfaces<'a>(
    items: impl Iterator<Item = (&'a str, types::ComponentExtern<'a>)>,
    engine: &Engine,
) -> BTreeMap<InterfaceName, InterfaceSig> {
    items
        .filter_map(|(name, item)| match (InterfaceName::parse(name), item.ty) {
            (Some(name), ComponentItem::ComponentInstance(instance)) => {
                Some((name, InterfaceSig::of(&instance, engine)))
            }
            _ => None,
        })
        .collect()
}

impl InterfaceSig {
    fn of(instance: &types::ComponentInstance, engine: &Engine) -> InterfaceSig {
        let functions = instance
            .exports(engine)
            .filter_map(|(name, item)| match item.ty {
                ComponentItem::ComponentFunc(func) => Some((name.to_owned(), FuncSig::of(&func))),
                _ => None,
            })
            .collect();
        InterfaceSig { functions }
    }
}

impl FuncSig {
    fn of(func: &types::ComponentFunc) -> FuncSig {
        FuncSig {
            params: func.params().map(|(name, ty)| (name.to_owned(), ValType::of(&ty))).collect(),
            results: func.results().map(|ty| ValType::of(&ty)).collect(),
        }
    }
}

impl ValType {
    /// Converts a wasmtime component type into its structural description.
    pub fn of(ty: &types::Type) -> ValType {
        use types::Type as T;
        let boxed = |ty: types::Type| Box::new(ValType::of(&ty));
        match ty {
            T::Bool => ValType::Bool,
            T::S8 => ValType::S8,
            T::U8 => ValType::U8,
            T::S16 => ValType::S16,
            T::U16 => ValType::U16,
            T::S32 => ValType::S32,
            T::U32 => ValType::U32,
            T::S64 => ValType::S64,
            T::U64 => ValType::U64,
            T::Float32 => ValType::F32,
            T::Float64 => ValType::F64,
            T::Char => ValType::Char,
            T::String => ValType::String,
            T::List(list) => ValType::List(boxed(list.ty())),
            T::Record(record) => {
                ValType::Record(record.fields().map(|f| (f.name.to_owned(), ValType::of(&f.ty))).collect())
            }
            T::Tuple(tuple) => ValType::Tuple(tuple.types().map(|t| ValType::of(&t)).collect()),
            T::Variant(variant) => {
                ValType::Variant(variant.cases().map(|c| (c.name.to_owned(), c.ty.as_ref().map(ValType::of))).collect())
            }
            T::Enum(e) => ValType::Enum(e.names().map(str::to_owned).collect()),
            T::Option(option) => ValType::Option(boxed(option.ty())),
            T::Result(result) => ValType::Result { ok: result.ok().map(boxed), err: result.err().map(boxed) },
            T::Flags(flags) => ValType::Flags(flags.names().map(str::to_owned).collect()),
            T::Own(_) | T::Borrow(_) => ValType::Unsupported("resource"),
            T::Future(_) => ValType::Unsupported("future"),
            T::Stream(_) => ValType::Unsupported("stream"),
            T::ErrorContext => ValType::Unsupported("error-context"),
            T::Map(_) => ValType::Unsupported("map"),
            T::FixedLengthList(_) => ValType::Unsupported("fixed-length list"),
        }
    }

    /// Describes the first place where `self` (what an import expects) and `other` (what an
    /// export provides) differ, as a path into the type, or `None` if they are the same.
    pub fn difference(&self, other: &ValType) -> Option<String> {
        use ValType as V;
        match (self, other) {
            (V::List(a), V::List(b)) | (V::Option(a), V::Option(b)) => a.difference(b),
            (V::Record(a), V::Record(b)) => named_differences("field", a, b, |a, b| a.difference(b)),
            (V::Variant(a), V::Variant(b)) => named_differences("case", a, b, optional_difference),
            (V::Tuple(a), V::Tuple(b)) if a.len() == b.len() => a
                .iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (a, b))| a.difference(b).map(|d| format!("element {i} > {d}"))),
            (V::Result { ok: ao, err: ae }, V::Result { ok: bo, err: be }) => {
                optional_difference(&ao.as_deref().cloned(), &bo.as_deref().cloned())
                    .map(|d| format!("ok > {d}"))
                    .or_else(|| {
                        optional_difference(&ae.as_deref().cloned(), &be.as_deref().cloned())
                            .map(|d| format!("err > {d}"))
                    })
            }
            (a, b) if a == b => None,
            (a, b) => Some(format!("expected {a}, found {b}")),
        }
    }
}

fn optional_difference(a: &Option<ValType>, b: &Option<ValType>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => a.difference(b),
        (None, None) => None,
        (a, b) => Some(format!("expected {}, found {}", describe_optional(a), describe_optional(b))),
    }
}

fn describe_optional(ty: &Option<ValType>) -> String {
    ty.as_ref().map_or_else(|| "no payload".to_owned(), ToString::to_string)
}

/// Compares two lists of named members (record fields, variant cases) in order.
fn named_differences<T>(
    kind: &str,
    a: &[(String, T)],
    b: &[(String, T)],
    differ: impl Fn(&T, &T) -> Option<String>,
) -> Option<String> {
    let names = |list: &[(String, T)]| list.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
    if a.len() != b.len() || a.iter().zip(b).any(|((x, _), (y, _))| x != y) {
        return Some(format!("expected {kind}s [{}], found [{}]", names(a), names(b)));
    }
    a.iter().zip(b).find_map(|((name, a), (_, b))| differ(a, b).map(|d| format!("{kind} `{name}` > {d}")))
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ValType as V;
        let join = |items: Vec<String>| items.join(", ");
        match self {
            V::Bool => f.write_str("bool"),
            V::S8 => f.write_str("s8"),
            V::U8 => f.write_str("u8"),
            V::S16 => f.write_str("s16"),
            V::U16 => f.write_str("u16"),
            V::S32 => f.write_str("s32"),
            V::U32 => f.write_str("u32"),
            V::S64 => f.write_str("s64"),
            V::U64 => f.write_str("u64"),
            V::F32 => f.write_str("f32"),
            V::F64 => f.write_str("f64"),
            V::Char => f.write_str("char"),
            V::String => f.write_str("string"),
            V::List(t) => write!(f, "list<{t}>"),
            V::Option(t) => write!(f, "option<{t}>"),
            V::Record(fields) => {
                write!(f, "record {{ {} }}", join(fields.iter().map(|(n, t)| format!("{n}: {t}")).collect()))
            }
            V::Tuple(types) => write!(f, "tuple<{}>", join(types.iter().map(ToString::to_string).collect())),
            V::Variant(cases) => write!(
                f,
                "variant {{ {} }}",
                join(cases.iter().map(|(n, t)| t.as_ref().map_or(n.clone(), |t| format!("{n}({t})"))).collect())
            ),
            V::Enum(names) => write!(f, "enum {{ {} }}", names.join(", ")),
            V::Flags(names) => write!(f, "flags {{ {} }}", names.join(", ")),
            V::Result { ok, err } => {
                let part = |t: &Option<Box<ValType>>| t.as_ref().map_or("_".to_owned(), |t| t.to_string());
                write!(f, "result<{}, {}>", part(ok), part(err))
            }
            V::Unsupported(what) => f.write_str(what),
        }
    }
}

impl fmt::Display for FuncSig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: Vec<_> = self.params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        write!(f, "func({})", params.join(", "))?;
        match self.results.as_slice() {
            [] => Ok(()),
            [one] => write!(f, " -> {one}"),
            many => write!(f, " -> ({})", many.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ValType as V;

    fn record(fields: &[(&str, V)]) -> V {
        V::Record(fields.iter().map(|(n, t)| (n.to_string(), t.clone())).collect())
    }

    #[test]
    fn identical_types_have_no_difference() {
        let t = V::List(Box::new(record(&[("name", V::String), ("age", V::U8)])));
        assert_eq!(t.difference(&t.clone()), None);
    }

    #[test]
    fn differences_name_the_path_into_the_type() {
        let import = V::List(Box::new(record(&[("name", V::String), ("age", V::U8)])));
        let export = V::List(Box::new(record(&[("name", V::String), ("age", V::U32)])));
        assert_eq!(import.difference(&export).unwrap(), "field `age` > expected u8, found u32");
        let renamed = record(&[("nom", V::String), ("age", V::U8)]);
        assert_eq!(
            record(&[("name", V::String), ("age", V::U8)]).difference(&renamed).unwrap(),
            "expected fields [name, age], found [nom, age]"
        );
        let ok_only = V::Result { ok: Some(Box::new(V::String)), err: None };
        let with_err = V::Result { ok: Some(Box::new(V::String)), err: Some(Box::new(V::U32)) };
        assert_eq!(ok_only.difference(&with_err).unwrap(), "err > expected no payload, found u32");
    }
}
