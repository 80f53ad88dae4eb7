//! W3C baggage: key/value pairs that travel with a call chain, read from and written to the
//! `baggage` header (values percent-encoded; member properties are not kept).

/// The most members kept; more are cut (W3C asks every hop to pass on at least 64).
pub const MAX_MEMBERS: usize = 180;
/// The most bytes of the encoded header kept; members past it are cut.
pub const MAX_BYTES: usize = 8192;

/// The baggage of a chain, in the order its members were added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baggage {
    members: Vec<(String, String)>,
}

/// Why a member cannot be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaggageError {
    /// The key is not a W3C token.
    InvalidKey(String),
    /// The baggage would be over [`MAX_MEMBERS`] or [`MAX_BYTES`].
    TooLarge,
}

impl Baggage {
    /// The members, in order.
    pub fn members(&self) -> &[(String, String)] {
        &self.members
    }

    /// Parses a `baggage` header; members over the limits are cut, anything malformed refuses
    /// the whole header (with why).
    pub fn parse(header: &str) -> Result<Baggage, String> {
        let mut baggage = Baggage::default();
        for member in header.split(',') {
            let member = member.trim();
            if member.is_empty() {
                continue;
            }
            let pair = member.split(';').next().unwrap_or_default();
            let (key, value) = pair.split_once('=').ok_or_else(|| format!("member `{member}` has no `=`"))?;
            let (key, value) = (key.trim(), value.trim());
            if !is_token(key) {
                return Err(format!("member key `{key}` is not a token"));
            }
            let value =
                percent_decode(value).ok_or_else(|| format!("the value of `{key}` is not percent-encoded UTF-8"))?;
            if baggage.set(key, &value).is_err() {
                break; // over the limits: the rest is cut
            }
        }
        Ok(baggage)
    }

    /// Adds `key` with `value`, replacing an earlier value of `key`.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), BaggageError> {
        if !is_token(key) {
            return Err(BaggageError::InvalidKey(key.to_owned()));
        }
        let existing = self.members.iter().position(|(k, _)| k == key);
        let others = self.members.iter().enumerate().filter(|(i, _)| Some(*i) != existing);
        let count = others.clone().count() + 1;
        let bytes = others.map(|(_, (k, v))| member_len(k, v) + 1).sum::<usize>() + member_len(key, value);
        if count > MAX_MEMBERS || bytes > MAX_BYTES {
            return Err(BaggageError::TooLarge);
        }
        match existing {
            Some(i) => self.members[i].1 = value.to_owned(),
            None => self.members.push((key.to_owned(), value.to_owned())),
        }
        Ok(())
    }

    /// Removes `key`, if it is there.
    pub fn remove(&mut self, key: &str) {
        self.members.retain(|(k, _)| k != key);
    }

    /// The `baggage` header that carries these members; none when there are none.
    pub fn header(&self) -> Option<String> {
        if self.members.is_empty() {
            return None;
        }
        let members: Vec<String> = self.members.iter().map(|(k, v)| format!("{k}={}", percent_encode(v))).collect();
        Some(members.join(","))
    }
}

/// The length of `key=value` in the header, the value percent-encoded.
fn member_len(key: &str, value: &str) -> usize {
    key.len() + 1 + value.bytes().map(|b| if is_plain_octet(b) { 1 } else { 3 }).sum::<usize>()
}

/// An RFC 7230 token: visible ASCII except separators.
fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether a byte may appear in a baggage value as it is (W3C `baggage-octet`, minus `%`).
fn is_plain_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E) && b != b'%'
}

fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if is_plain_octet(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(value: &str) -> Option<String> {
    String::from_utf8(crate::encoding::percent_decode(value, is_plain_octet)?).ok()
}
