//! `parigot:sqlite/sqlite`: statements on the service's database, through the instance's own
//! connection, one statement per call, under the call's [`super::budget`].

use super::budget::Session;
use super::{Failure, Sqlite, guard};
use crate::caps::View;
use crate::caps::bindings::sqlite::{self as wit, Host};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Batch, Statement, fallible_iterator::FallibleIterator};
use wasmtime::Result;

impl Host for View<'_, Sqlite> {
    async fn execute(
        &mut self,
        statement: String,
        params: Vec<wit::Value>,
    ) -> Result<Result<wit::Execution, wit::Error>> {
        let params: Vec<Value> = params.into_iter().map(sql_value).collect();
        self.statement(statement, move |session, prepared| {
            let changes =
                prepared.execute(rusqlite::params_from_iter(&params)).map_err(|e| session.database.failure(e))?;
            Ok(wit::Execution { changes: changes as u64, last_insert_id: session.connection.last_insert_rowid() })
        })
        .await
    }

    async fn query(&mut self, statement: String, params: Vec<wit::Value>) -> Result<Result<wit::Rows, wit::Error>> {
        let params: Vec<Value> = params.into_iter().map(sql_value).collect();
        self.statement(statement, move |session, prepared| {
            let failure = |e| session.database.failure(e);
            let columns: Vec<String> = prepared.column_names().into_iter().map(str::to_owned).collect();
            let mut meter = session.budget.rows();
            let mut rows = prepared.query(rusqlite::params_from_iter(&params)).map_err(failure)?;
            let mut found = Vec::new();
            while let Some(row) = rows.next().map_err(failure)? {
                let mut values = Vec::with_capacity(columns.len());
                for index in 0..columns.len() {
                    let value = wit_value(row.get_ref(index).map_err(failure)?);
                    meter.charge(value_bytes(&value))?;
                    values.push(value);
                }
                found.push(values);
            }
            Ok(wit::Rows { columns, rows: found })
        })
        .await
    }

    async fn begin(&mut self) -> Result<Result<(), wit::Error>> {
        self.batch("BEGIN").await
    }

    async fn commit(&mut self) -> Result<Result<(), wit::Error>> {
        self.batch("COMMIT").await
    }

    async fn rollback(&mut self) -> Result<Result<(), wit::Error>> {
        self.batch("ROLLBACK").await
    }
}

impl View<'_, Sqlite> {
    /// Prepares `statement` (one, and only one) and runs `run` on it, on the instance's
    /// connection under the call's budget; what the guest is told.
    async fn statement<T: Send + 'static>(
        &mut self,
        statement: String,
        run: impl Fn(&Session<'_>, &mut Statement<'_>) -> Result<T, Failure> + Send + Sync + 'static,
    ) -> Result<Result<T, wit::Error>> {
        if let Some(why) = guard::refused_statement(&statement) {
            return Ok(Err(wit::Error::NotAllowed(why)));
        }
        if let Some(why) = guard::too_long(&statement) {
            return Ok(Err(wit::Error::Limit(why)));
        }
        let name = super::observe::statement_name(&statement);
        let outcome = self
            .on_connection(&name, move |session| {
                let mut prepared = prepare_one(session, &statement)?;
                run(session, &mut prepared)
            })
            .await?;
        Ok(outcome.map_err(error))
    }

    /// Runs one of the transaction statements.
    async fn batch(&mut self, statement: &'static str) -> Result<Result<(), wit::Error>> {
        let outcome = self
            .on_connection(statement, move |session| {
                session.connection.execute_batch(statement).map_err(|e| session.database.failure(e))
            })
            .await?;
        Ok(outcome.map_err(error))
    }
}

/// Prepares the one statement of `text`; a text with none, or with more than one, is refused.
/// Each statement is prepared on its own, one after the other, never by recursion on the rest
/// of the text (which is how rusqlite's own `prepare` looks for a second one).
fn prepare_one<'c>(session: &Session<'c>, text: &str) -> Result<Statement<'c>, Failure> {
    let failure = |e| session.database.failure(e);
    let mut statements = Batch::new(session.connection, text);
    let first =
        statements.next().map_err(failure)?.ok_or_else(|| Failure::Sql("the text holds no statement".into()))?;
    if statements.next().map_err(failure)?.is_some() {
        return Err(Failure::of(rusqlite::Error::MultipleStatement));
    }
    Ok(first)
}

fn sql_value(value: wit::Value) -> Value {
    match value {
        wit::Value::Integer(n) => Value::Integer(n),
        wit::Value::Real(x) => Value::Real(x),
        wit::Value::Text(text) => Value::Text(text),
        wit::Value::Blob(bytes) => Value::Blob(bytes),
        wit::Value::Null => Value::Null,
    }
}

fn wit_value(value: ValueRef<'_>) -> wit::Value {
    match value {
        ValueRef::Integer(n) => wit::Value::Integer(n),
        ValueRef::Real(x) => wit::Value::Real(x),
        ValueRef::Text(text) => wit::Value::Text(String::from_utf8_lossy(text).into_owned()),
        ValueRef::Blob(bytes) => wit::Value::Blob(bytes.to_vec()),
        ValueRef::Null => wit::Value::Null,
    }
}

/// What the host holds for `value` in a query's rows.
fn value_bytes(value: &wit::Value) -> usize {
    let heap = match value {
        wit::Value::Text(text) => text.len(),
        wit::Value::Blob(bytes) => bytes.len(),
        _ => 0,
    };
    std::mem::size_of::<wit::Value>() + heap
}

/// A guest's view of a failed statement.
fn error(failure: Failure) -> wit::Error {
    match failure {
        Failure::NoDatabase => wit::Error::AccessDenied(
            "this service has no database: grant it one with `[services.NAME.sqlite]` in the wos".into(),
        ),
        Failure::NotAllowed(message) => wit::Error::NotAllowed(message),
        Failure::Busy(message) => wit::Error::Busy(message),
        Failure::Full(message) => wit::Error::Full(message),
        Failure::Limit(message) => wit::Error::Limit(message),
        Failure::Constraint(message) | Failure::Sql(message) => wit::Error::Sql(message),
        // `on_connection` fails the call instead; kept total rather than a panic.
        Failure::Interrupted => wit::Error::Sql("the statement was interrupted".into()),
    }
}
