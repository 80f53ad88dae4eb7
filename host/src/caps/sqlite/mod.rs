//! A SQLite database per service (`parigot:sqlite`), granted in the wos with
//! `[services.NAME.sqlite]`.
//!
//! Each service granted a database has one file, `DATA_DIR/NAME.sqlite3`, created on first
//! start, in WAL mode with a busy timeout and foreign keys on; its migrations (ordered `.sql`
//! files) are applied before anything starts ([`migrate`]). Each instance has a connection of
//! its own, opened on first use, so a transaction belongs to the call that began it; one left
//! open when the call ends is rolled back. Nothing a statement does reaches another file
//! ([`guard`]).

mod guard;
mod host;
pub mod migrate;

use rusqlite::Connection;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The capability: a database, for the services the wos grants one.
pub const CAPABILITY: super::Capability = super::Capability {
    name: "a SQLite database",
    interfaces: &["parigot:sqlite/sqlite@0.1.0"],
    grant_key: Some("sqlite"),
};

/// How long a statement waits for another connection's write lock before it fails `busy`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// `[services.NAME.sqlite]`: the grant, and where the service's migrations are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SqliteTable {
    /// `migrations`: a folder of `.sql` files, applied in name order.
    pub migrations: Option<PathBuf>,
}

/// A service's database, prepared (created, migrated) before the service starts.
#[derive(Debug, Clone)]
pub struct ServiceDatabase {
    path: PathBuf,
}

impl ServiceDatabase {
    /// Opens (creating it if needed) the database of service `service` in `data_dir` and
    /// applies the migrations in `migrations`.
    pub fn prepare(service: &str, data_dir: &Path, migrations: Option<&Path>) -> Result<ServiceDatabase, String> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| format!("cannot create the data folder {}: {e}", data_dir.display()))?;
        let path = data_dir.join(format!("{service}.sqlite3"));
        let connection = open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        if let Some(folder) = migrations {
            let applied = migrate::apply(&connection, folder)?;
            if applied > 0 {
                tracing::info!("applied {applied} migration(s) to the database of service `{service}`");
            }
        }
        Ok(ServiceDatabase { path })
    }

    /// A connection for one instance, with the guard on every statement.
    fn connect(&self) -> rusqlite::Result<Connection> {
        let connection = open(&self.path)?;
        guard::install(&connection)?;
        Ok(connection)
    }
}

/// Opens `path` with the settings every connection has: WAL, busy timeout, foreign keys.
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get::<_, String>(0))?;
    connection.pragma_update(None, "synchronous", "normal")?;
    connection.pragma_update(None, "foreign_keys", true)?;
    Ok(connection)
}

/// One instance's connection, opened on first use.
#[derive(Default)]
pub struct InstanceDatabase {
    connection: Option<Connection>,
}

impl InstanceDatabase {
    /// The call that used the connection has ended: a transaction it left open is rolled back.
    pub fn call_ended(&mut self) {
        if let Some(connection) = &self.connection
            && !connection.is_autocommit()
        {
            tracing::warn!("a call ended inside a transaction it did not commit; rolling it back");
            if let Err(error) = connection.execute_batch("ROLLBACK") {
                tracing::warn!("cannot roll the transaction back ({error}); closing the connection");
                self.connection = None;
            }
        }
    }
}
