//! What keeps a service inside its own database file and its statements within bounds:
//! SQLite's defensive mode, no extensions, no attached databases, an authorizer that refuses
//! `ATTACH`, `DETACH`, `load_extension` and every pragma but a few that only read the schema,
//! and SQLite's limits on everything a statement's text can make it build (its length, the
//! depth of its expressions, its compound selects, columns, variables, LIKE patterns, trigger
//! depth, program size), so that no text a guest sends makes SQLite recurse deep or allocate
//! without bound (sqlite.org/security.html). `VACUUM` (whose `INTO` writes another file, and
//! which the authorizer is not asked about) is refused before a statement is prepared
//! ([`refused_statement`]), and so is a text longer than [`MAX_STATEMENT_BYTES`].

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::{Connection, config::DbConfig};

/// Pragmas a service may run: they only read the schema.
const READ_ONLY_PRAGMAS: &[&str] =
    &["table_info", "table_xinfo", "table_list", "index_list", "index_info", "foreign_key_list"];

/// The longest statement text the host prepares, in bytes: larger values belong in
/// parameters.
pub const MAX_STATEMENT_BYTES: usize = 1 << 20;

/// SQLite's own ceiling on the length of a string or blob (`SQLITE_MAX_LENGTH`).
const SQLITE_MAX_LENGTH: u64 = 1_000_000_000;

/// The most virtual machine instructions one prepared statement may have.
pub const MAX_PROGRAM_STEPS: i32 = 200_000;

/// The limits set on every connection of a service, besides the length of values.
const LIMITS: &[(Limit, i32)] = &[
    (Limit::SQLITE_LIMIT_ATTACHED, 0),
    (Limit::SQLITE_LIMIT_SQL_LENGTH, MAX_STATEMENT_BYTES as i32),
    (Limit::SQLITE_LIMIT_COLUMN, 1000),
    (Limit::SQLITE_LIMIT_EXPR_DEPTH, 200),
    (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 100),
    (Limit::SQLITE_LIMIT_VDBE_OP, MAX_PROGRAM_STEPS),
    (Limit::SQLITE_LIMIT_FUNCTION_ARG, 32),
    (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1000),
    (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 1000),
    (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 10),
    (Limit::SQLITE_LIMIT_WORKER_THREADS, 0),
];

/// Puts the guard on `connection`, with values no longer than `memory_limit` bytes (the
/// service's memory).
pub fn install(connection: &Connection, memory_limit: u64) -> rusqlite::Result<()> {
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    for (limit, value) in LIMITS {
        connection.set_limit(*limit, *value)?;
    }
    let length = memory_limit.min(SQLITE_MAX_LENGTH) as i32;
    connection.set_limit(Limit::SQLITE_LIMIT_LENGTH, length)?;
    connection.pragma_update(None, "mmap_size", 0)?;
    connection.authorizer(Some(authorize));
    Ok(())
}

fn authorize(context: AuthContext<'_>) -> Authorization {
    match context.action {
        AuthAction::Attach { .. } | AuthAction::Detach { .. } => Authorization::Deny,
        AuthAction::Function { function_name } if function_name.eq_ignore_ascii_case("load_extension") => {
            Authorization::Deny
        }
        AuthAction::Pragma { pragma_name, .. }
            if READ_ONLY_PRAGMAS.iter().any(|p| pragma_name.eq_ignore_ascii_case(p)) =>
        {
            Authorization::Allow
        }
        AuthAction::Pragma { .. } => Authorization::Deny,
        _ => Authorization::Allow,
    }
}

/// Why `statement` is refused before it is prepared, if it is: `VACUUM` (its `INTO` would
/// write another file).
pub fn refused_statement(statement: &str) -> Option<String> {
    let first = first_keyword(statement)?;
    first.eq_ignore_ascii_case("vacuum").then(|| "`VACUUM` is not allowed (`VACUUM INTO` writes another file)".into())
}

/// Why `statement` is too long to prepare, if it is.
pub fn too_long(statement: &str) -> Option<String> {
    (statement.len() > MAX_STATEMENT_BYTES).then(|| {
        format!(
            "the statement is {} KiB, more than the {} KiB the host prepares; pass large values as parameters \
             (`?1`), and send one statement per call",
            statement.len().div_ceil(1024),
            MAX_STATEMENT_BYTES / 1024
        )
    })
}

/// The first word of `statement`, past whitespace and comments.
fn first_keyword(statement: &str) -> Option<&str> {
    let mut rest = statement;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    let end = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vacuum_is_found_past_comments() {
        assert!(refused_statement("  -- tidy\n /* up */ vacuum INTO '/tmp/x'").is_some());
        assert!(refused_statement("SELECT 'vacuum'").is_none());
        assert!(refused_statement("").is_none());
    }
}
