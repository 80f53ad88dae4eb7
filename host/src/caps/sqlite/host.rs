//! `parigot:sqlite/sqlite`: statements on the service's database, through the instance's own
//! connection.

use super::{Failure, guard};
use crate::caps::View;
use crate::caps::bindings::sqlite::{self as wit, Host};
use rusqlite::Connection;
use rusqlite::types::{Value, ValueRef};

impl Host for View<'_> {
    fn execute(&mut self, statement: String, params: Vec<wit::Value>) -> Result<wit::Execution, wit::Error> {
        let connection = self.connection(&statement)?;
        let mut prepared = connection.prepare(&statement).map_err(error)?;
        let changes = prepared.execute(rusqlite::params_from_iter(params.into_iter().map(sql_value))).map_err(error)?;
        Ok(wit::Execution { changes: changes as u64, last_insert_id: connection.last_insert_rowid() })
    }

    fn query(&mut self, statement: String, params: Vec<wit::Value>) -> Result<wit::Rows, wit::Error> {
        let connection = self.connection(&statement)?;
        let mut prepared = connection.prepare(&statement).map_err(error)?;
        let columns: Vec<String> = prepared.column_names().into_iter().map(str::to_owned).collect();
        let mut rows = prepared.query(rusqlite::params_from_iter(params.into_iter().map(sql_value))).map_err(error)?;
        let mut found = Vec::new();
        while let Some(row) = rows.next().map_err(error)? {
            let values = (0..columns.len()).map(|i| row.get_ref(i).map(wit_value)).collect::<Result<_, _>>();
            found.push(values.map_err(error)?);
        }
        Ok(wit::Rows { columns, rows: found })
    }

    fn begin(&mut self) -> Result<(), wit::Error> {
        self.connection("BEGIN")?.execute_batch("BEGIN").map_err(error)
    }

    fn commit(&mut self) -> Result<(), wit::Error> {
        self.connection("COMMIT")?.execute_batch("COMMIT").map_err(error)
    }

    fn rollback(&mut self) -> Result<(), wit::Error> {
        self.connection("ROLLBACK")?.execute_batch("ROLLBACK").map_err(error)
    }
}

impl View<'_> {
    /// The instance's connection (opened on first use), if the service has a database and
    /// `statement` is not refused outright.
    fn connection(&mut self, statement: &str) -> Result<&Connection, wit::Error> {
        if let Some(why) = guard::refused_statement(statement) {
            return Err(wit::Error::NotAllowed(why));
        }
        self.database().map_err(|failure| match failure {
            None => wit::Error::AccessDenied(
                "this service has no database: grant it one with `[services.NAME.sqlite]` in the wos".into(),
            ),
            Some(failure) => error(failure),
        })
    }
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

/// A guest's view of a failed statement.
fn error(error: rusqlite::Error) -> wit::Error {
    match Failure::of(error) {
        Failure::NotAllowed(message) => wit::Error::NotAllowed(message),
        Failure::Busy(message) => wit::Error::Busy(message),
        Failure::Constraint(message) | Failure::Sql(message) => wit::Error::Sql(message),
    }
}
