//! Where trace, span and request ids come from: a counter mixed by SplitMix64 from a base that
//! is random per process, or derived from the run's seed in deterministic mode (so two runs
//! make the same ids, in the same order).

use std::sync::atomic::{AtomicU64, Ordering};

/// Makes ids for one running wos.
#[derive(Debug)]
pub struct IdSource {
    base: u64,
    next: AtomicU64,
}

impl IdSource {
    /// Ids no other run makes (the base mixes the process id and the time).
    pub fn random() -> IdSource {
        let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let seed = format!("{}-{}", std::process::id(), since_epoch.as_nanos());
        let base = u64::from_le_bytes(blake3::hash(seed.as_bytes()).as_bytes()[..8].try_into().expect("8 bytes"));
        IdSource { base, next: AtomicU64::new(0) }
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
