//! `parigot:log/log` and `wasi:logging/logging`: a guest's lines, handed to its service's
//! [`super::ServiceLog`] with the context of the call they are logged in.

use super::{FieldValue, Level, Log};
use crate::caps::View;
use crate::caps::bindings::{log as wit, wasi_logging as wasi};

impl wit::Host for View<'_, Log> {
    fn log(&mut self, level: wit::Level, message: String, fields: Vec<wit::Field>) {
        let fields: Vec<(String, FieldValue)> = fields.into_iter().map(|f| (f.key, field_value(f.value))).collect();
        self.service.log(level_of(level), &message, &fields, self.call.as_deref());
    }

    fn enabled(&mut self, level: wit::Level) -> bool {
        self.service.enabled(level_of(level))
    }
}

impl wasi::Host for View<'_, Log> {
    fn log(&mut self, level: wasi::Level, context: String, message: String) {
        let mut fields = Vec::new();
        if !context.is_empty() {
            fields.push(("context".to_owned(), FieldValue::Text(context)));
        }
        let level = match level {
            wasi::Level::Trace => Level::Trace,
            wasi::Level::Debug => Level::Debug,
            wasi::Level::Info => Level::Info,
            wasi::Level::Warn => Level::Warn,
            wasi::Level::Error => Level::Error,
            // parigot has no level above `error`: a critical line is an error, marked as such.
            wasi::Level::Critical => {
                fields.push(("critical".to_owned(), FieldValue::Boolean(true)));
                Level::Error
            }
        };
        self.service.log(level, &message, &fields, self.call.as_deref());
    }
}

fn level_of(level: wit::Level) -> Level {
    match level {
        wit::Level::Trace => Level::Trace,
        wit::Level::Debug => Level::Debug,
        wit::Level::Info => Level::Info,
        wit::Level::Warn => Level::Warn,
        wit::Level::Error => Level::Error,
    }
}

fn field_value(value: wit::Value) -> FieldValue {
    match value {
        wit::Value::Text(text) => FieldValue::Text(text),
        wit::Value::Integer(n) => FieldValue::Integer(n),
        wit::Value::Real(x) => FieldValue::Real(x),
        wit::Value::Boolean(b) => FieldValue::Boolean(b),
    }
}
