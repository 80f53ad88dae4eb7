//! The structural signature of a service's typed queries: the interface the host generates
//! from its queries file, as the linker checks the service's import
//! against it. It follows the same mapping as the generated WIT text.

use super::{DB_ERROR_CASES, Field, Kind, Query, SqlType, Typed};
use crate::surface::{FuncSig, InterfaceSig, ValType};

impl InterfaceSig {
    /// The functions of the interface generated from `queries`.
    pub fn of_queries(queries: &[Query]) -> InterfaceSig {
        let db_error = ValType::Variant(
            DB_ERROR_CASES.iter().map(|(case, _)| ((*case).to_owned(), Some(ValType::String))).collect(),
        );
        let functions = queries
            .iter()
            .map(|query| {
                let params = query.params.iter().map(|p| (p.field.clone(), value_type(p.typed))).collect();
                let result =
                    ValType::Result { ok: result_type(query).map(Box::new), err: Some(Box::new(db_error.clone())) };
                (query.function.clone(), FuncSig { params, results: vec![result] })
            })
            .collect();
        InterfaceSig { functions }
    }
}

fn scalar_type(ty: SqlType) -> ValType {
    match ty {
        SqlType::Integer => ValType::S64,
        SqlType::Real => ValType::F64,
        SqlType::Text => ValType::String,
        SqlType::Blob => ValType::List(Box::new(ValType::U8)),
        SqlType::Boolean => ValType::Bool,
    }
}

fn value_type(typed: Typed) -> ValType {
    let scalar = scalar_type(typed.ty);
    if typed.nullable { ValType::Option(Box::new(scalar)) } else { scalar }
}

fn row_type(columns: &[Field]) -> ValType {
    match columns {
        [only] => value_type(only.typed),
        _ => ValType::Record(columns.iter().map(|c| (c.field.clone(), value_type(c.typed))).collect()),
    }
}

fn result_type(query: &Query) -> Option<ValType> {
    match query.text.kind {
        Kind::One => Some(ValType::Option(Box::new(row_type(&query.columns)))),
        Kind::Many => Some(ValType::List(Box::new(row_type(&query.columns)))),
        Kind::Exec => None,
        Kind::ExecRows => Some(ValType::U64),
        Kind::ExecLastId => Some(ValType::S64),
    }
}
