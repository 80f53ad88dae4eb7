//! A SQLite database per service (`parigot:sqlite`), granted in the wos with
//! `[services.NAME.sqlite]`.
//!
//! Each service granted a database has one file, `DATA_DIR/NAME.sqlite3`, created on first
//! start, in WAL mode with foreign keys on and the durability its grant chooses
//! (`synchronous`, FULL by default); its migrations (ordered `.sql` files) are applied before
//! anything starts ([`migrate`]). Each instance has a connection of its own, opened on first
//! use, so a transaction belongs to the call that began it; one left open when the call ends
//! is rolled back. Nothing a statement does reaches another file ([`guard`]), and what it may
//! cost the host (time, memory, disk, threads) is bounded by the call's [`budget`].

pub mod budget;
pub mod guard;
mod host;
pub mod migrate;
mod observe;
pub mod queries;

use crate::kernel::blocking::{BlockingPool, PoolShare};
use crate::sim::Faults;
use observe::StatementTelemetry;
use rusqlite::{Connection, ErrorCode};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The capability: a database, for the services the wos grants one.
pub struct Sqlite;

impl super::Unit for Sqlite {
    const ABOUT: super::Capability = super::Capability {
        name: "a SQLite database",
        interfaces: &["parigot:sqlite/sqlite@0.1.0"],
        grant_key: Some("sqlite"),
        test_only: false,
    };
    /// The service's database, if the wos grants it one.
    type Service = Option<ServiceDatabase>;
    /// The instance's connection to it, once it has used it.
    type Instance = InstanceDatabase;

    /// Opens (and migrates) the database of every service granted one; all of them share one
    /// pool of threads.
    fn prepare(wos: &super::WosPlan<'_>, start: &super::Start<'_>) -> wasmtime::Result<Vec<Self::Service>> {
        let threads = BlockingPool::for_this_machine();
        let prepare = |service: &super::ServicePlan<'_>| {
            let Some(grant) = service.sqlite else { return Ok(None) };
            ServiceDatabase::prepare(service.name.as_str(), grant, threads.clone(), start)
                .map(Some)
                .map_err(|why| wasmtime::format_err!("cannot start service `{}`: its database: {why}", service.name))
        };
        wos.services.iter().map(prepare).collect()
    }

    /// Links `parigot:sqlite/sqlite` (the graph refuses its import without the grant), and the
    /// service's typed queries if it imports them.
    fn link<T: Send + 'static>(
        linker: &mut wasmtime::component::Linker<T>,
        _wos: &super::WosPlan<'_>,
        service: &super::ServicePlan<'_>,
        view: fn(&mut T) -> super::View<'_, Self>,
    ) -> wasmtime::Result<()> {
        super::bindings::sqlite::add_to_linker::<T, super::Scoped<Self>>(linker, view)?;
        if let Some(set) = service.queries
            && let Some(import) = service.imports.keys().find(|import| **import == set.interface)
        {
            tracing::info!("linking `{}`: `{import}` -> its typed queries", service.name);
            queries::add_to_linker(linker, &import.to_string(), set, view)?;
        }
        Ok(())
    }

    fn call_ended(instance: &mut InstanceDatabase) {
        instance.call_ended();
    }
}

/// How long a statement waits, in all, for another connection's write lock before it fails
/// `busy`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The pauses between attempts to take a busy database's lock (SQLite's own schedule), in
/// milliseconds; the last one repeats.
const BUSY_PAUSES_MS: [u64; 12] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

/// The pause before attempt `attempt + 1` at a busy database's lock, or `None` once the
/// attempts so far have waited [`BUSY_TIMEOUT`].
fn busy_pause(attempt: usize) -> Option<Duration> {
    let last = BUSY_PAUSES_MS.len() - 1;
    let pause = |n: usize| BUSY_PAUSES_MS[n.min(last)];
    let waited: u64 = (0..attempt).map(pause).sum();
    (Duration::from_millis(waited) < BUSY_TIMEOUT).then(|| Duration::from_millis(pause(attempt)))
}

/// SQLite's busy handler for the connection that migrates a database at start-up (which
/// nothing else waits on): waits as [`busy_pause`] says. The instances' connections have none:
/// a busy statement gives its thread back and is tried again after the pause
/// ([`budget`]).
fn wait_for_lock(attempt: i32) -> bool {
    match busy_pause(usize::try_from(attempt).unwrap_or(0)) {
        Some(pause) => {
            std::thread::sleep(pause);
            true
        }
        None => false,
    }
}

/// The size a database may grow to when its grant sets no `max-size-mib`.
pub const DEFAULT_MAX_SIZE_MIB: u64 = 1024;

/// The largest `max-size-mib` a grant may set (1 TiB).
const MAX_SIZE_MIB_CEILING: u64 = 1 << 20;

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
    /// `wit`: where the queries' generated WIT goes [default: beside the queries file, with
    /// the extension `.wit`]. In a WIT folder that the worlds of several services share, put it
    /// in the folder's `deps/` (`wit/deps/notes-db/queries.wit`), so every world resolves.
    pub wit: Option<PathBuf>,
    /// `max-size-mib`: how large the database file may grow, in MiB [default:
    /// [`DEFAULT_MAX_SIZE_MIB`]]; a statement that would pass it fails `full`.
    pub max_size_mib: Option<u64>,
    /// `synchronous`: what a commit waits for [default: `full`].
    pub synchronous: Option<Synchronous>,
}

impl SqliteTable {
    /// Where the WIT generated from the queries goes, if the grant has queries.
    pub fn generated_wit(&self) -> Option<PathBuf> {
        let queries = self.queries.as_ref()?;
        Some(self.wit.clone().unwrap_or_else(|| queries.with_extension("wit")))
    }

    /// Checks the values of the grant of service `service`.
    pub fn check(&self) -> Result<(), String> {
        match self.max_size_mib {
            Some(0) => Err("`max-size-mib = 0` leaves no room for the database; give at least 1".into()),
            Some(size) if size > MAX_SIZE_MIB_CEILING => Err(format!(
                "`max-size-mib = {size}` is more than the {MAX_SIZE_MIB_CEILING} (1 TiB) a database may have"
            )),
            _ => Ok(()),
        }
    }
}

/// `synchronous` in a database grant: what a commit waits for (SQLite's `PRAGMA synchronous`,
/// in WAL mode).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Synchronous {
    /// A commit returns once it is on disk: it survives a crash of the host and a power loss.
    #[default]
    Full,
    /// A commit returns once it is in the write-ahead log; it survives a crash of the host,
    /// but the last commits before a power loss may be lost (the database stays sound).
    Normal,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "full",
            Synchronous::Normal => "normal",
        }
    }
}

/// A service's database, prepared (created, migrated) before the service starts.
#[derive(Debug, Clone)]
pub struct ServiceDatabase {
    service: Arc<str>,
    path: PathBuf,
    synchronous: Synchronous,
    max_size_mib: u64,
    /// The service's share of the host's threads for SQLite work.
    threads: PoolShare,
    /// Where its statements' durations and spans go.
    telemetry: StatementTelemetry,
    /// The faults a simulation injects into its statements.
    faults: Option<Arc<Faults>>,
}

impl ServiceDatabase {
    /// Opens (creating it if needed) the database of service `service` in the data folder of
    /// `start`, as its grant `grant` says, and applies its migrations. Its statements will run
    /// on its share of `threads` (the pool every database of the wos uses), their durations and
    /// spans recorded into the start's telemetry, with the start's simulated faults.
    pub fn prepare(
        service: &str,
        grant: &SqliteTable,
        threads: BlockingPool,
        start: &super::Start<'_>,
    ) -> Result<ServiceDatabase, String> {
        let data_dir = start.data_dir;
        std::fs::create_dir_all(data_dir)
            .map_err(|e| format!("cannot create the data folder {}: {e}", data_dir.display()))?;
        let database = ServiceDatabase {
            service: service.into(),
            path: data_dir.join(format!("{service}.sqlite3")),
            synchronous: grant.synchronous.unwrap_or_default(),
            max_size_mib: grant.max_size_mib.unwrap_or(DEFAULT_MAX_SIZE_MIB),
            threads: threads.share(),
            telemetry: StatementTelemetry::new(service, start.telemetry.clone()),
            faults: start.faults.cloned(),
        };
        let connection = database.open().map_err(|e| format!("cannot open {}: {e}", database.path.display()))?;
        connection.busy_handler(Some(wait_for_lock)).map_err(|e| e.to_string())?;
        if let Some(folder) = &grant.migrations {
            let applied = migrate::apply(&connection, folder)?;
            if applied > 0 {
                tracing::info!("applied {applied} migration(s) to the database of service `{service}`");
            }
        }
        Ok(database)
    }

    /// A connection for one instance, with the guard on every statement and the limits of
    /// `memory_limit` bytes (the service's memory) on the values it makes. No busy handler: a
    /// busy statement returns at once, and is tried again without holding a thread.
    fn connect(&self, memory_limit: u64) -> rusqlite::Result<Connection> {
        let connection = self.open()?;
        // rusqlite waits up to 5 s by default, on the thread: a thread of the pool waiting for
        // a lock whose holder needs a thread of the pool for its next statement.
        connection.busy_handler(None)?;
        guard::install(&connection, memory_limit)?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(connection)
    }

    /// Opens the file with the settings every connection has: WAL, foreign keys, the grant's
    /// durability and size limit.
    fn open(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open(&self.path)?;
        connection.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get::<_, String>(0))?;
        connection.pragma_update(None, "synchronous", self.synchronous.pragma())?;
        connection.pragma_update(None, "foreign_keys", true)?;
        let page_size: u64 = connection.pragma_query_value(None, "page_size", |row| row.get(0))?;
        let pages = (self.max_size_mib << 20) / page_size.max(512);
        connection.pragma_update_and_check(None, "max_page_count", pages, |row| row.get::<_, u64>(0))?;
        Ok(connection)
    }

    /// Why a statement failed, as guests are told, with this database's limits named.
    fn failure(&self, error: rusqlite::Error) -> Failure {
        match code_of(&error) {
            Some(ErrorCode::DiskFull) => Failure::Full(format!(
                "the database of service `{service}` is full: it may not grow past its `max-size-mib` of {} \
                 (`[services.{service}.sqlite]`); delete what is no longer needed, or raise `max-size-mib`",
                self.max_size_mib,
                service = self.service,
            )),
            _ => Failure::of(error),
        }
    }
}

/// SQLite's code for `error`, if SQLite raised it.
fn code_of(error: &rusqlite::Error) -> Option<ErrorCode> {
    match error {
        rusqlite::Error::SqliteFailure(failure, _) => Some(failure.code),
        rusqlite::Error::SqlInputError { error, .. } => Some(error.code),
        _ => None,
    }
}

/// How many prepared statements a connection keeps: a service's typed queries are prepared
/// once per connection, and a queries file rarely holds more.
const STATEMENT_CACHE: usize = 256;

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

/// Why a statement failed, as guests are told.
enum Failure {
    /// The service has no database (the graph refuses an import without the grant, so only a
    /// host bug gets here).
    NoDatabase,
    /// It reached for what a service may not (the authorizer refused it).
    NotAllowed(String),
    /// Another connection held the database past the busy timeout, or the host's SQLite
    /// threads and their queue were all taken.
    Busy(String),
    /// A constraint refused the change.
    Constraint(String),
    /// The database reached its size limit.
    Full(String),
    /// The statement, a value it makes or its rows passed a limit of the host's: the message
    /// names the limit and the wos key that raises it, if one does.
    Limit(String),
    /// The call's deadline passed, or the host is stopping, while the statement ran: it was
    /// interrupted (the call fails as a guest interrupted at its deadline does).
    Interrupted,
    /// Anything else SQLite said.
    Sql(String),
}

impl Failure {
    /// What a span says of the failure: its kind, and SQLite's message (which names no
    /// parameter value).
    fn describe(&self) -> String {
        match self {
            Failure::NoDatabase => "no database".into(),
            Failure::NotAllowed(message) => format!("not allowed: {message}"),
            Failure::Busy(message) => format!("busy: {message}"),
            Failure::Constraint(message) => format!("constraint: {message}"),
            Failure::Full(message) => format!("full: {message}"),
            Failure::Limit(message) => format!("limit: {message}"),
            Failure::Interrupted => "interrupted".into(),
            Failure::Sql(message) => message.clone(),
        }
    }

    fn of(error: rusqlite::Error) -> Failure {
        // SQLite refuses what the authorizer denies at prepare time with a plain error whose
        // message says so, at run time (`ATTACH`) with `SQLITE_AUTH`.
        let code = if error.to_string().starts_with("not authorized") {
            Some(ErrorCode::AuthorizationForStatementDenied)
        } else {
            code_of(&error)
        };
        match code {
            Some(ErrorCode::AuthorizationForStatementDenied) => Failure::NotAllowed(format!(
                "{error}: a service's statements may not attach databases, load extensions or run pragmas other \
                 than the schema-reading ones"
            )),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Failure::Busy(error.to_string()),
            Some(ErrorCode::ConstraintViolation) => Failure::Constraint(error.to_string()),
            Some(ErrorCode::OperationInterrupted) => Failure::Interrupted,
            Some(ErrorCode::TooBig) => Failure::Limit(format!(
                "{error}: a value the statement makes is longer than the host allows (the service's \
                 `memory-mib`, at most 1 GB)"
            )),
            Some(ErrorCode::OutOfMemory) => Failure::Limit(format!(
                "{error}: the statement is more complex than the host prepares (at most {} virtual machine \
                 steps); split it",
                guard::MAX_PROGRAM_STEPS
            )),
            _ => Failure::Sql(match error {
                rusqlite::Error::ExecuteReturnedResults => "the statement returns rows: run it with `query`".into(),
                rusqlite::Error::MultipleStatement => {
                    "the text holds more than one statement; run one statement per call".into()
                }
                error => error.to_string(),
            }),
        }
    }
}
