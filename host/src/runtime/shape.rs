//! Signatures of plain values, handled with typed values instead of dynamic ones.
//!
//! wasmtime's dynamic values make a `list<u8>` one `Val` (32 bytes) per byte, have no bulk
//! path, and allocate for every value they lift (a record's field names too). A function
//! whose parameters and results are plain values (`list<u8>`, `string`, `u32`, `u64`, `bool`)
//! in one of the common shapes (bytes in or out, text in or out) is instead called with Rust
//! tuples, where a `list<u8>` is one `Vec<u8>`: linked imports and imports bound to a remote
//! host are forwarded this way ([`super::linking`]), and served requests are called this way
//! (the wire layer, through [`Running::call_typed`](super::Running::call_typed)).
//! [`visit_plain_shape`] is the one list of those shapes.

use crate::surface::{FuncSig, ValType};
use wasmtime::component::{ComponentNamedList, ComponentType, Lift, Lower};

/// A plain value of a typed call, whatever its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlainValue {
    Bytes(Vec<u8>),
    Text(String),
    U32(u32),
    U64(u64),
    Bool(bool),
}

/// A Rust type of a plain value.
pub trait PlainType: ComponentType + Lift + Lower + Default + Send + Sync + Sized + 'static {
    fn into_value(self) -> PlainValue;
    fn from_value(value: PlainValue) -> Option<Self>;
}

macro_rules! plain_type {
    ($type:ty, $case:ident) => {
        impl PlainType for $type {
            fn into_value(self) -> PlainValue {
                PlainValue::$case(self)
            }

            fn from_value(value: PlainValue) -> Option<Self> {
                match value {
                    PlainValue::$case(value) => Some(value),
                    _ => None,
                }
            }
        }
    };
}

plain_type!(Vec<u8>, Bytes);
plain_type!(String, Text);
plain_type!(u32, U32);
plain_type!(u64, U64);
plain_type!(bool, Bool);

/// The parameters or the results of a typed call: a tuple of plain values.
/// `Default` gives the placeholder a caught call answers ([`crate::caps::sim`]).
pub trait PlainList: ComponentNamedList + Lift + Lower + Default + Send + Sync + Sized + 'static {
    fn into_values(self) -> Vec<PlainValue>;
    /// The tuple of `values`, if they are of its types.
    fn from_values(values: Vec<PlainValue>) -> Option<Self>;
}

impl PlainList for () {
    fn into_values(self) -> Vec<PlainValue> {
        Vec::new()
    }

    fn from_values(values: Vec<PlainValue>) -> Option<Self> {
        values.is_empty().then_some(())
    }
}

impl<A: PlainType> PlainList for (A,) {
    fn into_values(self) -> Vec<PlainValue> {
        vec![self.0.into_value()]
    }

    fn from_values(values: Vec<PlainValue>) -> Option<Self> {
        let [a] = <[PlainValue; 1]>::try_from(values).ok()?;
        Some((A::from_value(a)?,))
    }
}

impl<A: PlainType, B: PlainType> PlainList for (A, B) {
    fn into_values(self) -> Vec<PlainValue> {
        vec![self.0.into_value(), self.1.into_value()]
    }

    fn from_values(values: Vec<PlainValue>) -> Option<Self> {
        let [a, b] = <[PlainValue; 2]>::try_from(values).ok()?;
        Some((A::from_value(a)?, B::from_value(b)?))
    }
}

/// What to do with the Rust types of a signature's parameters (`P`) and results (`R`).
pub trait ShapeVisitor {
    type Output;
    fn visit<P: PlainList, R: PlainList>(self) -> Self::Output;
}

/// A plain value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plain {
    Bytes,
    Text,
    U32,
    U64,
    Bool,
}

impl Plain {
    fn of(ty: &ValType) -> Option<Plain> {
        Some(match ty {
            ValType::List(element) if **element == ValType::U8 => Plain::Bytes,
            ValType::String => Plain::Text,
            ValType::U32 => Plain::U32,
            ValType::U64 => Plain::U64,
            ValType::Bool => Plain::Bool,
            _ => return None,
        })
    }
}

/// Calls `visitor` with the Rust types of `sig`, if it is one of the common shapes of plain
/// values (bytes in, bytes out, bytes with a name or a size, text in or out...); `None` for
/// any other signature, which dynamic values serve.
pub fn visit_plain_shape<V: ShapeVisitor>(sig: &FuncSig, visitor: V) -> Option<V::Output> {
    let params: Vec<Plain> = sig.params.iter().map(|(_, ty)| Plain::of(ty)).collect::<Option<_>>()?;
    let results: Vec<Plain> = sig.results.iter().map(Plain::of).collect::<Option<_>>()?;
    use Plain::{Bool, Bytes, Text, U32, U64};
    Some(match (params.as_slice(), results.as_slice()) {
        ([Bytes], []) => visitor.visit::<(Vec<u8>,), ()>(),
        ([Bytes], [Bytes]) => visitor.visit::<(Vec<u8>,), (Vec<u8>,)>(),
        ([Bytes], [Text]) => visitor.visit::<(Vec<u8>,), (String,)>(),
        ([Bytes], [U32]) => visitor.visit::<(Vec<u8>,), (u32,)>(),
        ([Bytes], [U64]) => visitor.visit::<(Vec<u8>,), (u64,)>(),
        ([Bytes], [Bool]) => visitor.visit::<(Vec<u8>,), (bool,)>(),
        ([], [Bytes]) => visitor.visit::<(), (Vec<u8>,)>(),
        ([Text], [Bytes]) => visitor.visit::<(String,), (Vec<u8>,)>(),
        ([U32], [Bytes]) => visitor.visit::<(u32,), (Vec<u8>,)>(),
        ([U64], [Bytes]) => visitor.visit::<(u64,), (Vec<u8>,)>(),
        ([Text, Bytes], []) => visitor.visit::<(String, Vec<u8>), ()>(),
        ([Text, Bytes], [Bool]) => visitor.visit::<(String, Vec<u8>), (bool,)>(),
        ([Text, Bytes], [Bytes]) => visitor.visit::<(String, Vec<u8>), (Vec<u8>,)>(),
        ([Bytes, Bytes], [Bytes]) => visitor.visit::<(Vec<u8>, Vec<u8>), (Vec<u8>,)>(),
        ([Text], []) => visitor.visit::<(String,), ()>(),
        ([Text], [Text]) => visitor.visit::<(String,), (String,)>(),
        ([Text], [U32]) => visitor.visit::<(String,), (u32,)>(),
        ([Text], [U64]) => visitor.visit::<(String,), (u64,)>(),
        ([Text], [Bool]) => visitor.visit::<(String,), (bool,)>(),
        ([], [Text]) => visitor.visit::<(), (String,)>(),
        ([U32], [Text]) => visitor.visit::<(u32,), (String,)>(),
        ([U64], [Text]) => visitor.visit::<(u64,), (String,)>(),
        ([Text, Text], []) => visitor.visit::<(String, String), ()>(),
        ([Text, Text], [Text]) => visitor.visit::<(String, String), (String,)>(),
        ([Text, Text], [Bool]) => visitor.visit::<(String, String), (bool,)>(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_go_back_into_their_tuples_and_only_theirs() {
        let values = (String::from("name"), vec![1u8, 2]).into_values();
        assert_eq!(values, [PlainValue::Text("name".into()), PlainValue::Bytes(vec![1, 2])]);
        assert_eq!(<(String, Vec<u8>)>::from_values(values.clone()), Some(("name".into(), vec![1, 2])));
        assert_eq!(<(Vec<u8>, String)>::from_values(values.clone()), None, "types in another order");
        assert_eq!(<(String,)>::from_values(values), None, "another length");
        assert_eq!(<()>::from_values(Vec::new()), Some(()));
    }

    /// Names the Rust types a visit is made with.
    struct TypeNames;

    impl ShapeVisitor for TypeNames {
        type Output = (&'static str, &'static str);

        fn visit<P: PlainList, R: PlainList>(self) -> Self::Output {
            (std::any::type_name::<P>(), std::any::type_name::<R>())
        }
    }

    fn sig(params: &[ValType], results: &[ValType]) -> FuncSig {
        let params = params.iter().enumerate().map(|(i, ty)| (format!("p{i}"), ty.clone())).collect();
        FuncSig { params, results: results.to_vec() }
    }

    #[test]
    fn plain_signatures_are_typed_and_others_are_not() {
        let bytes = ValType::List(Box::new(ValType::U8));
        assert_eq!(
            visit_plain_shape(&sig(&[ValType::String], &[ValType::String]), TypeNames),
            Some(("(alloc::string::String,)", "(alloc::string::String,)"))
        );
        assert_eq!(
            visit_plain_shape(&sig(&[ValType::String, bytes.clone()], &[]), TypeNames),
            Some(("(alloc::string::String, alloc::vec::Vec<u8>)", "()"))
        );
        assert_eq!(
            visit_plain_shape(&sig(&[ValType::U32], std::slice::from_ref(&bytes)), TypeNames).map(|t| t.1),
            Some("(alloc::vec::Vec<u8>,)")
        );
        let point = ValType::Record(vec![("x".into(), ValType::S32), ("label".into(), ValType::String)]);
        assert_eq!(visit_plain_shape(&sig(&[point], &[ValType::String]), TypeNames), None, "a record is dynamic");
        assert_eq!(visit_plain_shape(&sig(&[ValType::S32], &[ValType::String]), TypeNames), None, "no shape for s32");
        let three = [ValType::String, ValType::String, ValType::String];
        assert_eq!(visit_plain_shape(&sig(&three, &[]), TypeNames), None, "three parameters");
    }
}
