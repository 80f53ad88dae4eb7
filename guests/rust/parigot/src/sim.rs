//! Tests under a simulation's faults (`parigot-host test --sim`): [`attempt`] runs an operation
//! whose calls to services may fail, and returns the failure instead of failing the test;
//! [`injected`] tells which faults the host injected so far.
//!
//! ```ignore
//! let before = inventory::on_hand(7);
//! match parigot::sim::attempt(|| store::sell(7)) {
//!     Ok(Ok(sold)) => sales.push(sold),
//!     // The store refused (sold out), or a call of the sale failed (a fault the simulation
//!     // injected, say): either way the stock is unchanged.
//!     Ok(Err(_refused)) | Err(_) => parigot::check_eq!(inventory::on_hand(7), before),
//! }
//! ```

use crate::bindings::parigot::test::sim;

pub use sim::{CallFailure, Fault};

/// Runs `operation`; when one of the calls it makes to a service fails (a trap, a deadline, a
/// fault the simulation injected...), the failure, instead of failing the test. The calls
/// `operation` makes after that one are not made (they answer placeholders, which `attempt`
/// drops with the value `operation` returns).
pub fn attempt<T>(operation: impl FnOnce() -> T) -> Result<T, CallFailure> {
    sim::catch_failures();
    let value = operation();
    match sim::caught() {
        Some(failure) => Err(failure),
        None => Ok(value),
    }
}

/// The faults the simulation injected so far in this run, oldest first; none outside `--sim`.
pub fn injected() -> Vec<Fault> {
    sim::injected()
}

impl std::fmt::Display for CallFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
