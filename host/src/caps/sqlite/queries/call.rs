//! The host's implementation of a service's queries interface: each function runs its
//! statement, prepared once per connection, on the calling instance's own connection under the
//! call's budget ([`crate::caps::sqlite::budget`]), and turns the rows into the WIT values the
//! generated interface declares.

use super::QuerySet;
use super::infer::{Field, Query, SqlType};
use super::parse::Kind;
use crate::caps::View;
use crate::caps::sqlite::budget::{RowMeter, Session};
use crate::caps::sqlite::{Failure, Sqlite};
use rusqlite::types::{Value, ValueRef};
use std::sync::Arc;
use wasmtime::component::{Linker, Val};
use wasmtime::{Result, bail};

/// Defines every function of `set` in `linker`, as the interface `import` (the name the
/// service imports it by), each reaching the calling instance through `view`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    import: &str,
    set: &Arc<QuerySet>,
    view: fn(&mut T) -> View<'_, Sqlite>,
) -> Result<()> {
    let mut instance = linker.instance(import)?;
    for index in 0..set.queries.len() {
        let set = set.clone();
        instance.func_new_async(&set.queries[index].function.clone(), move |mut store, _ty, params, results| {
            let set = set.clone();
            Box::new(async move {
                let query = &set.queries[index];
                let params: Vec<Value> = query
                    .params
                    .iter()
                    .zip(params)
                    .map(|(param, value)| sql_value(query, param, value))
                    .collect::<Result<_>>()?;
                let outcome = run(set.clone(), index, &mut view(store.data_mut()), params).await?;
                results[0] = Val::Result(match outcome {
                    Ok(value) => Ok(value.map(Box::new)),
                    Err(failure) => Err(Some(Box::new(db_error(failure)))),
                });
                Ok(())
            })
        })?;
    }
    Ok(())
}

/// Runs query `index` of `set` with `params`: its value (none for `:exec`), or why the
/// database failed it.
async fn run(
    set: Arc<QuerySet>,
    index: usize,
    view: &mut View<'_, Sqlite>,
    params: Vec<Value>,
) -> Result<Result<Option<Val>, Failure>> {
    let name = set.queries[index].text.name.clone();
    let outcome = view.on_connection(&name, move |session| run_on(session, &set.queries[index], &params)).await?;
    match outcome {
        Err(Failure::NoDatabase) => bail!("the service has typed queries but no database"),
        outcome => Ok(outcome),
    }
}

/// Runs `query` with `params` in `session`.
fn run_on(session: &Session<'_>, query: &Query, params: &[Value]) -> Result<Option<Val>, Failure> {
    let failure = |e| session.database.failure(e);
    let mut statement = session.connection.prepare_cached(&query.text.sql).map_err(failure)?;
    for (index, value) in params.iter().enumerate() {
        statement.raw_bind_parameter(index + 1, value).map_err(failure)?;
    }
    let last_id = || session.connection.last_insert_rowid();
    match query.text.kind {
        Kind::Exec => statement.raw_execute().map(|_| None).map_err(failure),
        Kind::ExecRows => statement.raw_execute().map(|changed| Some(Val::U64(changed as u64))).map_err(failure),
        Kind::ExecLastId => statement.raw_execute().map(|_| Some(Val::S64(last_id()))).map_err(failure),
        Kind::One | Kind::Many => {
            let mut rows = statement.raw_query();
            let mut meter = session.budget.rows();
            let mut found = Vec::new();
            while let Some(row) = rows.next().map_err(failure)? {
                found.push(row_value(query, row, &mut meter)?);
                if query.text.kind == Kind::One {
                    break;
                }
            }
            Ok(Some(match query.text.kind {
                Kind::One => Val::Option(found.pop().map(Box::new)),
                _ => Val::List(found),
            }))
        }
    }
}

/// A parameter as SQLite binds it. A parameter of another type than the query's is a host
/// error (the linker checked them).
fn sql_value(query: &Query, param: &Field, value: &Val) -> Result<Value> {
    let value = match (param.typed.nullable, value) {
        (true, Val::Option(None)) => return Ok(Value::Null),
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
    Ok(match (param.typed.ty, value) {
        (SqlType::Integer, Val::S64(n)) => Value::Integer(*n),
        (SqlType::Real, Val::Float64(x)) => Value::Real(*x),
        (SqlType::Text, Val::String(text)) => Value::Text(text.clone()),
        (SqlType::Boolean, Val::Bool(b)) => Value::Integer(i64::from(*b)),
        (SqlType::Blob, Val::List(items)) => {
            let bytes = items.iter().map(|item| match item {
                Val::U8(byte) => Ok(*byte),
                _ => Err(mismatch()),
            });
            Value::Blob(bytes.collect::<Result<_>>()?)
        }
        _ => return Err(mismatch()),
    })
}

/// One row as the query's row type: a record, or the value of its only column; charged to
/// `meter` as the host holds it.
fn row_value(query: &Query, row: &rusqlite::Row<'_>, meter: &mut RowMeter<'_>) -> Result<Val, Failure> {
    let mut values = Vec::with_capacity(query.columns.len());
    for (index, column) in query.columns.iter().enumerate() {
        let value = row.get_ref(index).map_err(Failure::of)?;
        meter.charge(held_bytes(value))?;
        values.push(column_value(query, column, value)?);
    }
    if let [_] = query.columns.as_slice() {
        return Ok(values.pop().expect("one column"));
    }
    Ok(Val::Record(query.columns.iter().map(|c| c.field.clone()).zip(values).collect()))
}

/// What the host holds for a column's value as a [`Val`]: a blob is a `Val` per byte.
fn held_bytes(value: ValueRef<'_>) -> usize {
    let size = std::mem::size_of::<Val>();
    match value {
        ValueRef::Text(text) => size + text.len(),
        ValueRef::Blob(bytes) => size * (1 + bytes.len()),
        _ => size,
    }
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
        Failure::Full(message) => ("full", message),
        Failure::Limit(message) => ("limit", message),
        Failure::NotAllowed(message) | Failure::Sql(message) => ("sql", message),
        // `run` fails the call for these instead; kept total rather than a panic.
        Failure::NoDatabase | Failure::Interrupted => ("sql", "the query did not run".to_owned()),
    };
    Val::Variant(case.into(), Some(Box::new(Val::String(message))))
}
