//! The `[sim]` table of a test wos: how many runs `parigot-host test --sim` makes, which
//! faults it injects at what rates, and into which services.
//!
//! ```toml
//! [sim]
//! runs = 200                          # default 100
//! services = ["inventory", "catalog"] # default: every service (never a test component)
//!
//! [sim.faults]                        # the chance of each fault at each crossing of its boundary
//! call-trap = 0.05
//! call-timeout = 0.02
//! sqlite-busy = 0.05
//! restart = 0.1
//! clock-jump = 0.05                   # virtual time leaps by `clock-jump-ms` (default an hour)
//! ```

use super::{Boundary, FaultKind};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The runs of a simulation when neither `--runs` nor `[sim] runs` says.
pub const DEFAULT_RUNS: u64 = 100;

/// How far virtual time jumps at a `clock-jump` when `[sim] clock-jump-ms` does not say.
pub const DEFAULT_CLOCK_JUMP: Duration = Duration::from_secs(3600);

/// `[sim]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SimTable {
    runs: Option<u64>,
    clock_jump_ms: Option<u64>,
    services: Option<Vec<String>>,
    #[serde(default)]
    faults: BTreeMap<String, f64>,
}

/// `[sim]` checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSpec {
    /// How many runs each test gets.
    pub runs: u64,
    /// Each fault's chance at a crossing of its boundary.
    pub faults: BTreeMap<FaultKind, f64>,
    /// The services whose crossings get faults; `None` for every service of the wos.
    pub services: Option<Vec<String>>,
    /// How far virtual time jumps at a `clock-jump`.
    pub clock_jump: Duration,
}

impl SimTable {
    /// Whether the wos has a `[sim]` table at all.
    pub fn is_empty(&self) -> bool {
        self.runs.is_none() && self.services.is_none() && self.faults.is_empty() && self.clock_jump_ms.is_none()
    }

    /// The table checked against the wos's `services`: an error names the key and what to
    /// write instead.
    pub fn resolve<'a>(&self, services: impl Iterator<Item = &'a str> + Clone) -> Result<SimSpec, String> {
        let mut faults = BTreeMap::new();
        for (key, &rate) in &self.faults {
            let kind = FaultKind::keyed(key).ok_or_else(|| {
                let known: Vec<&str> = FaultKind::ALL.iter().map(|kind| kind.key()).collect();
                format!("`[sim.faults]` has no fault `{key}`; the faults are {}", known.join(", "))
            })?;
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("`[sim.faults]` `{key}` = {rate}: a rate is a chance, from 0 to 1"));
            }
            faults.insert(kind, rate);
        }
        for boundary in [Boundary::LinkedCall, Boundary::RemoteCall, Boundary::Statement, Boundary::Lease] {
            let total: f64 = faults.iter().filter(|(kind, _)| kind.boundary() == boundary).map(|(_, rate)| rate).sum();
            if total > 1.0 {
                let keys: Vec<&str> =
                    faults.keys().filter(|kind| kind.boundary() == boundary).map(|kind| kind.key()).collect();
                return Err(format!(
                    "`[sim.faults]` {} add up to {total}: the faults of one boundary are chances of the same crossing, \
                     at most 1 together",
                    keys.join(" + ")
                ));
            }
        }
        if let Some(named) = &self.services
            && let Some(unknown) = named.iter().find(|name| !services.clone().any(|service| service == name.as_str()))
        {
            return Err(format!("`[sim] services` names `{unknown}`, which is no service of the wos"));
        }
        if self.runs == Some(0) {
            return Err("`[sim] runs` is 0: a simulation makes at least one run".into());
        }
        let clock_jump = self.clock_jump_ms.map_or(DEFAULT_CLOCK_JUMP, Duration::from_millis);
        Ok(SimSpec { runs: self.runs.unwrap_or(DEFAULT_RUNS), faults, services: self.services.clone(), clock_jump })
    }
}

impl SimSpec {
    /// The fault a crossing of `boundary` gets for the draw `x` (in [0, 1)): each kind of the
    /// boundary takes its rate's share of the interval, in [`FaultKind::ALL`]'s order.
    pub fn draw(&self, boundary: Boundary, x: f64) -> Option<FaultKind> {
        let mut below = 0.0;
        for (&kind, &rate) in self.faults.iter().filter(|(kind, _)| kind.boundary() == boundary) {
            below += rate;
            if x < below {
                return Some(kind);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> SimTable {
        toml::from_str(text).unwrap()
    }

    fn resolve(text: &str) -> Result<SimSpec, String> {
        table(text).resolve(["inventory", "catalog"].into_iter())
    }

    #[test]
    fn a_table_resolves_with_its_defaults() {
        let spec = resolve("[faults]\ncall-trap = 0.05\nrestart = 0.1\n").unwrap();
        assert_eq!(spec.runs, DEFAULT_RUNS);
        assert_eq!(spec.faults, BTreeMap::from([(FaultKind::CallTrap, 0.05), (FaultKind::Restart, 0.1)]));
        assert_eq!(spec.services, None);
        assert!(table("").is_empty() && !table("runs = 3").is_empty());
        assert_eq!(spec.clock_jump, DEFAULT_CLOCK_JUMP);
        let jumping = resolve("clock-jump-ms = 5000\n[faults]\nclock-jump = 0.1\n").unwrap();
        assert_eq!((jumping.clock_jump, jumping.faults[&FaultKind::ClockJump]), (Duration::from_secs(5), 0.1));
    }

    #[test]
    fn mistakes_are_named_with_what_to_write() {
        let unknown = resolve("[faults]\ncall-crash = 0.1").unwrap_err();
        assert!(unknown.contains("no fault `call-crash`; the faults are call-trap, call-timeout"), "{unknown}");
        assert!(resolve("[faults]\nrestart = 1.5").unwrap_err().contains("a rate is a chance, from 0 to 1"));
        let total = resolve("[faults]\nsqlite-busy = 0.6\nsqlite-full = 0.6").unwrap_err();
        assert!(total.contains("sqlite-busy + sqlite-full add up to 1.2"), "{total}");
        let service = resolve("services = [\"inventory\", \"stock\"]").unwrap_err();
        assert!(service.contains("`[sim] services` names `stock`, which is no service of the wos"), "{service}");
        assert!(resolve("runs = 0").unwrap_err().contains("at least one run"));
        assert!(toml::from_str::<SimTable>("rates = {}").is_err(), "unknown keys are refused");
    }

    #[test]
    fn a_draw_splits_the_interval_among_the_boundarys_faults() {
        let spec = resolve("[faults]\ncall-trap = 0.1\ncall-timeout = 0.2\nsqlite-busy = 0.5").unwrap();
        assert_eq!(spec.draw(Boundary::LinkedCall, 0.05), Some(FaultKind::CallTrap));
        assert_eq!(spec.draw(Boundary::LinkedCall, 0.25), Some(FaultKind::CallTimeout));
        assert_eq!(spec.draw(Boundary::LinkedCall, 0.35), None);
        assert_eq!(spec.draw(Boundary::Statement, 0.35), Some(FaultKind::SqliteBusy));
        assert_eq!(spec.draw(Boundary::Lease, 0.0), None);
    }
}
