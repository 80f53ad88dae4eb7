//! The host's implementation of a service's queries interface: each function runs its
//! statement, prepared once per connection, on the calling instance's own connection under the
//! call's budget ([`crate::caps::sqlite::budget`]), and hands what it answers to
//! [`super::lower`], which writes it into the guest as the generated interface declares.

use super::QuerySet;
use super::infer::Query;
use super::lower::{DbError, Outcome, Params, Returns, RowSet};
use super::parse::Kind;
use crate::caps::View;
use crate::caps::sqlite::budget::Session;
use crate::caps::sqlite::{Failure, Sqlite};
use rusqlite::types::Value;
use std::sync::Arc;
use wasmtime::component::{Linker, LinkerInstance};
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
        let define = match flat_params(&set.queries[index]) {
            1 => define::<1, T>,
            2 => define::<2, T>,
            3 => define::<3, T>,
            4 => define::<4, T>,
            5 => define::<5, T>,
            6 => define::<6, T>,
            7 => define::<7, T>,
            8 => define::<8, T>,
            9 => define::<9, T>,
            10 => define::<10, T>,
            11 => define::<11, T>,
            12 => define::<12, T>,
            13 => define::<13, T>,
            14 => define::<14, T>,
            15 => define::<15, T>,
            16 => define::<16, T>,
            // None, or more than a call passes flat: in memory.
            _ => define::<0, T>,
        };
        define(&mut instance, set.clone(), index, view)?;
    }
    Ok(())
}

/// How many flat values the parameters of `query` are passed as (past 16, they are passed in
/// memory): one per number, two per string or blob, and one more for each nullable one.
fn flat_params(query: &Query) -> usize {
    let flat = |param: &super::Field| match param.typed.ty {
        super::SqlType::Text | super::SqlType::Blob => 2,
        _ => 1,
    } + usize::from(param.typed.nullable);
    query.params.iter().map(flat).sum()
}

/// Defines query `index` of `set`, whose parameters are `N` flat values.
fn define<const N: usize, T: Send + 'static>(
    instance: &mut LinkerInstance<'_, T>,
    set: Arc<QuerySet>,
    index: usize,
    view: fn(&mut T) -> View<'_, Sqlite>,
) -> Result<()> {
    let function = set.queries[index].function.clone();
    instance.func_wrap_async(&function, move |mut store, Params(params): Params<N>| {
        let set = set.clone();
        Box::new(async move {
            let outcome = run(set, index, &mut view(store.data_mut()), params).await?;
            Ok(Returns(outcome.map_err(db_error)))
        })
    })
}

/// Runs query `index` of `set` with `params`: what it answers, or why the database failed it.
async fn run(
    set: Arc<QuerySet>,
    index: usize,
    view: &mut View<'_, Sqlite>,
    params: Vec<Value>,
) -> Result<Result<Outcome, Failure>> {
    let name = set.queries[index].text.name.clone();
    let outcome = view.on_connection(&name, move |session| run_on(session, &set.queries[index], &params)).await?;
    match outcome {
        Err(Failure::NoDatabase) => bail!("the service has typed queries but no database"),
        outcome => Ok(outcome),
    }
}

/// Runs `query` with `params` in `session`.
fn run_on(session: &Session<'_>, query: &Query, params: &[Value]) -> Result<Outcome, Failure> {
    let failure = |e| session.database.failure(e);
    let mut statement = session.connection.prepare_cached(&query.text.sql).map_err(failure)?;
    for (index, value) in params.iter().enumerate() {
        statement.raw_bind_parameter(index + 1, value).map_err(failure)?;
    }
    let last_id = || session.connection.last_insert_rowid();
    match query.text.kind {
        Kind::Exec => statement.raw_execute().map(|_| Outcome::Done).map_err(failure),
        Kind::ExecRows => statement.raw_execute().map(|changed| Outcome::Changed(changed as u64)).map_err(failure),
        Kind::ExecLastId => statement.raw_execute().map(|_| Outcome::LastId(last_id())).map_err(failure),
        Kind::One | Kind::Many => {
            let mut rows = statement.raw_query();
            let mut meter = session.budget.rows();
            let mut found = RowSet::new(query.columns.len());
            while let Some(row) = rows.next().map_err(failure)? {
                for (index, column) in query.columns.iter().enumerate() {
                    let value = row.get_ref(index).map_err(Failure::of)?;
                    meter.charge(found.push(&query.function, column, value)?)?;
                }
                if query.text.kind == Kind::One {
                    return Ok(Outcome::One(found));
                }
            }
            Ok(if query.text.kind == Kind::One { Outcome::One(found) } else { Outcome::Many(found) })
        }
    }
}

/// `db-error` for a failure.
fn db_error(failure: Failure) -> DbError {
    match failure {
        Failure::Constraint(message) => DbError::Constraint(message),
        Failure::Busy(message) => DbError::Busy(message),
        Failure::Full(message) => DbError::Full(message),
        Failure::Limit(message) => DbError::Limit(message),
        Failure::NotAllowed(message) | Failure::Sql(message) => DbError::Sql(message),
        // `run` fails the call for these instead; kept total rather than a panic.
        Failure::NoDatabase | Failure::Interrupted => DbError::Sql("the query did not run".to_owned()),
    }
}
