//! The services' SQLite tables, read only, for the dashboard in `dev`: each table's columns and
//! its first rows, from a read-only connection of the host's own (the services' connections
//! are untouched).

use crate::runtime::App;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value as Json, json};
use std::path::Path;

/// The rows shown of each table.
const ROWS_SHOWN: usize = 50;
/// The longest text shown of one value.
const TEXT_SHOWN: usize = 200;
/// The most tables shown of one database.
const TABLES_SHOWN: usize = 50;

/// The tables of every service granted a database, whose files are in `data`.
pub fn all(app: &App, data: &Path) -> Json {
    let services: Vec<Json> = app
        .services
        .iter()
        .filter(|service| service.spec.sqlite.is_some())
        .map(|service| {
            let file = data.join(format!("{}.sqlite3", service.name));
            match tables_of(&file) {
                Ok(tables) => json!({ "service": service.name.as_str(), "tables": tables }),
                Err(why) => json!({ "service": service.name.as_str(), "error": why }),
            }
        })
        .collect();
    json!({ "shown": true, "services": services })
}

fn tables_of(file: &Path) -> Result<Vec<Json>, String> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection =
        Connection::open_with_flags(file, flags).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    connection.busy_timeout(std::time::Duration::from_millis(200)).map_err(|e| e.to_string())?;
    let names: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .and_then(|mut query| query.query_map([], |row| row.get(0))?.collect())
        .map_err(|e| e.to_string())?;
    names.iter().take(TABLES_SHOWN).map(|name| table(&connection, name)).collect()
}

fn table(connection: &Connection, name: &str) -> Result<Json, String> {
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    let count: i64 = connection
        .query_row(&format!("SELECT count(*) FROM {quoted}"), [], |row| row.get(0))
        .map_err(|e| e.to_string())?;
    let mut query =
        connection.prepare(&format!("SELECT * FROM {quoted} LIMIT {ROWS_SHOWN}")).map_err(|e| e.to_string())?;
    let columns: Vec<String> = query.column_names().into_iter().map(str::to_owned).collect();
    let width = columns.len();
    let rows: Vec<Vec<Json>> = query
        .query_map([], |row| (0..width).map(|index| row.get_ref(index).map(shown)).collect())
        .and_then(|rows| rows.collect())
        .map_err(|e| e.to_string())?;
    Ok(json!({ "name": name, "columns": columns, "rows": rows, "count": count }))
}

/// A value as the page shows it: text cut at [`TEXT_SHOWN`] characters, a blob by its size.
fn shown(value: ValueRef<'_>) -> Json {
    match value {
        ValueRef::Null => Json::Null,
        ValueRef::Integer(n) => json!(n),
        ValueRef::Real(x) => json!(x),
        ValueRef::Text(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            match text.char_indices().nth(TEXT_SHOWN) {
                Some((cut, _)) => json!(format!("{}…", &text[..cut])),
                None => json!(text),
            }
        }
        ValueRef::Blob(bytes) => json!(format!("<{} bytes>", bytes.len())),
    }
}
