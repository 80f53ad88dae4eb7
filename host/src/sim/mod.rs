//! Simulation: faults injected at the boundaries the host owns, from a schedule a seed makes,
//! so that a test run under them (`parigot-host test --sim`) is exactly repeatable.
//!
//! Every time a call crosses a boundary (a linked call into a service, a call to a remote
//! host, a SQLite statement, the lease of an instance for a call), the host asks the run's
//! [`Faults`] whether to inject one there. Crossings are numbered in the order they happen
//! (a test's calls are made one after the other, so the order is the same in every run of the
//! same seed); the decision at crossing `n` is a pure function of the seed and `n`. What was
//! injected is kept, so that a failing run can print it, be replayed, and be shrunk to the
//! fewest faults that still make it fail ([`Schedule::Exactly`]). A shrunk run places each of
//! its faults by what it crosses and how many times that was crossed before (the third call of
//! `inventory#reserve`), not by step: taking a fault away changes the steps of the crossings
//! after it, but seldom makes the remaining faults land on another kind of call.
//!
//! A leaf, like the telemetry: the runtime and the capabilities consult it, the test runner
//! ([`crate::testing::sim`]) makes one per run.

pub mod table;

pub use table::{SimSpec, SimTable};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// A fault the host can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// A linked call fails as if its callee trapped.
    CallTrap,
    /// A linked call fails as if its callee ran past its deadline, before it began.
    CallTimeout,
    /// A linked call's callee does the work, then virtual time jumps past the caller's
    /// deadline: the answer comes too late, and the call fails as a timed-out one.
    CallLate,
    /// A linked call fails as if its callee were unavailable (failed, restarting).
    CallUnavailable,
    /// A call to a remote host fails as if the host answered with an error.
    RemoteFail,
    /// A call to a remote host is answered after the link's timeout: the remote host did the
    /// work, and the call fails as a timed-out one.
    RemoteSlow,
    /// A SQLite statement fails `busy`, changing nothing.
    SqliteBusy,
    /// A SQLite statement fails `full`, changing nothing.
    SqliteFull,
    /// A SQLite statement fails `constraint`, changing nothing.
    SqliteConstraint,
    /// The service's idle instances are dropped before a call: it starts on a fresh one, its
    /// memory empty.
    Restart,
    /// Virtual time jumps forward before a call (`[sim] clock-jump-ms`), for every service of
    /// the run: what a guest reads from its clocks leaps.
    ClockJump,
}

impl FaultKind {
    /// Every kind, in the order a crossing draws them.
    pub const ALL: [FaultKind; 11] = [
        FaultKind::CallTrap,
        FaultKind::CallTimeout,
        FaultKind::CallLate,
        FaultKind::CallUnavailable,
        FaultKind::RemoteFail,
        FaultKind::RemoteSlow,
        FaultKind::SqliteBusy,
        FaultKind::SqliteFull,
        FaultKind::SqliteConstraint,
        FaultKind::Restart,
        FaultKind::ClockJump,
    ];

    /// Its key in `[sim.faults]` (`call-trap`).
    pub fn key(self) -> &'static str {
        match self {
            FaultKind::CallTrap => "call-trap",
            FaultKind::CallTimeout => "call-timeout",
            FaultKind::CallLate => "call-late",
            FaultKind::CallUnavailable => "call-unavailable",
            FaultKind::RemoteFail => "remote-fail",
            FaultKind::RemoteSlow => "remote-slow",
            FaultKind::SqliteBusy => "sqlite-busy",
            FaultKind::SqliteFull => "sqlite-full",
            FaultKind::SqliteConstraint => "sqlite-constraint",
            FaultKind::Restart => "restart",
            FaultKind::ClockJump => "clock-jump",
        }
    }

    /// The kind whose key is `key`.
    pub fn keyed(key: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|kind| kind.key() == key)
    }

    /// The boundary it is injected at.
    pub fn boundary(self) -> Boundary {
        match self {
            FaultKind::CallTrap | FaultKind::CallTimeout | FaultKind::CallLate | FaultKind::CallUnavailable => {
                Boundary::LinkedCall
            }
            FaultKind::RemoteFail | FaultKind::RemoteSlow => Boundary::RemoteCall,
            FaultKind::SqliteBusy | FaultKind::SqliteFull | FaultKind::SqliteConstraint => Boundary::Statement,
            FaultKind::Restart | FaultKind::ClockJump => Boundary::Lease,
        }
    }
}

/// A boundary the host owns, where faults are injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Boundary {
    /// A call through a linked import into another service of the wos (or from a test).
    LinkedCall,
    /// A call through an import bound to a remote host.
    RemoteCall,
    /// A SQLite statement of a service.
    Statement,
    /// The lease of an instance of a service for a call.
    Lease,
}

/// One crossing of a boundary, as a schedule sees it.
#[derive(Debug, Clone, Copy)]
pub struct Crossing<'a> {
    pub boundary: Boundary,
    /// The service on the far side: the callee, the service whose statement or instance it
    /// is, or (for a remote call) the caller.
    pub service: &'a str,
    /// What crosses: `interface#function`, or a statement's name.
    pub what: &'a str,
    /// The trace of the call it belongs to.
    pub trace: u128,
}

/// A fault that was injected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    /// The crossing it was injected at, counted from 1.
    pub step: u64,
    pub fault: FaultKind,
    pub service: String,
    pub what: String,
    /// How many crossings of the same boundary into `service` at `what` there were before
    /// this one.
    pub before: u64,
    pub trace: u128,
}

impl Injected {
    /// Where a replay places this fault: what it crosses, and how many times before.
    pub fn place(&self) -> Place {
        Place {
            boundary: self.fault.boundary(),
            service: self.service.clone(),
            what: self.what.clone(),
            before: self.before,
        }
    }
}

/// A crossing of a run, by what it crosses: `boundary` into `service` at `what`, after
/// `before` others of the same.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    pub boundary: Boundary,
    pub service: String,
    pub what: String,
    pub before: u64,
}

impl fmt::Display for Injected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Injected { step, fault, service, what, trace, .. } = self;
        write!(f, "step {step}: {} in `{service}` at `{what}` (trace {trace:032x})", fault.key())
    }
}

/// Which faults a run injects.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// At each crossing, a fault of its boundary's kinds at the rates of `spec`, drawn from
    /// `seed` and the crossing's step.
    Seeded { seed: u64, spec: SimSpec },
    /// Exactly these faults, at these places (where the crossing there is of the fault's
    /// boundary), and no other: how a failing run's faults are replayed in part.
    Exactly(BTreeMap<Place, FaultKind>),
}

/// The faults of one run: its schedule, and what it injected so far. Shared by the runtime
/// and the capabilities of a started wos.
#[derive(Debug)]
pub struct Faults {
    schedule: Schedule,
    /// How far virtual time jumps at a `clock-jump`.
    clock_jump: Duration,
    /// Only crossings into these services get faults (test components never do).
    services: BTreeSet<String>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    steps: u64,
    /// How many crossings there were so far of each boundary into each service at each place.
    crossed: BTreeMap<(Boundary, String, String), u64>,
    injected: Vec<Injected>,
}

impl Faults {
    /// The faults `schedule` makes at crossings into `services`.
    pub fn new(schedule: Schedule, services: BTreeSet<String>) -> Faults {
        Faults { schedule, clock_jump: table::DEFAULT_CLOCK_JUMP, services, state: Mutex::default() }
    }

    /// These faults, with virtual time jumping by `by` at a `clock-jump`.
    pub fn with_clock_jump(self, by: Duration) -> Faults {
        Faults { clock_jump: by, ..self }
    }

    /// How far virtual time jumps at a `clock-jump`.
    pub fn clock_jump(&self) -> Duration {
        self.clock_jump
    }

    /// Whether to inject a fault at `crossing`, and which; counts the crossing either way.
    pub fn at(&self, crossing: Crossing<'_>) -> Option<FaultKind> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.steps += 1;
        let step = state.steps;
        if !self.services.contains(crossing.service) {
            return None;
        }
        let key = (crossing.boundary, crossing.service.to_owned(), crossing.what.to_owned());
        let counter = state.crossed.entry(key).or_default();
        let before = *counter;
        *counter += 1;
        let fault = match &self.schedule {
            Schedule::Seeded { seed, spec } => spec.draw(crossing.boundary, unit_interval(*seed, step)),
            Schedule::Exactly(faults) => {
                let place = Place {
                    boundary: crossing.boundary,
                    service: crossing.service.to_owned(),
                    what: crossing.what.to_owned(),
                    before,
                };
                faults.get(&place).copied().filter(|fault| fault.boundary() == crossing.boundary)
            }
        }?;
        state.injected.push(Injected {
            step,
            fault,
            service: crossing.service.to_owned(),
            what: crossing.what.to_owned(),
            before,
            trace: crossing.trace,
        });
        Some(fault)
    }

    /// The faults injected so far, in order.
    pub fn injected(&self) -> Vec<Injected> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).injected.clone()
    }
}

/// The error a call or statement fails with where a fault was injected: why, for the log and
/// the test's report.
#[derive(Debug)]
pub struct InjectedFault(pub FaultKind);

impl fmt::Display for InjectedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a fault the simulation injected ({})", self.0.key())
    }
}

impl std::error::Error for InjectedFault {}

/// A number in [0, 1) made from `seed` and `step` alone (SplitMix64's finalizer over both).
fn unit_interval(seed: u64, step: u64) -> f64 {
    let mut z = seed ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crossing(boundary: Boundary, service: &str) -> Crossing<'_> {
        Crossing { boundary, service, what: "example:shop/stock#reserve", trace: 7 }
    }

    fn spec(faults: &[(FaultKind, f64)]) -> SimSpec {
        SimSpec {
            runs: 10,
            faults: faults.iter().copied().collect(),
            services: None,
            clock_jump: table::DEFAULT_CLOCK_JUMP,
        }
    }

    fn run(faults: &Faults, crossings: usize) -> Vec<Option<FaultKind>> {
        (0..crossings)
            .map(|n| faults.at(crossing(Boundary::LinkedCall, if n % 3 == 0 { "test" } else { "stock" })))
            .collect()
    }

    #[test]
    fn a_seed_makes_the_same_faults_every_time_and_another_seed_others() {
        let services = BTreeSet::from(["stock".to_owned()]);
        let schedule = |seed| Schedule::Seeded { seed, spec: spec(&[(FaultKind::CallTrap, 0.3)]) };
        let first = run(&Faults::new(schedule(1), services.clone()), 200);
        assert_eq!(first, run(&Faults::new(schedule(1), services.clone()), 200));
        assert_ne!(first, run(&Faults::new(schedule(2), services.clone()), 200));
        let injected = first.iter().flatten().count();
        assert!((40..=95).contains(&injected), "about 30% of 133 crossings into `stock`: {injected}");
        // Crossings into a service the simulation leaves alone never get one.
        assert!(first.iter().step_by(3).all(Option::is_none));
    }

    #[test]
    fn a_crossing_gets_only_faults_of_its_boundary_and_each_is_recorded() {
        let services = BTreeSet::from(["stock".to_owned()]);
        let schedule = Schedule::Seeded { seed: 3, spec: spec(&[(FaultKind::SqliteBusy, 1.0)]) };
        let faults = Faults::new(schedule, services);
        assert_eq!(faults.at(crossing(Boundary::LinkedCall, "stock")), None);
        assert_eq!(faults.at(crossing(Boundary::Statement, "stock")), Some(FaultKind::SqliteBusy));
        let injected = faults.injected();
        assert_eq!(injected.len(), 1);
        assert_eq!(
            injected[0].to_string(),
            "step 2: sqlite-busy in `stock` at `example:shop/stock#reserve` (trace 00000000000000000000000000000007)"
        );
    }

    #[test]
    fn an_exact_schedule_injects_its_faults_where_they_fit_and_nothing_else() {
        let services = BTreeSet::from(["stock".to_owned()]);
        let at = |before| Place {
            boundary: Boundary::LinkedCall,
            service: "stock".into(),
            what: "example:shop/stock#reserve".into(),
            before,
        };
        let exactly = BTreeMap::from([(at(1), FaultKind::CallTimeout), (at(2), FaultKind::Restart)]);
        let faults = Faults::new(Schedule::Exactly(exactly), services);
        // Crossings elsewhere in between do not move the faults.
        let elsewhere = Crossing { boundary: Boundary::LinkedCall, service: "stock", what: "other#f", trace: 7 };
        let mut got = Vec::new();
        for _ in 0..4 {
            assert_eq!(faults.at(elsewhere), None);
            got.push(faults.at(crossing(Boundary::LinkedCall, "stock")));
        }
        assert_eq!(got, [None, Some(FaultKind::CallTimeout), None, None], "a restart does not fit a call");
        let injected = faults.injected();
        assert_eq!((injected[0].step, injected[0].place()), (4, at(1)));
    }

    #[test]
    fn draws_spread_over_the_unit_interval() {
        let draws: Vec<f64> = (1..=10_000).map(|step| unit_interval(42, step)).collect();
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        let below_a_tenth = draws.iter().filter(|x| **x < 0.1).count();
        assert!((800..1200).contains(&below_a_tenth), "{below_a_tenth}");
    }
}
