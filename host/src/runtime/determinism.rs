//! Deterministic mode: virtual clocks and seeded randomness, so that the same wos with the
//! same inputs prints the same output on every run.
//!
//! Both clocks start at a fixed instant and advance by a fixed step each time a guest reads
//! them; each service's random streams are seeded from the run's seed and the service's name,
//! so adding a service does not change what the others draw. A simulation can make virtual
//! time jump forward for every clock of the run at once ([`TimeJumps`]).

use rand::SeedableRng;
use rand::rngs::StdRng;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtxBuilder};

/// What the virtual wall clock reads first: 2000-01-01T00:00:00Z.
const VIRTUAL_EPOCH_SECS: u64 = 946_684_800;

/// The settings of a deterministic run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Determinism {
    /// Seed of every service's random streams.
    pub seed: u64,
    /// How far both clocks advance on each read.
    pub clock_step: Duration,
}

impl Default for Determinism {
    fn default() -> Self {
        Determinism { seed: 0, clock_step: Duration::from_millis(1) }
    }
}

impl Determinism {
    /// Gives `builder` this run's virtual clocks (which jump by `jumps`) and the random streams
    /// of `service`.
    pub fn apply(&self, builder: &mut WasiCtxBuilder, service: &str, jumps: &TimeJumps) {
        let step = u64::try_from(self.clock_step.as_nanos()).unwrap_or(u64::MAX);
        let seed = seed_for(self.seed, service);
        builder
            .wall_clock(VirtualClock::new(VIRTUAL_EPOCH_SECS * 1_000_000_000, step, jumps.clone()))
            .monotonic_clock(VirtualClock::new(0, step, jumps.clone()))
            .secure_random(StdRng::seed_from_u64(seed))
            .insecure_random(StdRng::seed_from_u64(seed.rotate_left(17)))
            .insecure_random_seed(u128::from(seed) << 64 | u128::from(seed.rotate_left(31)));
    }
}

/// How far virtual time has jumped in a run, shared by all its clocks: a simulation's
/// `clock-jump` fault moves every clock of the run forward at once.
#[derive(Debug, Clone, Default)]
pub struct TimeJumps(Arc<AtomicU64>);

impl TimeJumps {
    /// Moves every clock of the run forward by `by`.
    pub fn jump(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(nanos, Ordering::Relaxed);
    }

    fn nanos(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A clock that reads `start`, then `start + step`, `start + 2 * step`... plus the run's jumps.
struct VirtualClock {
    next: AtomicU64,
    step: u64,
    jumps: TimeJumps,
}

impl VirtualClock {
    fn new(start_nanos: u64, step_nanos: u64, jumps: TimeJumps) -> Self {
        VirtualClock { next: AtomicU64::new(start_nanos), step: step_nanos, jumps }
    }

    fn tick(&self) -> u64 {
        self.next.fetch_add(self.step, Ordering::Relaxed).saturating_add(self.jumps.nanos())
    }
}

impl HostWallClock for VirtualClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(self.step.max(1))
    }

    fn now(&self) -> Duration {
        Duration::from_nanos(self.tick())
    }
}

impl HostMonotonicClock for VirtualClock {
    fn resolution(&self) -> u64 {
        self.step.max(1)
    }

    fn now(&self) -> u64 {
        self.tick()
    }
}

/// The seed of the thing called `name` (a service, a simulated test) in a run of seed `seed`:
/// the same on every machine and in every build, and another for another name.
pub fn seed_for(seed: u64, name: &str) -> u64 {
    seed ^ fnv1a(name.as_bytes())
}

/// The 64-bit FNV-1a hash.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_virtual_clock_advances_by_its_step_per_read_and_by_the_runs_jumps() {
        let jumps = TimeJumps::default();
        let clock = VirtualClock::new(10, 5, jumps.clone());
        assert_eq!(HostMonotonicClock::now(&clock), 10);
        assert_eq!(HostMonotonicClock::now(&clock), 15);
        assert_eq!(HostWallClock::now(&clock), Duration::from_nanos(20));
        jumps.jump(Duration::from_nanos(1000));
        assert_eq!(HostMonotonicClock::now(&clock), 1025);
    }

    #[test]
    fn services_get_different_seeds() {
        assert_ne!(fnv1a(b"entry"), fnv1a(b"greeter"));
    }
}
