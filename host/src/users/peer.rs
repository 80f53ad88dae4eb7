//! Calls across processes: a host trusts what a call from another host carries (its chain,
//! its user) only from a peer that proves it belongs to the same deployment, by a secret the
//! deployment's hosts share (`[auth] peer-secret-file`).
//!
//! A remote link sends `parigot-chain` (and, for a logged-in chain, `parigot-user`) with
//! `parigot-peer-proof: v2 TIME NONCE MAC`, where MAC is BLAKE3 in keyed mode (a MAC) over the
//! user, the chain id, the method called (its gRPC path), the host called (the authority the
//! caller addressed), the time and a random nonce, under a key derived from the secret. The
//! receiving host accepts the call's chain and user only with a valid MAC for that very method
//! and host, made within [`MAX_SKEW`] seconds, whose nonce it has not seen before (it remembers
//! them while they are young enough to verify, [`SeenNonces`]): a captured proof works for no
//! other method, no other host, never twice, and not for long. The secret never travels. A
//! host sends proofs only over TLS or to loopback (the links are checked when the wos loads).

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::sync::Mutex;

/// The header of the user a peer sends.
pub const USER_HEADER: &str = "parigot-user";
/// The header of its proof.
pub const PROOF_HEADER: &str = "parigot-peer-proof";

/// The shortest secret accepted, in bytes.
const MIN_SECRET: usize = 32;
/// How old (or how far ahead, for clocks that differ) a proof may be, in seconds.
pub const MAX_SKEW: u64 = 15;
/// The most nonces remembered at once (past it, proofs are refused until some age out).
const MAX_NONCES: usize = 1 << 20;

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

/// What a proof vouches for: a call of `method` on the host at `authority`, in chain `chain`,
/// as `user` (none: a chain no one logged in to).
#[derive(Debug, Clone, Copy)]
pub struct PeerClaim<'a> {
    pub user: Option<&'a str>,
    pub chain: &'a str,
    pub method: &'a str,
    pub authority: &'a str,
}

/// Why a proof is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofRefused {
    #[error("it is not a proof of this host's format")]
    Malformed,
    #[error("it was made with another secret, or for another method, host, chain or user")]
    Forged,
    #[error("it is too old (or too far ahead): a proof lives {MAX_SKEW} s")]
    Expired,
    #[error("it was already used (a replay)")]
    Replayed,
    #[error("this host remembers too many recent proofs to check another now")]
    Busy,
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
        PeerSecret { key: blake3::derive_key("parigot peer call proof v2", bytes) }
    }

    /// The proof of `claim`, made at `now` (seconds since the Unix epoch) with a fresh nonce.
    pub fn prove(&self, claim: &PeerClaim<'_>, now: u64) -> String {
        let nonce = fresh_nonce();
        format!("v2 {now} {} {}", hex(&nonce), self.mac(claim, now, &nonce).to_hex())
    }

    /// Checks that `proof` vouches for `claim` at `now`, and has not been used before
    /// (`seen` remembers the nonces of the proofs accepted).
    pub fn verify(&self, claim: &PeerClaim<'_>, proof: &str, now: u64, seen: &SeenNonces) -> Result<(), ProofRefused> {
        let mut parts = proof.split(' ');
        let (Some("v2"), Some(time), Some(nonce), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ProofRefused::Malformed);
        };
        let time = time.parse::<u64>().map_err(|_| ProofRefused::Malformed)?;
        let nonce = crate::encoding::hex_bytes::<16>(nonce).ok_or(ProofRefused::Malformed)?;
        let mac = blake3::Hash::from_hex(mac).map_err(|_| ProofRefused::Malformed)?;
        // `Hash` compares in constant time.
        if self.mac(claim, time, &nonce) != mac {
            return Err(ProofRefused::Forged);
        }
        if now.abs_diff(time) > MAX_SKEW {
            return Err(ProofRefused::Expired);
        }
        seen.admit(nonce, time, now)
    }

    fn mac(&self, claim: &PeerClaim<'_>, time: u64, nonce: &[u8; 16]) -> blake3::Hash {
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        let user = claim.user.map_or(&[0u8][..], str::as_bytes);
        let has_user = [u8::from(claim.user.is_some())];
        let parts: [&[u8]; 7] = [
            &has_user,
            user,
            claim.chain.as_bytes(),
            claim.method.as_bytes(),
            claim.authority.as_bytes(),
            &time.to_le_bytes(),
            nonce,
        ];
        for part in parts {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hasher.finalize()
    }
}

/// The nonces of the proofs a host accepted, kept while a proof with them could still verify:
/// a proof is accepted once.
#[derive(Debug, Default)]
pub struct SeenNonces {
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    nonces: BTreeSet<[u8; 16]>,
    /// The same nonces by the time of their proofs, oldest first.
    by_time: VecDeque<(u64, [u8; 16])>,
}

impl SeenNonces {
    /// Records `nonce` of a proof made at `time`, unless it was seen.
    fn admit(&self, nonce: [u8; 16], time: u64, now: u64) -> Result<(), ProofRefused> {
        let mut seen = crate::kernel::lock(&self.seen);
        while let Some(&(oldest, old)) = seen.by_time.front() {
            if now.saturating_sub(oldest) <= MAX_SKEW {
                break;
            }
            seen.by_time.pop_front();
            seen.nonces.remove(&old);
        }
        if seen.nonces.contains(&nonce) {
            return Err(ProofRefused::Replayed);
        }
        if seen.nonces.len() >= MAX_NONCES {
            return Err(ProofRefused::Busy);
        }
        seen.nonces.insert(nonce);
        // Kept in order of arrival; a proof made a little earlier than the one before it
        // stays a little longer, which is harmless.
        let latest = seen.by_time.back().map_or(0, |&(t, _)| t);
        seen.by_time.push_back((time.max(latest), nonce));
        Ok(())
    }
}

/// 16 random bytes.
fn fresh_nonce() -> [u8; 16] {
    use argon2::password_hash::rand_core::{OsRng, RngCore as _};
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    nonce
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the host of `authority` (`host:port`) is this machine's loopback: a proof sent
/// there over plain HTTP does not cross a network.
pub fn is_loopback(authority: &str) -> bool {
    let host = authority.rsplit_once(':').map_or(authority, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
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
    let bytes = crate::encoding::percent_decode(text, |byte| byte != b'%')?;
    String::from_utf8(bytes).ok().filter(|user| super::check_name(user).is_ok())
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim<'a>(user: Option<&'a str>, method: &'a str, authority: &'a str) -> PeerClaim<'a> {
        PeerClaim { user, chain: "00000000000000aa", method, authority }
    }

    #[test]
    fn a_proof_holds_once_for_its_method_host_user_and_time_only() {
        let secret = PeerSecret::from_bytes(&[7; 32]);
        let (method, host) = ("/a.B/Call", "10.0.0.5:50051");
        let proof = secret.prove(&claim(Some("ada"), method, host), 1_000_000);
        let check = |claim: PeerClaim<'_>, now: u64| secret.verify(&claim, &proof, now, &SeenNonces::default());
        assert_eq!(check(claim(Some("ada"), method, host), 1_000_000 + MAX_SKEW), Ok(()));
        assert_eq!(check(claim(Some("ada"), method, host), 1_000_000 + MAX_SKEW + 1), Err(ProofRefused::Expired));
        assert_eq!(check(claim(Some("eve"), method, host), 1_000_000), Err(ProofRefused::Forged), "another user");
        assert_eq!(check(claim(None, method, host), 1_000_000), Err(ProofRefused::Forged), "no user");
        assert_eq!(check(claim(Some("ada"), "/a.B/Other", host), 1_000_000), Err(ProofRefused::Forged), "method");
        assert_eq!(check(claim(Some("ada"), method, "10.0.0.6:50051"), 1_000_000), Err(ProofRefused::Forged), "host");
        let other = PeerSecret::from_bytes(&[8; 32]);
        let forged = other.verify(&claim(Some("ada"), method, host), &proof, 1_000_000, &SeenNonces::default());
        assert_eq!(forged, Err(ProofRefused::Forged), "another deployment");
        // Once only.
        let seen = SeenNonces::default();
        assert_eq!(secret.verify(&claim(Some("ada"), method, host), &proof, 1_000_000, &seen), Ok(()));
        assert_eq!(
            secret.verify(&claim(Some("ada"), method, host), &proof, 1_000_001, &seen),
            Err(ProofRefused::Replayed)
        );
        for bad in ["", "v2", "v1 1000000 00", "v2 x y z", &format!("{proof} extra")] {
            let refused = secret.verify(&claim(Some("ada"), method, host), bad, 1_000_000, &SeenNonces::default());
            assert_eq!(refused, Err(ProofRefused::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn nonces_are_forgotten_once_their_proofs_are_too_old_to_verify() {
        let seen = SeenNonces::default();
        seen.admit([1; 16], 100, 100).unwrap();
        assert_eq!(seen.admit([1; 16], 100, 100 + MAX_SKEW), Err(ProofRefused::Replayed));
        seen.admit([2; 16], 200, 200).unwrap();
        assert!(!seen.seen.lock().unwrap().nonces.contains(&[1; 16]), "aged out");
    }

    #[test]
    fn loopback_hosts_are_told_apart() {
        for host in ["127.0.0.1:1", "localhost:50051", "[::1]:8080", "127.1.2.3:9"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["10.0.0.5:50051", "back:50051", "example.com:443", "[2001:db8::1]:1"] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn user_names_travel_percent_encoded() {
        for user in ["ada", "zoë.o", "ada@vinnys-vinyl.example"] {
            assert_eq!(decode_user(&encode_user(user)).as_deref(), Some(user));
        }
        assert_eq!(encode_user("zoë"), "zo%C3%AB");
        for bad in ["%", "%G0", "%FF", "a%3Ab", "", "%+F"] {
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
