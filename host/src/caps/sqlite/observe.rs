//! What a service's statements tell the host's telemetry: each one's duration, by typed query
//! name or first keyword (never its parameters), and, when the wos records spans, a span under
//! the call that ran it.

use crate::caps::context::IdSource;
use crate::telemetry::Telemetry;
use crate::telemetry::otlp::{SpanKind, SpanRecord, Value};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// Records the statements of one service's database.
#[derive(Clone)]
pub struct StatementTelemetry {
    service: Arc<str>,
    telemetry: Telemetry,
    /// Where the statements' span ids come from (apart from the calls' ids, so that exporting
    /// changes no id a guest sees).
    ids: Arc<IdSource>,
}

impl std::fmt::Debug for StatementTelemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatementTelemetry").field("service", &self.service).finish_non_exhaustive()
    }
}

impl StatementTelemetry {
    pub fn new(service: &str, telemetry: Telemetry) -> StatementTelemetry {
        StatementTelemetry { service: service.into(), telemetry, ids: Arc::new(IdSource::random()) }
    }

    /// Records statement `statement`, begun at `began`, run in the call `call` (trace and span
    /// ids), which failed with `failure` if it did.
    pub fn statement_ended(
        &self,
        statement: &str,
        began: (SystemTime, Instant),
        call: Option<(u128, u64)>,
        failure: Option<String>,
    ) {
        let took = began.1.elapsed();
        self.telemetry.metrics.statement_ended(&self.service, statement, took);
        let (Some(records), Some((trace, parent))) = (&self.telemetry.records, call) else { return };
        if !records.takes_span_of(trace) {
            return;
        }
        records.span(SpanRecord {
            service: self.service.clone(),
            trace,
            span: self.ids.span_id().0,
            parent: Some(parent),
            name: format!("sqlite {statement}"),
            kind: SpanKind::Client,
            start: began.0,
            duration: took,
            attributes: vec![
                ("db.system.name".into(), Value::Text("sqlite".into())),
                ("db.namespace".into(), Value::Text(format!("{}.sqlite3", self.service))),
                ("db.operation.name".into(), Value::Text(statement.to_owned())),
            ],
            error: failure,
        });
    }
}

/// The name a guest's SQL is recorded by: its first keyword, upper-cased (`SELECT`,
/// `INSERT`, `WITH`...), or `OTHER`; never more of its text, which may hold values.
pub fn statement_name(sql: &str) -> String {
    let word: String = sql.trim_start().chars().take_while(|c| c.is_ascii_alphabetic()).take(16).collect();
    if word.is_empty() { "OTHER".into() } else { word.to_ascii_uppercase() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_is_named_by_its_first_keyword_only() {
        assert_eq!(statement_name("  select * from notes where secret = 'x'"), "SELECT");
        assert_eq!(statement_name("INSERT INTO t VALUES (1)"), "INSERT");
        assert_eq!(statement_name("-- comment\nSELECT 1"), "OTHER");
        assert_eq!(statement_name(""), "OTHER");
    }
}
