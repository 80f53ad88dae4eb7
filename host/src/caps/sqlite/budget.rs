//! What a statement may cost the host, and the one way every statement of a guest runs
//! (raw statements and typed queries alike):
//!
//! - threads: on the host's bounded pool of SQLite threads, never on an async worker, so that
//!   slow statements of one service cannot hold up the served requests of others; a pool whose
//!   queue is full refuses the statement at once (`busy`);
//! - time: a progress handler stops the statement at the call's deadline (the call then fails
//!   as a guest interrupted at its deadline does) or when the host stops for good; a statement
//!   that finds the database locked gives its thread back and is tried again after a pause,
//!   until the busy timeout;
//! - memory: the rows a call collects may not pass what the instance's memory limit leaves it
//!   (they would not fit in the guest anyway), and fail `limit` past it, naming `memory-mib`;
//! - disk: the database's `max-size-mib` (set on every connection), past which a statement
//!   fails `full`.

use super::{Failure, ServiceDatabase, Sqlite, busy_pause};
use crate::caps::View;
use crate::sim::{Boundary, Crossing, FaultKind, InjectedFault};
use rusqlite::Connection;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::Trap;

/// How many SQLite virtual machine steps pass between two checks of the deadline.
const STEPS_BETWEEN_CHECKS: i32 = 1000;

/// What one call's statements may cost.
#[derive(Debug, Clone)]
pub struct Budget {
    /// When the call must have ended, if it has a deadline.
    deadline: Option<Instant>,
    /// The most bytes of rows the host may hold for the call.
    row_bytes: u64,
    /// The service, for messages.
    service: Arc<str>,
}

impl Budget {
    /// A meter of the rows one statement collects.
    pub fn rows(&self) -> RowMeter<'_> {
        RowMeter { budget: self, used: 0 }
    }
}

/// Counts the bytes of the rows a statement collects against the call's [`Budget`].
pub struct RowMeter<'a> {
    budget: &'a Budget,
    used: u64,
}

impl RowMeter<'_> {
    /// Charges `bytes` more, or fails with [`Failure::Limit`] once past the budget.
    pub(super) fn charge(&mut self, bytes: usize) -> Result<(), Failure> {
        self.used = self.used.saturating_add(bytes as u64);
        if self.used <= self.budget.row_bytes {
            return Ok(());
        }
        let service = &self.budget.service;
        Err(Failure::Limit(format!(
            "the rows of this query need more than the {} that service `{service}` has left of its memory \
             (`memory-mib` in `[services.{service}.limits]` or `[limits]`); select fewer rows or smaller values \
             (`LIMIT`, paging by key), or raise `memory-mib`",
            describe_bytes(self.budget.row_bytes)
        )))
    }
}

/// `12 MiB`, `300 KiB`, `12 bytes`: sizes in messages.
fn describe_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// Runs `work` on `connection` with a progress handler that interrupts it at the budget's
/// deadline or when the host stops for good.
fn under_deadline<T>(connection: &Connection, budget: &Budget, work: impl FnOnce() -> T) -> T {
    let deadline = budget.deadline;
    let interrupt = move || deadline.is_some_and(|deadline| Instant::now() >= deadline) || crate::kernel::stopping();
    connection.progress_handler(STEPS_BETWEEN_CHECKS, Some(interrupt));
    let output = work();
    connection.progress_handler(STEPS_BETWEEN_CHECKS, None::<fn() -> bool>);
    output
}

/// What a statement's work is given: the instance's connection, its database, and the call's
/// budget.
pub(super) struct Session<'a> {
    pub connection: &'a Connection,
    pub database: &'a ServiceDatabase,
    pub budget: &'a Budget,
}

impl View<'_, Sqlite> {
    /// Runs `work`, the statement named `statement` (a typed query's name, or the first
    /// keyword of a guest's SQL), on the instance's connection (opened on first use) on the
    /// host's SQLite threads, under the call's budget: `Err` (a trap) when the call's deadline
    /// passed or the host is stopping, else what `work` returned. `work` may run more than
    /// once: a statement that found the database locked is run again after a pause, until the
    /// busy timeout. Its duration, waits included, is recorded, and its span when the wos
    /// exports spans.
    pub(super) async fn on_connection<T: Send + 'static>(
        &mut self,
        statement: &str,
        work: impl Fn(&Session<'_>) -> Result<T, Failure> + Send + Sync + 'static,
    ) -> wasmtime::Result<Result<T, Failure>> {
        let Some(database) = self.service.clone() else { return Ok(Err(Failure::NoDatabase)) };
        let began = (std::time::SystemTime::now(), Instant::now());
        let outcome = match self.injected_fault(&database, statement) {
            Some(failure) => Ok(Err(failure)),
            None => self.run_on_connection(&database, work).await,
        };
        let failure = match &outcome {
            Ok(Ok(_)) => None,
            Ok(Err(failure)) => Some(failure.describe()),
            Err(trap) => Some(trap.to_string()),
        };
        let call = self.call.as_deref().map(|pctx| (pctx.trace.id.0, pctx.span.0));
        database.telemetry.statement_ended(statement, began, call, failure);
        outcome
    }

    /// The failure the simulation makes of `statement`, if it injects one there: the
    /// statement then changes nothing.
    fn injected_fault(&self, database: &ServiceDatabase, statement: &str) -> Option<Failure> {
        let trace = self.call.as_deref().map_or(0, |pctx| pctx.trace.id.0);
        let crossing = Crossing { boundary: Boundary::Statement, service: &database.service, what: statement, trace };
        let fault = database.faults.as_ref()?.at(crossing)?;
        let why = InjectedFault(fault).to_string();
        Some(match fault {
            FaultKind::SqliteFull => Failure::Full(why),
            FaultKind::SqliteConstraint => Failure::Constraint(why),
            _ => Failure::Busy(why),
        })
    }

    async fn run_on_connection<T: Send + 'static>(
        &mut self,
        database: &ServiceDatabase,
        work: impl Fn(&Session<'_>) -> Result<T, Failure> + Send + Sync + 'static,
    ) -> wasmtime::Result<Result<T, Failure>> {
        let budget = Budget {
            deadline: self.time_left.map(|left| Instant::now() + left),
            row_bytes: self.memory_room,
            service: database.service.clone(),
        };
        let memory_limit = self.memory_limit;
        let work = Arc::new(work);
        let mut attempt = 0;
        loop {
            let admitted = match database.threads.admit("SQLite statements") {
                Ok(admitted) => admitted,
                Err(saturated) => {
                    return Ok(Err(Failure::Busy(format!("{saturated}; try again shortly"))));
                }
            };
            let connection = self.instance.connection.take();
            let (database, budget, work) = (database.clone(), budget.clone(), work.clone());
            let (connection, outcome) = admitted
                .run(move || {
                    let connection = match connection.map_or_else(|| database.connect(memory_limit), Ok) {
                        Ok(connection) => connection,
                        Err(error) => return (None, Err(database.failure(error))),
                    };
                    let session = Session { connection: &connection, database: &database, budget: &budget };
                    let outcome = under_deadline(&connection, &budget, || work(&session));
                    (Some(connection), outcome)
                })
                .await;
            self.instance.connection = connection;
            match outcome {
                Err(Failure::Busy(_)) if let Some(pause) = busy_pause(attempt) => {
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                Err(Failure::Interrupted) => return Err(Trap::Interrupt.into()),
                outcome => return Ok(outcome),
            }
        }
    }
}
