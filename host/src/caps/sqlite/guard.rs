//! What keeps a service inside its own database file: SQLite's defensive mode, no
//! extensions, no attached databases, and an authorizer that refuses `ATTACH`, `DETACH`,
//! `load_extension` and every pragma but a few that only read the schema. `VACUUM` (whose
//! `INTO` writes another file, and which the authorizer is not asked about) is refused before
//! a statement is prepared ([`refused_statement`]).

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::{Connection, config::DbConfig};

/// Pragmas a service may run: they only read the schema.
const READ_ONLY_PRAGMAS: &[&str] =
    &["table_info", "table_xinfo", "table_list", "index_list", "index_info", "foreign_key_list"];

/// The longest string or blob a statement may make, in bytes.
const MAX_LENGTH: i32 = 64 << 20;

/// Puts the guard on `connection`.
pub fn install(connection: &Connection) -> rusqlite::Result<()> {
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    connection.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)?;
    connection.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_LENGTH)?;
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
