//! Migrations: the `.sql` files of a folder, applied in name order, each once, each in a
//! transaction, recorded with a checksum in `_parigot_migrations`. A migration changed after it
//! was applied is an error naming the file; a failing one is rolled back, and the error names
//! the file, the statement and SQLite's message.

use rusqlite::{Connection, OptionalExtension};
use std::path::{Path, PathBuf};

/// Applies the migrations in `folder` that `connection`'s database lacks; returns how many.
pub fn apply(connection: &Connection, folder: &Path) -> Result<usize, String> {
    connection
        .execute_batch("CREATE TABLE IF NOT EXISTS _parigot_migrations (name TEXT PRIMARY KEY, checksum TEXT NOT NULL)")
        .map_err(|e| format!("cannot record migrations: {e}"))?;
    let mut applied = 0;
    for file in migration_files(folder)? {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let sql =
            std::fs::read_to_string(&file).map_err(|e| format!("cannot read migration {}: {e}", file.display()))?;
        let checksum = blake3::hash(sql.as_bytes()).to_hex().to_string();
        let recorded: Option<String> = connection
            .query_row("SELECT checksum FROM _parigot_migrations WHERE name = ?1", [&name], |row| row.get(0))
            .optional()
            .map_err(|e| format!("cannot read the migrations applied: {e}"))?;
        match recorded {
            Some(recorded) if recorded == checksum => continue,
            Some(_) => {
                return Err(format!(
                    "migration `{name}` ({}) changed after it was applied; add a new migration instead of \
                     editing an applied one",
                    file.display()
                ));
            }
            None => {}
        }
        apply_one(connection, &name, &sql, &checksum)
            .map_err(|why| format!("migration `{name}` ({}) failed: {why}", file.display()))?;
        applied += 1;
    }
    Ok(applied)
}

/// The `.sql` files of `folder`, in name order.
fn migration_files(folder: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(folder)
        .map_err(|e| format!("cannot read the migrations folder {}: {e}", folder.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql") && path.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Runs one migration's statements and records it, in one transaction.
fn apply_one(connection: &Connection, name: &str, sql: &str, checksum: &str) -> Result<(), String> {
    connection.execute_batch("BEGIN IMMEDIATE").map_err(|e| e.to_string())?;
    let outcome = run_statements(connection, sql).and_then(|()| {
        connection
            .execute("INSERT INTO _parigot_migrations (name, checksum) VALUES (?1, ?2)", [name, checksum])
            .map(drop)
            .map_err(|e| e.to_string())
    });
    match outcome {
        Ok(()) => connection.execute_batch("COMMIT").map_err(|e| e.to_string()),
        Err(why) => {
            let _ = connection.execute_batch("ROLLBACK");
            Err(why)
        }
    }
}

/// Runs every statement of `sql`, naming the one that fails.
fn run_statements(connection: &Connection, sql: &str) -> Result<(), String> {
    for statement in statements(sql) {
        connection.execute_batch(statement).map_err(|e| format!("{e}, in `{}`", statement.trim()))?;
    }
    Ok(())
}

/// The statements of `sql`, each ending at the `;` where SQLite says it is complete (so a
/// `;` inside a string or a trigger body does not cut it); a last one without `;` too.
fn statements(sql: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut start = 0;
    for (end, _) in sql.match_indices(';') {
        let candidate = &sql[start..=end];
        if is_complete(candidate) {
            found.push(candidate);
            start = end + 1;
        }
    }
    if !sql[start..].trim().is_empty() {
        found.push(&sql[start..]);
    }
    found
}

/// Whether `sql` ends a complete statement, as SQLite reads it.
fn is_complete(sql: &str) -> bool {
    let Ok(text) = std::ffi::CString::new(sql) else { return false };
    // SAFETY: `text` is a NUL-terminated string that lives until the call returns.
    unsafe { rusqlite::ffi::sqlite3_complete(text.as_ptr()) != 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_where_sqlite_says_they_are_complete() {
        let sql = "CREATE TABLE t (x TEXT);\nINSERT INTO t VALUES ('a;b');\nCREATE TRIGGER g AFTER INSERT ON t BEGIN SELECT 1; END;\nSELECT 2";
        let found: Vec<&str> = statements(sql).into_iter().map(str::trim).collect();
        assert_eq!(
            found,
            [
                "CREATE TABLE t (x TEXT);",
                "INSERT INTO t VALUES ('a;b');",
                "CREATE TRIGGER g AFTER INSERT ON t BEGIN SELECT 1; END;",
                "SELECT 2"
            ]
        );
    }
}
