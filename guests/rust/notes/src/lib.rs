//! Test service in Rust: keeps notes in its SQLite database (`parigot:notes`), and attempts
//! on request statements the host must refuse.

wit_bindgen::generate!({
    path: "../../wit/notes",
    world: "notes-service",
    generate_all,
});

use exports::parigot::notes::notes::Guest;
use parigot::sqlite::sqlite::{self as db, Value};

struct Notes;

fn describe(error: db::Error) -> String {
    match error {
        db::Error::AccessDenied(m) => format!("access-denied: {m}"),
        db::Error::NotAllowed(m) => format!("not-allowed: {m}"),
        db::Error::Sql(m) => format!("sql: {m}"),
        db::Error::Busy(m) => format!("busy: {m}"),
    }
}

impl Guest for Notes {
    fn add(text: String) -> Result<i64, String> {
        let done = db::execute("INSERT INTO notes (text) VALUES (?1)", &[Value::Text(text)]).map_err(describe)?;
        Ok(done.last_insert_id)
    }

    fn all() -> Result<Vec<String>, String> {
        let rows = db::query("SELECT text FROM notes ORDER BY id", &[]).map_err(describe)?;
        Ok(rows
            .rows
            .into_iter()
            .filter_map(|row| match row.into_iter().next() {
                Some(Value::Text(text)) => Some(text),
                _ => None,
            })
            .collect())
    }

    fn add_in_transaction(text: String, commit: bool) -> Result<(), String> {
        db::begin().map_err(describe)?;
        db::execute("INSERT INTO notes (text) VALUES (?1)", &[Value::Text(text)]).map_err(describe)?;
        if commit {
            db::commit().map_err(describe)?;
        }
        Ok(())
    }

    fn attempt(statement: String) -> String {
        match db::execute(&statement, &[]) {
            Ok(_) => "ok".to_string(),
            Err(error) => describe(error),
        }
    }
}

export!(Notes);
