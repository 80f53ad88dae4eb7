//! Users across processes: a host trusts the user an incoming call carries only from a peer
//! that proves it belongs to the same deployment, by a secret the deployment's hosts share
//! (`[auth] peer-secret-file`).
//!
//! A remote link sends the chain's user as `parigot-user` with `parigot-user-proof: v1 TIME
//! MAC`, where MAC is BLAKE3 in keyed mode (a MAC) over the user, the call's chain id and the
//! time, under a key derived from the secret. The receiving host accepts the user only with a
//! valid MAC made within the last five minutes (or one ahead, for clocks that differ); anything
//! else is refused, so a client that sends `parigot-user` itself gains nothing. The secret
//! never travels. A captured header could be replayed within its five minutes on the same
//! chain id: remote links between machines belong on TLS.

use std::path::Path;

/// The header of the user a peer sends.
pub const USER_HEADER: &str = "parigot-user";
/// The header of its proof.
pub const PROOF_HEADER: &str = "parigot-user-proof";

/// The shortest secret accepted, in bytes.
const MIN_SECRET: usize = 32;
/// How old (or how far ahead) a proof may be, in seconds.
const MAX_SKEW: u64 = 300;

/// The key a deployment's hosts share.
#[derive(Clone)]
pub struct PeerSecret {
    key: [u8; 32],
}

impl std::fmt::Debug for PeerSecret {
    /// Never shows the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PeerSecret(..)")
    }
}

impl PeerSecret {
    /// The secret in the file at `path` (its text, surrounding whitespace aside).
    pub fn load(path: &Path) -> Result<PeerSecret, String> {
        let text = std::fs::read(path)
            .map_err(|e| format!("cannot read the peer secret {} (`[auth] peer-secret-file`): {e}", path.display()))?;
        let secret = text.trim_ascii();
        if secret.len() < MIN_SECRET {
            return Err(format!(
                "the peer secret {} has {} bytes; give it at least {MIN_SECRET} random ones, e.g. \
                 `head -c 32 /dev/urandom | base64 > {}`",
                path.display(),
                secret.len(),
                path.display()
            ));
        }
        Ok(PeerSecret::from_bytes(secret))
    }

    /// The secret `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> PeerSecret {
        PeerSecret { key: blake3::derive_key("parigot peer user proof v1", bytes) }
    }

    /// The proof that `user`, on chain `chain`, comes from this deployment, made at `now`
    /// (seconds since the Unix epoch).
    pub fn prove(&self, user: &str, chain: &str, now: u64) -> String {
        format!("v1 {now} {}", self.mac(user, chain, now).to_hex())
    }

    /// Whether `proof` shows that `user`, on chain `chain`, comes from this deployment, at
    /// `now`.
    pub fn verify(&self, user: &str, chain: &str, proof: &str, now: u64) -> bool {
        let mut parts = proof.split(' ');
        let (Some("v1"), Some(time), Some(mac), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return false;
        };
        let (Ok(time), Ok(mac)) = (time.parse::<u64>(), blake3::Hash::from_hex(mac)) else { return false };
        // `Hash` compares in constant time.
        now.abs_diff(time) <= MAX_SKEW && self.mac(user, chain, time) == mac
    }

    fn mac(&self, user: &str, chain: &str, time: u64) -> blake3::Hash {
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        for part in [user.as_bytes(), chain.as_bytes(), &time.to_le_bytes()] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hasher.finalize()
    }
}

/// `user` as a header value: bytes other than ASCII letters, digits and `.`, `_`, `-`, `@`
/// percent-encoded (a user name may hold any letter).
pub fn encode_user(user: &str) -> String {
    let mut out = String::with_capacity(user.len());
    for byte in user.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-' | b'@') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The user name of a header value made by [`encode_user`].
pub fn decode_user(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok().filter(|user| super::check_name(user).is_ok())
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_holds_for_its_user_chain_and_time_only() {
        let secret = PeerSecret::from_bytes(&[7; 32]);
        let proof = secret.prove("ada", "00000000000000aa", 1_000_000);
        assert!(secret.verify("ada", "00000000000000aa", &proof, 1_000_000));
        assert!(secret.verify("ada", "00000000000000aa", &proof, 1_000_000 + MAX_SKEW));
        assert!(!secret.verify("ada", "00000000000000aa", &proof, 1_000_000 + MAX_SKEW + 1), "too old");
        assert!(!secret.verify("eve", "00000000000000aa", &proof, 1_000_000), "another user");
        assert!(!secret.verify("ada", "00000000000000bb", &proof, 1_000_000), "another chain");
        let other = PeerSecret::from_bytes(&[8; 32]);
        assert!(!other.verify("ada", "00000000000000aa", &proof, 1_000_000), "another deployment");
        for bad in ["", "v1", "v2 1000000 00", "v1 x y", &format!("{proof} extra")] {
            assert!(!secret.verify("ada", "00000000000000aa", bad, 1_000_000), "{bad:?}");
        }
    }

    #[test]
    fn user_names_travel_percent_encoded() {
        for user in ["ada", "zoë.o", "ada@vinnys-vinyl.example"] {
            assert_eq!(decode_user(&encode_user(user)).as_deref(), Some(user));
        }
        assert_eq!(encode_user("zoë"), "zo%C3%AB");
        for bad in ["%", "%G0", "%FF", "a%3Ab", ""] {
            assert_eq!(decode_user(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_short_or_missing_secret_file_is_an_error_that_says_how_to_make_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        assert!(PeerSecret::load(&path).unwrap_err().contains("cannot read the peer secret"));
        std::fs::write(&path, "short\n").unwrap();
        assert!(PeerSecret::load(&path).unwrap_err().contains("has 5 bytes; give it at least 32"));
        std::fs::write(&path, format!("{}\n", "k".repeat(44))).unwrap();
        assert!(PeerSecret::load(&path).is_ok());
    }
}
