//! Where trace, span and request ids come from: a counter mixed by SplitMix64 from a base that
//! is random per process, or derived from the run's seed in deterministic mode (so two runs
//! make the same ids, in the same order).

use std::sync::atomic::{AtomicU64, Ordering};

/// 64 bits from the system's randomness: the base of ids that must differ from every other
/// process's (per-call ids, chain ids) and that no one can guess.
pub fn random_u64() -> u64 {
    use argon2::password_hash::rand_core::{OsRng, RngCore as _};
    OsRng.next_u64()
}

/// Makes ids for one running wos.
#[derive(Debug)]
pub struct IdSource {
    base: u64,
    next: AtomicU64,
}

impl IdSource {
    /// Ids no other run makes (a base from the system's randomness).
    pub fn random() -> IdSource {
        IdSource { base: random_u64(), next: AtomicU64::new(0) }
    }

    /// The same ids for the same `seed`, in the order they are asked for.
    pub fn seeded(seed: u64) -> IdSource {
        IdSource { base: splitmix(seed ^ 0x7061_7269_676f_7421), next: AtomicU64::new(0) }
    }

    /// The next 64 pseudo-random bits, never zero.
    fn draw(&self) -> u64 {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        match splitmix(self.base.wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15))) {
            0 => 1,
            bits => bits,
        }
    }

    pub fn trace_id(&self) -> super::TraceId {
        super::TraceId(u128::from(self.draw()) << 64 | u128::from(self.draw()))
    }

    pub fn span_id(&self) -> super::SpanId {
        super::SpanId(self.draw())
    }

    /// A request id: 16 hex digits.
    pub fn request_id(&self) -> String {
        format!("{:016x}", self.draw())
    }
}

/// SplitMix64's finaliser: spreads the bits of `x` over the whole word.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
