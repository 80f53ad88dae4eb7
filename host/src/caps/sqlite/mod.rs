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
pub mod queries;

use rusqlite::{Connection, ErrorCode};
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

/// The pauses between attempts to take a busy database's lock (SQLite's own schedule), in
/// milliseconds; the last one repeats.
const BUSY_PAUSES_MS: [u64; 12] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

/// SQLite's busy handler: after `attempt` earlier waits for the lock, waits once more, unless
/// that would pass [`BUSY_TIMEOUT`]. On the runtime's worker threads it waits in
/// `block_in_place`, so that the runtime moves its other tasks (the call holding the lock among
/// them, if its guest was paused mid-transaction) to another thread meanwhile, instead of
/// every worker waiting on a lock that no worker is left to release.
fn wait_for_lock(attempt: i32) -> bool {
    let attempt = usize::try_from(attempt).unwrap_or(0);
    let last = BUSY_PAUSES_MS.len() - 1;
    let pause = |n: usize| BUSY_PAUSES_MS[n.min(last)];
    let waited: u64 = (0..attempt).map(pause).sum();
    if Duration::from_millis(waited) >= BUSY_TIMEOUT {
        return false;
    }
    let pause = Duration::from_millis(pause(attempt));
    let on_worker = tokio::runtime::Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if on_worker {
        tokio::task::block_in_place(|| std::thread::sleep(pause));
    } else {
        std::thread::sleep(pause);
    }
    true
}

/// `[services.NAME.sqlite]`: the grant, and where the service's migrations are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SqliteTable {
    /// `migrations`: a folder of `.sql` files, applied in name order.
    pub migrations: Option<PathBuf>,
    /// `queries`: a file of queries in sqlc's annotation syntax, which the host implements as
    /// a WIT interface the service imports ([`queries`]).
    pub queries: Option<PathBuf>,
    /// `package`: the WIT package of the queries' interface [default: `SERVICE:db`].
    pub package: Option<String>,
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
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(connection)
    }
}

/// How many prepared statements a connection keeps: a service's typed queries are prepared
/// once per connection, and a queries file rarely holds more.
const STATEMENT_CACHE: usize = 256;

/// Opens `path` with the settings every connection has: WAL, a wait for a busy database,
/// foreign keys.
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_handler(Some(wait_for_lock))?;
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

impl crate::caps::View<'_> {
    /// The instance's connection, opened on first use; `None` as the error if the service has
    /// no database.
    fn database(&mut self) -> Result<&Connection, Option<rusqlite::Error>> {
        let database = self.service.sqlite.as_ref().ok_or(None)?;
        let slot = &mut self.instance.sqlite.connection;
        if slot.is_none() {
            *slot = Some(database.connect().map_err(Some)?);
        }
        Ok(slot.as_ref().expect("just opened"))
    }
}

/// Why a statement failed, as guests are told.
enum Failure {
    /// It reached for what a service may not (the authorizer refused it).
    NotAllowed(String),
    /// Another connection held the database past the busy timeout.
    Busy(String),
    /// A constraint refused the change.
    Constraint(String),
    /// Anything else SQLite said.
    Sql(String),
}

impl Failure {
    fn of(error: rusqlite::Error) -> Failure {
        // SQLite refuses what the authorizer denies at prepare time with a plain error whose
        // message says so, at run time (`ATTACH`) with `SQLITE_AUTH`.
        let code = if error.to_string().starts_with("not authorized") {
            Some(ErrorCode::AuthorizationForStatementDenied)
        } else {
            match &error {
                rusqlite::Error::SqliteFailure(failure, _) => Some(failure.code),
                rusqlite::Error::SqlInputError { error, .. } => Some(error.code),
                _ => None,
            }
        };
        match code {
            Some(ErrorCode::AuthorizationForStatementDenied) => Failure::NotAllowed(format!(
                "{error}: a service's statements may not attach databases, load extensions or run pragmas other \
                 than the schema-reading ones"
            )),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Failure::Busy(error.to_string()),
            Some(ErrorCode::ConstraintViolation) => Failure::Constraint(error.to_string()),
            _ => Failure::Sql(match error {
                rusqlite::Error::ExecuteReturnedResults => "the statement returns rows: run it with `query`".into(),
                error => error.to_string(),
            }),
        }
    }
}
