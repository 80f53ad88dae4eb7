//! Testing a wos: its test components run by the host ([`runner`], `parigot-host test`), under
//! simulated faults ([`sim`], `--sim`), and ad-hoc calls of its exported functions in WAVE
//! ([`call`]).

pub mod call;
pub mod runner;
pub mod sim;
