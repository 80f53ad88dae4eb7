//! The deadlines clients send: gRPC's `grpc-timeout` (up to 8 digits and a unit) and
//! Connect's `connect-timeout-ms` (up to 10 digits of milliseconds), read one way for both
//! protocols, and the first written as the second's gRPC form for Connect streams.

use std::time::Duration;

/// Parses a `grpc-timeout` header: up to 8 digits and a unit (`H`, `M`, `S`, `m`, `u`, `n`).
pub fn grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount = digits_value(digits)?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// Parses a `connect-timeout-ms` header: up to 10 digits of milliseconds.
pub fn connect_timeout(value: &str) -> Option<Duration> {
    (value.len() <= 10).then(|| digits_value(value)).flatten().map(Duration::from_millis)
}

/// `timeout` as a `grpc-timeout` header value: milliseconds, or seconds when that takes more
/// than 8 digits.
pub fn grpc_timeout_header(timeout: Duration) -> String {
    let ms = timeout.as_millis();
    if ms <= 99_999_999 { format!("{ms}m") } else { format!("{}S", timeout.as_secs().min(99_999_999)) }
}

/// The value of 1 or more decimal digits (nothing else: no sign, no spaces).
fn digits_value(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_in_every_unit() {
        assert_eq!(grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(grpc_timeout("3M"), Some(Duration::from_secs(180)));
        assert_eq!(grpc_timeout("10S"), Some(Duration::from_secs(10)));
        assert_eq!(grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(grpc_timeout("99999999u"), Some(Duration::from_micros(99_999_999)));
        assert_eq!(grpc_timeout("5n"), Some(Duration::from_nanos(5)));
        for bad in ["", "S", "10", "10x", "-1S", "+1S", "123456789S"] {
            assert_eq!(grpc_timeout(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn connect_timeouts_are_up_to_ten_digits_of_milliseconds_and_travel_as_grpc_ones() {
        assert_eq!(connect_timeout("2500"), Some(Duration::from_millis(2500)));
        for bad in ["", "+5", "-5", "1.5", "12345678901", "5s"] {
            assert_eq!(connect_timeout(bad), None, "{bad:?}");
        }
        assert_eq!(grpc_timeout_header(Duration::from_millis(2500)), "2500m");
        assert_eq!(grpc_timeout_header(Duration::from_millis(9_999_999_999)), "9999999S");
        assert_eq!(grpc_timeout(&grpc_timeout_header(Duration::from_millis(2500))), Some(Duration::from_millis(2500)));
    }
}
