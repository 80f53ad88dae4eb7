//! The `Authorization: Basic` header (RFC 7617): `Basic base64(user ":" password)`, UTF-8.

use base64::Engine as _;
use std::fmt;

/// The longest `Authorization` header accepted, in bytes.
pub const MAX_HEADER: usize = 4096;

/// A user name and password from a request.
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    /// Never shows the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("user", &self.user).finish_non_exhaustive()
    }
}

/// Why an `Authorization` header is not usable Basic credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("the Authorization header is longer than {MAX_HEADER} bytes")]
    TooLong,
    #[error("the Authorization header is not `Basic` credentials")]
    NotBasic,
    #[error("the Basic credentials are not valid base64")]
    Base64,
    #[error("the Basic credentials are not UTF-8")]
    Utf8,
    #[error("the Basic credentials have no `:` between user and password")]
    NoColon,
}

/// The credentials of an `Authorization` header's value.
pub fn parse_basic(value: &[u8]) -> Result<Credentials, Malformed> {
    if value.len() > MAX_HEADER {
        return Err(Malformed::TooLong);
    }
    let value = std::str::from_utf8(value).map_err(|_| Malformed::NotBasic)?.trim();
    let (scheme, encoded) = value.split_once(' ').ok_or(Malformed::NotBasic)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(Malformed::NotBasic);
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| Malformed::Base64)?;
    let text = String::from_utf8(decoded).map_err(|_| Malformed::Utf8)?;
    let (user, password) = text.split_once(':').ok_or(Malformed::NoColon)?;
    Ok(Credentials { user: user.to_owned(), password: password.to_owned() })
}
