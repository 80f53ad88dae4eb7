//! How log lines look: one formatter for the host's own lines and its guests', as text (a
//! stable colour per service on a terminal, levels styled; none when not a terminal or with
//! `NO_COLOR`) or as JSON (one object per line, fields `time`, `level`, `service`,
//! `trace_id`, `request_id`, `message`, `fields`, each present when known). Timestamps are
//! left out when asked (deterministic runs), so two runs print the same bytes.

use super::{FieldValue, GUEST_TARGET};
use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The formatter of every log line.
#[derive(Debug, Clone, Copy)]
pub struct LineFormat {
    pub format: LogFormat,
    /// Whether lines start with the time (UTC).
    pub timestamps: bool,
    /// Whether text lines are coloured.
    pub colour: bool,
}

/// Structured fields as text lines show them: `key=value key2="text"` (text values quoted and
/// escaped, control characters in keys escaped: a guest's fields cannot start a line of their
/// own or restyle the terminal).
pub fn text_fields(fields: &[(String, FieldValue)]) -> String {
    let mut out = String::new();
    for (key, value) in fields {
        let _ = write!(out, "{}{}={value}", if out.is_empty() { "" } else { " " }, escape_controls(key));
    }
    out
}

/// `text` with its control characters (tab aside) written as escapes (`\n`, `\r`,
/// `\u{1b}`), so that text from a guest cannot end its log line and forge the next one, or
/// move the cursor and restyle the host's own lines.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Structured fields as a JSON object, in order.
pub fn json_fields(fields: &[(String, FieldValue)]) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in fields.iter().enumerate() {
        let value = match value {
            FieldValue::Text(text) => json_string(text),
            FieldValue::Integer(n) => n.to_string(),
            FieldValue::Real(x) => serde_json::to_string(x).unwrap_or_else(|_| "null".into()),
            FieldValue::Boolean(b) => b.to_string(),
        };
        let _ = write!(out, "{}{}:{value}", if i == 0 { "" } else { "," }, json_string(key));
    }
    out.push('}');
    out
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// What one event carries.
#[derive(Default)]
struct Collected {
    message: String,
    service: Option<String>,
    trace_id: Option<String>,
    request_id: Option<String>,
    /// Guests' fields, already rendered for the format.
    fields: Option<String>,
    /// Any other fields of a host line, as `key=value`.
    extra: Vec<(String, String)>,
}

impl Visit for Collected {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.keep(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.keep(field, format!("{value:?}"));
    }
}

impl Collected {
    fn keep(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = value,
            "service" => self.service = Some(value),
            "trace_id" => self.trace_id = Some(value),
            "request_id" => self.request_id = Some(value),
            "fields" if !value.is_empty() && value != "{}" => self.fields = Some(value),
            "fields" => {}
            name => self.extra.push((name.to_owned(), value)),
        }
    }
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, _ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let mut line = Collected::default();
        event.record(&mut line);
        let level = *event.metadata().level();
        let guest = event.metadata().target() == GUEST_TARGET;
        match self.format {
            LogFormat::Text => self.text(&mut writer, level, guest, &line),
            LogFormat::Json => self.json(&mut writer, level, &line),
        }
    }
}

impl LineFormat {
    fn text(&self, out: &mut Writer<'_>, level: tracing::Level, guest: bool, line: &Collected) -> fmt::Result {
        if self.timestamps {
            write!(out, "{} ", utc_now())?;
        }
        let (style, reset) = if self.colour { (level_style(level), "\x1b[0m") } else { ("", "") };
        write!(out, "{style}{level:>5}{reset} ")?;
        if let Some(service) = &line.service {
            let (style, reset) = if self.colour { (service_style(service), "\x1b[0m") } else { ("", "") };
            write!(out, "{style}{service}{reset} | ")?;
        }
        if guest {
            out.write_str(&escape_controls(&line.message))?;
        } else {
            out.write_str(&line.message)?;
        }
        if let Some(fields) = &line.fields {
            write!(out, " {fields}")?;
        }
        for (key, value) in &line.extra {
            write!(out, " {key}={value}")?;
        }
        if let (true, Some(trace)) = (guest, &line.trace_id) {
            let (dim, reset) = if self.colour { ("\x1b[2m", "\x1b[0m") } else { ("", "") };
            write!(out, " {dim}trace={trace}{reset}")?;
        }
        writeln!(out)
    }

    fn json(&self, out: &mut Writer<'_>, level: tracing::Level, line: &Collected) -> fmt::Result {
        out.write_char('{')?;
        if self.timestamps {
            write!(out, "\"time\":\"{}\",", utc_now())?;
        }
        write!(out, "\"level\":\"{}\"", level.as_str().to_ascii_lowercase())?;
        for (key, value) in [("service", &line.service), ("trace_id", &line.trace_id), ("request_id", &line.request_id)]
        {
            if let Some(value) = value {
                write!(out, ",\"{key}\":{}", json_string(value))?;
            }
        }
        write!(out, ",\"message\":{}", json_string(&line.message))?;
        match (&line.fields, line.extra.is_empty()) {
            (Some(fields), _) => write!(out, ",\"fields\":{fields}")?,
            (None, false) => {
                let extra: Vec<(String, FieldValue)> =
                    line.extra.iter().map(|(k, v)| (k.clone(), FieldValue::Text(v.clone()))).collect();
                write!(out, ",\"fields\":{}", json_fields(&extra))?;
            }
            (None, true) => {}
        }
        out.write_str("}\n")
    }
}

/// ANSI style of a level: errors red and bold, warnings yellow, info green, debug blue, trace
/// dim.
fn level_style(level: tracing::Level) -> &'static str {
    match level {
        tracing::Level::ERROR => "\x1b[1;31m",
        tracing::Level::WARN => "\x1b[33m",
        tracing::Level::INFO => "\x1b[32m",
        tracing::Level::DEBUG => "\x1b[34m",
        tracing::Level::TRACE => "\x1b[2m",
    }
}

/// A service's colour: picked from its name, so it is the same on every run.
fn service_style(service: &str) -> &'static str {
    const PALETTE: [&str; 8] =
        ["\x1b[36m", "\x1b[35m", "\x1b[94m", "\x1b[33m", "\x1b[92m", "\x1b[95m", "\x1b[96m", "\x1b[93m"];
    let hash = service.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    PALETTE[hash as usize % PALETTE.len()]
}

/// The time now, as RFC 3339 in UTC with milliseconds (`2026-12-02T06:14:03.512Z`).
fn utc_now() -> String {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    rfc3339(since.as_secs(), since.subsec_millis())
}

fn rfc3339(secs: u64, millis: u32) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
}

/// The calendar date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(rfc3339(1_796_184_843, 512), "2026-12-02T04:14:03.512Z");
    }

    #[test]
    fn fields_render_in_order_in_both_formats() {
        let fields = vec![
            ("name".to_owned(), FieldValue::Text("Wörld \"x\"".into())),
            ("n".to_owned(), FieldValue::Integer(-3)),
            ("ok".to_owned(), FieldValue::Boolean(true)),
            ("ratio".to_owned(), FieldValue::Real(0.5)),
        ];
        assert_eq!(text_fields(&fields), r#"name="Wörld \"x\"" n=-3 ok=true ratio=0.5"#);
        assert_eq!(json_fields(&fields), r#"{"name":"Wörld \"x\"","n":-3,"ok":true,"ratio":0.5}"#);
    }

    #[test]
    fn control_characters_of_guests_are_escaped_in_text() {
        assert_eq!(escape_controls("plain\ttext"), "plain\ttext");
        assert_eq!(escape_controls("one\nWARN signer | forged\r\x1b[2J"), "one\\nWARN signer | forged\\r\\u{1b}[2J");
        let fields = vec![("k\ney".to_owned(), FieldValue::Text("v\n\x1b".into()))];
        assert_eq!(text_fields(&fields), "k\\ney=\"v\\n\\u{1b}\"");
    }

    #[test]
    fn a_service_keeps_its_colour() {
        assert_eq!(service_style("greeter"), service_style("greeter"));
    }
}
