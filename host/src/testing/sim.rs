//! `parigot-host test --sim`: each test run many times, each run under the faults a seed makes
//! ([`crate::sim`]), on virtual time, until one fails. A failing run is then replayed with its
//! seed (it must fail the same way, with the same faults and log: what `--seed` promises), and
//! shrunk: its faults are taken away one at a time, each removal kept if the test still fails
//! without it, down to the fewest that still make it fail.

use super::runner::{Failure, TestOutcome, run_fresh};
use crate::names::ServiceName;
use crate::runtime::App;
use crate::sim::{Faults, Injected, Schedule, SimSpec};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

/// How many single faults a shrink tries alone before it takes them away one by one.
const MOST_SINGLE_TRIES: usize = 20;

/// How the tests of one wos are simulated: its `[sim]` spec, the runs per test, and the
/// services whose boundaries get faults.
pub struct Simulation {
    spec: SimSpec,
    runs: u64,
    services: BTreeSet<String>,
}

/// One test in one run of its simulation: the wos, the test, and the run's seed.
#[derive(Clone, Copy)]
struct Subject<'a> {
    app: &'a Arc<App>,
    component: &'a ServiceName,
    test: &'a str,
    seed: u64,
}

/// The failing run of a simulated test.
#[derive(Debug, Clone)]
pub struct SimFailure {
    /// The run's seed: `--seed SEED --runs 1` runs it again.
    pub seed: u64,
    /// The faults it injected, in order.
    pub faults: Vec<Injected>,
    /// Whether running the seed again failed the same way, with the same faults and log;
    /// what differed if not.
    pub replay: Result<(), String>,
    /// The fewest of its faults that still make the test fail, and how it then fails.
    pub shrunk: Vec<Injected>,
    pub shrunk_failure: Failure,
}

impl Simulation {
    /// The simulation of `app`'s tests as its `[sim]` table says, `runs` times each if given;
    /// an error when the wos has no `[sim]` table.
    pub fn of(app: &App, runs: Option<u64>) -> wasmtime::Result<Simulation> {
        let manifest = &app.manifest;
        let Some(spec) = manifest.sim.clone() else {
            wasmtime::bail!(
                "wos `{}` has no `[sim]` table, which says which faults `--sim` injects; add one, for example\n\n\
                 [sim]\nruns = 100\n\n[sim.faults]\ncall-trap = 0.05\nsqlite-busy = 0.05\nrestart = 0.05",
                manifest.name
            );
        };
        if runs == Some(0) {
            wasmtime::bail!("`--runs 0`: a simulation makes at least one run");
        }
        let services = match &spec.services {
            Some(named) => named.iter().cloned().collect(),
            // The wos's services, not its test components (which run as services under test).
            None => manifest
                .services
                .keys()
                .filter(|name| !manifest.tests.contains_key(*name))
                .map(ToString::to_string)
                .collect(),
        };
        Ok(Simulation { runs: runs.unwrap_or(spec.runs), spec, services })
    }

    /// Runs `test` of `component` (named `name` in the report) once per seed from `first_seed`
    /// on, until a run fails or all have passed.
    pub async fn run(
        &self,
        app: &Arc<App>,
        component: &ServiceName,
        test: &str,
        name: String,
        first_seed: u64,
    ) -> wasmtime::Result<TestOutcome> {
        for run in 0..self.runs {
            let seed = first_seed.wrapping_add(run);
            let schedule = self.seeded(seed, &name);
            let subject = Subject { app, component, test, seed };
            let (outcome, faults) = self.attempt(&subject, schedule.clone()).await?;
            let (Some(failure), log) = outcome else { continue };
            let replay = self.replay(&subject, schedule, (&failure, &faults, &log)).await?;
            let (shrunk, shrunk_failure) = self.shrink(&subject, &faults, &failure).await?;
            let sim = SimFailure { seed, faults, replay, shrunk, shrunk_failure };
            return Ok(TestOutcome { name, failure: Some(failure), log, runs: run + 1, sim: Some(sim) });
        }
        Ok(TestOutcome { name, failure: None, log: Vec::new(), runs: self.runs, sim: None })
    }

    /// The faults of run `seed` of the test `name`: each test draws its own (the name is mixed
    /// into the seed), so that tests of a wos do not all meet the same faults at the same steps.
    fn seeded(&self, seed: u64, name: &str) -> Schedule {
        Schedule::Seeded { seed: crate::runtime::seed_for(seed, name), spec: self.spec.clone() }
    }

    /// One run of `subject` under `schedule`: how the test ended, its log, and the faults
    /// injected.
    async fn attempt(
        &self,
        subject: &Subject<'_>,
        schedule: Schedule,
    ) -> wasmtime::Result<((Option<Failure>, Vec<String>), Vec<Injected>)> {
        let faults = Arc::new(Faults::new(schedule, self.services.clone()).with_clock_jump(self.spec.clock_jump));
        let Subject { app, component, test, seed } = *subject;
        let outcome = run_fresh(app, component, test, seed, Some(faults.clone())).await?;
        Ok((outcome, faults.injected()))
    }

    /// Runs `subject` again under `schedule`: `Ok` when it fails as `first` did, with the same
    /// faults and log.
    async fn replay(
        &self,
        subject: &Subject<'_>,
        schedule: Schedule,
        first: (&Failure, &[Injected], &[String]),
    ) -> wasmtime::Result<Result<(), String>> {
        let ((failure, log), faults) = self.attempt(subject, schedule).await?;
        Ok(if failure.as_ref() != Some(first.0) {
            Err(format!("it ended otherwise: {failure:?}"))
        } else if faults != first.1 {
            Err(format!("it injected other faults: {faults:?}"))
        } else if log != first.2 {
            Err("its log differed".into())
        } else {
            Ok(())
        })
    }

    /// The fewest of `faults` that still make `subject` fail, as injected in the last failing
    /// run, and how that run failed. First each fault alone, the latest first (the fault that
    /// shows a bug is often the last before the failure); then, from all of them, each taken
    /// away in turn and kept away when the test fails without it, pass after pass until a pass
    /// takes none away.
    async fn shrink(
        &self,
        subject: &Subject<'_>,
        faults: &[Injected],
        failure: &Failure,
    ) -> wasmtime::Result<(Vec<Injected>, Failure)> {
        let run = |kept: Vec<&Injected>| {
            let schedule = Schedule::Exactly(kept.into_iter().map(|fault| (fault.place(), fault.fault)).collect());
            async move {
                let ((still, _), injected) = self.attempt(subject, schedule).await?;
                wasmtime::Result::<_>::Ok(still.map(|still| (injected, still)))
            }
        };
        if faults.len() > 1 {
            for alone in faults.iter().rev().take(MOST_SINGLE_TRIES) {
                if let Some(shrunk) = run(vec![alone]).await? {
                    return Ok(shrunk);
                }
            }
        }
        let (mut kept, mut failure) = (faults.to_vec(), failure.clone());
        loop {
            let before = kept.len();
            let mut next = 0;
            while next < kept.len() {
                let without = kept.iter().enumerate().filter(|(index, _)| *index != next).map(|(_, fault)| fault);
                match run(without.collect()).await? {
                    Some((injected, still)) => (kept, failure) = (injected, still),
                    None => next += 1,
                }
            }
            if kept.len() == before {
                return Ok((kept, failure));
            }
        }
    }
}

impl SimFailure {
    /// What the report says of the failing run, after its failure.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "faults injected ({}):", self.faults.len());
        for fault in &self.faults {
            let _ = writeln!(out, "  {fault}");
        }
        match &self.replay {
            Ok(()) => {
                let _ =
                    writeln!(out, "replayed with `--seed {} --runs 1`: the same failure, faults and log", self.seed);
            }
            Err(why) => {
                let _ = writeln!(out, "replayed with `--seed {}`, it did not repeat: {why}", self.seed);
            }
        }
        match self.shrunk.len() {
            0 => out += "it fails without any fault\n",
            count if count == self.faults.len() => out += "it cannot be shrunk: it needs every one of its faults\n",
            count => {
                let _ = writeln!(out, "shrunk to {count} fault(s) that still fail it:");
                for fault in &self.shrunk {
                    let _ = writeln!(out, "  {fault}");
                }
                let then = super::runner::describe(&self.shrunk_failure);
                let _ = writeln!(out, "  and it then fails with: {}", then.lines().next().unwrap_or_default());
            }
        }
        out
    }
}
