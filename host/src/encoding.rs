//! Strict decoders of the text forms the host reads from headers and files: hexadecimal
//! digits and percent-encoding. Only `0-9`, `a-f` and `A-F` are hex digits here (the standard
//! library's `from_str_radix` also takes a leading `+`, which no header format allows).

/// The value of `text` in hexadecimal: 1 to 32 hex digits, nothing else.
pub fn hex_value(text: &str) -> Option<u128> {
    if text.is_empty() || text.len() > 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(text, 16).ok()
}

/// The `N` bytes `text` spells as two hex digits each.
pub fn hex_bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::try_from(hex_value(text.get(2 * i..2 * i + 2)?)?).ok()?;
    }
    Some(out)
}

/// The bytes of percent-encoded `text`: `%` and two hex digits for a byte, any byte that
/// `plain` accepts as itself; `None` for anything else.
pub fn percent_decode(text: &str, plain: impl Fn(u8) -> bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let digits = std::str::from_utf8(tail.get(..2)?).ok()?;
            out.push(u8::try_from(hex_value(digits)?).ok()?);
            rest = &tail[2..];
        } else if plain(byte) {
            out.push(byte);
            rest = tail;
        } else {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_digits_are_hex() {
        assert_eq!(hex_value("00ff"), Some(255));
        assert_eq!(hex_value("FFff"), Some(0xffff));
        for bad in ["", "+f", "-1", " 1", "0x1", "g", &"1".repeat(33)] {
            assert_eq!(hex_value(bad), None, "{bad:?}");
        }
        assert_eq!(hex_bytes::<2>("0aFF"), Some([10, 255]));
        assert_eq!(hex_bytes::<2>("+aFF"), None);
        assert_eq!(hex_bytes::<2>("0aF"), None);
    }

    #[test]
    fn percent_encoding_takes_two_hex_digits_and_plain_bytes_only() {
        let plain = |b: u8| b.is_ascii_alphanumeric();
        assert_eq!(percent_decode("zo%C3%ABx", plain).as_deref(), Some("zoëx".as_bytes()));
        for bad in ["%", "%4", "%+F", "%-1", "a b", "%G0"] {
            assert_eq!(percent_decode(bad, plain), None, "{bad:?}");
        }
    }
}
