//! Logging to the host (`parigot:log`): levelled lines with structured fields, which the host
//! prints with the service's name and the call's trace id.
//!
//! Use the crate's macros (`parigot::info!("sold {n} items"; "item" => id)`), the functions
//! here, or [`install`] to route the `log` crate's macros to the host.

use crate::bindings::parigot::log::log as wit;

pub use wit::Level;

/// The value of a structured field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Integer(i64),
    Real(f64),
    Boolean(bool),
}

value_from! {
    Value:
    &str => Text(str::to_owned),
    String => Text(std::convert::identity),
    &String => Text(String::clone),
    i8 => Integer(i64::from), i16 => Integer(i64::from), i32 => Integer(i64::from), i64 => Integer(std::convert::identity),
    u8 => Integer(i64::from), u16 => Integer(i64::from), u32 => Integer(i64::from),
    u64 => Integer(|n: u64| i64::try_from(n).unwrap_or(i64::MAX)),
    usize => Integer(|n: usize| i64::try_from(n).unwrap_or(i64::MAX)),
    f32 => Real(f64::from), f64 => Real(std::convert::identity),
    bool => Boolean(std::convert::identity),
}

/// Whether a line at `level` would be kept (the service's level in the wos decides).
pub fn enabled(level: Level) -> bool {
    wit::enabled(level)
}

/// Logs `message` at `level` with `fields`.
pub fn log(level: Level, message: &str, fields: &[(&str, Value)]) {
    let fields: Vec<wit::Field> = fields
        .iter()
        .map(|(key, value)| wit::Field {
            key: (*key).to_owned(),
            value: match value {
                Value::Text(text) => wit::Value::Text(text.clone()),
                Value::Integer(n) => wit::Value::Integer(*n),
                Value::Real(x) => wit::Value::Real(*x),
                Value::Boolean(b) => wit::Value::Boolean(*b),
            },
        })
        .collect();
    wit::log(level, message, &fields);
}

/// Logs a line: `log_at!(level, "format {args}"; "key" => value, ...)`; the fields are
/// optional. The level macros ([`crate::info!`]...) are shorthands.
#[macro_export]
macro_rules! log_at {
    ($level:expr, $($message:expr),+ $(; $($key:expr => $value:expr),* $(,)?)?) => {
        if $crate::log::enabled($level) {
            $crate::log::log($level, &format!($($message),+), &[$($(($key, $crate::log::Value::from($value))),*)?]);
        }
    };
}

/// Logs at trace level: `trace!("format {args}"; "key" => value, ...)`.
#[macro_export]
macro_rules! trace { ($($t:tt)+) => { $crate::log_at!($crate::log::Level::Trace, $($t)+) }; }
/// Logs at debug level: `debug!("format {args}"; "key" => value, ...)`.
#[macro_export]
macro_rules! debug { ($($t:tt)+) => { $crate::log_at!($crate::log::Level::Debug, $($t)+) }; }
/// Logs at info level: `info!("format {args}"; "key" => value, ...)`.
#[macro_export]
macro_rules! info { ($($t:tt)+) => { $crate::log_at!($crate::log::Level::Info, $($t)+) }; }
/// Logs at warn level: `warn!("format {args}"; "key" => value, ...)`.
#[macro_export]
macro_rules! warn { ($($t:tt)+) => { $crate::log_at!($crate::log::Level::Warn, $($t)+) }; }
/// Logs at error level: `error!("format {args}"; "key" => value, ...)`.
#[macro_export]
macro_rules! error { ($($t:tt)+) => { $crate::log_at!($crate::log::Level::Error, $($t)+) }; }

/// Routes the `log` crate's macros (`log::info!` and friends, also from dependencies) to the
/// host, with the record's target as the field `target`. Call it once, at the start of the
/// service's first call; later calls do nothing.
pub fn install() {
    if ::log::set_logger(&HostLogger).is_ok() {
        ::log::set_max_level(::log::LevelFilter::Trace);
    }
}

/// The `log` facade's logger that writes to the host.
struct HostLogger;

fn level_of(level: ::log::Level) -> Level {
    match level {
        ::log::Level::Trace => Level::Trace,
        ::log::Level::Debug => Level::Debug,
        ::log::Level::Info => Level::Info,
        ::log::Level::Warn => Level::Warn,
        ::log::Level::Error => Level::Error,
    }
}

impl ::log::Log for HostLogger {
    fn enabled(&self, metadata: &::log::Metadata<'_>) -> bool {
        enabled(level_of(metadata.level()))
    }

    fn log(&self, record: &::log::Record<'_>) {
        let level = level_of(record.level());
        if enabled(level) {
            log(level, &record.args().to_string(), &[("target", Value::from(record.target()))]);
        }
    }

    fn flush(&self) {}
}
