//! Typed queries, sqlc-style: a service keeps its queries in a file in sqlc's annotation
//! syntax (`[services.NAME.sqlite] queries`), `parigot-host queries` turns them into a WIT
//! interface with a typed function per query, and the host implements that interface on the
//! service's own database, so a guest calls `get-note(id)` through its ordinary bindings.
//!
//! Types come from the schema ([`infer`]): the migrations are applied to an in-memory
//! database and every query is prepared on it. The host does the same at start-up and refuses
//! a generated file that no longer matches the queries and migrations, saying to regenerate.

mod call;
mod infer;
mod names;
mod parse;
mod render;

pub use call::add_to_linker;
pub use infer::{Field, Query, SqlType, Typed};
pub use parse::Kind;
pub use render::DB_ERROR_CASES;

use super::SqliteTable;
use crate::manifest::InterfaceName;
use names::check_wit_name;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// A service's typed queries, with their WIT.
#[derive(Debug)]
pub struct QuerySet {
    /// The interface the host implements for the service (`PACKAGE/queries`).
    pub interface: InterfaceName,
    /// The queries, in the file's order.
    pub queries: Vec<Query>,
    /// The generated WIT text.
    pub wit: String,
    /// Where the generated WIT goes: beside the queries file, with the extension `.wit`.
    pub wit_path: PathBuf,
}

impl QuerySet {
    /// Reads and types the queries that `table` (the database grant of service `service`)
    /// names, if it names any.
    pub fn generate(service: &str, table: &SqliteTable) -> Result<Option<QuerySet>, String> {
        let Some(path) = &table.queries else { return Ok(None) };
        let package = table.package.clone().unwrap_or_else(|| format!("{service}:db"));
        let interface = package_interface(&package)?;
        let file = path.file_name().map_or_else(|| path.display().to_string(), |f| f.to_string_lossy().into_owned());
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the queries file {}: {e}", path.display()))?;
        let connection = schema_database(table.migrations.as_deref())?;
        let queries = typed_queries(&connection, &text, &file)?;
        let wit = render::wit_text(&package, &file, &queries);
        Ok(Some(QuerySet { interface, queries, wit, wit_path: path.with_extension("wit") }))
    }

    /// [`QuerySet::generate`], checking that the generated WIT on disk is this one: a service
    /// built against another would call functions of other types. `wos` is the manifest, for
    /// the command that regenerates.
    pub fn load(service: &str, table: &SqliteTable, wos: &Path) -> Result<Option<QuerySet>, String> {
        let Some(set) = QuerySet::generate(service, table)? else { return Ok(None) };
        let regenerate = format!("run `parigot-host queries {}` and rebuild the service", wos.display());
        match std::fs::read_to_string(&set.wit_path) {
            Ok(on_disk) if on_disk == set.wit => Ok(Some(set)),
            Ok(_) => Err(format!(
                "{} is stale: its queries or migrations changed since it was generated; {regenerate}",
                set.wit_path.display()
            )),
            Err(_) => Err(format!("{} has not been generated; {regenerate}", set.wit_path.display())),
        }
    }

    /// Writes the generated WIT where it goes, unless it is already there; returns whether it
    /// wrote.
    pub fn write(&self) -> Result<bool, String> {
        crate::build::write_if_changed(&self.wit_path, &self.wit)
    }
}

/// The queries of `text` (the file `file`, in sqlc's annotation syntax), typed by preparing
/// each on `connection`, a database with the service's schema.
pub fn typed_queries(connection: &Connection, text: &str, file: &str) -> Result<Vec<Query>, String> {
    let schema = infer::Schema::read(connection).map_err(|e| format!("cannot read the schema: {e}"))?;
    parse::parse_queries(text, file)?.into_iter().map(|query| infer::infer(connection, &schema, query, file)).collect()
}

/// `PACKAGE/queries` for a package name `namespace:name`.
fn package_interface(package: &str) -> Result<InterfaceName, String> {
    let parts = package.split_once(':').filter(|(ns, name)| check_wit_name(ns).is_ok() && check_wit_name(name).is_ok());
    if parts.is_none() {
        return Err(format!(
            "`{package}` is not a WIT package name for the queries: write `package = \"namespace:name\"` in \
             `[services.NAME.sqlite]`, each part lowercase words joined by `-` (for example `notes:db`)"
        ));
    }
    InterfaceName::parse(&format!("{package}/{}", render::INTERFACE))
        .ok_or_else(|| format!("`{package}` is not a WIT package name for the queries"))
}

/// An in-memory database with the migrations applied, and the guard every service
/// connection has, so a query the host would refuse at run time is refused here.
fn schema_database(migrations: Option<&Path>) -> Result<Connection, String> {
    let connection = Connection::open_in_memory().map_err(|e| format!("cannot open an in-memory database: {e}"))?;
    if let Some(folder) = migrations {
        super::migrate::apply(&connection, folder)?;
    }
    let memory = crate::kernel::Limits::default().memory;
    super::guard::install(&connection, memory).map_err(|e| format!("cannot guard the in-memory database: {e}"))?;
    Ok(connection)
}

#[cfg(test)]
mod tests;
