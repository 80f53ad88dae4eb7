//! The services' SQLite tables, read only, for the dashboard in `dev`: each table's columns and
//! its first rows, from a read-only connection of the host's own (the services' connections
//! are untouched).

use crate::runtime::App;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value as Json, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// The rows shown of each table.
const ROWS_SHOWN: usize = 50;
/// The longest text shown of one value.
const TEXT_SHOWN: usize = 200;
/// The most tables shown of one database.
const TABLES_SHOWN: usize = 50;
/// How long reading one database's tables may take; past it, what is left is not shown.
const TIME_PER_DATABASE: Duration = Duration::from_secs(2);
/// How many SQLite steps pass between two looks at the clock.
const STEPS_BETWEEN_CHECKS: i32 = 100;
/// The most rows a table's count goes to (a count is a scan; past it, "more").
const COUNTED: usize = 10_000;

/// The tables of every service granted a database, whose files are in `data`.
pub fn all(app: &App, data: &Path) -> Json {
    let services: Vec<Json> = app
        .services
        .iter()
        .filter(|service| service.spec.sqlite.is_some())
        .map(|service| {
            let file = data.join(format!("{}.sqlite3", service.name));
            match tables_of(&file, TIME_PER_DATABASE) {
                Ok(tables) => json!({ "service": service.name.as_str(), "tables": tables }),
                Err(why) => json!({ "service": service.name.as_str(), "error": why }),
            }
        })
        .collect();
    json!({ "shown": true, "services": services })
}

/// The tables of the database `file`, read within `budget` (a statement still running then is
/// interrupted, and the view says so).
fn tables_of(file: &Path, budget: Duration) -> Result<Vec<Json>, String> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection =
        Connection::open_with_flags(file, flags).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    connection.busy_timeout(Duration::from_millis(200)).map_err(|e| e.to_string())?;
    let until = Instant::now() + budget;
    connection.progress_handler(STEPS_BETWEEN_CHECKS, Some(move || Instant::now() >= until));
    let names: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .and_then(|mut query| query.query_map([], |row| row.get(0))?.collect())
        .map_err(|e| e.to_string())?;
    let tables: Result<Vec<Json>, String> =
        names.iter().take(TABLES_SHOWN).map(|name| table(&connection, name)).collect();
    tables.map_err(|why| {
        if Instant::now() >= until {
            format!("reading the tables took more than {budget:?}; they are not shown")
        } else {
            why
        }
    })
}

fn table(connection: &Connection, name: &str) -> Result<Json, String> {
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    // Counted row by row, up to one more than shown as a number: steps the budget can stop.
    let counting = format!("SELECT count(*) FROM (SELECT 1 FROM {quoted} LIMIT {})", COUNTED + 1);
    let count: usize = connection.query_row(&counting, [], |row| row.get(0)).map_err(|e| e.to_string())?;
    let mut query =
        connection.prepare(&format!("SELECT * FROM {quoted} LIMIT {ROWS_SHOWN}")).map_err(|e| e.to_string())?;
    let columns: Vec<String> = query.column_names().into_iter().map(str::to_owned).collect();
    let width = columns.len();
    let rows: Vec<Vec<Json>> = query
        .query_map([], |row| (0..width).map(|index| row.get_ref(index).map(shown)).collect())
        .and_then(|rows| rows.collect())
        .map_err(|e| e.to_string())?;
    Ok(json!({ "name": name, "columns": columns, "rows": rows, "count": count.min(COUNTED), "more": count > COUNTED }))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn database(rows: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let connection = Connection::open(dir.path().join("d.sqlite3")).unwrap();
        connection.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT, data BLOB)").unwrap();
        let long = "x".repeat(TEXT_SHOWN + 10);
        for id in 0..rows {
            connection.execute("INSERT INTO notes VALUES (?1, ?2, x'0102')", (id as i64, &long)).unwrap();
        }
        dir
    }

    #[test]
    fn a_table_shows_its_first_rows_with_long_text_cut_and_blobs_by_size() {
        let dir = database(ROWS_SHOWN + 5);
        assert_eq!(tables_of(&dir.path().join("d.sqlite3"), TIME_PER_DATABASE).unwrap()[0]["more"], false);
        let tables = tables_of(&dir.path().join("d.sqlite3"), TIME_PER_DATABASE).unwrap();
        let notes = &tables[0];
        assert_eq!((notes["name"].as_str(), notes["count"].as_i64()), (Some("notes"), Some(ROWS_SHOWN as i64 + 5)));
        let rows = notes["rows"].as_array().unwrap();
        assert_eq!(rows.len(), ROWS_SHOWN);
        assert_eq!(rows[0][1].as_str().unwrap().chars().count(), TEXT_SHOWN + 1, "cut, with a mark");
        assert_eq!(rows[0][2], "<2 bytes>");
    }

    #[test]
    fn a_long_table_is_counted_up_to_a_bound_and_reading_past_the_budget_stops_and_says_so() {
        let dir = database(COUNTED + 5);
        let tables = tables_of(&dir.path().join("d.sqlite3"), TIME_PER_DATABASE).unwrap();
        assert_eq!((tables[0]["count"].as_u64(), tables[0]["more"].as_bool()), (Some(COUNTED as u64), Some(true)));
        let why = tables_of(&dir.path().join("d.sqlite3"), Duration::ZERO).unwrap_err();
        assert!(why.contains("took more than"), "{why}");
    }
}
