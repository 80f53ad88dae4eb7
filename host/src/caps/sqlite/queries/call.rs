//! The host's implementation of a service's queries interface: each function runs its
//! statement, prepared once per connection, on the calling instance's own connection, and
//! turns the rows into the WIT values the generated interface declares.

use super::QuerySet;
use super::infer::{Field, Query, SqlType};
use super::parse::Kind;
use crate::caps::View;
use crate::caps::sqlite::Failure;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use std::sync::Arc;
use wasmtime::component::{Linker, Val};
use wasmtime::{Result, bail};

/// Defines every function of `set` in `linker`, as the interface `import` (the name the
/// service imports it by), each reaching the calling instance through `view`.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    import: &str,
    set: &Arc<QuerySet>,
    view: fn(&mut T) -> View<'_>,
) -> Result<()> {
    let mut instance = linker.instance(import)?;
    for index in 0..set.queries.len() {
        let set = set.clone();
        instance.func_new(&set.queries[index].function.clone(), move |mut store, _ty, params, results| {
            let query = &set.queries[index];
            let outcome = run(query, &mut view(store.data_mut()), params)?;
            results[0] = Val::Result(match outcome {
                Ok(value) => Ok(value.map(Box::new)),
                Err(failure) => Err(Some(Box::new(db_error(failure)))),
            });
            Ok(())
        })?;
    }
    Ok(())
}

/// Runs `query` with `params`: its value (none for `:exec`), or why the database failed it.
/// A parameter of another type than the query's is a host error (the linker checked them).
fn run(query: &Query, view: &mut View<'_>, params: &[Val]) -> Result<Result<Option<Val>, Failure>> {
    let connection = match view.database() {
        Ok(connection) => connection,
        Err(Some(error)) => return Ok(Err(Failure::of(error))),
        Err(None) => bail!("the service has typed queries but no database"),
    };
    let mut statement = match connection.prepare_cached(&query.text.sql) {
        Ok(statement) => statement,
        Err(error) => return Ok(Err(Failure::of(error))),
    };
    for (index, (param, value)) in query.params.iter().zip(params).enumerate() {
        if let Err(error) = statement.raw_bind_parameter(index + 1, sql_value(query, param, value)?) {
            return Ok(Err(Failure::of(error)));
        }
    }
    let outcome = match query.text.kind {
        Kind::Exec => statement.raw_execute().map(|_| None),
        Kind::ExecRows => statement.raw_execute().map(|changed| Some(Val::U64(changed as u64))),
        Kind::ExecLastId => statement.raw_execute().map(|_| Some(Val::S64(connection.last_insert_rowid()))),
        Kind::One | Kind::Many => {
            let mut rows = statement.raw_query();
            let mut found = Vec::new();
            loop {
                match rows.next() {
                    Ok(Some(row)) => match row_value(query, row) {
                        Ok(value) => found.push(value),
                        Err(failure) => return Ok(Err(failure)),
                    },
                    Ok(None) => break,
                    Err(error) => return Ok(Err(Failure::of(error))),
                }
                if query.text.kind == Kind::One {
                    break;
                }
            }
            Ok(Some(match query.text.kind {
                Kind::One => Val::Option(found.pop().map(Box::new)),
                _ => Val::List(found),
            }))
        }
    };
    Ok(outcome.map_err(Failure::of))
}

/// A parameter as SQLite binds it.
fn sql_value<'v>(query: &Query, param: &Field, value: &'v Val) -> Result<ToSqlOutput<'v>> {
    let value = match (param.typed.nullable, value) {
        (true, Val::Option(None)) => return Ok(ToSqlOutput::Borrowed(ValueRef::Null)),
        (true, Val::Option(Some(inner))) => inner.as_ref(),
        (_, value) => value,
    };
    let mismatch = || {
        wasmtime::format_err!(
            "parameter `{}` of `{}` is {value:?}, not the {:?} the generated WIT declares; rebuild the service \
             against its current queries WIT",
            param.field,
            query.function,
            param.typed.ty
        )
    };
    Ok(ToSqlOutput::Borrowed(match (param.typed.ty, value) {
        (SqlType::Integer, Val::S64(n)) => ValueRef::Integer(*n),
        (SqlType::Real, Val::Float64(x)) => ValueRef::Real(*x),
        (SqlType::Text, Val::String(text)) => ValueRef::Text(text.as_bytes()),
        (SqlType::Boolean, Val::Bool(b)) => ValueRef::Integer(i64::from(*b)),
        (SqlType::Blob, Val::List(items)) => {
            let bytes = items.iter().map(|item| match item {
                Val::U8(byte) => Ok(*byte),
                _ => Err(mismatch()),
            });
            return Ok(ToSqlOutput::Owned(Value::Blob(bytes.collect::<Result<_>>()?)));
        }
        _ => return Err(mismatch()),
    }))
}

/// One row as the query's row type: a record, or the value of its only column.
fn row_value(query: &Query, row: &rusqlite::Row<'_>) -> Result<Val, Failure> {
    let mut values = Vec::with_capacity(query.columns.len());
    for (index, column) in query.columns.iter().enumerate() {
        let value = row.get_ref(index).map_err(Failure::of)?;
        values.push(column_value(query, column, value)?);
    }
    if let [_] = query.columns.as_slice() {
        return Ok(values.pop().expect("one column"));
    }
    Ok(Val::Record(query.columns.iter().map(|c| c.field.clone()).zip(values).collect()))
}

/// A column's value as its WIT type, or why the stored value does not fit it.
fn column_value(query: &Query, column: &Field, value: ValueRef<'_>) -> Result<Val, Failure> {
    if let ValueRef::Null = value {
        return if column.typed.nullable {
            Ok(Val::Option(None))
        } else {
            Err(Failure::Sql(format!(
                "column `{}` of `{}` is NULL, which its NOT NULL type does not allow; declare it nullable",
                column.name, query.function
            )))
        };
    }
    let scalar = match (column.typed.ty, value) {
        (SqlType::Integer, ValueRef::Integer(n)) => Val::S64(n),
        (SqlType::Real, ValueRef::Real(x)) => Val::Float64(x),
        (SqlType::Real, ValueRef::Integer(n)) => Val::Float64(n as f64),
        (SqlType::Text, ValueRef::Text(text)) => Val::String(String::from_utf8_lossy(text).into_owned()),
        (SqlType::Blob, ValueRef::Blob(bytes)) => Val::List(bytes.iter().map(|b| Val::U8(*b)).collect()),
        (SqlType::Boolean, ValueRef::Integer(n)) => Val::Bool(n != 0),
        (ty, value) => {
            return Err(Failure::Sql(format!(
                "column `{}` of `{}` holds a {:?} value where its declared type is {ty:?}; store values of the \
                 declared type (a STRICT table enforces it)",
                column.name,
                query.function,
                value.data_type()
            )));
        }
    };
    Ok(if column.typed.nullable { Val::Option(Some(Box::new(scalar))) } else { scalar })
}

/// `db-error` for a failure.
fn db_error(failure: Failure) -> Val {
    let (case, message) = match failure {
        Failure::Constraint(message) => ("constraint", message),
        Failure::Busy(message) => ("busy", message),
        Failure::NotAllowed(message) | Failure::Sql(message) => ("sql", message),
    };
    Val::Variant(case.into(), Some(Box::new(Val::String(message))))
}
