//! The service's SQLite database (`parigot:sqlite`), granted in the wos with
//! `[services.NAME.sqlite]`. A service that never calls this module does not import it, and
//! needs no grant.
//!
//! ```ignore
//! use parigot::sqlite::{self, params};
//! let id = sqlite::execute("INSERT INTO notes (text) VALUES (?1)", params![text])?.last_insert_id;
//! for row in sqlite::query("SELECT id, text FROM notes", params![])?.iter() {
//!     let text = row.get("text").and_then(|v| v.as_text());
//! }
//! sqlite::transaction(|| { /* committed if this returns Ok */ Ok(()) })?;
//! ```

use crate::bindings::parigot::sqlite::sqlite as wit;

pub use wit::{Error, Execution, Value};

/// Builds a parameter list: `params![text, 42, None::<i64>]`.
#[macro_export]
macro_rules! params {
    ($($value:expr),* $(,)?) => { &[$($crate::sqlite::Value::from($value)),*] };
}
pub use params;

value_from! {
    Value:
    i64 => Integer(std::convert::identity), i32 => Integer(i64::from), u32 => Integer(i64::from),
    bool => Integer(i64::from),
    f64 => Real(std::convert::identity),
    String => Text(std::convert::identity), &str => Text(str::to_owned), &String => Text(String::clone),
    Vec<u8> => Blob(std::convert::identity), &[u8] => Blob(<[u8]>::to_vec),
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

impl Value {
    /// The integer, if this is one.
    pub fn as_integer(&self) -> Option<i64> {
        if let Value::Integer(n) = self { Some(*n) } else { None }
    }

    /// The text, if this is text.
    pub fn as_text(&self) -> Option<&str> {
        if let Value::Text(text) = self { Some(text) } else { None }
    }
}

/// A query's rows.
#[derive(Debug, Clone)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// One row, with its values found by column name.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [String],
    values: &'a [Value],
}

impl Rows {
    /// The rows, in order.
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|values| Row { columns: &self.columns, values })
    }
}

impl<'a> Row<'a> {
    /// The value of column `name`.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.columns.iter().position(|c| c == name).and_then(|i| self.values.get(i))
    }
}

/// Runs one statement that returns no rows, with `params` bound to `?1`, `?2`...
pub fn execute(statement: &str, params: &[Value]) -> Result<Execution, Error> {
    wit::execute(statement, params)
}

/// Runs one statement and returns its rows, with `params` bound to `?1`, `?2`...
pub fn query(statement: &str, params: &[Value]) -> Result<Rows, Error> {
    let rows = wit::query(statement, params)?;
    Ok(Rows { columns: rows.columns, rows: rows.rows })
}

/// Begins a transaction; the host rolls it back if the call ends without [`commit`].
pub fn begin() -> Result<(), Error> {
    wit::begin()
}

/// Commits the transaction under way.
pub fn commit() -> Result<(), Error> {
    wit::commit()
}

/// Rolls the transaction under way back.
pub fn rollback() -> Result<(), Error> {
    wit::rollback()
}

/// Runs `work` in a transaction: committed if it returns `Ok`, rolled back if it returns `Err`.
/// `work` may fail with an error of its own (typed queries fail with their `db-error`), which
/// a failed `begin` or `commit` converts into.
pub fn transaction<T, E: From<Error>>(work: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    begin()?;
    match work() {
        Ok(value) => commit().map(|()| value).map_err(E::from),
        Err(error) => {
            let _ = rollback(); // the work's error is the one worth reporting
            Err(error)
        }
    }
}
