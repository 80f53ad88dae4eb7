//! Test service in Rust: keeps notes in its SQLite database (`parigot:notes`) through the SDK's
//! `parigot::sqlite`, and attempts on request statements the host must refuse.

wit_bindgen::generate!({
    path: "../../wit/notes",
    world: "notes-service",
    generate_all,
});

use exports::parigot::notes::notes::Guest;
// `::parigot` is the SDK crate; the bindings above have a module `parigot` of their own.
use ::parigot::sqlite::{self, Error, params};

struct Notes;

fn describe(error: Error) -> String {
    match error {
        Error::AccessDenied(m) => format!("access-denied: {m}"),
        Error::NotAllowed(m) => format!("not-allowed: {m}"),
        Error::Sql(m) => format!("sql: {m}"),
        Error::Busy(m) => format!("busy: {m}"),
        Error::Full(m) => format!("full: {m}"),
        Error::Limit(m) => format!("limit: {m}"),
    }
}

impl Guest for Notes {
    fn add(text: String) -> Result<i64, String> {
        let done = sqlite::execute("INSERT INTO notes (text) VALUES (?1)", params![text]).map_err(describe)?;
        Ok(done.last_insert_id)
    }

    fn all() -> Result<Vec<String>, String> {
        let rows = sqlite::query("SELECT text FROM notes ORDER BY id", params![]).map_err(describe)?;
        Ok(rows.iter().filter_map(|row| row.get("text")?.as_text().map(str::to_owned)).collect())
    }

    fn add_in_transaction(text: String, commit: bool) -> Result<(), String> {
        let insert = || sqlite::execute("INSERT INTO notes (text) VALUES (?1)", params![text.as_str()]).map(drop);
        if commit {
            sqlite::transaction(insert).map_err(describe)
        } else {
            // Left open on purpose: the host rolls it back when this call ends.
            sqlite::begin().and_then(|()| insert()).map_err(describe)
        }
    }

    fn attempt(statement: String) -> String {
        match sqlite::execute(&statement, params![]) {
            Ok(_) => "ok".to_string(),
            Err(error) => describe(error),
        }
    }

    fn attempt_query(statement: String) -> String {
        match sqlite::query(&statement, params![]) {
            Ok(rows) => format!("{} row(s)", rows.rows.len()),
            Err(error) => describe(error),
        }
    }
}

export!(Notes);
