//! WIT values <-> protobuf messages, following the mapping of [`super::proto`] (the table is
//! docs/reference/protobuf.md). Both directions are driven by the function's structural type
//! ([`ValType`]) and the message descriptors compiled from the generated `.proto` files, and
//! fields are found by number, the mapping's stable part.
//!
//! Values coming from the wire are checked against the WIT type: a `u8` above 255, a `char`
//! that is not one character, an enum number that names no case, a variant with no case set
//! are refused with a [`ConvertError`] that says which field.

use crate::runtime::shape::PlainValue;
use crate::surface::{FuncSig, ValType};
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, ReflectMessage, Value};
use std::borrow::Cow;
use wasmtime::component::Val;

/// A value that does not fit its WIT type, with the path of the field it was found at.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field `{path}`: {problem}")]
pub struct ConvertError {
    /// Where in the message, e.g. `order.lines[2].quantity`.
    pub path: String,
    pub problem: String,
}

type Converted<T> = Result<T, ConvertError>;

fn problem<T>(problem: impl Into<String>) -> Converted<T> {
    Err(ConvertError { path: String::new(), problem: problem.into() })
}

/// Prefixes the path of an error coming from inside field `name`.
fn inside<T>(name: &str, result: Converted<T>) -> Converted<T> {
    result.map_err(|mut error| {
        error.path = match error.path.as_str() {
            "" => name.to_owned(),
            rest if rest.starts_with('[') => format!("{name}{rest}"),
            rest => format!("{name}.{rest}"),
        };
        error
    })
}

/// A function's request message from its arguments (the client side of a remote import).
pub fn request_from_params(desc: &MessageDescriptor, sig: &FuncSig, params: &[Val]) -> DynamicMessage {
    let mut message = DynamicMessage::new(desc.clone());
    for (index, ((_, ty), val)) in sig.params.iter().zip(params).enumerate() {
        set_field(&mut message, &field(desc, index + 1), ty, val);
    }
    message
}

/// A function's arguments from its request message (the server side).
pub fn params_from_request(message: &DynamicMessage, sig: &FuncSig) -> Converted<Vec<Val>> {
    numbered_vals(message, sig.params.iter().map(|(name, ty)| (name.into(), ty)))
}

/// A function's response message from its results (the server side). A `result` return type
/// fills the response's `outcome` oneof; any other fills its `result` field.
pub fn response_from_results(desc: &MessageDescriptor, sig: &FuncSig, results: &[Val]) -> DynamicMessage {
    match (sig.results.first(), results.first()) {
        (Some(ty @ ValType::Result { .. }), Some(val)) => {
            let Value::Message(message) = plain_value(&Kind::Message(desc.clone()), ty, val) else {
                unreachable!("a result maps to a message")
            };
            message
        }
        (Some(ty), Some(val)) => {
            let mut message = DynamicMessage::new(desc.clone());
            set_field(&mut message, &field(desc, 1), ty, val);
            message
        }
        _ => DynamicMessage::new(desc.clone()),
    }
}

/// A function's arguments from its request message, for a signature of plain values served
/// typed ([`crate::runtime::shape`]): bytes fields are moved out, not copied a byte at a time.
pub fn plain_params_from_request(mut message: DynamicMessage, sig: &FuncSig) -> Converted<Vec<PlainValue>> {
    let desc = message.descriptor();
    let mut values = Vec::with_capacity(sig.params.len());
    for (index, (name, ty)) in sig.params.iter().enumerate() {
        let field = field(&desc, index + 1);
        let value = message.take_field(&field).unwrap_or_else(|| Value::default_value_for_field(&field));
        values.push(inside(name, plain_value_of(value, ty))?);
    }
    Ok(values)
}

/// A function's response message from its results, for a signature of plain values.
pub fn response_from_plain_results(desc: &MessageDescriptor, results: Vec<PlainValue>) -> DynamicMessage {
    request_from_plain_params(desc, results) // one field per value, numbered from 1, either way
}

/// A function's request message from its arguments, for a signature of plain values (the
/// client side of a remote import).
pub fn request_from_plain_params(desc: &MessageDescriptor, args: Vec<PlainValue>) -> DynamicMessage {
    let mut message = DynamicMessage::new(desc.clone());
    for (index, arg) in args.into_iter().enumerate() {
        message.set_field(&field(desc, index + 1), proto_value(arg));
    }
    message
}

/// A function's results from its response message, for a signature of plain values (the
/// client side of a remote import).
pub fn plain_results_from_response(mut message: DynamicMessage, sig: &FuncSig) -> Converted<Vec<PlainValue>> {
    let desc = message.descriptor();
    let mut values = Vec::with_capacity(sig.results.len());
    for (index, ty) in sig.results.iter().enumerate() {
        let field = field(&desc, index + 1);
        let value = message.take_field(&field).unwrap_or_else(|| Value::default_value_for_field(&field));
        values.push(inside("result", plain_value_of(value, ty))?);
    }
    Ok(values)
}

/// The protobuf value of a plain value.
fn proto_value(value: PlainValue) -> Value {
    match value {
        PlainValue::Bytes(bytes) => Value::Bytes(bytes.into()),
        PlainValue::Text(text) => Value::String(text),
        PlainValue::U32(n) => Value::U32(n),
        PlainValue::U64(n) => Value::U64(n),
        PlainValue::Bool(b) => Value::Bool(b),
    }
}

/// The plain value of a field's `value`, checked against `ty`.
fn plain_value_of(value: Value, ty: &ValType) -> Converted<PlainValue> {
    Ok(match (ty, value) {
        (ValType::List(_), Value::Bytes(bytes)) => PlainValue::Bytes(bytes.into()),
        (ValType::String, Value::String(text)) => PlainValue::Text(text),
        (ValType::U32, Value::U32(n)) => PlainValue::U32(n),
        (ValType::U64, Value::U64(n)) => PlainValue::U64(n),
        (ValType::Bool, Value::Bool(b)) => PlainValue::Bool(b),
        (ty, _) => return problem(format!("expected {}", describe(ty))),
    })
}

/// A function's results from its response message (the client side of a remote import).
pub fn results_from_response(message: &DynamicMessage, sig: &FuncSig) -> Converted<Vec<Val>> {
    let desc = message.descriptor();
    match sig.results.first() {
        Some(ty @ ValType::Result { .. }) => Ok(vec![plain_val(&Value::Message(message.clone()), ty)?]),
        Some(ty) => Ok(vec![inside("result", field_val(message, &field(&desc, 1), ty))?]),
        None => Ok(Vec::new()),
    }
}

/// Field `number` of `desc`; the mapping numbers every field the converter asks for.
fn field(desc: &MessageDescriptor, number: usize) -> FieldDescriptor {
    desc.get_field(number as u32).unwrap_or_else(|| {
        panic!("message `{}` has no field {number}: it was not made by the mapping", desc.full_name())
    })
}

/// Whether a type takes a field label of its own (`repeated` or `optional`), so that where
/// only a plain field fits it is wrapped in a message with one `value` field.
fn is_labelled(ty: &ValType) -> bool {
    match ty {
        ValType::Option(_) => true,
        ValType::List(item) => **item != ValType::U8,
        _ => false,
    }
}

// ---- WIT -> protobuf ----

/// Sets `field` of `message` to `val`, a value of WIT type `ty`.
fn set_field(message: &mut DynamicMessage, field: &FieldDescriptor, ty: &ValType, val: &Val) {
    match (ty, val) {
        (ValType::Option(inner), Val::Option(value)) => {
            if let Some(value) = value {
                message.set_field(field, single_value(&field.kind(), inner, value));
            }
        }
        (ValType::List(item), Val::List(items)) if is_labelled(ty) => {
            let items = items.iter().map(|value| single_value(&field.kind(), item, value)).collect();
            message.set_field(field, Value::List(items));
        }
        _ => message.set_field(field, plain_value(&field.kind(), ty, val)),
    }
}

/// A value where only a plain field fits: a labelled type is wrapped in its message.
fn single_value(kind: &Kind, ty: &ValType, val: &Val) -> Value {
    if !is_labelled(ty) {
        return plain_value(kind, ty, val);
    }
    let desc = message_kind(kind);
    let mut wrapper = DynamicMessage::new(desc.clone());
    set_field(&mut wrapper, &field(&desc, 1), ty, val);
    Value::Message(wrapper)
}

fn message_kind(kind: &Kind) -> MessageDescriptor {
    match kind {
        Kind::Message(desc) => desc.clone(),
        other => panic!("the mapping gives a message here, found {other:?}"),
    }
}

/// The protobuf value of `val` (of a type that is not labelled).
fn plain_value(kind: &Kind, ty: &ValType, val: &Val) -> Value {
    match val {
        Val::Bool(b) => Value::Bool(*b),
        Val::U8(n) => Value::U32((*n).into()),
        Val::U16(n) => Value::U32((*n).into()),
        Val::U32(n) => Value::U32(*n),
        Val::S8(n) => Value::I32((*n).into()),
        Val::S16(n) => Value::I32((*n).into()),
        Val::S32(n) => Value::I32(*n),
        Val::U64(n) => Value::U64(*n),
        Val::S64(n) => Value::I64(*n),
        Val::Float32(x) => Value::F32(*x),
        Val::Float64(x) => Value::F64(*x),
        Val::Char(c) => Value::String(c.to_string()),
        Val::String(s) => Value::String(s.clone()),
        Val::List(bytes) => {
            Value::Bytes(bytes.iter().map(|b| if let Val::U8(b) = b { *b } else { mismatch(ty, val) }).collect())
        }
        Val::Record(fields) => {
            let ValType::Record(types) = ty else { mismatch(ty, val) };
            let values = types.iter().map(|(_, ty)| ty).zip(fields.iter().map(|(_, val)| val));
            Value::Message(message_of(kind, values))
        }
        Val::Tuple(items) => {
            let ValType::Tuple(types) = ty else { mismatch(ty, val) };
            Value::Message(message_of(kind, types.iter().zip(items)))
        }
        Val::Flags(set) => {
            let ValType::Flags(names) = ty else { mismatch(ty, val) };
            let desc = message_kind(kind);
            let mut message = DynamicMessage::new(desc.clone());
            for (index, name) in names.iter().enumerate() {
                if set.contains(name) {
                    message.set_field(&field(&desc, index + 1), Value::Bool(true));
                }
            }
            Value::Message(message)
        }
        Val::Enum(case) => {
            let ValType::Enum(cases) = ty else { mismatch(ty, val) };
            let index = cases.iter().position(|c| c == case).unwrap_or_else(|| mismatch(ty, val));
            Value::EnumNumber(index as i32 + 1)
        }
        Val::Variant(case, payload) => {
            let ValType::Variant(cases) = ty else { mismatch(ty, val) };
            let index = cases.iter().position(|(c, _)| c == case).unwrap_or_else(|| mismatch(ty, val));
            Value::Message(oneof_message(kind, index, cases[index].1.as_ref(), payload.as_deref()))
        }
        Val::Result(outcome) => {
            let ValType::Result { ok, err } = ty else { mismatch(ty, val) };
            let message = match outcome {
                Ok(payload) => oneof_message(kind, 0, ok.as_deref(), payload.as_deref()),
                Err(payload) => oneof_message(kind, 1, err.as_deref(), payload.as_deref()),
            };
            Value::Message(message)
        }
        _ => mismatch(ty, val),
    }
}

/// wasmtime hands the host values of the function's own types: anything else is a bug.
fn mismatch(ty: &ValType, val: &Val) -> ! {
    panic!("a value of the wrong type for `{ty:?}` came out of wasmtime: {val:?}")
}

/// A message whose fields, numbered from 1, hold `values`.
fn message_of<'a>(kind: &Kind, values: impl Iterator<Item = (&'a ValType, &'a Val)>) -> DynamicMessage {
    let desc = message_kind(kind);
    let mut message = DynamicMessage::new(desc.clone());
    for (index, (ty, val)) in values.enumerate() {
        set_field(&mut message, &field(&desc, index + 1), ty, val);
    }
    message
}

/// A message with one case of its oneof set: case `index` holds `payload`, or `Unit`.
fn oneof_message(kind: &Kind, index: usize, ty: Option<&ValType>, payload: Option<&Val>) -> DynamicMessage {
    let desc = message_kind(kind);
    let mut message = DynamicMessage::new(desc.clone());
    let member = field(&desc, index + 1);
    let value = match (ty, payload) {
        (Some(ty), Some(payload)) => single_value(&member.kind(), ty, payload),
        _ => Value::Message(DynamicMessage::new(message_kind(&member.kind()))),
    };
    message.set_field(&member, value);
    message
}

// ---- protobuf -> WIT ----

/// The WIT value of `field` of `message`, of type `ty`. An absent plain field has its
/// protobuf default (proto3 semantics); an absent `optional` field is `none`.
fn field_val(message: &DynamicMessage, field: &FieldDescriptor, ty: &ValType) -> Converted<Val> {
    match ty {
        ValType::Option(inner) => match message.has_field(field) {
            true => Ok(Val::Option(Some(Box::new(single_val(&message.get_field(field), inner)?)))),
            false => Ok(Val::Option(None)),
        },
        ValType::List(item) if is_labelled(ty) => {
            let value = message.get_field(field);
            let Value::List(items) = value.as_ref() else { return problem("expected a repeated field") };
            let items = items.iter().enumerate().map(|(i, value)| inside(&format!("[{i}]"), single_val(value, item)));
            Ok(Val::List(items.collect::<Converted<_>>()?))
        }
        _ => plain_val(&message.get_field(field), ty),
    }
}

/// The values of `message`'s fields numbered from 1, one per `(name, type)` (the name is for
/// error paths): parameters of a request, fields of a record, elements of a tuple.
fn numbered_vals<'a>(
    message: &DynamicMessage,
    fields: impl Iterator<Item = (Cow<'a, str>, &'a ValType)>,
) -> Converted<Vec<Val>> {
    let desc = message.descriptor();
    fields
        .enumerate()
        .map(|(index, (name, ty))| inside(&name, field_val(message, &field(&desc, index + 1), ty)))
        .collect()
}

/// The WIT value of a value where only a plain field fits (labelled types come wrapped).
fn single_val(value: &Value, ty: &ValType) -> Converted<Val> {
    if !is_labelled(ty) {
        return plain_val(value, ty);
    }
    let Value::Message(wrapper) = value else { return problem("expected a wrapper message") };
    inside("value", field_val(wrapper, &field(&wrapper.descriptor(), 1), ty))
}

/// The WIT value of `value` (of a type that is not labelled), checked against `ty`.
fn plain_val(value: &Value, ty: &ValType) -> Converted<Val> {
    fn narrow<T: TryFrom<N>, N: Copy + std::fmt::Display>(n: N, wit: &str) -> Converted<T> {
        T::try_from(n).or_else(|_| problem(format!("{n} is out of range for a WIT `{wit}`")))
    }
    Ok(match (ty, value) {
        (ValType::Bool, Value::Bool(b)) => Val::Bool(*b),
        (ValType::U8, Value::U32(n)) => Val::U8(narrow(*n, "u8")?),
        (ValType::U16, Value::U32(n)) => Val::U16(narrow(*n, "u16")?),
        (ValType::U32, Value::U32(n)) => Val::U32(*n),
        (ValType::S8, Value::I32(n)) => Val::S8(narrow(*n, "s8")?),
        (ValType::S16, Value::I32(n)) => Val::S16(narrow(*n, "s16")?),
        (ValType::S32, Value::I32(n)) => Val::S32(*n),
        (ValType::U64, Value::U64(n)) => Val::U64(*n),
        (ValType::S64, Value::I64(n)) => Val::S64(*n),
        (ValType::F32, Value::F32(x)) => Val::Float32(*x),
        (ValType::F64, Value::F64(x)) => Val::Float64(*x),
        (ValType::String, Value::String(s)) => Val::String(s.clone()),
        (ValType::Char, Value::String(s)) => {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Val::Char(c),
                _ => return problem(format!("a WIT `char` is exactly one character, found {s:?}")),
            }
        }
        (ValType::List(item), Value::Bytes(bytes)) if **item == ValType::U8 => {
            Val::List(bytes.iter().map(|b| Val::U8(*b)).collect())
        }
        (ValType::Record(fields), Value::Message(message)) => {
            let values = numbered_vals(message, fields.iter().map(|(name, ty)| (name.into(), ty)))?;
            Val::Record(fields.iter().map(|(name, _)| name.clone()).zip(values).collect())
        }
        (ValType::Tuple(types), Value::Message(message)) => {
            Val::Tuple(numbered_vals(message, types.iter().enumerate().map(|(i, ty)| (format!("f{i}").into(), ty)))?)
        }
        (ValType::Flags(names), Value::Message(message)) => {
            let desc = message.descriptor();
            let set = names
                .iter()
                .enumerate()
                .filter(|(index, _)| matches!(message.get_field(&field(&desc, index + 1)).as_ref(), Value::Bool(true)));
            Val::Flags(set.map(|(_, name)| name.clone()).collect())
        }
        (ValType::Enum(cases), Value::EnumNumber(number)) => {
            let case = usize::try_from(*number).ok().and_then(|n| n.checked_sub(1)).and_then(|i| cases.get(i));
            match case {
                Some(case) => Val::Enum(case.clone()),
                None => {
                    return problem(format!(
                        "{number} is not a case of the enum (valid: 1..={}; 0 means unset, which WIT has no value for)",
                        cases.len()
                    ));
                }
            }
        }
        (ValType::Variant(cases), Value::Message(message)) => {
            let (index, payload) = oneof_case(message, cases.iter().map(|(_, ty)| ty.as_ref()))?;
            let name = cases[index].0.clone();
            Val::Variant(name.clone(), inside(&name, payload)?)
        }
        (ValType::Result { ok, err }, Value::Message(message)) => {
            match oneof_case(message, [ok.as_deref(), err.as_deref()].into_iter())? {
                (0, payload) => Val::Result(Ok(inside("ok", payload)?)),
                (_, payload) => Val::Result(Err(inside("error", payload)?)),
            }
        }
        (ty, _) => return problem(format!("expected {}", describe(ty))),
    })
}

/// Which member of a oneof is set (exactly one must be), and its payload.
fn oneof_case<'a>(
    message: &DynamicMessage,
    cases: impl Iterator<Item = Option<&'a ValType>>,
) -> Converted<(usize, Converted<Option<Box<Val>>>)> {
    let desc = message.descriptor();
    for (index, ty) in cases.enumerate() {
        let member = field(&desc, index + 1);
        if !message.has_field(&member) {
            continue;
        }
        let payload = match ty {
            Some(ty) => single_val(&message.get_field(&member), ty).map(|val| Some(Box::new(val))),
            None => Ok(None),
        };
        return Ok((index, payload));
    }
    problem(format!("no case of the oneof is set (one of the fields of `{}` must be)", desc.name()))
}

/// A type as an error message names it.
fn describe(ty: &ValType) -> Cow<'static, str> {
    match ty {
        ValType::Record(_) | ValType::Tuple(_) | ValType::Flags(_) | ValType::Variant(_) | ValType::Result { .. } => {
            "a message".into()
        }
        ValType::Enum(_) => "an enum".into(),
        ValType::List(_) => "bytes".into(),
        other => format!("a {other:?}").to_lowercase().into(),
    }
}

#[cfg(test)]
mod tests;
