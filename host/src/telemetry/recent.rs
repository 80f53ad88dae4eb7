//! The latest spans and log records of a running wos, kept in memory for the dashboard: a
//! bounded ring of each, the oldest dropped first.

use super::otlp::{LogRecord, SpanRecord};
use std::collections::VecDeque;
use std::sync::Mutex;

/// How many spans are kept.
pub const SPANS_KEPT: usize = 5000;
/// How many log records are kept.
pub const LOGS_KEPT: usize = 2000;

/// The latest spans and log records.
#[derive(Default)]
pub struct Recent {
    spans: Mutex<VecDeque<SpanRecord>>,
    logs: Mutex<VecDeque<LogRecord>>,
}

impl Recent {
    pub fn span(&self, span: &SpanRecord) {
        keep(&self.spans, span.clone(), SPANS_KEPT);
    }

    pub fn log(&self, record: &LogRecord) {
        keep(&self.logs, record.clone(), LOGS_KEPT);
    }

    /// The spans kept, oldest first.
    pub fn spans(&self) -> Vec<SpanRecord> {
        lock(&self.spans).iter().cloned().collect()
    }

    /// The log records kept, oldest first.
    pub fn logs(&self) -> Vec<LogRecord> {
        lock(&self.logs).iter().cloned().collect()
    }
}

fn keep<T>(ring: &Mutex<VecDeque<T>>, item: T, most: usize) {
    let mut ring = lock(ring);
    if ring.len() == most {
        ring.pop_front();
    }
    ring.push_back(item);
}

/// A poisoned lock still holds whole records (each push is one step).
fn lock<T>(ring: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    ring.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::otlp::Severity;
    use std::sync::Arc;

    #[test]
    fn the_oldest_go_first_past_the_bound() {
        let recent = Recent::default();
        for n in 0..LOGS_KEPT + 3 {
            recent.log(&LogRecord {
                service: Arc::from("s"),
                time: std::time::SystemTime::UNIX_EPOCH,
                severity: Severity::Info,
                message: n.to_string(),
                fields: Vec::new(),
                call: None,
            });
        }
        let logs = recent.logs();
        assert_eq!((logs.len(), logs[0].message.as_str()), (LOGS_KEPT, "3"));
    }
}
