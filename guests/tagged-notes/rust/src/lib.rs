//! Test service in Rust: notes with tags (`parigot:tagged-notes`) through the typed queries the
//! host generates from `db/queries.sql` (`notes:db/queries`), and the SDK's transactions.

wit_bindgen::generate!({
    // The generated queries package first: the service's world imports it.
    path: ["../db/queries.wit", "../wit"],
    world: "parigot:tagged-notes/tagged-notes-service",
    generate_all,
});

use exports::parigot::tagged_notes::tagged_notes::{Guest, Note, TagCount};
use notes::db::queries::{self, DbError};

struct TaggedNotes;

/// Why a call failed, as `kind: message`: from a typed query or from the SDK's transactions.
struct Failure(String);

impl From<DbError> for Failure {
    fn from(error: DbError) -> Failure {
        Failure(match error {
            DbError::Sql(message) => format!("sql: {message}"),
            DbError::Constraint(message) => format!("constraint: {message}"),
            DbError::Busy(message) => format!("busy: {message}"),
            DbError::Full(message) => format!("full: {message}"),
            DbError::Limit(message) => format!("limit: {message}"),
        })
    }
}

impl From<::parigot::sqlite::Error> for Failure {
    fn from(error: ::parigot::sqlite::Error) -> Failure {
        Failure(format!("transaction: {error:?}"))
    }
}

fn describe(error: DbError) -> String {
    Failure::from(error).0
}

fn with_tags(id: i64, title: String, body: Option<String>) -> Result<Note, DbError> {
    Ok(Note { id, title, body, tags: queries::tags_of(id)? })
}

impl Guest for TaggedNotes {
    fn add(title: String, body: Option<String>, tags: Vec<String>) -> Result<i64, String> {
        // Committed when the closure succeeds, rolled back when it fails.
        let added = ::parigot::sqlite::transaction(|| -> Result<i64, Failure> {
            let id = queries::add_note(&title, body.as_deref())?;
            for tag in &tags {
                queries::tag_note(id, tag)?;
            }
            Ok(id)
        });
        added.map_err(|failure| failure.0)
    }

    fn get(id: i64) -> Result<Option<Note>, String> {
        let found = queries::get_note(id).map_err(describe)?;
        found.map(|row| with_tags(row.id, row.title, row.body)).transpose().map_err(describe)
    }

    fn tagged(tag: String) -> Result<Vec<Note>, String> {
        let rows = queries::notes_tagged(&tag).map_err(describe)?;
        rows.into_iter().map(|row| with_tags(row.id, row.title, row.body)).collect::<Result<_, _>>().map_err(describe)
    }

    fn remove(id: i64) -> Result<bool, String> {
        queries::delete_note(id).map(|removed| removed > 0).map_err(describe)
    }

    fn tag_counts() -> Result<Vec<TagCount>, String> {
        let rows = queries::tag_counts().map_err(describe)?;
        Ok(rows.into_iter().map(|row| TagCount { tag: row.tag, notes: row.notes }).collect())
    }

    fn add_then_crash(title: String) {
        ::parigot::sqlite::begin().expect("begin");
        queries::add_note(&title, None).expect("add");
        panic!("crashing with a transaction open");
    }
}

export!(TaggedNotes);
