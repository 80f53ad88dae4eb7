//! The pulse: one background thread per engine that advances wasmtime's epoch at a fixed
//! interval. Compiled guest code checks the epoch at function entries and loop heads, so at
//! every beat a Store with a call under way checks that call's deadline and interrupts it if
//! it has passed, even in a CPU-bound loop (or else yields to the async runtime for a moment).
//! One thread serves every Store and every call of the engine.

use std::sync::{Arc, Weak};
use std::time::Duration;
use wasmtime::Engine;

/// How often the pulse beats unless told otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(10);

/// Starts advancing `engine`'s epoch every `interval`. The thread stops by itself once every
/// clone of the returned clock is gone.
pub fn start(engine: &Engine, interval: Duration) -> PulseClock {
    let alive = Arc::new(());
    let weak: Weak<()> = Arc::downgrade(&alive);
    let engine = engine.clone();
    std::thread::Builder::new()
        .name("parigot-pulse".into())
        .spawn(move || {
            while weak.strong_count() > 0 {
                std::thread::sleep(interval);
                engine.increment_epoch();
            }
        })
        .expect("the pulse thread starts");
    PulseClock { _alive: alive }
}

/// A handle on the pulse: while one exists, the pulse beats.
#[derive(Debug, Clone)]
pub struct PulseClock {
    _alive: Arc<()>,
}
