//! The pulse: one background thread per engine that advances wasmtime's epoch at a fixed
//! interval. Compiled guest code checks the epoch at function entries and loop heads, so a call
//! whose deadline (a number of epochs) has passed is interrupted wherever it is, even in a
//! CPU-bound loop. One thread serves every Store and every call of the engine.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use wasmtime::Engine;

/// How often the pulse beats unless told otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(10);

/// Starts advancing `engine`'s epoch every `interval`. The thread stops by itself once every
/// clone of the returned clock is gone.
pub fn start(engine: &Engine, interval: Duration) -> PulseClock {
    let beats = Arc::new(AtomicU64::new(0));
    let weak: Weak<AtomicU64> = Arc::downgrade(&beats);
    let engine = engine.clone();
    std::thread::Builder::new()
        .name("parigot-pulse".into())
        .spawn(move || {
            loop {
                std::thread::sleep(interval);
                let Some(beats) = weak.upgrade() else { return };
                // Counted before the epoch moves, so a Store woken by the new epoch sees it.
                beats.fetch_add(1, Ordering::Relaxed);
                engine.increment_epoch();
            }
        })
        .expect("the pulse thread starts");
    PulseClock { interval, beats }
}

/// What a Store needs of the pulse: the current beat, and how many beats a duration lasts.
#[derive(Debug, Clone)]
pub struct PulseClock {
    interval: Duration,
    beats: Arc<AtomicU64>,
}

impl PulseClock {
    /// Beats so far.
    pub fn now(&self) -> u64 {
        self.beats.load(Ordering::Relaxed)
    }

    /// The beat by which a call starting now with `deadline` must have finished: the deadline
    /// rounded up to whole beats, plus one because the current beat is already under way (so
    /// a call is interrupted between its deadline and one interval later).
    pub fn deadline_beat(&self, deadline: Duration) -> u64 {
        let beats = deadline.as_nanos().div_ceil(self.interval.as_nanos().max(1));
        self.now() + u64::try_from(beats).unwrap_or(u64::MAX / 8) + 1
    }

    /// How long until `beat`, at the earliest (zero if it has passed).
    pub fn until(&self, beat: u64) -> Duration {
        self.interval.saturating_mul(u32::try_from(beat.saturating_sub(self.now())).unwrap_or(u32::MAX))
    }
}
